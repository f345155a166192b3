"""Speech timing from the intensity contour: syllable nuclei, speech rate and pauses.

Syllable nuclei follow de Jong NH, Wempe T. Praat script to detect syllable nuclei and measure
speech rate automatically. Behavior Research Methods 2009;41(2):385-390
(doi:10.3758/BRM.41.2.385):

* the silence threshold is the 0.99 quantile of the frame intensity minus ``silence_db``
  (25 dB), or the lowest intensity if that is higher;
* nuclei are local maxima of the intensity contour (smoothed over three frames) above the
  threshold, each of which must rise more than ``min_dip_db`` (2 dB) above the lowest intensity
  since the previous maximum (the first maximum needs no dip), and must be voiced;
* frames at or above the threshold (and above -100 dB re full scale) are sounding; internal
  silent stretches of at least ``min_pause_s`` (0.3 s here; de Jong & Wempe's default) are pauses.

The speaking span runs from the first to the last sounding frame (leading and trailing silence
is the recorder's, not the speaker's). Speech rate = nuclei / span (syllables per second);
pause share = total pause time / span.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.voice_pitch import PitchTrack

__all__ = ["SpeechTiming", "speech_timing"]

FloatArray = npt.NDArray[np.float64]

_SILENT_DB = -100.0


@dataclass(frozen=True, slots=True)
class SpeechTiming:
    """Timing of one clip.

    Attributes
    ----------
    span_s : float
        First to last sounding frame, s (0 when nothing sounds).
    n_nuclei : int
        Syllable nuclei.
    pauses_s : ndarray of float64
        Length of each internal pause, s.
    threshold_db : float
        Silence threshold used, dB re full scale.
    sounding : ndarray of bool, shape (n_frames,)
        Frames at or above the threshold.
    """

    span_s: float
    n_nuclei: int
    pauses_s: FloatArray
    threshold_db: float
    sounding: npt.NDArray[np.bool_]

    @property
    def speech_rate(self) -> float:
        """Syllable nuclei per second of span; NaN when nothing sounds."""
        return self.n_nuclei / self.span_s if self.span_s > 0 else float("nan")

    @property
    def pause_share(self) -> float:
        """Pause time / span (0-1); NaN when nothing sounds."""
        return float(self.pauses_s.sum()) / self.span_s if self.span_s > 0 else float("nan")


def speech_timing(
    track: PitchTrack,
    *,
    silence_db: float = 25.0,
    min_dip_db: float = 2.0,
    min_pause_s: float = 0.3,
) -> SpeechTiming:
    """Syllable nuclei and pauses of one clip from its frame intensities.

    Parameters
    ----------
    track : PitchTrack
        Frame analysis of the clip (intensity and voicing).
    silence_db : float
        Threshold below the 0.99 intensity quantile, dB.
    min_dip_db : float
        Least rise of a nucleus above the lowest intensity since the previous maximum, dB.
    min_pause_s : float
        Shortest internal silence counted as a pause, s.

    Returns
    -------
    SpeechTiming
    """
    inten = track.intensity_db
    n = inten.size
    if n < 3:
        empty = np.zeros(0)
        return SpeechTiming(0.0, 0, empty, float("nan"), np.zeros(n, dtype=bool))
    threshold = max(float(np.quantile(inten, 0.99)) - silence_db, float(inten.min()))
    # Digital silence (at the intensity floor) never sounds, whatever the threshold.
    sounding = (inten >= threshold) & (inten > _SILENT_DB)
    idx = np.flatnonzero(sounding)
    if idx.size == 0:
        return SpeechTiming(0.0, 0, np.zeros(0), threshold, sounding)
    step = track.step_s
    span = (int(idx[-1]) - int(idx[0]) + 1) * step
    # Pauses: runs of silent frames strictly inside the span.
    inner = ~sounding[idx[0] : idx[-1] + 1]
    edges = np.diff(np.concatenate(([0], inner.astype(np.int8), [0])))
    lengths = (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)) * step
    pauses = lengths[lengths >= min_pause_s - 1e-9].astype(np.float64)
    smooth = np.convolve(inten, np.ones(3) / 3.0, mode="same")
    smooth[0], smooth[-1] = inten[0], inten[-1]
    mid = smooth[1:-1]
    peaks = np.flatnonzero((mid > smooth[:-2]) & (mid >= smooth[2:]) & (mid >= threshold)) + 1
    n_nuclei = 0
    if peaks.size:
        # Lowest intensity between consecutive maxima: reduceat over [p_{j-1}, p_j).
        dips = np.minimum.reduceat(smooth, peaks)[:-1]
        rise = smooth[peaks[1:]] - dips
        keep = np.concatenate(([True], rise > min_dip_db))
        nuclei = peaks[keep]
        n_nuclei = int(np.count_nonzero(track.voiced[nuclei]))
    return SpeechTiming(span, n_nuclei, pauses, threshold, sounding)
