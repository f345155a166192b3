"""The raw per-modality frames a patient's device holds, as one typed union."""

from __future__ import annotations

from bedside.domain.samples import SampleFrame
from bedside.domain.sleep_episodes import SleepEpisodeFrame

__all__ = ["RawFrame"]

RawFrame = SampleFrame | SleepEpisodeFrame
"""Any raw frame: 1-D value series (`SampleFrame`) or a modality's own typed frame."""
