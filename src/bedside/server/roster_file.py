"""The clinic's roster on disk (JSON): staff accounts with scrypt password hashes, and care teams.

Format::

    {"clinicians": [{"id": "dr-a", "name": "Dr A", "role": "psychiatrist",
                     "password_hash": "scrypt$15$..."}],
     "care_teams": {"p1": {"psychiatrist": "dr-a", "care_coordinator": "cc-1"}}}

A clinic with an EHR would read care teams from its FHIR CareTeam resources instead; the file is
what a standalone deployment (``bedside clinic api --roster``) reads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bedside.clinical import CareTeam
from bedside.domain import Role, StoreError
from bedside.server.access_control import ClinicRoster
from bedside.server.clinician_auth import ClinicianAccount

__all__ = ["RosterFile", "load_roster", "save_roster"]


class RosterFile(BaseModel):
    """The JSON document."""

    model_config = ConfigDict(extra="forbid")

    clinicians: list[ClinicianAccount] = Field(default_factory=list)
    care_teams: dict[str, dict[Role, str]] = Field(default_factory=dict)


def load_roster(path: Path) -> ClinicRoster:
    """The roster in `path`; `StoreError` naming the file and the first bad field."""
    try:
        doc = RosterFile.model_validate_json(path.read_text())
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the roster ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise StoreError(f"{path}: roster field {where!r}: {first['msg']}") from exc
    ids = [c.id for c in doc.clinicians]
    if len(set(ids)) != len(ids):
        raise StoreError(f"{path}: a clinician id appears twice")
    for patient, roles in doc.care_teams.items():
        unknown = sorted(set(roles.values()) - set(ids))
        if unknown:
            raise StoreError(f"{path}: care team of {patient} names unknown clinicians {unknown}")
    return ClinicRoster.of(doc.clinicians, CareTeam(members=doc.care_teams))


def save_roster(path: Path, roster: ClinicRoster) -> None:
    """Write `roster` to `path` (write-then-rename, owner-only permissions)."""
    doc = RosterFile(clinicians=list(roster.accounts.values()), care_teams=roster.team.members)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc.model_dump(mode="json"), indent=1) + "\n")
    tmp.chmod(0o600)
    os.replace(tmp, path)
