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
