"""The biomarker registry: every daily biomarker Bedside computes, with unit, code and concern.

Units are UCUM codes. Clock-time biomarkers (``*_onset_min``, ``*_offset_min``, ``*_midpoint_min``)
are minutes relative to local midnight at the start of the day they belong to; sleep belongs to the
day the patient wakes up, so a sleep onset at 23:00 the evening before is -60.
"""

from __future__ import annotations

from collections.abc import Iterable

from bedside.biomarkers.cardiac_specs import CARDIAC_SPECS
from bedside.biomarkers.cortisol_specs import CORTISOL_SPECS
from bedside.biomarkers.glucose_specs import GLUCOSE_SPECS
from bedside.biomarkers.language_specs import LANGUAGE_SPECS
from bedside.biomarkers.mobility_specs import MOBILITY_SPECS
from bedside.biomarkers.phone_specs import PHONE_USE_SPECS, TYPING_SPECS
from bedside.biomarkers.registry_rhythm import RHYTHM_SPECS
from bedside.biomarkers.spec_factory import make_spec
from bedside.biomarkers.voice_specs import VOICE_SPECS
from bedside.domain import BiomarkerSpec, Concern, Modality

__all__ = ["REGISTRY", "get_spec", "specs_for"]

_ACT = Modality.ACTIGRAPHY
_GARCIA_CEJA = (
    "Garcia-Ceja E et al. Depresjon: a motor activity database of depression episodes in "
    "unipolar and bipolar patients. MMSys 2018. doi:10.1145/3204949.3208125"
)
_COLE_KRIPKE = (
    "Cole RJ, Kripke DF, Gruen W, Mullaney DJ, Gillin JC. Automatic sleep/wake identification "
    "from wrist activity. Sleep 1992;15(5):461-469"
)
_VAN_SOMEREN = (
    "Van Someren EJW et al. Bright light therapy: improved sensitivity to its effects on "
    "rest-activity rhythms in Alzheimer patients by application of nonparametric methods. "
    "Chronobiol Int 1999;16(4):505-518; definitions as implemented in pyActigraphy "
    "(Hammad G et al. PLoS Comput Biol 2021;17(8):e1009028)"
)


def _spec(
    id: str,
    display: str,
    unit: str,
    concern: Concern,
    valid: tuple[float, float],
    citation: str,
    loinc: str | None = None,
    modality: Modality = _ACT,
) -> BiomarkerSpec:
    return make_spec(id, display, unit, concern, valid, citation, loinc, modality=modality)


_SPECS: tuple[BiomarkerSpec, ...] = (
    # Activity: the three features of the Depresjon paper plus the daily total.
    _spec(
        "activity.total_counts", "Total activity", "{count}", Concern.DOWN, (0, 2e7), _GARCIA_CEJA
    ),
    _spec(
        "activity.mean_counts", "Mean activity", "{count}/min", Concern.DOWN, (0, 1e4), _GARCIA_CEJA
    ),
    _spec("activity.sd_counts", "Activity SD", "{count}/min", Concern.DOWN, (0, 1e4), _GARCIA_CEJA),
    _spec(
        "activity.zero_fraction",
        "Share of minutes without activity",
        "1",
        Concern.UP,
        (0, 1),
        _GARCIA_CEJA,
    ),
    # Sleep, scored minute by minute with Cole-Kripke; the main sleep period ending on the day.
    _spec("sleep.onset_min", "Sleep onset", "min", Concern.UP, (-720, 720), _COLE_KRIPKE),
    _spec(
        "sleep.offset_min",
        "Sleep offset (wake-up)",
        "min",
        Concern.BOTH,
        (-720, 1440),
        _COLE_KRIPKE,
    ),
    _spec("sleep.midpoint_min", "Sleep midpoint", "min", Concern.UP, (-720, 1080), _COLE_KRIPKE),
    _spec(
        "sleep.duration_min",
        "Sleep duration",
        "min",
        Concern.BOTH,
        (0, 1440),
        _COLE_KRIPKE,
        loinc="93832-4",
    ),
    _spec("sleep.efficiency", "Sleep efficiency", "%", Concern.DOWN, (0, 100), _COLE_KRIPKE),
    _spec("sleep.waso_min", "Wake after sleep onset", "min", Concern.UP, (0, 1440), _COLE_KRIPKE),
    # Nonparametric circadian measures over the 7 days ending on the day.
    # pyActigraphy divides sample variances (ddof=1): IS of a perfectly periodic week is
    # (24*7 - 1) / (23*7) = 1.037, and above that when clock hours hold unequal numbers of days
    # (partial first/last day), so the valid range extends to 2; IV = sum of squared
    # successive differences / sum of squared deviations is at most 4 (about 2 for white noise).
    _spec(
        "circadian.interdaily_stability",
        "Interdaily stability",
        "1",
        Concern.DOWN,
        (0, 2),
        _VAN_SOMEREN,
    ),
    _spec(
        "circadian.intradaily_variability",
        "Intradaily variability",
        "1",
        Concern.UP,
        (0, 4),
        _VAN_SOMEREN,
    ),
    _spec(
        "circadian.relative_amplitude",
        "Relative amplitude",
        "1",
        Concern.DOWN,
        (0, 1),
        _VAN_SOMEREN,
    ),
    _spec(
        "circadian.l5", "Least active 5 h (L5)", "{count}/min", Concern.UP, (0, 1e4), _VAN_SOMEREN
    ),
    _spec(
        "circadian.m10",
        "Most active 10 h (M10)",
        "{count}/min",
        Concern.DOWN,
        (0, 1e4),
        _VAN_SOMEREN,
    ),
    _spec("circadian.l5_onset_min", "L5 onset", "min", Concern.BOTH, (0, 1440), _VAN_SOMEREN),
    _spec("circadian.m10_onset_min", "M10 onset", "min", Concern.BOTH, (0, 1440), _VAN_SOMEREN),
)

REGISTRY: dict[str, BiomarkerSpec] = {
    spec.id: spec
    for spec in (
        *_SPECS,
        *CORTISOL_SPECS,
        *VOICE_SPECS,
        *MOBILITY_SPECS,
        *PHONE_USE_SPECS,
        *TYPING_SPECS,
        *CARDIAC_SPECS,
        *GLUCOSE_SPECS,
        *RHYTHM_SPECS,
        *LANGUAGE_SPECS,
    )
}


def get_spec(biomarker_id: str) -> BiomarkerSpec:
    """The registry entry of a biomarker id; KeyError names the unknown id."""
    try:
        return REGISTRY[biomarker_id]
    except KeyError:
        raise KeyError(f"unknown biomarker id {biomarker_id!r}") from None


def specs_for(ids: Iterable[str]) -> list[BiomarkerSpec]:
    """Registry entries for several ids, in the given order."""
    return [get_spec(i) for i in ids]
