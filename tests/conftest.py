"""Shared fixtures: where the real Depresjon subset is, and the rule that CI never skips it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def depresjon_root() -> Path:
    """$BEDSIDE_DEPRESJON_DIR, else ../shared/data/depresjon beside the repository."""
    env = os.environ.get("BEDSIDE_DEPRESJON_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data" / "depresjon"


@pytest.fixture(scope="session")
def depresjon_dir() -> Path:
    """The real Depresjon subset; skipped locally when absent, a failure in CI."""
    root = depresjon_root()
    if not (root / "scores.csv").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Depresjon data not found at {root} (required in CI)")
        pytest.skip(f"Depresjon data not found at {root}")
    return root


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """The node/ folder with Medplum installed; skipped locally when absent, a failure in CI."""
    from bedside.domain import ConfigurationError
    from bedside.fhir import node_dir

    try:
        return node_dir()
    except ConfigurationError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Node tools unavailable (required in CI): {exc}")
        pytest.skip(f"Node tools unavailable: {exc}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL on $BEDSIDE_TEST_POSTGRES_URL confined to a fresh schema, dropped after.

    Skipped locally when the variable is unset; a failure in CI (where `.ci/run` starts
    PostgreSQL), so the PostgreSQL half of a contract suite can never silently vanish.
    """
    import uuid

    import sqlalchemy as sa

    base = os.environ.get("BEDSIDE_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail("BEDSIDE_TEST_POSTGRES_URL is not set (PostgreSQL is required in CI)")
        pytest.skip("BEDSIDE_TEST_POSTGRES_URL not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at BEDSIDE_TEST_POSTGRES_URL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    url = sa.engine.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


class NitroTestPki:
    """A stand-in for AWS's Nitro PKI: own P-384 root -> intermediate -> leaf, signing documents.

    Tests use it to make attestation documents with chosen PCRs, nonce and user data; the real
    AWS-signed sample (tests/privacy/data/nitro) covers the real chain.
    """

    def __init__(self, now: object) -> None:
        import datetime as dt

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import Encoding
        from cryptography.x509.oid import NameOID

        assert isinstance(now, dt.datetime)
        self.now = now

        def cert(
            name: str,
            key: ec.EllipticCurvePrivateKey,
            issuer: tuple[x509.Name, object] | None,
            *,
            ca: bool,
            hours: int,
        ) -> tuple[x509.Name, bytes]:
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
            issuer_name, issuer_key = issuer if issuer else (subject, key)
            built = (
                x509.CertificateBuilder()
                .subject_name(subject)
                .issuer_name(issuer_name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(hours=hours))
                .not_valid_after(now + dt.timedelta(hours=hours))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .sign(issuer_key, hashes.SHA384())  # type: ignore[arg-type]
            )
            return subject, built.public_bytes(Encoding.DER)

        root_key = ec.generate_private_key(ec.SECP384R1())
        inter_key = ec.generate_private_key(ec.SECP384R1())
        self.leaf_key = ec.generate_private_key(ec.SECP384R1())
        root_name, self.root_der = cert("test-nitro-root", root_key, None, ca=True, hours=24 * 365)
        inter_name, self.inter_der = cert(
            "test-nitro-zonal", inter_key, (root_name, root_key), ca=True, hours=24 * 30
        )
        _, self.leaf_der = cert(
            "test-enclave", self.leaf_key, (inter_name, inter_key), ca=False, hours=3
        )

    def document(
        self,
        *,
        pcr0: bytes = b"\x11" * 48,
        nonce: bytes | None = None,
        user_data: bytes | None = None,
        timestamp: object = None,
        mutate_payload: dict[str, object] | None = None,
        protected: dict[int, int] | None = None,
    ) -> bytes:
        """A COSE_Sign1 attestation document signed by the leaf key (ES384, raw r || s)."""
        import datetime as dt

        import cbor2
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        when = timestamp if isinstance(timestamp, dt.datetime) else self.now
        payload: dict[str, object] = {
            "module_id": "i-test-enc0001",
            "digest": "SHA384",
            "timestamp": int(when.timestamp() * 1000),
            "pcrs": {0: pcr0, 1: b"\x22" * 48, 2: b"\x33" * 48, 8: b"\x00" * 48},
            "certificate": self.leaf_der,
            "cabundle": [self.root_der, self.inter_der],
            "public_key": None,
            "user_data": user_data,
            "nonce": nonce,
        }
        payload.update(mutate_payload or {})
        protected_bytes = cbor2.dumps(protected if protected is not None else {1: -35})
        payload_bytes = cbor2.dumps(payload)
        to_sign = cbor2.dumps(["Signature1", protected_bytes, b"", payload_bytes])
        r, s = decode_dss_signature(self.leaf_key.sign(to_sign, ec.ECDSA(hashes.SHA384())))
        signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
        return bytes(
            cbor2.dumps(cbor2.CBORTag(18, [protected_bytes, {}, payload_bytes, signature]))
        )


@pytest.fixture(scope="session")
def nitro_pki() -> NitroTestPki:
    """One test PKI per session (P-384 key generation is cheap, but no need to repeat it)."""
    import datetime as dt

    return NitroTestPki(dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC))
