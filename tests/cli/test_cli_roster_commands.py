"""``bedside roster add-clinician|assign`` and loading the roster file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bedside.cli.app import app
from bedside.domain import Role, StoreError
from bedside.server.clinician_auth import StaffRole, verify_password
from bedside.server.roster_file import load_roster


def test_add_clinician_and_assign_make_a_loadable_roster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDSIDE_CLINICIAN_PASSWORD", "s3cret pass")
    path = tmp_path / "roster.json"
    runner = CliRunner()
    base = ["roster", "add-clinician", "--roster", str(path)]
    added = runner.invoke(app, [*base, "--id", "dr-a", "--name", "Dr A", "--role", "psychiatrist"])
    assert added.exit_code == 0, added.output
    bad_role = runner.invoke(app, [*base, "--id", "x", "--name", "X", "--role", "surgeon"])
    assert bad_role.exit_code == 2
    assign = ["roster", "assign", "--roster", str(path), "--patient", "p1"]
    ok = runner.invoke(app, [*assign, "--role", "psychiatrist", "--clinician", "dr-a"])
    assert ok.exit_code == 0, ok.output
    unknown = runner.invoke(app, [*assign, "--role", "therapist", "--clinician", "ghost"])
    assert unknown.exit_code == 2
    roster = load_roster(path)
    assert roster.accounts["dr-a"].role is StaffRole.PSYCHIATRIST
    assert verify_password("s3cret pass", roster.accounts["dr-a"].password_hash)
    assert roster.team.clinician_for("p1", Role.PSYCHIATRIST) == "dr-a"
    assert roster.in_care_team("dr-a", "p1")
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_bad_roster_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "roster.json"
    path.write_text(
        '{"clinicians": [{"id": "a", "name": "A", "role": "chef", "password_hash": "x"}]}'
    )
    with pytest.raises(StoreError, match=r"roster field 'clinicians.0.role'"):
        load_roster(path)
    path.write_text('{"clinicians": [], "care_teams": {"p1": {"psychiatrist": "ghost"}}}')
    with pytest.raises(StoreError, match="unknown clinicians"):
        load_roster(path)
