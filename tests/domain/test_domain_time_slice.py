"""Time slices of raw frames: half-open UTC intervals, same type, observed hours made explicit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedside.domain import InputFormatError, Modality, PatientId, SampleFrame
from bedside.domain.audio_clips import AudioClip, AudioClipFrame
from bedside.domain.screen_events import ScreenEventFrame
from bedside.domain.text_entries import TextEntryFrame
from bedside.domain.time_slice import frame_span, slice_frame

P = PatientId("p")
Z = "Europe/Oslo"


@given(
    times=st.lists(st.integers(0, 10_000), unique=True, max_size=40).map(sorted),
    cut=st.integers(-10, 10_010),
)
def test_adjacent_slices_partition_a_sample_frame(times: list[int], cut: int) -> None:
    t = np.array(times, dtype=np.int64)
    frame = SampleFrame(P, Modality.STEPS, Z, t, t.astype(np.float64) * 2.0)
    left, right = slice_frame(frame, -100, cut), slice_frame(frame, cut, 20_000)
    assert isinstance(left, SampleFrame)
    assert isinstance(right, SampleFrame)
    np.testing.assert_array_equal(np.concatenate([left.time_utc, right.time_utc]), t)
    np.testing.assert_array_equal(np.concatenate([left.value, right.value]), frame.value)
    assert (left.time_utc < cut).all()
    assert (right.time_utc >= cut).all()


def test_implicit_observed_hours_become_the_hours_the_slice_touches() -> None:
    # events from hour 10 to hour 20 (ms); no explicit observed hours: every hour between counts
    ms = np.array([10 * 3600_000 + 5, 15 * 3600_000, 20 * 3600_000 + 9], dtype=np.int64)
    frame = ScreenEventFrame(P, Z, ms, np.array([1, 2, 1], dtype=np.int8))
    part = slice_frame(frame, 12 * 3600 + 30, 14 * 3600)  # no events inside, hours 12 and 13
    assert isinstance(part, ScreenEventFrame)
    assert len(part) == 0
    assert part.observed_hours_utc is not None
    np.testing.assert_array_equal(part.observed_hours_utc, [12, 13])
    assert frame_span(part) == (12 * 3600, 13 * 3600 + 3599)


def test_text_entries_audio_clips_and_a_reversed_interval() -> None:
    text = TextEntryFrame(P, Z, np.array([5, 50, 500], dtype=np.int64), ("a", "b", "c"))
    part = slice_frame(text, 50, 500)
    assert isinstance(part, TextEntryFrame)
    assert part.texts == ("b",)
    clips = AudioClipFrame(P, Z, tuple(AudioClip(s, 10, np.zeros(25)) for s in (0, 100)))
    one = slice_frame(clips, 1, 101)
    assert isinstance(one, AudioClipFrame)
    assert [c.start_utc for c in one.clips] == [100]
    assert frame_span(clips) == (0, 103)
    with pytest.raises(InputFormatError, match=r"ends \(5\) before it starts"):
        slice_frame(text, 10, 5)
