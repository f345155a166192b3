"""Duplicate and overlap resolution: deterministic, order-free, never inventing samples."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.sensors.dedup import rank_sources, resolve_instants, spread_over_minutes


def test_rank_sources_puts_priority_first_then_names() -> None:
    assert rank_sources(["b", "a", "watch", "a"], ["watch"]) == {"watch": 0, "a": 1, "b": 2}


records = st.lists(
    st.tuples(st.integers(0, 50), st.integers(60, 80), st.integers(0, 2)), min_size=0, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(records, st.randoms(use_true_random=False))
def test_resolution_is_independent_of_record_order(rows: list[tuple[int, int, int]], rnd) -> None:  # type: ignore[no-untyped-def]
    def run(rs: list[tuple[int, int, int]]) -> tuple[list[int], list[float], dict[str, int]]:
        t = np.array([r[0] for r in rs], dtype=np.int64)
        v = np.array([r[1] for r in rs], dtype=np.float64)
        k = np.array([r[2] for r in rs], dtype=np.int64)
        keep, counts = resolve_instants(t, v, k, min_spacing_s=3)
        return t[keep].tolist(), v[keep].tolist(), counts

    shuffled = rows[:]
    rnd.shuffle(shuffled)
    a, b = run(rows), run(shuffled)
    assert a == b
    times, values, counts = a
    assert all(x < y for x, y in itertools.pairwise(times))
    assert set(zip(times, values, strict=True)) <= {(r[0], float(r[1])) for r in rows}
    assert len(times) + sum(counts.values()) == len(rows)


def test_spread_keeps_totals_of_the_preferred_source() -> None:
    start = np.array([0, 0], dtype=np.int64)
    end = np.array([600, 300], dtype=np.int64)
    minute, amount, overridden = spread_over_minutes(
        start, end, np.array([100.0, 80.0]), np.array([1, 0], dtype=np.int64)
    )
    assert minute.tolist() == [0, 60, 120, 180, 240, 300, 360, 420, 480, 540]
    assert amount.tolist() == [16.0] * 5 + [10.0] * 5
    assert overridden == 5


def _naive_instants(t: list[int], v: list[float], k: list[int]) -> tuple[list[int], dict[str, int]]:
    """Reference: per instant, the best rank then smaller value then first in the input."""
    groups: dict[int, list[int]] = {}
    for i, ti in enumerate(t):
        groups.setdefault(ti, []).append(i)
    keep = [min(ix, key=lambda i: (k[i], v[i], i)) for _, ix in sorted(groups.items())]
    identical = sum(len(ix) - len({v[i] for i in ix}) for ix in groups.values())
    extra = len(t) - len(groups)
    return keep, {
        "identical_duplicate": identical,
        "conflicting_duplicate": extra - identical,
        "overlap": 0,
    }


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(60, 63), st.integers(0, 2)), max_size=60))
def test_resolve_instants_matches_a_naive_reference(rows: list[tuple[int, int, int]]) -> None:
    t, v, k = ([r[j] for r in rows] for j in range(3))
    keep, counts = resolve_instants(
        np.array(t, dtype=np.int64), np.array(v, dtype=np.float64), np.array(k, dtype=np.int64)
    )
    ref_keep, ref_counts = _naive_instants(t, [float(x) for x in v], k)
    assert keep.tolist() == ref_keep
    assert counts == ref_counts


def _naive_spread(
    start: list[int], end: list[int], amount: list[float], rank: list[int]
) -> tuple[list[int], list[float], int]:
    """Reference: every record's share of each covered minute, best rank per minute."""
    sums: dict[tuple[int, int], float] = {}
    for s, e, a, r in zip(start, end, amount, rank, strict=True):
        m_last = max(max(e - 1, s) // 60, s // 60)
        for m in range(s // 60, m_last + 1):
            share = 1.0 if e == s else max(0, min(e, 60 * m + 60) - max(s, 60 * m)) / (e - s)
            sums[(m, r)] = sums.get((m, r), 0.0) + a * share
    best: dict[int, int] = {}
    for m, r in sums:
        best[m] = min(best.get(m, r), r)
    minutes = sorted(best)
    return [60 * m for m in minutes], [sums[(m, best[m])] for m in minutes], len(sums) - len(best)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 1200), st.integers(0, 700), st.integers(0, 500), st.integers(0, 2)
        ),
        max_size=40,
    ),
    st.sampled_from([1, 3, 1 << 16]),
)
def test_spread_matches_a_naive_reference_for_any_chunking(
    rows: list[tuple[int, int, int, int]], chunk: int
) -> None:
    import bedside.sensors.dedup as dedup

    start = [r[0] for r in rows]
    end = [r[0] + r[1] for r in rows]
    amount = [float(r[2]) for r in rows]
    rank = [r[3] for r in rows]
    saved = dedup._CHUNK_ROWS
    dedup._CHUNK_ROWS = chunk
    try:
        minute, per_min, overridden = spread_over_minutes(
            np.array(start, dtype=np.int64),
            np.array(end, dtype=np.int64),
            np.array(amount),
            np.array(rank, dtype=np.int64),
        )
    finally:
        dedup._CHUNK_ROWS = saved
    ref_minute, ref_amount, ref_overridden = _naive_spread(start, end, amount, rank)
    assert minute.tolist() == ref_minute
    np.testing.assert_allclose(per_min, ref_amount, rtol=1e-12, atol=1e-9)
    assert overridden == ref_overridden
