"""Registry entries of the cardiac daily biomarkers (heart rate and heart-rate variability).

Directions of concern follow the depression literature: resting and nocturnal heart rate are
raised and time-domain HRV is lowered in major depression (Carney RM, Freedland KE, Veith RC.
Depression, the autonomic nervous system, and coronary heart disease. Psychosom Med
2005;67(Suppl 1):S29-S33; Kemp AH et al. Impact of depression and antidepressant treatment on
heart rate variability: a review and meta-analysis. Biol Psychiatry 2010;67(11):1067-1074;
Koch C et al. A meta-analysis of heart rate variability in major depression. Psychol Med
2019;49(12):1948-1957).
"""

from __future__ import annotations

from functools import partial

from bedside.biomarkers.spec_factory import make_spec
from bedside.domain import BiomarkerSpec, Concern, Modality

__all__ = ["CARDIAC_IDS", "CARDIAC_SPECS"]

_spec = partial(make_spec, modality=Modality.HEART_RATE)

_TASK_FORCE = (
    "Task Force of the ESC and NASPE. Heart rate variability: standards of measurement, "
    "physiological interpretation and clinical use. Circulation 1996;93:1043-1065"
)
_DEPRESSION_HR = (
    "Carney RM, Freedland KE, Veith RC. Depression, the autonomic nervous system, and coronary "
    "heart disease. Psychosom Med 2005;67(Suppl 1):S29-S33"
)
_DEPRESSION_HRV = (
    "Kemp AH et al. Impact of depression and antidepressant treatment on heart rate "
    "variability: a review and meta-analysis. Biol Psychiatry 2010;67(11):1067-1074; " + _TASK_FORCE
)


CARDIAC_SPECS: tuple[BiomarkerSpec, ...] = (
    _spec(
        "cardiac.resting_hr_bpm",
        "Resting heart rate (lowest 30-min mean of the day)",
        "/min",
        Concern.UP,
        (25, 200),
        _DEPRESSION_HR,
        loinc="40443-4",
    ),
    _spec(
        "cardiac.mean_hr_bpm",
        "Mean heart rate",
        "/min",
        Concern.UP,
        (25, 220),
        _DEPRESSION_HR,
        loinc="8867-4",
    ),
    _spec(
        "cardiac.nocturnal_hr_bpm",
        "Nocturnal heart rate (00:00-06:00 local mean)",
        "/min",
        Concern.UP,
        (25, 200),
        _DEPRESSION_HR,
    ),
    _spec(
        "cardiac.rmssd_ms",
        "HRV RMSSD (nocturnal 5-min segments, median)",
        "ms",
        Concern.DOWN,
        (0, 500),
        _DEPRESSION_HRV,
    ),
    _spec(
        "cardiac.sdnn_ms",
        "HRV SDNN (nocturnal 5-min segments, median)",
        "ms",
        Concern.DOWN,
        (0, 500),
        _DEPRESSION_HRV,
        loinc="80404-7",
    ),
)

CARDIAC_IDS: tuple[str, ...] = tuple(spec.id for spec in CARDIAC_SPECS)
