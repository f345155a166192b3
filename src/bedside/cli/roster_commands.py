"""``bedside roster ...``: the clinic's staff accounts and care teams (a JSON roster file).

Passwords are read from ``$BEDSIDE_CLINICIAN_PASSWORD`` or a hidden prompt and stored only as
scrypt hashes. ``bedside clinic api --roster FILE`` serves the dashboard and FHIR API to them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["roster_app"]

roster_app = typer.Typer(help="Clinic staff accounts and care teams.", no_args_is_help=True)
RosterPath = Annotated[Path, typer.Option("--roster", help="The roster JSON file.")]


def _load(path: Path) -> object:
    from bedside.server.access_control import ClinicRoster
    from bedside.server.roster_file import load_roster

    return load_roster(path) if path.exists() else ClinicRoster({})


@roster_app.command("add-clinician")
def add_clinician(
    roster: RosterPath,
    id: Annotated[str, typer.Option("--id", help="Clinician id (as in care teams).")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[str, typer.Option(help="psychiatrist, therapist, care_coordinator, auditor")],
) -> None:
    """Add or replace a staff account."""
    from bedside.server.access_control import ClinicRoster
    from bedside.server.clinician_auth import ClinicianAccount, StaffRole, hash_password
    from bedside.server.roster_file import save_roster

    try:
        staff_role = StaffRole(role)
    except ValueError as exc:
        typer.secho(f"error: --role must be one of {[r.value for r in StaffRole]}", err=True)
        raise typer.Exit(code=2) from exc
    password = os.environ.get("BEDSIDE_CLINICIAN_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    current = _load(roster)
    assert isinstance(current, ClinicRoster)
    account = ClinicianAccount(
        id=id, name=name, role=staff_role, password_hash=hash_password(password)
    )
    save_roster(roster, ClinicRoster({**current.accounts, id: account}, current.team))
    typer.echo(f"{id} ({staff_role.value}) saved in {roster}")


@roster_app.command("assign")
def assign(
    roster: RosterPath,
    patient: Annotated[str, typer.Option(help="Patient id.")],
    role: Annotated[str, typer.Option(help="psychiatrist, therapist or care_coordinator")],
    clinician: Annotated[str, typer.Option(help="Clinician id.")],
) -> None:
    """Put a clinician in a patient's care team in a role."""
    from bedside.clinical import CareTeam
    from bedside.domain import Role
    from bedside.server.access_control import ClinicRoster
    from bedside.server.roster_file import save_roster

    current = _load(roster)
    assert isinstance(current, ClinicRoster)
    if clinician not in current.accounts:
        typer.secho(f"error: no clinician {clinician!r} in {roster}", err=True)
        raise typer.Exit(code=2)
    try:
        care_role = Role(role)
    except ValueError as exc:
        typer.secho(f"error: --role must be one of {[r.value for r in Role]}", err=True)
        raise typer.Exit(code=2) from exc
    members = {p: dict(r) for p, r in current.team.members.items()}
    members.setdefault(patient, {})[care_role] = clinician
    save_roster(roster, ClinicRoster(current.accounts, CareTeam(members=members)))
    typer.echo(f"{clinician} is {care_role.value} of {patient}")
