"""The curated biomarker set a clinic's trend monitor watches.

A device computes every registry biomarker its raw data allows (70+ columns with every
modality), but testing all of them for trends spreads the monitor's family-wise false-alarm
budget thin and, through the relapse protocol's "adverse trends in two families" rule, makes
two unrelated chance trends far more likely: with the rhythm and activity-bout columns added to
the actigraphy table the demo's false recommendations went from 1 to 11 (cohort helper's note,
2026-11-27). The monitor therefore watches a small set chosen per modality: the biomarkers with
the clearest published association with depressive episodes, and not near-copies of one another
(the cosinor mesor restates mean activity, active/sedentary minutes restate the zero fraction
and counts, social jetlag and the SRI need a week of nights and lag the change). Baselines are
still kept and reported for every column; only trend testing is restricted.
"""

from __future__ import annotations

from collections.abc import Iterable

from bedside.baseline.trend_monitor import UNWATCHED_BIOMARKERS

__all__ = ["CLINICAL_WATCH_SET", "unwatched_outside"]

CLINICAL_WATCH_SET: frozenset[str] = frozenset(
    {
        # Actigraphy: the columns watched before the rhythm columns existed (Depresjon features,
        # Cole-Kripke sleep, nonparametric circadian measures), minus UNWATCHED_BIOMARKERS.
        "activity.total_counts",
        "activity.sd_counts",
        "activity.zero_fraction",
        "sleep.onset_min",
        "sleep.offset_min",
        "sleep.duration_min",
        "sleep.efficiency",
        "sleep.waso_min",
        "circadian.interdaily_stability",
        "circadian.intradaily_variability",
        "circadian.relative_amplitude",
        "circadian.l5",
        "circadian.m10",
        # Sleep records: latency, which actigraphy cannot see (Baglioni 2016).
        "sleep.latency_min",
        # Heart: resting rate up, vagal HRV down (Carney 2005; Kemp 2010).
        "cardiac.resting_hr_bpm",
        "cardiac.rmssd_ms",
        # GPS: home time and location entropy (Saeb 2015, the strongest PHQ-9 correlates).
        "mobility.home_time_frac",
        "mobility.location_entropy",
        # Phone and typing: screen time (Saeb 2015) and inter-key delay (Zulueta 2018).
        "phone_use.screen_on_min",
        "typing.iki_median_ms",
        # Cortisol: mean level, the most consistent direction (Stetler and Miller 2011).
        "cortisol.mean_nmol_l",
        # Glucose: mean level (Lustman 2000).
        "glucose.mean_mgdl",
        # Language: first-person singular pronouns (Rude 2004; meta-analysis Edwards and
        # Holtzman 2017) and absolutist words (Al-Mosaiwi and Johnstone 2018). Measured on the
        # demo (seed 42, 2026-11-27): 11/12 caught, median delay 6 d, 2 false with or without
        # them; 77 instead of 76 recommendations.
        "language.first_person_singular_pct",
        "language.absolutist_pct",
    }
)
"""Biomarker ids a clinic's trend monitor tests for trends by default."""


def unwatched_outside(
    biomarker_ids: Iterable[str], watch_set: frozenset[str] = CLINICAL_WATCH_SET
) -> frozenset[str]:
    """The ids to pass as ``DailyTrendMonitor(unwatched=...)`` so only `watch_set` is tested.

    Parameters
    ----------
    biomarker_ids : iterable of str
        Every id a table may hold (e.g. the registry's keys).
    watch_set : frozenset of str
        The ids to watch; :data:`UNWATCHED_BIOMARKERS` stay unwatched even when listed.
    """
    return frozenset(b for b in biomarker_ids if b not in watch_set) | UNWATCHED_BIOMARKERS
