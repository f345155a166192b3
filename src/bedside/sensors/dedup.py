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
    # Memory follows the records (a stable time order and one boolean per record); only the
    # records sharing an instant with another are sorted by (rank, value) to pick the winner.
    order = np.argsort(utc, kind="stable")
    t = utc[order]
    first = np.ones(t.size, dtype=np.bool_)
    np.not_equal(t[1:], t[:-1], out=first[1:])
    del t
    kept = order[first]
    n_extra = int(order.size - kept.size)
    if n_extra:
        in_tie = ~first
        in_tie[:-1] |= ~first[1:]
        sub = order[in_tie]  # records of the tie groups, by time then input position
        by_pick = sub[np.lexsort((value[sub], rank[sub], utc[sub]))]
        ts = utc[by_pick]
        head = np.ones(ts.size, dtype=np.bool_)
        head[1:] = ts[1:] != ts[:-1]
        # Each tie group's kept record is its best rank, then smaller value, then first in
        # the input; groups appear in time order both here and among `kept`.
        kept[in_tie[first]] = by_pick[head]
        # A repeated (instant, value) pair is an identical duplicate; any other extra record at
        # an instant is a conflict.
        by_value = sub[np.lexsort((value[sub], utc[sub]))]
        tv, vv = utc[by_value], value[by_value]
        counts["identical_duplicate"] = int(
            np.count_nonzero((tv[1:] == tv[:-1]) & (vv[1:] == vv[:-1]))
        )
        counts["conflicting_duplicate"] = n_extra - counts["identical_duplicate"]
    del order, first
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
    # Memory follows the covered minutes, not the records times their length: each source
    # rank (best first) is expanded in chunks folded into that rank's per-minute sums, which
    # then fill only the minutes no better-ranked source covers.
    m0 = start // 60
    n_min = np.maximum(np.maximum(end - 1, start) // 60, m0) - m0 + 1
    minute = np.array([], dtype=np.int64)
    total = np.array([], dtype=np.float64)
    n_overridden = 0
    for r in np.unique(rank).tolist():
        sel = np.flatnonzero(rank == r)
        rank_minute, rank_total = _minute_sums(
            start[sel], end[sel], amount[sel], m0[sel], n_min[sel]
        )
        pos = np.searchsorted(minute, rank_minute)
        taken = np.zeros(rank_minute.size, dtype=np.bool_)
        inside = pos < minute.size
        taken[inside] = minute[pos[inside]] == rank_minute[inside]
        n_overridden += int(taken.sum())
        fresh = ~taken
        minute = np.insert(minute, pos[fresh], rank_minute[fresh])
        total = np.insert(total, pos[fresh], rank_total[fresh])
    return (minute * 60).astype(np.int64), total, n_overridden


_CHUNK_ROWS = 1 << 16


def _minute_sums(
    start: IntArray, end: IntArray, amount: FloatArray, m0: IntArray, n_min: IntArray
) -> tuple[IntArray, FloatArray]:
    """Sorted covered minutes (minutes since the epoch) of one source and its amount in each."""
    minute = np.array([], dtype=np.int64)
    total = np.array([], dtype=np.float64)
    bounds = np.searchsorted(
        np.cumsum(n_min), np.arange(_CHUNK_ROWS, int(n_min.sum()), _CHUNK_ROWS)
    )
    for a, b in itertools.pairwise([0, *np.unique(bounds).tolist(), start.size]):
        if b <= a:
            continue
        chunk_minute, part = _expand(start[a:b], end[a:b], amount[a:b], m0[a:b], n_min[a:b])
        order = np.argsort(chunk_minute, kind="stable")
        chunk_minute, part = chunk_minute[order], part[order]
        heads = np.flatnonzero(np.r_[True, chunk_minute[1:] != chunk_minute[:-1]])
        chunk_minute, part = chunk_minute[heads], np.add.reduceat(part, heads)
        pos = np.searchsorted(minute, chunk_minute)
        same = np.zeros(chunk_minute.size, dtype=np.bool_)
        inside = pos < minute.size
        same[inside] = minute[pos[inside]] == chunk_minute[inside]
        np.add.at(total, pos[same], part[same])
        minute = np.insert(minute, pos[~same], chunk_minute[~same])
        total = np.insert(total, pos[~same], part[~same])
    return minute, total


def _expand(
    start: IntArray,
    end: IntArray,
    amount: FloatArray,
    m0: IntArray,
    n_min: IntArray,
) -> tuple[IntArray, FloatArray]:
    """One row per (record, covered minute): the minute and the record's share of amount."""
    idx = np.repeat(np.arange(start.size), n_min)
    offsets = np.concatenate(([0], np.cumsum(n_min)[:-1]))
    minute = m0[idx] + (np.arange(idx.size) - offsets[idx])
    lo = np.maximum(start[idx], minute * 60)
    hi = np.minimum(end[idx], (minute + 1) * 60)
    dur = (end - start).astype(np.float64)[idx]
    share = np.where(dur > 0, np.clip(hi - lo, 0, None) / np.where(dur > 0, dur, 1.0), 1.0)
    return minute, amount[idx] * share
