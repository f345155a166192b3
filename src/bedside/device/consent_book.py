"""The device's record of the patient's consents and of the clinics it knows (JSON files).

Files in the device's state folder:

* ``identity.json`` -- the patient's keystore (`bedside.privacy.lock_identity`);
* ``clinics.json`` -- clinics the patient has paired with: ``name``, the clinic service's
  signing ``did`` and the patient's record id there (``patient_id``);
* ``consents.json`` -- every consent the patient signed here, as its VC-JWT, and its signed
  revocation when there is one. Tokens are re-verified whenever the book is read, so a file
  edited behind the device's back fails loudly instead of showing a consent nobody signed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from bedside.domain import StoreError
from bedside.privacy import (
    ConsentError,
    ConsentGrant,
    ConsentRevocation,
    IdentityError,
    public_key_from_did,
    verify_consent,
    verify_revocation,
)

__all__ = ["ConsentBook", "ConsentRecord", "KnownClinic", "load_clinics", "save_clinics"]

IDENTITY_FILE, CLINICS_FILE, CONSENTS_FILE = "identity.json", "clinics.json", "consents.json"


class KnownClinic(BaseModel):
    """A clinic the device is paired with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    did: str
    patient_id: str


def load_clinics(folder: Path) -> list[KnownClinic]:
    """The clinics in ``clinics.json`` (none when the file is absent)."""
    path = folder / CLINICS_FILE
    if not path.exists():
        return []
    try:
        clinics = [KnownClinic.model_validate(c) for c in json.loads(path.read_text())]
    except (ValueError, TypeError, ValidationError) as exc:
        raise StoreError(f"{path}: not a list of clinics ({exc})") from exc
    for clinic in clinics:
        try:
            public_key_from_did(clinic.did)
        except IdentityError as exc:
            raise StoreError(f"{path}: clinic {clinic.name!r} has a bad DID ({exc})") from exc
    return clinics


def save_clinics(folder: Path, clinics: list[KnownClinic]) -> None:
    """Write ``clinics.json``."""
    _write(folder / CLINICS_FILE, [c.model_dump() for c in clinics])


def _write(path: Path, data: object) -> None:
    # Write-then-rename: a crash leaves the old file or the new one, never half of one.
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


@dataclass(frozen=True)
class ConsentRecord:
    """One signed consent and, if revoked, its signed revocation."""

    grant: ConsentGrant
    token: str
    revocation: ConsentRevocation | None
    revocation_token: str | None

    def status(self, now: dt.datetime) -> str:
        """``revoked``, ``not yet valid``, ``expired`` or ``active`` at `now`."""
        if self.revocation is not None:
            return "revoked"
        if now < self.grant.valid_from:
            return "not yet valid"
        if now >= self.grant.valid_until:
            return "expired"
        return "active"


class ConsentBook:
    """The consents signed on this device (``consents.json`` in `folder`)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / CONSENTS_FILE

    def _raw(self) -> list[dict[str, str | None]]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text())
        except ValueError as exc:
            raise StoreError(f"{self.path}: not JSON ({exc})") from exc
        if not isinstance(data, list):
            raise StoreError(f"{self.path}: expected a list of consents")
        return data

    def records(self) -> list[ConsentRecord]:
        """Every consent, newest first, each token verified again."""
        out: list[ConsentRecord] = []
        for i, row in enumerate(self._raw()):
            try:
                # No `now`: expired grants still load; ConsentRecord.status judges validity.
                grant = verify_consent(str(row["token"]))
                rev_token = row.get("revocation_token")
                revocation = None if rev_token is None else verify_revocation(rev_token)
            except (ConsentError, KeyError, TypeError) as exc:
                raise StoreError(f"{self.path}: consent #{i + 1} does not verify ({exc})") from exc
            if revocation is not None and (
                revocation.consent_id != grant.id or revocation.patient_did != grant.patient_did
            ):
                raise StoreError(f"{self.path}: consent #{i + 1} has a foreign revocation")
            out.append(ConsentRecord(grant, str(row["token"]), revocation, rev_token))
        return sorted(out, key=lambda r: r.grant.valid_from, reverse=True)

    def active(self, clinic_did: str, now: dt.datetime) -> ConsentRecord | None:
        """The consent to `clinic_did` in force at `now` (latest-ending), or None: the device
        agent releases findings to that clinic only under it, so revoking here stops sending."""
        live = [
            r
            for r in self.records()
            if r.grant.grantee_did == clinic_did and r.status(now) == "active"
        ]
        return max(live, key=lambda r: r.grant.valid_until, default=None)

    def add(self, token: str) -> None:
        """Keep a newly signed consent."""
        _write(self.path, [*self._raw(), {"token": token, "revocation_token": None}])

    def revoke(self, consent_id: str, revocation_token: str) -> None:
        """Attach a signed revocation to consent `consent_id` (`StoreError` if unknown)."""
        rows = self._raw()
        for row in rows:
            if verify_consent(str(row["token"])).id == consent_id:
                row["revocation_token"] = revocation_token
                _write(self.path, rows)
                return
        raise StoreError(f"no consent {consent_id} on this device")
