"""CusumDetector: recursion, winsorising, onset, episodes, blip immunity, causality, step delay."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.baseline import (
    CusumDetector,
    cusum_statistics,
    false_alarm_rate_per_year,
    track_episodes,
)
from bedside.domain import ConfigurationError, InputFormatError, TrendDirection

START = dt.date(2026, 1, 1)


def _dates(n: int) -> list[dt.date]:
    return [START + dt.timedelta(days=i) for i in range(n)]


def _scan(det: CusumDetector, z: dict[str, np.ndarray]) -> list[list]:  # type: ignore[type-arg]
    n = len(next(iter(z.values())))
    return det.scan(z, z, {k: 0.0 for k in z}, _dates(n))


def test_statistics_recursion_by_hand() -> None:
    z = np.array([1.0, 1.0, math.nan, 1.0, -3.0, 100.0])
    upper, lower = cusum_statistics(z, k=0.5, winsor=4.0)
    # U: 0.5, 1.0, (missing: unchanged) 1.0, 1.5, max(0, 1.5 - 3.5) = 0, winsorised 4 - 0.5 = 3.5
    np.testing.assert_allclose(upper, [0.5, 1.0, 1.0, 1.5, 0.0, 3.5])
    # L: 0, 0, 0, 0, 3 - 0.5 = 2.5, max(0, 2.5 - 4 - 0.5) = 0
    np.testing.assert_allclose(lower, [0.0, 0.0, 0.0, 0.0, 2.5, 0.0])


def test_onset_size_and_episode_by_hand() -> None:
    # five in-control days, then z = 2 for three days, then back to 0
    z = np.array([0.0] * 5 + [2.0] * 3 + [0.0] * 12)
    values = 10.0 + 2.0 * z  # median 10, scale 2
    det = CusumDetector(k=0.5, h=4.0)
    per_day = det.scan(
        {"sleep.waso_min": z}, {"sleep.waso_min": values}, {"sleep.waso_min": 10.0}, _dates(20)
    )
    # U = 1.5, 3.0, 4.5 on days 5..7 -> alarm on day 7, onset day 5
    assert [len(d) for d in per_day[:7]] == [0] * 7
    f = per_day[7][0]
    assert f.direction is TrendDirection.UP
    assert f.onset_date == START + dt.timedelta(days=5)
    assert f.detection_date == START + dt.timedelta(days=7)
    assert f.days_sustained == 3
    assert f.size == pytest.approx(4.0)
    assert f.robust_z == pytest.approx(2.0)
    assert f.coverage == 1.0
    assert f.adverse  # sleep.waso_min: up is the concern
    assert f.false_alarm_rate_per_year == pytest.approx(2 * false_alarm_rate_per_year(0.5, 4.0))
    # afterwards U falls by 0.5 a day: 4.0, 3.5, 3.0, 2.5 still above h/2 = 2, then 2.0 is not
    active = [bool(d) for d in per_day]
    assert active[7:12] == [True] * 5
    assert not any(active[12:])
    # the same finding is repeated while active
    assert all(d[0] == f for d in per_day[7:12])


def test_adverse_follows_registry_concern() -> None:
    z = np.r_[np.zeros(3), np.full(10, -3.0)]
    det = CusumDetector(h=5.0)
    out = det.detect(
        {"sleep.efficiency": z, "sleep.duration_min": z, "sleep.waso_min": z, "x.unknown": z},
        {"sleep.efficiency": z, "sleep.duration_min": z, "sleep.waso_min": z, "x.unknown": z},
        {},
        _dates(13),
    )
    adverse = {f.biomarker: f.adverse for f in out}
    assert all(f.direction is TrendDirection.DOWN for f in out)
    assert adverse == {
        "sleep.efficiency": True,  # concern down
        "sleep.duration_min": True,  # concern both
        "sleep.waso_min": False,  # concern up
        "x.unknown": False,  # not in the registry
    }


def test_missing_days_keep_the_statistic_and_lower_coverage() -> None:
    z = np.array([0.0, 3.0, math.nan, math.nan, 3.0, 3.0])
    det = CusumDetector(k=0.5, h=4.0)
    per_day = _scan(det, {"sleep.waso_min": z})
    # U: 0, 2.5, 2.5, 2.5, 5.0 -> alarm on day 4, onset day 1, 2 of 4 days missing
    assert not any(per_day[:4])
    f = per_day[4][0]
    assert f.onset_date == START + dt.timedelta(days=1)
    assert f.coverage == pytest.approx(0.5)
    assert f.days_sustained == 4
    assert f.robust_z == pytest.approx(3.0)


def test_h_below_one_day_maximum_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="blip"):
        CusumDetector(k=0.5, h=3.0, winsor=4.0)
    assert CusumDetector(k=0.5, winsor=4.0, target_rate_per_year=500.0).threshold(1) >= 3.5


def test_calibrated_threshold_grows_with_the_number_of_biomarkers() -> None:
    det = CusumDetector()
    assert det.threshold(1) < det.threshold(5) < det.threshold(17)
    assert det.biomarker_rate_per_year(17) * 17 == pytest.approx(1.0, rel=1e-3)


def test_input_shapes_are_checked() -> None:
    det = CusumDetector()
    with pytest.raises(InputFormatError, match=r"sleep\.waso_min"):
        det.scan({"sleep.waso_min": np.zeros(3)}, {"sleep.waso_min": np.zeros(2)}, {}, _dates(3))


def test_detect_is_the_last_day_of_scan() -> None:
    rng = np.random.default_rng(1)
    z = {"a.b": np.r_[rng.standard_normal(20), rng.standard_normal(20) + 2.0]}
    det = CusumDetector()
    assert det.detect(z, z, {"a.b": 0.0}, _dates(40)) == _scan(det, z)[-1]
    assert det.detect({"a.b": np.zeros(0)}, {"a.b": np.zeros(0)}, {}, []) == []


@settings(max_examples=200, deadline=None)
@given(
    n_biomarkers=st.integers(1, 6),
    n_days=st.integers(2, 60),
    data=st.data(),
    spike=st.one_of(
        st.floats(allow_nan=False, allow_infinity=True),
        st.sampled_from([1e300, -1e300, math.inf, -math.inf]),
    ),
)
def test_a_single_day_blip_of_any_size_never_alarms(
    n_biomarkers: int, n_days: int, data: st.DataObject, spike: float
) -> None:
    # in control: every z within the reference band [-k, k]; one day of one biomarker spikes
    det = CusumDetector()
    z = {
        f"b.m{i}": np.array(
            data.draw(st.lists(st.floats(-0.5, 0.5), min_size=n_days, max_size=n_days))
        )
        for i in range(n_biomarkers)
    }
    which = data.draw(st.integers(0, n_biomarkers - 1))
    day = data.draw(st.integers(0, n_days - 1))
    z[f"b.m{which}"][day] = spike
    assert all(d == [] for d in _scan(det, z))


_z_values = st.one_of(st.floats(-8.0, 8.0), st.just(math.nan))


@settings(max_examples=100, deadline=None)
@given(
    n_days=st.integers(2, 50),
    data=st.data(),
    h=st.sampled_from([None, 3.5, 5.0]),
)
def test_scan_is_causal(n_days: int, data: st.DataObject, h: float | None) -> None:
    ids = ["sleep.duration_min", "activity.mean_counts"]
    z = {b: np.array(data.draw(st.lists(_z_values, min_size=n_days, max_size=n_days))) for b in ids}
    cut = data.draw(st.integers(1, n_days))
    det = CusumDetector(h=h)
    full = _scan(det, z)
    prefix = _scan(det, {b: v[:cut] for b, v in z.items()})
    assert prefix == full[:cut]


def test_track_episodes_vectorised_matches_rows() -> None:
    rng = np.random.default_rng(7)
    upper, _ = cusum_statistics(rng.standard_normal((4, 300)) + 0.6, 0.5, 4.0)
    both = track_episodes(upper, 5.0)
    for i in range(4):
        one = track_episodes(upper[i], 5.0)
        np.testing.assert_array_equal(both.row(i).active, one.active)
        np.testing.assert_array_equal(both.row(i).onset, one.onset)
    assert both.alarm.sum() > 0


def test_two_sd_step_is_detected_within_a_few_days() -> None:
    # 500 seeded series, 5 watched biomarkers (h calibrated for 1 false alarm/patient-year),
    # a 2-SD upward step on day 30
    rng = np.random.default_rng(2026)
    det = CusumDetector()
    h = det.threshold(5)
    z = rng.standard_normal((500, 60))
    z[:, 30:] += 2.0
    upper, _ = cusum_statistics(z, det.k, det.winsor)
    track = track_episodes(upper, h)
    first = np.array([np.flatnonzero(row[30:])[0] if row[30:].any() else 99 for row in track.alarm])
    assert (first < 99).all()
    delay = first + 1  # days of shifted data needed, including the alarm day
    assert delay.mean() < 6.0
    onset = np.array([track.onset[i, 30 + first[i]] for i in range(500)])
    assert abs(np.median(onset) - 30) <= 1
