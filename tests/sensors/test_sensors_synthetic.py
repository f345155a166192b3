"""Synthetic cohort: determinism, episode effects on simple proxies, PHQ-9, gaps, labels."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest
from pydantic import ValidationError

from bedside.sensors import (
    CohortConfig,
    SyntheticPatient,
    episode_risk_labels,
    generate_cohort,
    generate_patient,
    in_episode_days,
    label_days,
)

# --- simple biomarker proxies (independent of bedside.biomarkers) -------------------------
FloatArray = npt.NDArray[np.float64]


def local_midnights(patient: SyntheticPatient, extra_hours: int = 0) -> npt.NDArray[np.int64]:
    """UTC seconds of local midnight (+ extra_hours) of days 0..n_days."""
    tz = ZoneInfo(patient.zone)
    return np.array(
        [
            int(
                dt.datetime.combine(
                    patient.start_date + dt.timedelta(days=k), dt.time(extra_hours), tz
                ).timestamp()
            )
            for k in range(patient.n_days + 1)
        ],
        dtype=np.int64,
    )


def daily_totals(patient: SyntheticPatient) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Total counts and number of samples per local calendar day."""
    frame = patient.actigraphy
    day = np.searchsorted(local_midnights(patient), frame.time_utc, side="right") - 1
    ok = (day >= 0) & (day < patient.n_days)
    totals = np.bincount(day[ok], weights=frame.value[ok], minlength=patient.n_days)
    counts = np.bincount(day[ok], minlength=patient.n_days)
    return totals, counts


def rest_periods(patient: SyntheticPatient) -> tuple[FloatArray, FloatArray]:
    """Per day, the longest rest run ending that day (noon-to-noon) and its zero-minute share.

    Rest = minutes whose 31-minute centred share of non-zero minutes is below 0.3. Days with
    missing minutes in the window get NaN.
    """
    frame = patient.actigraphy
    noon = local_midnights(patient, extra_hours=12)
    start = int(noon[0]) - 86400
    n_min = (int(noon[-1]) - start) // 60
    active = np.full(n_min, np.nan)
    idx = (frame.time_utc - start) // 60
    ok = (idx >= 0) & (idx < n_min)
    active[idx[ok]] = (frame.value[ok] > 0).astype(np.float64)
    kernel = np.ones(31) / 31
    share = np.convolve(np.nan_to_num(active, nan=1.0), kernel, mode="same")
    rest = share < 0.3
    length = np.full(patient.n_days, np.nan)
    zero_share = np.full(patient.n_days, np.nan)
    bounds = np.concatenate([[start], noon])
    for k in range(patient.n_days):
        lo, hi = (int(bounds[k]) - start) // 60, (int(bounds[k + 1]) - start) // 60
        window = rest[lo:hi]
        if np.isnan(active[lo:hi]).any() or not window.any():
            continue
        edges = np.diff(np.concatenate([[0], window.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        j = int(np.argmax(ends - starts))
        length[k] = ends[j] - starts[j]
        zero_share[k] = 1.0 - np.mean(active[lo + starts[j] : lo + ends[j]])
    return length, zero_share


def interdaily_stability(patient: SyntheticPatient, first_day: int, n_days: int) -> float:
    """IS of hourly means over local days [first_day, first_day + n_days) (no gaps allowed)."""
    frame = patient.actigraphy
    mids = local_midnights(patient)
    lo, hi = mids[first_day], mids[first_day + n_days]
    sel = (frame.time_utc >= lo) & (frame.time_utc < hi)
    hours = (frame.time_utc[sel] - lo) // 3600
    x = np.bincount(hours, weights=frame.value[sel]) / np.maximum(np.bincount(hours), 1)
    x = x[: (x.size // 24) * 24]
    profile = x.reshape(-1, 24).mean(axis=0)
    mean = x.mean()
    return float(x.size * np.sum((profile - mean) ** 2) / (24 * np.sum((x - mean) ** 2)))


# Everyone has one long episode starting mid-window; no gaps, so proxies see whole days.
EFFECT_CONFIG = CohortConfig(
    n_patients=20,
    n_days=110,
    seed=7,
    episode_fraction=1.0,
    onset_day_min=42,
    onset_day_max=50,
    duration_days_min=50,
    duration_days_max=56,
    off_wrist_prob=0.0,
    missing_day_prob=0.0,
)


@pytest.fixture(scope="module")
def effect_cohort() -> list[SyntheticPatient]:
    return generate_cohort(EFFECT_CONFIG).patients


def _z(values: np.ndarray, during: np.ndarray, before: np.ndarray) -> float:
    base = values[before & np.isfinite(values)]
    return float((np.nanmean(values[during]) - base.mean()) / base.std())


def _windows(p: SyntheticPatient) -> tuple[np.ndarray, np.ndarray]:
    before = ~in_episode_days(p)
    before[0] = False  # the first night is cut by the window start
    during = p.daily["episode_intensity"] >= 1.0
    return during, before


def test_same_seed_same_cohort_and_order_independent() -> None:
    config = CohortConfig(n_patients=3, n_days=20, seed=11, episode_fraction=0.5)
    a = generate_cohort(config).patients
    b = generate_cohort(config).patients
    alone = generate_patient(config.model_copy(update={"n_patients": 9}), 2)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.actigraphy.time_utc, y.actigraphy.time_utc)
        assert np.array_equal(x.actigraphy.value, y.actigraphy.value)
        assert x.phq9 == y.phq9
        assert x.medications == y.medications
        assert x.episodes == y.episodes
        assert x.gaps == y.gaps
    assert np.array_equal(alone.actigraphy.value, a[2].actigraphy.value)
    assert alone.phq9 == a[2].phq9
    other = generate_patient(config.model_copy(update={"seed": 12}), 2)
    assert not np.array_equal(other.actigraphy.value[:1000], a[2].actigraphy.value[:1000])
    assert [p.patient_id for p in a] == ["synth-11-0000", "synth-11-0001", "synth-11-0002"]


def test_config_is_validated_and_frozen() -> None:
    with pytest.raises(ValidationError):
        CohortConfig(episode_fraction=1.5)
    with pytest.raises(ValidationError):
        CohortConfig(zone="Mars/Olympus")
    with pytest.raises(ValidationError):
        CohortConfig(duration_days_min=30, duration_days_max=10)
    config = CohortConfig()
    with pytest.raises(ValidationError):
        config.n_days = 5  # type: ignore[misc]
    assert config.onset_range() == (28, 50)
    assert CohortConfig(n_days=35).onset_range() == (25, 25)


def test_episode_share_and_onset_rules() -> None:
    config = CohortConfig(n_patients=30, n_days=40, seed=3, off_wrist_prob=0.0)
    seen: list[int] = []
    cohort = generate_cohort(config, progress=seen.append)
    assert seen == list(range(1, 31))
    with_episode = [p for p in cohort.patients if p.episodes]
    assert 10 <= len(with_episode) <= 14  # 40 % of 30
    lo, hi = config.onset_range()
    for p in with_episode:
        onset = (p.episodes[0].onset - p.start_date).days
        assert lo <= onset <= hi
        assert config.n_days - onset >= 10
        assert p.episodes[0].end >= p.episodes[0].onset + dt.timedelta(days=20)


def test_activity_drops_by_about_the_configured_sd(
    effect_cohort: list[SyntheticPatient],
) -> None:
    zs = []
    for p in effect_cohort:
        totals, _ = daily_totals(p)
        during, before = _windows(p)
        zs.append(_z(totals, during, before))
        assert p.episodes[0].effects["activity.total_counts"] < 0
    assert -1.5 < float(np.mean(zs)) < -0.6
    no_effect = generate_patient(EFFECT_CONFIG.model_copy(update={"effect_activity_sd": 0.0}), 0)
    totals, _ = daily_totals(no_effect)
    assert abs(_z(totals, *_windows(no_effect))) < abs(float(np.mean(zs)))


def test_sleep_gets_shorter_or_longer_later_and_less_efficient(
    effect_cohort: list[SyntheticPatient],
) -> None:
    signed_duration, efficiency, onset = [], [], []
    for p in effect_cohort:
        length, zero_share = rest_periods(p)
        during, before = _windows(p)
        sign = np.sign(p.episodes[0].effects["sleep.duration_min"])
        signed_duration.append(sign * _z(length, during, before))
        efficiency.append(_z(zero_share, during, before))
        onset.append(_z(p.daily["sleep_onset_min"], during, before))
    assert 0.3 < float(np.mean(signed_duration)) < 1.5
    assert -1.5 < float(np.mean(efficiency)) < -0.3
    assert 0.3 < float(np.mean(onset)) < 1.5
    directions = [np.sign(p.episodes[0].effects["sleep.duration_min"]) for p in effect_cohort]
    assert directions.count(-1.0) > directions.count(1.0)  # insomnia is the common direction


def test_interdaily_stability_falls_in_episodes(effect_cohort: list[SyntheticPatient]) -> None:
    zs = []
    for p in effect_cohort:
        onset = (p.episodes[0].onset - p.start_date).days
        before = [interdaily_stability(p, d, 7) for d in range(0, onset - 7, 7)]
        during = [interdaily_stability(p, d, 7) for d in range(onset + 7, onset + 42, 7)]
        zs.append((np.mean(during) - np.mean(before)) / np.std(before))
    assert float(np.mean(zs)) < -0.3


def test_phq9_tracks_episodes(effect_cohort: list[SyntheticPatient]) -> None:
    inside, outside, item9_outside = [], [], 0
    for p in effect_cohort:
        full = p.daily["episode_intensity"] >= 1.0
        episode = in_episode_days(p)
        for r in p.phq9:
            day = (r.date - p.start_date).days
            if full[day]:
                inside.append(r.total >= 10)
            elif not episode[day]:
                outside.append(r.total >= 10)
                item9_outside += r.item9 > 0
            assert len(r.items) == 9
    assert np.mean(inside) > 0.7
    assert np.mean(outside) < 0.15
    assert item9_outside == 0


def test_gaps_are_absent_minutes_and_recorded() -> None:
    config = CohortConfig(
        n_patients=4,
        n_days=30,
        seed=5,
        start_date=dt.date(2024, 3, 20),  # crosses the spring change on 2024-03-31
        off_wrist_prob=0.5,
        missing_day_prob=0.1,
    )
    kinds: set[str] = set()
    for p in generate_cohort(config).patients:
        mids = local_midnights(p)
        grid = np.arange(mids[0], mids[-1], 60)
        assert grid.size == 30 * 1440 - 60  # one 23-hour day
        missing = np.zeros(grid.size, dtype=bool)
        for gap in p.gaps:
            kinds.add(gap.reason)
            assert gap.minutes > 0
            missing[(grid >= gap.start_utc) & (grid < gap.end_utc)] = True
        t = p.actigraphy.time_utc
        assert np.array_equal(t, grid[~missing])
        assert np.all(p.actigraphy.value >= 0)
        assert np.array_equal(p.actigraphy.value, np.round(p.actigraphy.value))
    assert kinds == {"off_wrist", "missing_day"}


def test_minutes_look_like_actigraphy() -> None:
    p = generate_patient(CohortConfig(n_days=14, seed=1, off_wrist_prob=0.0), 0)
    local_hour = np.array(
        [dt.datetime.fromtimestamp(int(t), ZoneInfo(p.zone)).hour for t in p.actigraphy.time_utc]
    )
    night = p.actigraphy.value[(local_hour >= 2) & (local_hour < 5)]
    day = p.actigraphy.value[(local_hour >= 10) & (local_hour < 18)]
    assert np.mean(night == 0) > 0.7
    assert 50 < np.mean(day) < 2000


def test_labels_cover_the_horizon_before_onset() -> None:
    config = CohortConfig(n_patients=1, n_days=80, episode_fraction=1.0, seed=2)
    p = generate_patient(config, 0)
    onset = (p.episodes[0].onset - p.start_date).days
    end = min((p.episodes[0].end - p.start_date).days, p.n_days - 1)
    labels = episode_risk_labels(p, horizon_days=14)
    assert np.flatnonzero(labels).tolist() == list(range(onset - 14, end + 1))
    assert np.array_equal(label_days(p), labels)
    assert np.flatnonzero(in_episode_days(p)).tolist() == list(range(onset, end + 1))
    healthy = generate_patient(config.model_copy(update={"episode_fraction": 0.0}), 0)
    assert not episode_risk_labels(healthy).any()
    assert not healthy.episodes


def test_medications_follow_episodes(effect_cohort: list[SyntheticPatient]) -> None:
    starters = 0
    for p in effect_cohort:
        for m in p.medications:
            if m.name == "sertraline":
                assert m.start > p.episodes[0].onset
                assert m.rxnorm == "36437"
                starters += m.kind == "start"
            else:
                assert m.start < p.start_date  # background medication from before monitoring
    assert 0 < starters < len(effect_cohort)
