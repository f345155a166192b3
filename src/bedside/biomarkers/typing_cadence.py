"""Daily typing cadence from keystroke timing metadata only (never content).

BiAffect-style markers (Zulueta J et al. Predicting mood disturbance severity with mobile phone
keystroke metadata: a BiAffect digital phenotyping study. J Med Internet Res 2018;20(7):e241;
Vesel C et al. Effects of mood and aging on keystroke dynamics metadata and their diurnal
patterns in a large open-science sample: a BiAffect iOS study. J Am Med Inform Assoc
2020;27(7):1007-1018):

- inter-key interval (IKI): time between two consecutive alphanumeric presses of one session,
  kept when within [``min_iki_ms``, ``max_iki_ms``] (longer gaps are pauses, not cadence);
  median and interquartile range per local day, ms;
- typing speed variability: coefficient of variation of the per-session median IKI across the
  day's sessions with at least ``min_session_ikis`` intervals;
- sessions per day and mean session length (first to last press, s); a session belongs to the
  local day of its first press;
- backspace rate: backspaces / all presses;
- night share: presses between 00:00 and 06:00 local / all presses.

Values are NaN on days with fewer than ``min_ikis`` valid intervals or under ``min_coverage``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.event_days import event_days
from bedside.domain import DailyBiomarkerTable, Modality, PatientId
from bedside.domain.keystroke_samples import KeyKind, KeystrokeFrame

__all__ = ["TYPING_IDS", "daily_typing"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TYPING_IDS = (
    "typing.iki_median_ms",
    "typing.iki_iqr_ms",
    "typing.speed_cv",
    "typing.sessions",
    "typing.session_length_s",
    "typing.backspace_rate",
    "typing.night_share",
)


def _grouped_quantiles(
    group: IntArray, x: FloatArray, n_groups: int, qs: tuple[float, ...]
) -> list[FloatArray]:
    """Linear-interpolation quantiles of `x` within each group (numpy's default method)."""
    order = np.lexsort((x, group))
    g, v = group[order], x[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = []
    for q in qs:
        res = np.full(n_groups, np.nan)
        has = counts > 0
        pos = starts[has] + q * (counts[has] - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, starts[has] + counts[has] - 1)
        frac = pos - lo
        res[has] = v[lo] + (v[hi] - v[lo]) * frac
        out.append(res)
    return out


def daily_typing(
    frame: KeystrokeFrame,
    *,
    min_iki_ms: float = 30.0,
    max_iki_ms: float = 5000.0,
    min_ikis: int = 20,
    min_session_ikis: int = 5,
    min_coverage: float = 0.5,
) -> DailyBiomarkerTable:
    """Daily typing-cadence biomarkers of one patient (see the module docstring).

    Parameters
    ----------
    frame : KeystrokeFrame
    min_iki_ms, max_iki_ms : float
        Accepted inter-key interval range, ms.
    min_ikis : int
        Fewer valid intervals in a day make its values NaN.
    min_session_ikis : int
        Sessions with fewer intervals do not enter the speed variability.
    min_coverage : float
        Days with less than this share inside observed hours are NaN.

    Returns
    -------
    DailyBiomarkerTable
        Columns `TYPING_IDS`; ``coverage[Modality.TYPING]``.
    """
    t_ms = frame.time_utc_ms
    days = event_days(np.floor_divide(t_ms, 1000), frame.zone, frame.observed_hours_utc)
    n = days.n_days
    day = days.day
    kind = frame.kind
    sess = frame.session
    n_keys = np.bincount(day, minlength=n).astype(np.float64)
    # Inter-key intervals between consecutive alphanumeric presses of one session.
    alnum = kind == int(KeyKind.ALPHANUMERIC)
    same = np.zeros(t_ms.size, dtype=bool)
    if t_ms.size > 1:
        same[1:] = (sess[1:] == sess[:-1]) & alnum[1:] & alnum[:-1]
    iki = np.diff(t_ms, prepend=t_ms[:1]).astype(np.float64)
    ok = same & (iki >= min_iki_ms) & (iki <= max_iki_ms)
    # A session's intervals count on the day of its first press.
    new_sess = np.ones(t_ms.size, dtype=bool)
    new_sess[1:] = sess[1:] != sess[:-1]
    sess_idx = np.cumsum(new_sess) - 1
    first = np.flatnonzero(new_sess)
    last = np.r_[first[1:] - 1, t_ms.size - 1] if first.size else first
    sess_day = day[first]
    iki_day = sess_day[sess_idx[ok]]
    n_iki = np.bincount(iki_day, minlength=n)
    q25, q50, q75 = _grouped_quantiles(iki_day, iki[ok], n, (0.25, 0.5, 0.75))
    # Per-session median IKI, then its coefficient of variation across the day's sessions.
    n_sess_iki = np.bincount(sess_idx[ok], minlength=first.size)
    (sess_med,) = _grouped_quantiles(sess_idx[ok], iki[ok], first.size, (0.5,))
    usable = n_sess_iki >= min_session_ikis
    cnt = np.bincount(sess_day[usable], minlength=n).astype(np.float64)
    s1 = np.bincount(sess_day[usable], weights=sess_med[usable], minlength=n)
    s2 = np.bincount(sess_day[usable], weights=sess_med[usable] ** 2, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / cnt
        sd = np.sqrt(np.maximum(s2 - cnt * mean**2, 0.0) / (cnt - 1.0))
        cv = np.where(cnt >= 2, sd / mean, np.nan)
    n_sessions = np.bincount(sess_day, minlength=n).astype(np.float64)
    length_s = (t_ms[last] - t_ms[first]).astype(np.float64) / 1000.0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_len = np.bincount(sess_day, weights=length_s, minlength=n) / n_sessions
        backspace = (
            np.bincount(day[kind == int(KeyKind.BACKSPACE)], minlength=n).astype(np.float64)
            / n_keys
        )
        night = np.bincount(day[days.wall_s < 6 * 3600], minlength=n).astype(np.float64) / n_keys
    values: dict[str, FloatArray] = {
        "typing.iki_median_ms": q50,
        "typing.iki_iqr_ms": q75 - q25,
        "typing.speed_cv": cv,
        "typing.sessions": n_sessions,
        "typing.session_length_s": mean_len,
        "typing.backspace_rate": backspace,
        "typing.night_share": night,
    }
    low = days.coverage < min_coverage
    few = low | (n_iki < min_ikis)
    for key, col in values.items():
        # A covered day without typing has 0 sessions; its cadence is unknown.
        col[low if key == "typing.sessions" else few] = np.nan
    return DailyBiomarkerTable(
        patient_id=PatientId(frame.patient_id),
        zone=frame.zone,
        dates=days.dates,
        values={k: np.asarray(v, dtype=np.float64) for k, v in values.items()},
        coverage={Modality.TYPING: days.coverage},
    )
