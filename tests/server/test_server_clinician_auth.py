"""scrypt password hashes and the SQL consent lookup behind the access policy."""

from __future__ import annotations

import datetime as dt

import pytest

from bedside.privacy import Identity, PartyKind, Scope, issue_consent
from bedside.server.clinician_auth import hash_password, verify_password
from bedside.server.consent_lookup import SqlConsentLookup
from bedside.store import create_store
from bedside.store.ingest_tables import create_ingest_tables, put_consent, revoke_consent

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_password_hash_round_trip_salted_and_strict() -> None:
    first = hash_password("s3cret", log2_n=14)
    assert first.startswith("scrypt$14$")
    assert first != hash_password("s3cret", log2_n=14)  # fresh salt each time
    assert verify_password("s3cret", first)
    assert not verify_password("s3cret ", first)
    assert not verify_password("s3cret", "scrypt$14$bad")
    assert not verify_password("s3cret", "md5$abc")
    with pytest.raises(ValueError, match="below the minimum"):
        hash_password("x", log2_n=10)
    with pytest.raises(ValueError, match="empty"):
        hash_password("")


def test_sql_consent_lookup_reads_validity_and_revocation() -> None:
    store = create_store("sqlite://")
    engine = store.engine
    create_ingest_tables(engine)
    clinic = Identity.generate(PartyKind.CLINIC_SERVICE)
    patient = Identity.generate(PartyKind.PATIENT)
    grant, token = issue_consent(
        patient,
        patient_id="p1",
        grantee_did=clinic.did,
        scopes={Scope.TRENDS},
        valid_from=NOW - dt.timedelta(days=1),
        valid_until=NOW + dt.timedelta(days=1),
    )
    with engine.begin() as conn:
        put_consent(conn, grant, token)
    lookup = SqlConsentLookup(engine)
    assert lookup.status("p1", NOW).consent_id == grant.id
    assert "expired" in lookup.status("p1", NOW + dt.timedelta(days=2)).reason
    assert "not valid before" in lookup.status("p1", NOW - dt.timedelta(days=2)).reason
    assert lookup.status("p9", NOW).reason == "no consent on file"
    with engine.begin() as conn:
        revoke_consent(conn, grant.id, NOW - dt.timedelta(minutes=1), "revocation-token")
    status = lookup.status("p1", NOW)
    assert not status.valid
    assert "revoked" in status.reason
    store.close()
