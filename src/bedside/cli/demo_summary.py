"""The demo's summary: recommendations scored against the synthetic clinic's ground truth.

Definitions (fixed by the walking-skeleton issue, and written as JSON with exactly these keys):

- ``episodes_caught``: episodes with a recommendation for that patient raised between the
  episode's onset and onset + 21 days (inclusive);
- ``median_delay_days``: median, over caught episodes, of days from onset to the first such
  recommendation (null when none was caught);
- ``false_recommendations``: recommendations raised outside every one of the patient's episodes'
  [onset, end + 7 days] windows;
- ``recommendations_per_100_patients_per_week``: recommendations raised / (patients x monitored
  days / 7) x 100.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

__all__ = ["CATCH_WINDOW_DAYS", "FALSE_ALARM_GRACE_DAYS", "DemoSummary", "summarise"]

CATCH_WINDOW_DAYS = 21
FALSE_ALARM_GRACE_DAYS = 7


@dataclass(frozen=True)
class DemoSummary:
    """The numbers `bedside demo` prints and writes with ``--summary-json``."""

    patients: int
    episodes_injected: int
    episodes_caught: int
    median_delay_days: float | None
    false_recommendations: int
    recommendations_per_100_patients_per_week: float
    seed: int

    def to_json_dict(self) -> dict[str, int | float | None]:
        return asdict(self)


def summarise(
    *,
    episodes: Mapping[str, Sequence[tuple[dt.date, dt.date]]],
    recommendation_dates: Mapping[str, Sequence[dt.date]],
    patients: int,
    monitored_days: int,
    seed: int,
) -> DemoSummary:
    """Score raised recommendations against injected episodes.

    Parameters
    ----------
    episodes : mapping of patient id to (onset, end) local dates, end inclusive
    recommendation_dates : mapping of patient id to the local dates recommendations were raised
        (each recommendation once, when first raised; updates of an open one do not count)
    patients : int
        Patients in the clinic, including those without episodes or recommendations.
    monitored_days : int
        Days each patient was monitored.
    seed : int
        The cohort's seed, echoed for reproducibility.
    """
    if patients <= 0 or monitored_days <= 0:
        raise ValueError("patients and monitored_days must be positive")
    injected = 0
    delays: list[int] = []
    false_recs = 0
    total_recs = 0
    for patient in set(episodes) | set(recommendation_dates):
        eps = list(episodes.get(patient, ()))
        recs = sorted(recommendation_dates.get(patient, ()))
        injected += len(eps)
        total_recs += len(recs)
        for onset, _end in eps:
            window_end = onset + dt.timedelta(days=CATCH_WINDOW_DAYS)
            caught = [r for r in recs if onset <= r <= window_end]
            if caught:
                delays.append((caught[0] - onset).days)
        for rec in recs:
            if not any(
                onset <= rec <= end + dt.timedelta(days=FALSE_ALARM_GRACE_DAYS)
                for onset, end in eps
            ):
                false_recs += 1
    weeks = patients * monitored_days / 7.0
    return DemoSummary(
        patients=patients,
        episodes_injected=injected,
        episodes_caught=len(delays),
        median_delay_days=float(statistics.median(delays)) if delays else None,
        false_recommendations=false_recs,
        recommendations_per_100_patients_per_week=round(100.0 * total_recs / weeks, 3),
        seed=seed,
    )
