"""Registry entries of the daily cortisol biomarkers (see :mod:`bedside.biomarkers.cortisol`).

No LOINC code is given: LOINC codes name single laboratory measurements, and these are derived
daily summaries of several samples.
"""

from __future__ import annotations

from functools import partial

from bedside.biomarkers.spec_factory import make_spec
from bedside.domain import BiomarkerSpec, Concern, Modality

__all__ = ["CORTISOL_SPECS"]

_spec = partial(make_spec, modality=Modality.CORTISOL)

_PRUESSNER = (
    "Pruessner JC et al. Two formulas for computation of the area under the curve represent "
    "measures of total hormone concentration versus time-dependent change. "
    "Psychoneuroendocrinology 2003;28(7):916-931; window rules per Stalder T et al. "
    "Psychoneuroendocrinology 2016;63:414-432"
)
_ADAM = (
    "Adam EK et al. Diurnal cortisol slopes and mental and physical health outcomes: a "
    "systematic review and meta-analysis. Psychoneuroendocrinology 2017;83:25-41"
)
_STETLER = (
    "Stetler C, Miller GE. Depression and hypothalamic-pituitary-adrenal activation: a "
    "quantitative summary of four decades of research. Psychosom Med 2011;73(2):114-126"
)


CORTISOL_SPECS: tuple[BiomarkerSpec, ...] = (
    # The CAR is both blunted and exaggerated in depression depending on the study (Dedovic K,
    # Ngiam J. Neuropsychiatr Dis Treat 2015;11:1181-1189), so either direction is of concern.
    _spec(
        "cortisol.car_auci",
        "Cortisol awakening response (AUCi)",
        "nmol/L.min",
        Concern.BOTH,
        (-60000.0, 60000.0),
        _PRUESSNER,
    ),
    # Flatter (less negative) slopes go with depression (Adam et al. 2017).
    _spec(
        "cortisol.diurnal_slope_per_h",
        "Diurnal cortisol slope",
        "nmol/L/h",
        Concern.UP,
        (-200.0, 200.0),
        _ADAM,
    ),
    _spec(
        "cortisol.mean_nmol_l",
        "Mean cortisol from waking",
        "nmol/L",
        Concern.UP,
        (0.0, 2000.0),
        _STETLER,
    ),
)
