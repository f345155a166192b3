"""Wall-clock local time -> UTC for an IANA zone, vectorised, exact at clock changes.

The zone's UTC offsets come from :mod:`zoneinfo` (the same database every other layer uses to
compute local days). Transitions inside the requested range are located by sampling the offset
every few hours and bisecting each change to the second, so a conversion costs a few hundred
``zoneinfo`` calls however many rows there are.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bedside.domain import InputFormatError

__all__ = [
    "LocalCandidates",
    "check_zone",
    "local_to_utc_candidates",
    "resolve_repeated_times",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_SAMPLE_STEP_S = 6 * 3600  # zones never change offset twice within six hours
_MARGIN_S = 2 * 86400
_CACHE_BLOCK_S = 64 * 86400


def check_zone(zone: str, source: str) -> None:
    """Raise InputFormatError naming ``source`` when ``zone`` is not a known IANA zone."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputFormatError(source, f"unknown IANA time zone {zone!r}") from exc


@dataclass(frozen=True, slots=True)
class LocalCandidates:
    """The UTC instants a local wall-clock time can denote.

    Attributes
    ----------
    earliest, latest : ndarray of int64, shape (n,)
        UTC seconds since the epoch; equal unless the local time is repeated (fall-back), where
        ``earliest`` is the first pass (before the change) and ``latest`` the second.
    exists : ndarray of bool, shape (n,)
        False for local times skipped by a spring-forward change (their candidates are 0).
    """

    earliest: IntArray
    latest: IntArray
    exists: BoolArray

    @property
    def repeated(self) -> BoolArray:
        """True where the local time occurs twice (fall-back hour)."""
        return np.asarray(self.exists & (self.earliest != self.latest), dtype=np.bool_)


def _offset_s(tz: ZoneInfo, utc_s: int) -> int:
    offset = dt.datetime.fromtimestamp(utc_s, tz).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


@functools.lru_cache(maxsize=256)
def _transitions(zone: str, lo_utc: int, hi_utc: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Transition instants in [lo, hi] and the offsets in force (len(offsets) = len(times) + 1)."""
    tz = ZoneInfo(zone)
    samples = list(range(lo_utc, hi_utc + _SAMPLE_STEP_S, _SAMPLE_STEP_S))
    offsets = [_offset_s(tz, t) for t in samples]
    times: list[int] = []
    in_force = [offsets[0]]
    for i in range(1, len(samples)):
        if offsets[i] == offsets[i - 1]:
            continue
        a, b = samples[i - 1], samples[i]  # offset(a) = before, offset(b) = after
        while b - a > 1:
            mid = (a + b) // 2
            if _offset_s(tz, mid) == offsets[i - 1]:
                a = mid
            else:
                b = mid
        times.append(b)
        in_force.append(offsets[i])
    return tuple(times), tuple(in_force)


def local_to_utc_candidates(local_s: IntArray, zone: str) -> LocalCandidates:
    """Candidate UTC instants of naive local wall-clock times.

    Parameters
    ----------
    local_s : ndarray of int64, shape (n,)
        Wall-clock times written as seconds since 1970-01-01 00:00 *local* (i.e. the naive
        timestamp read as if it were UTC).
    zone : str
        IANA zone name.

    Returns
    -------
    LocalCandidates
    """
    local_s = np.asarray(local_s, dtype=np.int64)
    n = local_s.size
    earliest = np.zeros(n, dtype=np.int64)
    latest = np.zeros(n, dtype=np.int64)
    exists = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return LocalCandidates(earliest, latest, exists)
    # Ranges are widened to whole blocks so that repeated calls share the cached transitions.
    lo = (int(local_s.min()) - _MARGIN_S) // _CACHE_BLOCK_S * _CACHE_BLOCK_S
    hi = (int(local_s.max()) + _MARGIN_S) // _CACHE_BLOCK_S * _CACHE_BLOCK_S + _CACHE_BLOCK_S
    times, offsets = _transitions(zone, lo, hi)
    bounds = [np.iinfo(np.int64).min, *times, np.iinfo(np.int64).max]
    big = np.iinfo(np.int64).max
    earliest[:] = big
    latest[:] = np.iinfo(np.int64).min
    for i, off in enumerate(offsets):
        utc = local_s - off
        ok = (utc >= bounds[i]) & (utc < bounds[i + 1])
        earliest = np.where(ok & (utc < earliest), utc, earliest)
        latest = np.where(ok & (utc > latest), utc, latest)
        exists |= ok
    earliest = np.where(exists, earliest, 0)
    latest = np.where(exists, latest, 0)
    return LocalCandidates(earliest, latest, exists)


def resolve_repeated_times(candidates: LocalCandidates) -> IntArray:
    """UTC instants for local times in file order, resolving the repeated fall-back hour.

    A repeated local time takes its earlier (pre-change) instant unless that would not be later
    than the previous row's instant, in which case it takes the later one. So the first pass
    through the repeated hour maps to the first instants and the second pass to the second ones.
    Rows whose local time does not exist map to 0; callers must flag them.

    Parameters
    ----------
    candidates : LocalCandidates
        For the rows in file order.

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    utc = candidates.earliest.copy()
    repeated = np.flatnonzero(candidates.repeated)
    for i in repeated.tolist():
        if i > 0 and utc[i] <= utc[i - 1]:
            utc[i] = candidates.latest[i]
    return utc
