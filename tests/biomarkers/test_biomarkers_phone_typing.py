"""Phone use and typing cadence: hand-derived days, lost events, coverage, synthetic effects."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bedside.biomarkers.phone_use import PHONE_USE_IDS, daily_phone_use
from bedside.biomarkers.registry import REGISTRY
from bedside.biomarkers.typing_cadence import TYPING_IDS, daily_typing
from bedside.domain import (
    InputFormatError,
    KeyKind,
    KeystrokeFrame,
    Modality,
    PatientId,
    ScreenEvent,
    ScreenEventFrame,
)
from bedside.sensors.synthetic_phone import generate_keystrokes, generate_screen_events

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
ON, OFF = int(ScreenEvent.SCREEN_ON), int(ScreenEvent.SCREEN_OFF)
A, B = int(KeyKind.ALPHANUMERIC), int(KeyKind.BACKSPACE)


def _screen(pairs: list[tuple[float, int]], zone: str = "UTC", hours: int = 48) -> ScreenEventFrame:
    t = np.array([int((T0 + h * 3600) * 1000) for h, _ in pairs], dtype=np.int64)
    e = np.array([ev for _, ev in pairs], dtype=np.int8)
    return ScreenEventFrame(
        PatientId("p"),
        zone,
        t,
        e,
        observed_hours_utc=np.arange(T0 // 3600, T0 // 3600 + hours, dtype=np.int64),
    )


def test_screen_time_unlocks_and_night_use_by_hand() -> None:
    frame = _screen(
        [
            (1.0, ON),  # 01:00-01:30 at night
            (1.5, OFF),
            (12.0, ON),  # 12:00-13:00
            (13.0, OFF),
            (23.5, ON),  # 23:30-00:30: split across midnight, half of it night on day 2
            (24.5, OFF),
        ]
    )
    table = daily_phone_use(frame)
    np.testing.assert_allclose(table.values["phone_use.screen_on_min"], [120.0, 30.0])
    np.testing.assert_allclose(table.values["phone_use.unlocks"], [3.0, 0.0])
    np.testing.assert_allclose(table.values["phone_use.night_use_min"], [30.0, 30.0])
    np.testing.assert_allclose(table.coverage[Modality.PHONE_USE], [1.0, 1.0])


def test_lost_off_event_cannot_fill_the_day() -> None:
    table = daily_phone_use(_screen([(8.0, ON), (20.0, ON), (20.1, OFF)]))
    # 08:00 never ended: cut at the 240-min cap, plus 6 min from 20:00.
    assert table.values["phone_use.screen_on_min"][0] == pytest.approx(246.0)


def test_unobserved_hours_lower_coverage_and_give_nan() -> None:
    frame = _screen([(12.0, ON), (13.0, OFF)], hours=8)
    table = daily_phone_use(frame)
    assert table.coverage[Modality.PHONE_USE][0] == pytest.approx(8 / 24)
    assert all(np.isnan(table.values[k][0]) for k in PHONE_USE_IDS)


def test_ios_unlocks_count_like_android_screen_on() -> None:
    u, lk = int(ScreenEvent.UNLOCKED), int(ScreenEvent.LOCKED)
    table = daily_phone_use(_screen([(9.0, u), (9.25, lk)], hours=24))
    assert table.values["phone_use.unlocks"][0] == 1
    assert table.values["phone_use.screen_on_min"][0] == pytest.approx(15.0)


def _keys(times_ms: list[int], sessions: list[int], kinds: list[int]) -> KeystrokeFrame:
    return KeystrokeFrame(
        PatientId("p"),
        "UTC",
        np.array(times_ms, dtype=np.int64) + T0 * 1000,
        np.array(sessions, dtype=np.int64),
        np.array(kinds, dtype=np.int8),
        observed_hours_utc=np.arange(T0 // 3600, T0 // 3600 + 24, dtype=np.int64),
    )


def test_typing_cadence_by_hand() -> None:
    # Session 0 at 02:00 (night): alphanumeric presses 200 ms apart, with one backspace.
    # Session 1 at 10:00: presses 300 ms apart, then a 9 s pause (not cadence) and one more.
    night = 2 * 3_600_000
    day = 10 * 3_600_000
    t0 = [night + 200 * i for i in range(11)]
    k0 = [A] * 11
    k0[5] = B  # intervals into and out of the backspace are not alphanumeric pairs
    t1 = [day + 300 * i for i in range(11)] + [day + 3000 + 9000]
    k1 = [A] * 12
    frame = _keys(t0 + t1, [0] * 11 + [1] * 12, k0 + k1)
    table = daily_typing(frame, min_ikis=5, min_session_ikis=3)
    v = {k: float(table.values[k][0]) for k in TYPING_IDS}
    ikis = np.array([200.0] * 8 + [300.0] * 10)  # 10 alnum pairs minus 2 around the backspace
    assert v["typing.iki_median_ms"] == pytest.approx(float(np.median(ikis)))
    q75, q25 = np.percentile(ikis, [75, 25])
    assert v["typing.iki_iqr_ms"] == pytest.approx(float(q75 - q25))
    meds = np.array([200.0, 300.0])
    assert v["typing.speed_cv"] == pytest.approx(float(meds.std(ddof=1) / meds.mean()))
    assert v["typing.sessions"] == 2
    assert v["typing.session_length_s"] == pytest.approx((2.0 + 12.0) / 2)
    assert v["typing.backspace_rate"] == pytest.approx(1 / 23)
    assert v["typing.night_share"] == pytest.approx(11 / 23)


def test_typing_day_with_too_few_intervals_is_nan_but_counts_sessions() -> None:
    table = daily_typing(_keys([0, 200, 400], [0, 0, 0], [A, A, A]))
    assert np.isnan(table.values["typing.iki_median_ms"][0])
    assert table.values["typing.sessions"][0] == 1


def test_keystroke_frame_rejects_interleaved_sessions() -> None:
    with pytest.raises(InputFormatError, match="contiguous"):
        _keys([0, 1, 2], [0, 1, 0], [A, A, A])


def test_every_id_is_registered_with_its_modality() -> None:
    for key in PHONE_USE_IDS:
        assert REGISTRY[key].modality is Modality.PHONE_USE
    for key in TYPING_IDS:
        assert REGISTRY[key].modality is Modality.TYPING


DATES = [dt.date(2026, 3, 2) + dt.timedelta(days=i) for i in range(14)]


def test_synthetic_phone_use_moves_in_the_published_directions() -> None:
    well = daily_phone_use(
        generate_screen_events(np.random.default_rng(4), DATES, "Europe/Oslo", np.zeros(14))
    )
    ill = daily_phone_use(
        generate_screen_events(np.random.default_rng(4), DATES, "Europe/Oslo", np.ones(14))
    )
    for key in PHONE_USE_IDS:
        assert np.nanmean(ill.values[key]) > np.nanmean(well.values[key]), key


def test_synthetic_typing_moves_in_the_published_directions() -> None:
    well = daily_typing(
        generate_keystrokes(np.random.default_rng(4), DATES, "Europe/Oslo", np.zeros(14))
    )
    ill = daily_typing(
        generate_keystrokes(np.random.default_rng(4), DATES, "Europe/Oslo", np.ones(14))
    )

    def m(t: object, key: str) -> float:
        return float(np.nanmean(t.values[key]))  # type: ignore[attr-defined]

    for key in (
        "typing.iki_median_ms",
        "typing.speed_cv",
        "typing.backspace_rate",
        "typing.night_share",
    ):
        assert m(ill, key) > m(well, key), key
    assert m(ill, "typing.sessions") < m(well, "typing.sessions")
    for key in TYPING_IDS:
        spec = REGISTRY[key]
        col = well.values[key][np.isfinite(well.values[key])]
        assert ((col >= spec.valid_min) & (col <= spec.valid_max)).all(), key
