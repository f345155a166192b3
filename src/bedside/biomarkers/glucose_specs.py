"""Registry entries of the continuous-glucose daily biomarkers.

Metric definitions follow the international consensus on time in range (Battelino T et al.
Diabetes Care 2019;42(8):1593-1603); LOINC codes are those the HL7 FHIR CGM implementation guide
maps its summary codes to (ConceptMap CGMSummaryToLoinc), given only where the code means the
same quantity and whose LOINC display we could confirm (GMI and CV have LOINC codes in the
guide too, 97506-0 and 104638-2, but their official displays were not available offline, so
they are left uncoded rather than guessed; the guide's "low" and "high" bands are 54-69 and
181-250 mg/dL, not the
cumulative below-70 and above-180 shares computed here, so those carry no LOINC).

Directions of concern: depression goes with poorer glycaemic control (Lustman PJ et al.
Depression and poor glycemic control: a meta-analytic review of the literature. Diabetes Care
2000;23(7):934-942), so higher mean, variability and time above range are adverse; time below
range is adverse in itself.
"""

from __future__ import annotations

from bedside.biomarkers.spec_factory import make_spec
from bedside.domain import BiomarkerSpec, Concern, Modality

__all__ = ["GLUCOSE_IDS", "GLUCOSE_SPECS"]

_BATTELINO = (
    "Battelino T et al. Clinical targets for continuous glucose monitoring data interpretation: "
    "recommendations from the international consensus on time in range. Diabetes Care "
    "2019;42(8):1593-1603. doi:10.2337/dci19-0028"
)
_BERGENSTAL = (
    "Bergenstal RM et al. Glucose management indicator (GMI): a new term for estimating A1C "
    "from continuous glucose monitoring. Diabetes Care 2018;41(11):2275-2280"
)
_SERVICE = (
    "Service FJ et al. Mean amplitude of glycemic excursions, a measure of diabetic "
    "instability. Diabetes 1970;19(9):644-655"
)


def _spec(
    id: str,
    display: str,
    unit: str,
    concern: Concern,
    valid: tuple[float, float],
    citation: str = _BATTELINO,
    loinc: str | None = None,
) -> BiomarkerSpec:
    return make_spec(id, display, unit, concern, valid, citation, loinc, modality=Modality.GLUCOSE)


_PCT = (0.0, 100.0)
_MGDL = (20.0, 600.0)

GLUCOSE_SPECS: tuple[BiomarkerSpec, ...] = (
    _spec("glucose.mean_mgdl", "Mean glucose", "mg/dL", Concern.UP, _MGDL, loinc="97507-8"),
    _spec("glucose.sd_mgdl", "Glucose SD", "mg/dL", Concern.UP, (0, 300)),
    _spec("glucose.cv_pct", "Glucose CV", "%", Concern.UP, (0, 200)),
    _spec(
        "glucose.tir_pct", "Time in range 70-180 mg/dL", "%", Concern.DOWN, _PCT, loinc="97510-2"
    ),
    _spec("glucose.tbr70_pct", "Time below 70 mg/dL", "%", Concern.UP, _PCT),
    _spec("glucose.tbr54_pct", "Time below 54 mg/dL", "%", Concern.UP, _PCT, loinc="104642-4"),
    _spec("glucose.tar180_pct", "Time above 180 mg/dL", "%", Concern.UP, _PCT),
    _spec("glucose.tar250_pct", "Time above 250 mg/dL", "%", Concern.UP, _PCT),
    _spec(
        "glucose.gmi_pct",
        "Glucose management indicator",
        "%",
        Concern.UP,
        (3.0, 20.0),
        _BERGENSTAL,
    ),
    _spec("glucose.mage_mgdl", "MAGE", "mg/dL", Concern.UP, (0, 600), _SERVICE),
    _spec("glucose.night_mean_mgdl", "Nocturnal mean glucose (00-06)", "mg/dL", Concern.UP, _MGDL),
    _spec("glucose.day_mean_mgdl", "Daytime mean glucose (06-24)", "mg/dL", Concern.UP, _MGDL),
    _spec("glucose.night_tbr70_pct", "Nocturnal time below 70 mg/dL", "%", Concern.UP, _PCT),
)

GLUCOSE_IDS: tuple[str, ...] = tuple(spec.id for spec in GLUCOSE_SPECS)
