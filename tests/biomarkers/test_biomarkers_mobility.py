"""GPS mobility biomarkers: hand-derived values, artefact handling, coverage and invariants."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import lombscargle

from bedside.biomarkers.gps_track import (
    EARTH_RADIUS_M,
    GpsSettings,
    clean_fixes,
    haversine_m,
    minute_track,
)
from bedside.biomarkers.mobility import MOBILITY_IDS, _window_sinusoid_energy, daily_mobility
from bedside.biomarkers.registry import REGISTRY
from bedside.domain import InputFormatError, Modality, PatientId
from bedside.domain.gps_samples import GpsFrame

HOME = (59.9, 10.7)
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0
DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def _north(lat: float, metres: float) -> float:
    return lat + metres / M_PER_DEG


def _frame(
    t: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    acc: np.ndarray | None = None,
    zone: str = "UTC",
) -> GpsFrame:
    # Real receivers jitter in the last digits; without it every still stretch would be stale.
    jitter = np.where(np.arange(t.size) % 2 == 0, 1e-7, -1e-7)
    return GpsFrame(
        patient_id=PatientId("p1"),
        zone=zone,
        time_utc=t.astype(np.int64),
        latitude_deg=lat + jitter,
        longitude_deg=lon.astype(np.float64),
        accuracy_m=np.full(t.size, 8.0) if acc is None else acc,
    )


def _day_trip(n_days: int = 2, place_m: float = 2000.0, start: int = T0) -> GpsFrame:
    """At home except 10:00-12:00 at a place `place_m` north, walking 1.25 m/s each way."""
    t = np.arange(start, start + n_days * DAY, 60)
    sec = (t - start) % DAY
    walk = place_m / 1.25
    leave, arrive = 10 * 3600 - walk, 10 * 3600
    depart, back = 12 * 3600, 12 * 3600 + walk
    frac = np.interp(sec, [0, leave, arrive, depart, back, DAY], [0, 0, 1, 1, 0, 0])
    lat = HOME[0] + frac * place_m / M_PER_DEG
    lon = np.full(t.size, HOME[1])
    return _frame(t, lat, lon)


def test_hand_derived_day_with_one_outing() -> None:
    table = daily_mobility(_day_trip())
    assert table.n_days == 3  # the hold after the last fix spills into a third day
    v = {k: table.values[k][:2] for k in MOBILITY_IDS}
    walk_min = 2000.0 / 1.25 / 60.0
    # Home: within 100 m of home; leaving and returning add 100 m / 75 m/min each way.
    home_min = 1440 - 120 - 2 * (walk_min - 100.0 / 75.0)
    np.testing.assert_allclose(v["mobility.home_time_frac"], home_min / 1440, atol=2 / 1440)
    np.testing.assert_allclose(v["mobility.distance_km"], 4.0, rtol=0.01)
    np.testing.assert_allclose(v["mobility.max_home_dist_km"], 2.0, rtol=0.01)
    np.testing.assert_array_equal(v["mobility.n_places"], [2.0, 2.0])
    # Entropy over stationary minutes: 120 at the place, the rest at home.
    home_still = 1440 - 120 - 2 * walk_min
    p = np.array([home_still, 120.0]) / (home_still + 120.0)
    entropy = -(p * np.log(p)).sum()
    np.testing.assert_allclose(v["mobility.location_entropy"], entropy, atol=0.01)
    np.testing.assert_allclose(v["mobility.location_entropy_norm"], entropy / np.log(2), atol=0.01)
    np.testing.assert_array_equal(table.coverage[Modality.GPS][:2], [1.0, 1.0])
    assert table.coverage[Modality.GPS][2] < 0.01
    assert np.isnan(table.values["mobility.distance_km"][2])


def test_radius_of_gyration_matches_its_definition() -> None:
    frame = _day_trip(n_days=1)
    table = daily_mobility(frame)
    track = minute_track(frame, GpsSettings())
    day0 = track.valid & (track.grid.day_index == 0)
    lat, lon = track.latitude_deg[day0], track.longitude_deg[day0]
    d = haversine_m(lat, lon, lat.mean(), lon.mean())
    expected_km = math.sqrt(float(np.mean(d**2))) / 1000
    assert table.values["mobility.radius_gyration_km"][0] == pytest.approx(expected_km, rel=1e-9)
    assert 0.3 < expected_km < 1.0  # 2 h of 24 at 2 km plus walking: sanity of the fixture


def test_circadian_energy_equals_scipy_generalised_lomb_scargle() -> None:
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 168, 140))
    y = 2.0 + 0.3 * np.cos(2 * np.pi * t / 24.0 + 0.4) + rng.normal(0, 0.05, t.size)
    omega = 2 * np.pi / np.linspace(23.5, 24.5, 11)
    amp = lombscargle(t, y, omega, floating_mean=True, normalize="amplitude")
    ours = _window_sinusoid_energy(
        t, y, np.ones(t.size, dtype=bool), np.array([0]), np.array([t.size]), omega
    )
    assert ours[0] == pytest.approx(float(np.mean(np.abs(amp) ** 2)), rel=1e-9)


def test_circadian_movement_higher_for_a_daily_routine_than_for_staying_home() -> None:
    routine = daily_mobility(_day_trip(n_days=8))
    still = daily_mobility(_day_trip(n_days=8, place_m=0.0))
    cm_routine = routine.values["mobility.circadian_movement"]
    cm_still = still.values["mobility.circadian_movement"]
    assert np.isnan(cm_routine[:3]).all()  # fewer than 84 observed hours in the 7-day window
    assert np.isfinite(cm_routine[6:8]).all()
    assert (cm_routine[6:8] > cm_still[6:8] + 5).all()


def test_stay_at_home_day_has_zero_entropy_and_one_place() -> None:
    table = daily_mobility(_day_trip(n_days=1, place_m=0.0))
    assert table.values["mobility.n_places"][0] == 1
    assert table.values["mobility.location_entropy"][0] == 0.0
    assert table.values["mobility.location_entropy_norm"][0] == 0.0
    assert table.values["mobility.home_time_frac"][0] == 1.0
    assert table.values["mobility.distance_km"][0] == 0.0


def test_single_fix_teleport_is_dropped_and_changes_nothing() -> None:
    base = _day_trip()
    lat = base.latitude_deg.copy()
    lat[300] += 5.0  # 550 km north for one minute
    spiked = GpsFrame(
        base.patient_id, base.zone, base.time_utc, lat, base.longitude_deg, base.accuracy_m
    )
    cleaned = clean_fixes(spiked, GpsSettings())
    assert cleaned.n_excursion == 1
    assert not cleaned.kept[300]
    a, b = daily_mobility(base), daily_mobility(spiked)
    for key in MOBILITY_IDS:
        np.testing.assert_allclose(b.values[key][:2], a.values[key][:2], atol=1e-3, err_msg=key)


def test_short_excursion_of_several_fixes_is_dropped() -> None:
    base = _day_trip()
    lat = base.latitude_deg.copy()
    lat[600:604] += 0.5  # 55 km away for four minutes, then back
    frame = GpsFrame(
        base.patient_id, base.zone, base.time_utc, lat, base.longitude_deg, base.accuracy_m
    )
    assert clean_fixes(frame, GpsSettings()).n_excursion == 4
    table = daily_mobility(frame)
    assert table.values["mobility.max_home_dist_km"][0] == pytest.approx(2.0, rel=0.01)


def test_one_way_jump_is_never_counted_as_distance() -> None:
    base = _day_trip(n_days=1, place_m=0.0)
    lat = base.latitude_deg.copy()
    lat[900:] += 3.0  # from 15:00 the fixes sit 330 km away and stay there
    frame = GpsFrame(
        base.patient_id, base.zone, base.time_utc, lat, base.longitude_deg, base.accuracy_m
    )
    table = daily_mobility(frame)
    assert table.values["mobility.distance_km"][0] < 0.1
    track = minute_track(frame, GpsSettings())
    assert int(track.jump.sum()) == 1


def test_inaccurate_fixes_are_dropped() -> None:
    base = _day_trip()
    acc = base.accuracy_m.copy()
    lat = base.latitude_deg.copy()
    bad = np.arange(0, base.time_utc.size, 7)
    acc[bad] = 800.0
    lat[bad] += 0.01  # 1.1 km off, as a cell-tower position would be
    frame = GpsFrame(base.patient_id, base.zone, base.time_utc, lat, base.longitude_deg, acc)
    assert clean_fixes(frame, GpsSettings()).n_inaccurate == bad.size
    a, b = daily_mobility(base), daily_mobility(frame)
    for key in ("mobility.home_time_frac", "mobility.max_home_dist_km", "mobility.n_places"):
        np.testing.assert_allclose(b.values[key][:2], a.values[key][:2], atol=0.01, err_msg=key)


def test_stale_repeated_fix_lowers_coverage_instead_of_inventing_a_stay() -> None:
    base = _day_trip(n_days=1)
    lat, lon = base.latitude_deg.copy(), base.longitude_deg.copy()
    # From 13:00 to 19:00 the phone repeats its last fix bit for bit.
    stale = slice(13 * 60, 19 * 60)
    lat[stale], lon[stale] = lat[13 * 60 - 1], lon[13 * 60 - 1]
    frame = GpsFrame(base.patient_id, base.zone, base.time_utc, lat, lon, base.accuracy_m)
    cleaned = clean_fixes(frame, GpsSettings())
    # Fixes repeated for more than 600 s after the first identical one are stale.
    assert cleaned.n_stale == 6 * 60 - 10
    cov = daily_mobility(frame).coverage[Modality.GPS][0]
    assert cov == pytest.approx((1440 - (6 * 60 - 10) + 10) / 1440, abs=2 / 1440)


def test_gaps_lower_coverage_and_long_gaps_give_nan() -> None:
    base = _day_trip(n_days=2)
    sec = (base.time_utc - T0) % DAY
    day = (base.time_utc - T0) // DAY
    # Day 0 loses 14:00-20:00; day 1 keeps only 00:00-06:00.
    keep = ~((day == 0) & (sec >= 14 * 3600) & (sec < 20 * 3600))
    keep &= ~((day == 1) & (sec >= 6 * 3600))
    frame = GpsFrame(
        base.patient_id,
        base.zone,
        base.time_utc[keep],
        base.latitude_deg[keep],
        base.longitude_deg[keep],
        base.accuracy_m[keep],
    )
    table = daily_mobility(frame)
    cov = table.coverage[Modality.GPS]
    assert cov[0] == pytest.approx((1440 - 360 + 10) / 1440, abs=1 / 1440)
    assert cov[1] == pytest.approx((360 + 10) / 1440, abs=1 / 1440)
    assert all(np.isfinite(table.values[k][0]) for k in MOBILITY_IDS if "circadian" not in k)
    assert all(np.isnan(table.values[k][1]) for k in MOBILITY_IDS)


def test_local_days_follow_the_zone_including_clock_changes() -> None:
    # 2026-03-29 is the spring-forward day in Europe/Oslo: 23 hours long.
    start = int(dt.datetime(2026, 3, 28, tzinfo=dt.UTC).timestamp()) - 3600
    t = np.arange(start, start + 3 * DAY, 60)
    frame = _frame(t, np.full(t.size, HOME[0]), np.full(t.size, HOME[1]), zone="Europe/Oslo")
    table = daily_mobility(frame)
    assert table.date_list()[:3] == [
        dt.date(2026, 3, 28),
        dt.date(2026, 3, 29),
        dt.date(2026, 3, 30),
    ]
    np.testing.assert_allclose(table.coverage[Modality.GPS][:2], [1.0, 1.0])


def test_no_home_without_night_data() -> None:
    frame = _day_trip(n_days=1)
    sec = (frame.time_utc - T0) % DAY
    day = sec >= 8 * 3600
    daytime = GpsFrame(
        frame.patient_id,
        frame.zone,
        frame.time_utc[day],
        frame.latitude_deg[day],
        frame.longitude_deg[day],
        frame.accuracy_m[day],
    )
    table = daily_mobility(daytime, GpsSettings(min_coverage=0.3))
    assert np.isnan(table.values["mobility.home_time_frac"][0])
    assert np.isnan(table.values["mobility.max_home_dist_km"][0])
    assert np.isfinite(table.values["mobility.radius_gyration_km"][0])


def test_empty_frame_gives_empty_table() -> None:
    e = np.zeros(0)
    frame = GpsFrame(PatientId("p"), "UTC", np.zeros(0, dtype=np.int64), e, e, e)
    table = daily_mobility(frame)
    assert table.n_days == 0
    assert set(table.values) == set(MOBILITY_IDS)


def test_only_daily_numbers_leave_and_every_id_is_registered() -> None:
    table = daily_mobility(_day_trip())
    assert tuple(table.values) == MOBILITY_IDS
    assert set(table.coverage) == {Modality.GPS}
    for key in MOBILITY_IDS:
        spec = REGISTRY[key]
        assert spec.modality is Modality.GPS
        col = table.values[key]
        assert col.shape == (table.n_days,)
        assert col.dtype == np.float64
        ok = col[np.isfinite(col)]
        assert ((ok >= spec.valid_min) & (ok <= spec.valid_max)).all(), key


def test_frame_rejects_bad_coordinates_and_unordered_times() -> None:
    t = np.array([0, 60], dtype=np.int64)
    with pytest.raises(InputFormatError, match="WGS84"):
        GpsFrame(PatientId("p"), "UTC", t, np.array([0.0, 91.0]), np.zeros(2), np.zeros(2))
    with pytest.raises(InputFormatError, match="order"):
        GpsFrame(PatientId("p"), "UTC", t[::-1].copy(), np.zeros(2), np.zeros(2), np.zeros(2))


@settings(max_examples=15, deadline=None)
@given(days=st.integers(min_value=1, max_value=30))
def test_shifting_by_whole_days_shifts_dates_and_nothing_else(days: int) -> None:
    a = daily_mobility(_day_trip(n_days=2))
    b = daily_mobility(_day_trip(n_days=2, start=T0 + days * DAY))
    assert (b.dates - a.dates == np.timedelta64(days, "D")).all()
    for key in MOBILITY_IDS:
        np.testing.assert_array_equal(a.values[key], b.values[key])


@settings(max_examples=15, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=2 * 1440 - 1),
    length=st.integers(min_value=1, max_value=1440),
)
def test_dropping_fixes_never_raises_coverage(start: int, length: int) -> None:
    base = _day_trip(n_days=2)
    keep = np.ones(base.time_utc.size, dtype=bool)
    keep[start : start + length] = False
    if not keep.any():
        return
    cut = GpsFrame(
        base.patient_id,
        base.zone,
        base.time_utc[keep],
        base.latitude_deg[keep],
        base.longitude_deg[keep],
        base.accuracy_m[keep],
    )
    full = daily_mobility(base)
    part = daily_mobility(cut)
    offset = int((part.dates[0] - full.dates[0]).astype(int))
    cov_full = full.coverage[Modality.GPS][offset : offset + part.n_days]
    assert (part.coverage[Modality.GPS] <= cov_full + 1e-12).all()


def test_zone_offset_with_matching_zone_changes_nothing() -> None:
    # The same wall-clock routine lived in UTC+9 (Tokyo, no DST): same local-day values.
    a = daily_mobility(_day_trip(n_days=2))
    shifted = _day_trip(n_days=2, start=T0 - 9 * 3600)
    b = daily_mobility(
        GpsFrame(
            shifted.patient_id,
            "Asia/Tokyo",
            shifted.time_utc,
            shifted.latitude_deg,
            shifted.longitude_deg,
            shifted.accuracy_m,
        )
    )
    assert b.dates[0] == a.dates[0]
    for key in MOBILITY_IDS:
        np.testing.assert_allclose(b.values[key], a.values[key], err_msg=key)
