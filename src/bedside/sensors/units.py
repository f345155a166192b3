"""Unit conversion and checks for imported measurements.

Glucose: mg/dL and mmol/L (18.0182 mg/dL per mmol/L; Apple Health writes mmol/L of glucose as
``mmol<180.15588...>/L``, the molar mass in brackets), converted to mg/dL; a converted value
outside 20-600 mg/dL is implausible. Because a mislabelled file would otherwise pass (5.5
"mg/dL" is implausible but 100 "mmol/L" is 1802 mg/dL), :func:`check_glucose_unit_fits`
rejects a file whose median contradicts its declared unit. Heart rate: beats per minute under
its common spellings; plausible 20-250 bpm. Durations: s, min, h, d to minutes.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from bedside.domain import InputFormatError

__all__ = [
    "GLUCOSE_PLAUSIBLE_MGDL",
    "HEART_RATE_PLAUSIBLE_BPM",
    "MGDL_PER_MMOLL",
    "check_glucose_unit_fits",
    "duration_to_min",
    "glucose_factor",
    "glucose_unit_hint",
    "heart_rate_factor",
]

MGDL_PER_MMOLL = 18.0182
GLUCOSE_PLAUSIBLE_MGDL = (20.0, 600.0)
HEART_RATE_PLAUSIBLE_BPM = (20.0, 250.0)

_MMOL_APPLE = re.compile(r"^mmol<[0-9.]+>/L$")
_HEART_RATE_UNITS = frozenset({"count/min", "beats/min", "bpm", "/min", "{beats}/min", "1/min"})
_DURATION_MIN = {"s": 1.0 / 60.0, "sec": 1.0 / 60.0, "min": 1.0, "h": 60.0, "hr": 60.0, "d": 1440.0}


def glucose_factor(unit: str) -> float | None:
    """mg/dL per one `unit` of glucose, or None when the unit is not a glucose unit."""
    u = unit.strip()
    if u.lower() == "mg/dl":
        return 1.0
    if u.lower() == "mmol/l" or _MMOL_APPLE.match(u):
        return MGDL_PER_MMOLL
    return None


def glucose_unit_hint(value: float, factor: float) -> str:
    """A hint for an implausible glucose value that would be plausible in the other unit."""
    lo, hi = GLUCOSE_PLAUSIBLE_MGDL
    if factor == 1.0 and lo <= value * MGDL_PER_MMOLL <= hi:
        return "; it looks like mmol/L: check the unit of the export"
    if factor != 1.0 and lo <= value <= hi:
        return "; it looks like mg/dL: check the unit of the export"
    return ""


def heart_rate_factor(unit: str) -> float | None:
    """bpm per one `unit` of heart rate (1.0), or None when the unit is not a rate per minute."""
    return 1.0 if unit.strip() in _HEART_RATE_UNITS else None


def duration_to_min(value: float, unit: str) -> float | None:
    """A duration in minutes, or None for an unknown unit."""
    f = _DURATION_MIN.get(unit.strip())
    return None if f is None else value * f


def check_glucose_unit_fits(
    raw: npt.NDArray[np.float64], factors: npt.NDArray[np.float64], source: str
) -> None:
    """Reject a file whose glucose values contradict their declared unit.

    Parameters
    ----------
    raw : ndarray of float64, shape (n,)
        Values as written in the file.
    factors : ndarray of float64, shape (n,)
        mg/dL per unit of each value (1 for mg/dL, 18.0182 for mmol/L).
    source : str

    Raises
    ------
    InputFormatError
        When the mg/dL-labelled values have a median below 30 (they look like mmol/L) or the
        mmol/L-labelled values a median above 35 (they look like mg/dL).
    """
    for factor, label, limit, hint in (
        (1.0, "mg/dL", 30.0, "mmol/L"),
        (MGDL_PER_MMOLL, "mmol/L", 35.0, "mg/dL"),
    ):
        sel = raw[factors == factor]
        if sel.size >= 3:
            median = float(np.median(sel))
            if (median < limit) if factor == 1.0 else (median > limit):
                raise InputFormatError(
                    source,
                    f"glucose declared in {label} has median {median:g}, which is only "
                    f"plausible in {hint}; check the unit of the export",
                    field="unit",
                )
