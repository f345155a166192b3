"""Registry entries of the sleep-regularity, cosinor, activity-bout and step biomarkers.

Kept apart from :mod:`bedside.biomarkers.registry`, which appends them to ``REGISTRY``.
"""

from __future__ import annotations

from bedside.biomarkers.spec_factory import make_spec
from bedside.domain import BiomarkerSpec, Concern, Modality

__all__ = ["RHYTHM_SPECS"]

_PHILLIPS = (
    "Phillips AJK et al. Irregular sleep/wake patterns are associated with poorer academic "
    "performance and delayed circadian and sleep/wake timing. Sci Rep 2017;7:3216"
)
_WITTMANN = (
    "Wittmann M, Dinich J, Merrow M, Roenneberg T. Social jetlag: misalignment of biological "
    "and social time. Chronobiol Int 2006;23(1-2):497-509"
)
_CORNELISSEN = (
    "Cornelissen G. Cosinor-based rhythmometry. Theor Biol Med Model 2014;11:16 "
    "(single-component 24-h cosinor, least squares)"
)
_MATTHEWS = (
    "Matthews CE et al. Amount of time spent in sedentary behaviors in the United States, "
    "2003-2004. Am J Epidemiol 2008;167(7):875-881 (sedentary < 100 counts/min)"
)
_FREEDSON = (
    "Freedson PS, Melanson E, Sirard J. Calibration of the Computer Science and Applications, "
    "Inc. accelerometer. Med Sci Sports Exerc 1998;30(5):777-781 (>= 1952 counts/min)"
)
_SLEEP_RECORDS = (
    "Time in bed to sleep onset from in-bed and asleep intervals of a sleep record "
    "(Open mHealth sleep-episode; Apple HealthKit sleep analysis)"
)
_STEPS = "Daily total of step-count records (Open mHealth step-count; LOINC 41950-7)"


def _spec(
    id: str,
    display: str,
    unit: str,
    concern: Concern,
    valid: tuple[float, float],
    citation: str,
    modality: Modality = Modality.ACTIGRAPHY,
    loinc: str | None = None,
) -> BiomarkerSpec:
    return make_spec(id, display, unit, concern, valid, citation, loinc, modality=modality)


RHYTHM_SPECS: tuple[BiomarkerSpec, ...] = (
    _spec(
        "sleep.sri", "Sleep Regularity Index (7 days)", "1", Concern.DOWN, (-100, 100), _PHILLIPS
    ),
    _spec(
        "sleep.social_jetlag_min", "Social jetlag (7 days)", "min", Concern.UP, (0, 720), _WITTMANN
    ),
    _spec(
        "sleep.latency_min",
        "Sleep latency",
        "min",
        Concern.UP,
        (0, 720),
        _SLEEP_RECORDS,
        modality=Modality.SLEEP_RECORDS,
    ),
    _spec(
        "circadian.cosinor_mesor",
        "Cosinor mesor (7 days)",
        "{count}/min",
        Concern.DOWN,
        (-1e4, 1e4),
        _CORNELISSEN,
    ),
    _spec(
        "circadian.cosinor_amplitude",
        "Cosinor amplitude (7 days)",
        "{count}/min",
        Concern.DOWN,
        (0, 1e4),
        _CORNELISSEN,
    ),
    _spec(
        "circadian.cosinor_acrophase_min",
        "Cosinor acrophase (7 days)",
        "min",
        Concern.BOTH,
        (0, 1440),
        _CORNELISSEN,
    ),
    _spec("activity.active_min", "Active minutes", "min", Concern.DOWN, (0, 1500), _FREEDSON),
    _spec("activity.sedentary_min", "Sedentary time", "min", Concern.UP, (0, 1500), _MATTHEWS),
    _spec(
        "activity.sedentary_bout_max_min",
        "Longest sedentary bout",
        "min",
        Concern.UP,
        (0, 1500),
        _MATTHEWS,
    ),
    _spec(
        "activity.steps",
        "Steps",
        "{steps}/d",
        Concern.DOWN,
        (0, 1e5),
        _STEPS,
        modality=Modality.STEPS,
        loinc="41950-7",
    ),
)
