"""Timestamp columns of CSV readers -> UTC seconds, with row-level checks.

Two steps shared by the readers: :func:`parse_timestamps` turns text into naive wall-clock
seconds (plus an explicit UTC offset when the text carries one), and :func:`assign_utc` maps
them to UTC instants in the patient's zone, flags local times skipped by a spring-forward change,
resolves the repeated fall-back hour by file order and flags duplicate and out-of-order instants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from bedside.sensors.local_time import (
    LocalCandidates,
    local_to_utc_candidates,
    resolve_repeated_times,
)
from bedside.sensors.read_report import RowChecker

__all__ = ["ParsedTimestamps", "assign_utc", "parse_timestamps"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Strict local form used by Depresjon: "YYYY-MM-DD HH:MM:SS".
_NAIVE_STRICT = r"^\d{4}-\d{2}-\d{2} [0-2]\d:[0-5]\d:[0-5]\d$"
# ISO 8601 subset: date, T or space, HH:MM[:SS[.fff]], optional Z or +HH:MM / +HHMM / +HH.
_ISO = (
    r"^(\d{4}-\d{2}-\d{2})[T ]([0-2]\d:[0-5]\d)(:[0-5]\d)?(?:\.(\d+))?"
    r"(Z|[+-][0-2]\d(?::?[0-5]\d)?)?$"
)


@dataclass(frozen=True, slots=True)
class ParsedTimestamps:
    """Parsed timestamp column.

    Attributes
    ----------
    naive_s : ndarray of int64, shape (n,)
        Wall-clock time as seconds since 1970-01-01 00:00 of the same clock (0 where invalid).
    offset_s : ndarray of int64, shape (n,)
        Explicit UTC offset in seconds (east positive) where ``has_offset``, else 0.
    has_offset : ndarray of bool, shape (n,)
        The text carried ``Z`` or a numeric offset.
    valid : ndarray of bool, shape (n,)
    """

    naive_s: IntArray
    offset_s: IntArray
    has_offset: BoolArray
    valid: BoolArray


def parse_timestamps(text: pl.Series, *, allow_offset: bool) -> ParsedTimestamps:
    """Parse a timestamp column.

    Parameters
    ----------
    text : polars.Series of str, shape (n,)
        Null entries are invalid.
    allow_offset : bool
        False: only ``YYYY-MM-DD HH:MM:SS`` (naive local). True: the ISO 8601 subset
        ``YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH[:MM]]``; fractional seconds must be zero.

    Returns
    -------
    ParsedTimestamps
    """
    n = text.len()
    if not allow_offset:
        shape_ok = text.str.contains(_NAIVE_STRICT).fill_null(False)
        parsed = text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
        secs = parsed.dt.epoch("s")
        valid = (shape_ok & secs.is_not_null()).to_numpy()
        naive = secs.fill_null(0).to_numpy().astype(np.int64)
        zeros = np.zeros(n, dtype=np.int64)
        return ParsedTimestamps(naive, zeros, np.zeros(n, dtype=np.bool_), valid)
    groups = text.str.extract_groups(_ISO).struct.unnest()
    date, hm, sec, frac, off = (groups[c] for c in groups.columns)
    normal = date + " " + hm + sec.fill_null(":00")
    secs = normal.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False).dt.epoch("s")
    frac_ok = frac.is_null() | frac.str.contains(r"^0+$").fill_null(False)
    valid_s = secs.is_not_null() & frac_ok
    has_offset = off.is_not_null()
    sign = pl.select(
        pl.when(off.str.starts_with("-")).then(pl.lit(-1)).otherwise(pl.lit(1))
    ).to_series()
    digits = off.str.replace_all(r"[+\-:Z]", "")
    hours = digits.str.slice(0, 2).cast(pl.Int64, strict=False).fill_null(0)
    minutes = digits.str.slice(2, 2).cast(pl.Int64, strict=False).fill_null(0)
    offset = (sign * (hours * 3600 + minutes * 60)).fill_null(0)
    valid = (valid_s & (hours <= 18)).fill_null(False).to_numpy()
    return ParsedTimestamps(
        naive_s=secs.fill_null(0).to_numpy().astype(np.int64),
        offset_s=offset.to_numpy().astype(np.int64),
        has_offset=has_offset.fill_null(False).to_numpy(),
        valid=valid,
    )


def assign_utc(
    checker: RowChecker,
    parsed: ParsedTimestamps,
    zone: str,
    raw: pl.Series,
    field: str = "timestamp",
) -> IntArray:
    """UTC instants for the rows still valid in ``checker``; flags time problems in it.

    Rows with an explicit offset are taken as given; naive rows are local times in ``zone``.
    Flags ``nonexistent_local_time`` (inside a spring-forward gap), then, among rows without any
    problem, ``duplicate_instant`` (an instant seen on an earlier row) and ``out_of_order``
    (earlier than a preceding row).

    Parameters
    ----------
    checker : RowChecker
    parsed : ParsedTimestamps
    zone : str
        IANA zone of naive timestamps.
    raw : polars.Series of str
        The timestamp texts, for messages.
    field : str
        Column name for messages.

    Returns
    -------
    ndarray of int64, shape (n,)
        UTC seconds (meaningful where ``checker.ok``).
    """
    naive_rows = parsed.valid & ~parsed.has_offset
    cand = local_to_utc_candidates(parsed.naive_s[naive_rows], zone)
    gap = np.zeros(checker.n_rows, dtype=np.bool_)
    gap[np.flatnonzero(naive_rows)[~cand.exists]] = True
    checker.flag(
        gap,
        "nonexistent_local_time",
        field,
        lambda i: f"local time {raw[i]!r} does not exist in {zone} (skipped by a clock change)",
    )
    utc = parsed.naive_s - parsed.offset_s
    ok = checker.ok
    # Resolve repeated local times in file order among the rows that are otherwise fine.
    rows = np.flatnonzero(ok)
    earliest = utc[rows].copy()
    latest = utc[rows].copy()
    is_naive = naive_rows[rows]
    naive_index = np.cumsum(naive_rows) - 1  # position of each naive row within `cand`
    idx = naive_index[rows[is_naive]]
    earliest[is_naive] = cand.earliest[idx]
    latest[is_naive] = cand.latest[idx]
    exists = np.ones(rows.size, dtype=np.bool_)
    utc[rows] = resolve_repeated_times(LocalCandidates(earliest, latest, exists))
    _flag_order(checker, utc, raw, field)
    return utc


def _flag_order(checker: RowChecker, utc: IntArray, raw: pl.Series, field: str) -> None:
    rows = np.flatnonzero(checker.ok)
    if rows.size < 2:
        return
    u = utc[rows]
    _, first = np.unique(u, return_index=True)
    is_first = np.zeros(rows.size, dtype=np.bool_)
    is_first[first] = True
    checker.flag_rows(
        rows[~is_first],
        "duplicate_instant",
        field,
        lambda i: f"timestamp {raw[i]!r} is the same instant as an earlier row",
    )
    prev_max = np.maximum.accumulate(u)
    behind = np.zeros(rows.size, dtype=np.bool_)
    behind[1:] = u[1:] < prev_max[:-1]
    checker.flag_rows(
        rows[behind & is_first],
        "out_of_order",
        field,
        lambda i: f"timestamp {raw[i]!r} is earlier than a preceding row",
    )
