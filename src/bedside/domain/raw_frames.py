"""The raw per-modality frames a patient's device holds, as one typed union."""

from __future__ import annotations

from bedside.domain.audio_clips import AudioClipFrame
from bedside.domain.cardiac_recording import CardiacRecording
from bedside.domain.gps_samples import GpsFrame
from bedside.domain.keystroke_samples import KeystrokeFrame
from bedside.domain.samples import SampleFrame
from bedside.domain.screen_events import ScreenEventFrame
from bedside.domain.sleep_episodes import SleepEpisodeFrame
from bedside.domain.text_entries import TextEntryFrame

__all__ = ["RawFrame"]

RawFrame = (
    SampleFrame
    | SleepEpisodeFrame
    | GpsFrame
    | ScreenEventFrame
    | KeystrokeFrame
    | CardiacRecording
    | AudioClipFrame
    | TextEntryFrame
)
"""Any raw frame: 1-D value series (`SampleFrame`) or a modality's own typed frame."""
