"""Keys at rest: scrypt + AES-GCM keystore, recovery backup, rotation statements."""

from __future__ import annotations

import json

import pytest

from bedside.privacy import (
    Identity,
    IdentityError,
    KeyStoreError,
    PartyKind,
    export_recovery_backup,
    lock_identity,
    restore_recovery_backup,
    rotate_identity,
    unlock_identity,
    verify_rotation,
)
from bedside.privacy.keystore import MIN_SCRYPT_N

PASS = "correct horse battery"


def test_lock_unlock_round_trip_keeps_keys_and_hides_them(patient: Identity) -> None:
    text = lock_identity(patient, PASS, scrypt_n=MIN_SCRYPT_N)
    raw = patient.require_signing().private_bytes_raw()
    assert raw.hex() not in text
    assert PASS not in text
    opened = unlock_identity(text, PASS)
    assert opened.public == patient.public
    assert opened.require_signing().private_bytes_raw() == raw
    assert opened.created == patient.created


def test_wrong_passphrase_is_refused(patient: Identity) -> None:
    text = lock_identity(patient, PASS, scrypt_n=MIN_SCRYPT_N)
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        unlock_identity(text, PASS + "!")


@pytest.mark.parametrize("field", ["kind", "did"])
def test_editing_the_clear_header_breaks_the_keystore(patient: Identity, field: str) -> None:
    data = json.loads(lock_identity(patient, PASS, scrypt_n=MIN_SCRYPT_N))
    other = Identity.generate(PartyKind.CLINICIAN)
    data[field] = "clinician" if field == "kind" else other.did
    with pytest.raises(KeyStoreError):
        unlock_identity(json.dumps(data), PASS)


def test_weak_settings_and_foreign_files_are_refused(patient: Identity) -> None:
    with pytest.raises(KeyStoreError, match="at least 8"):
        lock_identity(patient, "short")
    with pytest.raises(KeyStoreError, match="power of two"):
        lock_identity(patient, PASS, scrypt_n=1024)
    with pytest.raises(KeyStoreError, match="not a Bedside keystore"):
        unlock_identity('{"hello": 1}', PASS)
    data = json.loads(lock_identity(patient, PASS, scrypt_n=MIN_SCRYPT_N))
    data["kdf"]["n"] = 2
    with pytest.raises(KeyStoreError, match="KDF"):
        unlock_identity(json.dumps(data), PASS)


def test_split_identity_locks_only_its_half(clinic: Identity) -> None:
    opened = unlock_identity(
        lock_identity(clinic.encryption_only(), PASS, scrypt_n=MIN_SCRYPT_N), PASS
    )
    assert opened.signing_private is None
    assert opened.require_encryption().private_bytes_raw() == (
        clinic.require_encryption().private_bytes_raw()
    )


def test_recovery_backup_restores_with_the_code_in_any_case(patient: Identity) -> None:
    backup, code = export_recovery_backup(patient)
    assert len(code.replace("-", "")) == 32
    restored = restore_recovery_backup(backup, code.lower().replace("-", " "))
    assert restored.public == patient.public
    wrong = ("B" if code[0] != "B" else "C") + code[1:]
    with pytest.raises(KeyStoreError):
        restore_recovery_backup(backup, wrong)


def test_rotation_statement_links_old_and_new(patient: Identity) -> None:
    new, statement = rotate_identity(patient)
    assert new.did != patient.did
    assert new.public.kind is patient.public.kind
    rotation = verify_rotation(statement)
    assert rotation.old_did == patient.did
    assert rotation.new == new.public


def test_rotation_forged_by_another_key_is_refused(patient: Identity, stranger: Identity) -> None:
    _, statement = rotate_identity(stranger)
    _header, payload, sig = statement.split(".")
    forged_header = rotate_identity(patient)[1].split(".")[0]
    with pytest.raises(IdentityError, match="does not verify"):
        verify_rotation(f"{forged_header}.{payload}.{sig}")
