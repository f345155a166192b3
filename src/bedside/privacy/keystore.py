"""Private keys encrypted at rest under a passphrase (scrypt -> AES-256-GCM), and recovery backups.

File format (JSON, version 1)::

    {"format": "bedside-keystore", "version": 1, "kind": "patient",
     "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<b64url>"},
     "nonce": "<b64url>", "ciphertext": "<b64url>"}

The plaintext is JSON holding the raw private keys (either may be null) and the creation time; the
public header fields are bound to the ciphertext as AES-GCM associated data, so editing ``kind``
or the KDF parameters makes the file fail to open. scrypt at n = 2**15, r = 8 costs 32 MiB and
about 0.1 s per open here: slow enough to hamper passphrase guessing, quick enough for a phone.

A recovery backup is the same format encrypted under a random recovery code (128 bits shown as
eight groups of base32) that the patient writes down; `restore_recovery_backup` reverses it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bedside.privacy.errors import KeyStoreError
from bedside.privacy.identity import Identity, PartyKind, PublicIdentity

__all__ = [
    "DEFAULT_SCRYPT_N",
    "MIN_SCRYPT_N",
    "export_recovery_backup",
    "lock_identity",
    "new_recovery_code",
    "restore_recovery_backup",
    "unlock_identity",
]

DEFAULT_SCRYPT_N = 2**15
MIN_SCRYPT_N = 2**14
_FORMAT = "bedside-keystore"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _aad(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def lock_identity(identity: Identity, passphrase: str, *, scrypt_n: int = DEFAULT_SCRYPT_N) -> str:
    """Encrypt an identity's private keys under `passphrase`; returns the keystore JSON text.

    Parameters
    ----------
    identity : Identity
    passphrase : str
        At least 8 characters.
    scrypt_n : int
        scrypt CPU/memory cost (power of two, at least `MIN_SCRYPT_N`); memory = 128 * 8 * n bytes.
    """
    if len(passphrase) < 8:
        raise KeyStoreError("passphrase must be at least 8 characters")
    if scrypt_n < MIN_SCRYPT_N or scrypt_n & (scrypt_n - 1):
        raise KeyStoreError(f"scrypt n must be a power of two >= {MIN_SCRYPT_N}, got {scrypt_n}")
    salt = os.urandom(16)
    nonce = os.urandom(12)
    header: dict[str, Any] = {
        "format": _FORMAT,
        "version": 1,
        "kind": identity.public.kind.value,
        "did": identity.did,
        "encryption_did": identity.public.encryption_did,
        "kdf": {"name": "scrypt", "n": scrypt_n, "r": 8, "p": 1, "salt": _b64(salt)},
    }
    secret = {
        "ed25519": None
        if identity.signing_private is None
        else _b64(identity.signing_private.private_bytes_raw()),
        "x25519": None
        if identity.encryption_private is None
        else _b64(identity.encryption_private.private_bytes_raw()),
        "created": identity.created.astimezone(dt.UTC).isoformat(),
    }
    key = _derive(passphrase, salt, scrypt_n, 8, 1)
    ciphertext = AESGCM(key).encrypt(nonce, json.dumps(secret).encode(), _aad(header))
    return json.dumps({**header, "nonce": _b64(nonce), "ciphertext": _b64(ciphertext)}, indent=1)


def unlock_identity(text: str, passphrase: str) -> Identity:
    """Open a keystore written by `lock_identity`.

    Raises
    ------
    KeyStoreError
        Not a keystore, an unsupported version, a wrong passphrase or a modified file (the two
        are indistinguishable by design), or keys that do not match the recorded DIDs.
    """
    try:
        data = json.loads(text)
        header = {k: data[k] for k in ("format", "version", "kind", "did", "encryption_did", "kdf")}
        kdf = header["kdf"]
        nonce, ciphertext = _unb64(data["nonce"]), _unb64(data["ciphertext"])
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyStoreError(f"not a Bedside keystore: {exc}") from exc
    if header["format"] != _FORMAT or header["version"] != 1:
        raise KeyStoreError(f"unsupported keystore {header['format']!r} v{header['version']}")
    if kdf.get("name") != "scrypt" or int(kdf.get("n", 0)) < MIN_SCRYPT_N:
        raise KeyStoreError(f"keystore KDF parameters are not acceptable: {kdf}")
    key = _derive(passphrase, _unb64(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
    try:
        secret = json.loads(AESGCM(key).decrypt(nonce, ciphertext, _aad(header)))
    except InvalidTag as exc:
        raise KeyStoreError("wrong passphrase, or the keystore was modified") from exc
    signing = (
        None
        if secret["ed25519"] is None
        else Ed25519PrivateKey.from_private_bytes(_unb64(secret["ed25519"]))
    )
    encryption = (
        None
        if secret["x25519"] is None
        else X25519PrivateKey.from_private_bytes(_unb64(secret["x25519"]))
    )
    public = PublicIdentity(header["did"], header["encryption_did"], PartyKind(header["kind"]))
    identity = Identity(public, signing, encryption, dt.datetime.fromisoformat(secret["created"]))
    if signing is not None and encryption is not None:
        rebuilt = Identity.from_private_keys(public.kind, signing, encryption)
        if rebuilt.public != public:
            raise KeyStoreError("keystore keys do not match the DIDs recorded in it")
    return identity


def new_recovery_code() -> str:
    """A random 128-bit recovery code: 8 groups of 4 base32 characters (e.g. ``ABCD-EFGH-...``)."""
    text = base64.b32encode(secrets.token_bytes(20)).decode()[:32]
    return "-".join(text[i : i + 4] for i in range(0, 32, 4))


def export_recovery_backup(identity: Identity) -> tuple[str, str]:
    """A patient-held backup of `identity`: (backup keystore text, recovery code to write down)."""
    code = new_recovery_code()
    return lock_identity(identity, code), code


def restore_recovery_backup(backup: str, recovery_code: str) -> Identity:
    """Reopen a recovery backup; the code is case- and separator-insensitive."""
    cleaned = recovery_code.upper().replace(" ", "").replace("-", "")
    code = "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))
    return unlock_identity(backup, code)
