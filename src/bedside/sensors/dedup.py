"""Deterministic resolution of duplicate and overlapping records from several sources.

Sources are ranked: those named in ``source_priority`` first, in that order, then the others by
name. For instantaneous samples (heart rate, glucose): records at the same instant collapse to
one -- identical values count as ``identical_duplicate``, different values as
``conflicting_duplicate`` and the best-ranked source's value wins (ties: the smaller value).
Optionally, records of different sources closer than ``min_spacing_s`` (two sensors worn at
once, a sensor change) count as ``overlap`` and the worse-ranked one is dropped. For amounts
over intervals (steps), each record's amount is spread over the minutes it covers in proportion
to the seconds covered, and each minute takes the best-ranked source that covers it, so two
devices counting the same walk are not added up.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["rank_sources", "resolve_instants", "spread_over_minutes"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def rank_sources(names: Sequence[str], priority: Sequence[str] = ()) -> dict[str, int]:
    """Rank of each source name (0 best): `priority` order first, then the rest by name."""
    ranks = {name: i for i, name in enumerate(priority)}
    for name in sorted(set(names) - set(ranks)):
        ranks[name] = len(ranks)
    return ranks


def resolve_instants(
    utc: IntArray, value: FloatArray, rank: IntArray, *, min_spacing_s: int = 0
) -> tuple[IntArray, dict[str, int]]:
    """Indices of the records to keep, in time order, and the counts of what was resolved.

    Parameters
    ----------
    utc : ndarray of int64, shape (n,)
        UTC seconds, any order.
    value : ndarray of float64, shape (n,)
    rank : ndarray of int64, shape (n,)
        Source rank of each record (0 best).
    min_spacing_s : int
        Records of different sources closer than this are an overlap (0: off).

    Returns
    -------
    keep : ndarray of int64, shape (m,)
        Indices into the inputs, strictly increasing in `utc`.
    counts : dict of str to int
        ``identical_duplicate``, ``conflicting_duplicate``, ``overlap``.
    """
    counts = {"identical_duplicate": 0, "conflicting_duplicate": 0, "overlap": 0}
    if utc.size == 0:
        return np.array([], dtype=np.int64), counts
    if min_spacing_s == 0 and bool(np.all(utc[1:] > utc[:-1])):
        return np.arange(utc.size, dtype=np.int64), counts  # already clean: no sort needed
    order = np.lexsort((value, rank, utc))
    t = utc[order]
    first = np.ones(t.size, dtype=np.bool_)
    first[1:] = t[1:] != t[:-1]
    # A repeated (instant, value) pair is an identical duplicate; any other extra record at an
    # instant is a conflict, resolved by the order above (best rank, then smaller value).
    by_value = np.lexsort((value, utc))
    tv, vv = utc[by_value], value[by_value]
    n_identical = int(np.count_nonzero((tv[1:] == tv[:-1]) & (vv[1:] == vv[:-1])))
    del by_value, tv, vv
    n_extra = int(t.size - np.count_nonzero(first))
    counts["identical_duplicate"] = n_identical
    counts["conflicting_duplicate"] = n_extra - n_identical
    kept = order[first]
    if min_spacing_s > 0 and kept.size > 1:
        tk, rk = utc[kept], rank[kept]
        close = np.diff(tk) < min_spacing_s
        other = rk[1:] != rk[:-1]
        clash = close & other
        drop = np.zeros(kept.size, dtype=np.bool_)
        # Of each clashing neighbour pair, drop the worse-ranked record.
        worse_is_right = rk[1:] > rk[:-1]
        drop[1:] |= clash & worse_is_right
        drop[:-1] |= clash & ~worse_is_right
        counts["overlap"] = int(drop.sum())
        kept = kept[~drop]
    return kept.astype(np.int64), counts


def spread_over_minutes(
    start: IntArray, end: IntArray, amount: FloatArray, rank: IntArray
) -> tuple[IntArray, FloatArray, int]:
    """Per-minute amounts from interval records, best-ranked source per minute.

    Parameters
    ----------
    start, end : ndarray of int64, shape (n,)
        UTC seconds of each record; ``end >= start`` (an instant puts all in its minute).
    amount : ndarray of float64, shape (n,)
    rank : ndarray of int64, shape (n,)

    Returns
    -------
    minute_utc : ndarray of int64, shape (m,)
        UTC seconds of each covered minute's start, increasing.
    amount_per_minute : ndarray of float64, shape (m,)
    n_overridden : int
        Minutes where a worse-ranked source also had data (its share is not added).
    """
    if start.size == 0:
        return np.array([], dtype=np.int64), np.array([]), 0
    # Expanded per-minute rows are produced in chunks of records and reduced to one row per
    # (minute, rank) at once, so memory follows the output, not the expansion.
    m0 = start // 60
    m1 = np.maximum(np.maximum(end - 1, start) // 60, m0)
    n_min = (m1 - m0 + 1).astype(np.int64)
    bounds = np.searchsorted(
        np.cumsum(n_min), np.arange(_CHUNK_ROWS, int(n_min.sum()), _CHUNK_ROWS)
    )
    parts = [
        _reduce(*_expand(start[a:b], end[a:b], amount[a:b], rank[a:b], m0[a:b], n_min[a:b]))
        for a, b in itertools.pairwise([0, *np.unique(bounds).tolist(), start.size])
        if b > a
    ]
    minute, _, total = _reduce(*(np.concatenate(c) for c in zip(*parts, strict=True)))
    best = np.ones(minute.size, dtype=np.bool_)
    best[1:] = minute[1:] != minute[:-1]
    return (minute[best] * 60).astype(np.int64), total[best], int((~best).sum())


_CHUNK_ROWS = 1 << 18


def _expand(
    start: IntArray,
    end: IntArray,
    amount: FloatArray,
    rank: IntArray,
    m0: IntArray,
    n_min: IntArray,
) -> tuple[IntArray, IntArray, FloatArray]:
    idx = np.repeat(np.arange(start.size), n_min)
    offsets = np.concatenate(([0], np.cumsum(n_min)[:-1]))
    minute = m0[idx] + (np.arange(idx.size) - offsets[idx])
    lo = np.maximum(start[idx], minute * 60)
    hi = np.minimum(end[idx], (minute + 1) * 60)
    dur = (end - start).astype(np.float64)[idx]
    share = np.where(dur > 0, np.clip(hi - lo, 0, None) / np.where(dur > 0, dur, 1.0), 1.0)
    return minute, rank[idx], amount[idx] * share


def _reduce(
    minute: IntArray, rank: IntArray, part: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """One row per (minute, rank), summed, sorted by minute then rank."""
    order = np.lexsort((rank, minute))
    minute, rank, part = minute[order], rank[order], part[order]
    new = np.ones(minute.size, dtype=np.bool_)
    new[1:] = (minute[1:] != minute[:-1]) | (rank[1:] != rank[:-1])
    heads = np.flatnonzero(new)
    return minute[heads], rank[heads], np.add.reduceat(part, heads) if heads.size else part
