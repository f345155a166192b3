"""Fuzz the ingest endpoint: arbitrary bodies and mutated envelopes never give a 500 or a write."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.audit import verify_audit_log
from bedside.privacy import (
    EnvelopePayload,
    Identity,
    PartyKind,
    Scope,
    issue_consent,
    new_envelope_id,
    seal_payload,
)
from bedside.server import create_app
from bedside.server.ingest import IngestService
from bedside.server.processor import LocalDecryptor
from bedside.store import create_store
from bedside.store.ingest_tables import count_envelopes

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
CLINIC = Identity.generate(PartyKind.CLINIC_SERVICE)
PATIENT = Identity.generate(PartyKind.PATIENT)


def _app(tmp: Path) -> tuple[TestClient, IngestService, str]:
    store = create_store(f"sqlite:///{tmp / 'fuzz.db'}")
    service = IngestService(store.engine, CLINIC, LocalDecryptor(CLINIC), clock=lambda: T0)
    grant, token = issue_consent(
        PATIENT,
        patient_id="p1",
        grantee_did=CLINIC.did,
        scopes={Scope.RISK},
        valid_from=T0,
        valid_until=T0 + dt.timedelta(days=1),
    )
    service.register_consent(token)
    return TestClient(create_app(store, ingest=service)), service, grant.id


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries(
            {"envelope_id": st.text(max_size=120), "jwe": st.text(max_size=300)}
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_arbitrary_bodies_never_500_nor_write(body: bytes) -> None:
    client, service, _ = _FIXED
    response = client.post("/ingest/envelopes", content=body)
    assert 400 <= response.status_code < 500
    with service.engine.connect() as conn:
        assert count_envelopes(conn) == 0


@settings(max_examples=25, deadline=None)
@given(position=st.integers(min_value=0), char=st.sampled_from("AZaz09-_."))
def test_mutated_envelopes_never_500_nor_write(position: int, char: str) -> None:
    client, service, consent_id = _FIXED
    payload = EnvelopePayload(
        envelope_id=new_envelope_id(),
        sequence=1,
        issued_at=T0,
        patient_did=PATIENT.did,
        consent_id=consent_id,
    )
    sealed = seal_payload(PATIENT, CLINIC.public, payload)
    i = position % len(sealed.jwe)
    if sealed.jwe[i] == char:
        return
    mutated = sealed.model_copy(update={"jwe": sealed.jwe[:i] + char + sealed.jwe[i + 1 :]})
    with service.engine.connect() as conn:
        before = count_envelopes(conn)
    response = client.post("/ingest/envelopes", content=mutated.model_dump_json())
    assert response.status_code != 500
    with service.engine.connect() as conn:
        after = count_envelopes(conn)
    # Only a change the JOSE decoders tolerate (base64 padding bits) may pass; then the signed
    # content is the original one and it is stored exactly once. Otherwise nothing is written.
    assert after - before == (1 if response.status_code == 200 else 0)


def test_zz_audit_chain_intact_after_fuzzing() -> None:
    assert verify_audit_log(_FIXED[1].engine) == []


_FIXED: tuple[TestClient, IngestService, str]


_TMP = Path(tempfile.mkdtemp(prefix="bedside-fuzz-"))


def setup_module() -> None:
    global _FIXED
    _FIXED = _app(_TMP)


def teardown_module() -> None:
    _FIXED[1].engine.dispose()
    shutil.rmtree(_TMP, ignore_errors=True)
