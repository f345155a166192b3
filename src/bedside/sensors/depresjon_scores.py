"""Depresjon participant table (``scores.csv``) and the list of recordings in a data folder.

``scores.csv`` columns: ``number,days,gender,age,afftype,melanch,inpatient,edu,marriage,work,
madrs1,madrs2``. Codes (Garcia-Ceja et al. 2018): gender 1 female / 2 male; age a 5-year band;
afftype 1 bipolar II, 2 unipolar, 3 bipolar I; melanch and inpatient 1 yes / 2 no; edu years of
education as a band; marriage 1 married or cohabiting / 2 single; work 1 working or studying /
2 not; madrs1 and madrs2 the MADRS score at the start and end of the recording. Missing values
appear as an empty string, ``NA`` or a single space and are read as None.
"""

from __future__ import annotations

import csv
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from bedside.domain import DataQualityWarning, InputFormatError

__all__ = [
    "DepresjonParticipant",
    "DepresjonRecording",
    "list_depresjon_recordings",
    "read_depresjon_scores",
]

_COLUMNS = (
    "number",
    "days",
    "gender",
    "age",
    "afftype",
    "melanch",
    "inpatient",
    "edu",
    "marriage",
    "work",
    "madrs1",
    "madrs2",
)
_MISSING = {"", "NA", " "}
_ID = re.compile(r"^(condition|control)_(\d+)$")
_CODES: dict[str, frozenset[int]] = {
    "gender": frozenset({1, 2}),
    "afftype": frozenset({1, 2, 3}),
    "melanch": frozenset({1, 2}),
    "inpatient": frozenset({1, 2}),
    "marriage": frozenset({1, 2}),
    "work": frozenset({1, 2}),
}


@dataclass(frozen=True)
class DepresjonParticipant:
    """One row of ``scores.csv``; None is a missing value.

    Attributes
    ----------
    participant_id : str
        ``condition_N`` or ``control_N``.
    label : int
        1 for a patient (``condition``), 0 for a control.
    days : int
        Days used in the original paper.
    gender : int or None
        1 female, 2 male.
    age_band : str or None
        5-year band such as ``35-39``.
    afftype, melanch, inpatient, marriage, work : int or None
        Coded clinical fields (see module docstring).
    edu : str or None
        Years of education as a band such as ``6-10``.
    madrs1, madrs2 : int or None
        MADRS at start and end of the recording (patients only).
    """

    participant_id: str
    label: int
    days: int
    gender: int | None
    age_band: str | None
    afftype: int | None
    melanch: int | None
    inpatient: int | None
    edu: str | None
    marriage: int | None
    work: int | None
    madrs1: int | None
    madrs2: int | None

    @property
    def sex(self) -> str | None:
        """``female``, ``male`` or None."""
        return {1: "female", 2: "male"}.get(self.gender) if self.gender is not None else None


@dataclass(frozen=True)
class DepresjonRecording:
    """One actigraphy file of a Depresjon folder.

    Attributes
    ----------
    participant_id : str
    path : Path
    label : int
        1 when the file is under ``condition/``, 0 under ``control/``.
    participant : DepresjonParticipant or None
        The matching ``scores.csv`` row; None when the table has none (a warning says so).
    """

    participant_id: str
    path: Path
    label: int
    participant: DepresjonParticipant | None


def _opt_int(text: str, source: str, line: int, field: str) -> int | None:
    if text in _MISSING:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise InputFormatError(
            source, f"expected an integer, got {text!r}", line=line, field=field
        ) from None
    allowed = _CODES.get(field)
    if allowed is not None and value not in allowed:
        raise InputFormatError(
            source, f"code {value} not in {sorted(allowed)}", line=line, field=field
        )
    if value < 0:
        raise InputFormatError(source, f"must be >= 0, got {value}", line=line, field=field)
    return value


def _opt_band(text: str, source: str, line: int, field: str) -> str | None:
    if text in _MISSING:
        return None
    if not re.fullmatch(r"\d+-\d+", text.strip()):
        raise InputFormatError(
            source, f"expected a band like '35-39', got {text!r}", line=line, field=field
        )
    return text.strip()


def read_depresjon_scores(path: Path) -> list[DepresjonParticipant]:
    """Parse a Depresjon ``scores.csv``.

    Parameters
    ----------
    path : Path

    Returns
    -------
    list of DepresjonParticipant
        In file order.

    Raises
    ------
    InputFormatError
        Naming file, line and field: wrong header, wrong field count, a participant id that is
        not ``condition_N``/``control_N``, a duplicate id, a non-integer or out-of-range code,
        or a missing ``days``.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputFormatError(source, f"cannot read file ({exc.strerror})") from exc
    rows = list(csv.reader(text.splitlines()))
    if not rows or tuple(rows[0]) != _COLUMNS:
        raise InputFormatError(
            source, f"header must be {','.join(_COLUMNS)}", line=1, field="header"
        )
    out: list[DepresjonParticipant] = []
    seen: set[str] = set()
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(_COLUMNS):
            raise InputFormatError(
                source, f"expected {len(_COLUMNS)} fields, got {len(row)}", line=line
            )
        f = dict(zip(_COLUMNS, row, strict=True))
        match = _ID.match(f["number"])
        if match is None:
            raise InputFormatError(
                source,
                f"participant id must be condition_N or control_N, got {f['number']!r}",
                line=line,
                field="number",
            )
        pid = f["number"]
        if pid in seen:
            raise InputFormatError(
                source, f"duplicate participant {pid}", line=line, field="number"
            )
        seen.add(pid)
        days = _opt_int(f["days"], source, line, "days")
        if days is None:
            raise InputFormatError(source, "days is missing", line=line, field="days")
        ints = {k: _opt_int(f[k], source, line, k) for k in _CODES}
        out.append(
            DepresjonParticipant(
                participant_id=pid,
                label=1 if match.group(1) == "condition" else 0,
                days=days,
                age_band=_opt_band(f["age"], source, line, "age"),
                edu=_opt_band(f["edu"], source, line, "edu"),
                madrs1=_opt_int(f["madrs1"], source, line, "madrs1"),
                madrs2=_opt_int(f["madrs2"], source, line, "madrs2"),
                **ints,
            )
        )
    return out


def list_depresjon_recordings(root: Path) -> list[DepresjonRecording]:
    """The actigraphy files of a Depresjon folder, joined with ``scores.csv``.

    Works for any subset of the 55 participants. A recording without a ``scores.csv`` row is
    still listed (label from its folder, ``participant`` None); a ``scores.csv`` row without a
    recording is ignored. Both cases issue a :class:`~bedside.domain.DataQualityWarning` naming
    the participants.

    Parameters
    ----------
    root : Path
        Folder with ``condition/``, ``control/`` and ``scores.csv``.

    Returns
    -------
    list of DepresjonRecording
        Patients first, then controls, each by participant number.

    Raises
    ------
    InputFormatError
        When ``scores.csv`` is missing or malformed, or no recordings are found.
    """
    root = Path(root)
    scores_path = root / "scores.csv"
    if not scores_path.is_file():
        raise InputFormatError(str(root), "no scores.csv in the Depresjon folder")
    by_id = {p.participant_id: p for p in read_depresjon_scores(scores_path)}
    found: list[tuple[int, int, str, Path]] = []
    for folder, label in (("condition", 1), ("control", 0)):
        for path in (root / folder).glob(f"{folder}_*.csv"):
            match = _ID.match(path.stem)
            if match is not None:
                found.append((-label, int(match.group(2)), path.stem, path))
    if not found:
        raise InputFormatError(str(root), "no condition_N.csv or control_N.csv recordings found")
    found.sort()
    recordings = [
        DepresjonRecording(pid, path, -neg_label, by_id.get(pid))
        for neg_label, _, pid, path in found
    ]
    unscored = [r.participant_id for r in recordings if r.participant is None]
    missing = sorted(set(by_id) - {r.participant_id for r in recordings})
    if unscored:
        warnings.warn(
            DataQualityWarning(f"{scores_path}: no scores row for {', '.join(unscored)}"),
            stacklevel=2,
        )
    if missing:
        warnings.warn(
            DataQualityWarning(
                f"{root}: scores.csv lists {', '.join(missing)} without a recording"
            ),
            stacklevel=2,
        )
    return recordings
