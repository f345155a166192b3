"""Evidence a clinician can check: trends, risk, contributions and coverage, in words."""

from __future__ import annotations

import datetime as dt

from bedside.biomarkers.registry import REGISTRY, get_spec
from bedside.domain import (
    Contribution,
    Evidence,
    MedicationRecord,
    Modality,
    Phq9Response,
    RiskEstimate,
    TrendDirection,
    TrendFinding,
)

__all__ = [
    "contribution_evidence",
    "coverage_evidence",
    "human_unit",
    "medication_evidence",
    "phq9_evidence",
    "risk_evidence",
    "trend_evidence",
]

_UNIT_WORDS = {"1": "", "{count}": "counts", "{count}/min": "counts/min", "min": "min", "%": "%"}


def human_unit(ucum: str) -> str:
    """A UCUM code as clinicians read it (``{count}/min`` -> ``counts/min``; ``1`` -> empty)."""
    return _UNIT_WORDS.get(ucum, ucum)


def _with_unit(value: float, ucum: str) -> str:
    unit = human_unit(ucum)
    return f"{value:.3g} {unit}" if unit and unit != "%" else f"{value:.3g}{unit}"


def trend_evidence(trend: TrendFinding) -> Evidence:
    """One verified trend as evidence (display name and unit from the biomarker registry)."""
    spec = get_spec(trend.biomarker)
    word = "up" if trend.direction is TrendDirection.UP else "down"
    statement = (
        f"{spec.display} {word} by {_with_unit(abs(trend.size), spec.unit)} "
        f"(robust z {trend.robust_z:+.1f}) since {trend.onset_date.isoformat()}, sustained "
        f"{trend.days_sustained} days to {trend.detection_date.isoformat()}; data coverage "
        f"{trend.coverage:.0%}; detector false-alarm rate "
        f"{trend.false_alarm_rate_per_year:.2g} per patient-year."
    )
    return Evidence(
        kind="trend",
        label=spec.display,
        statement=statement,
        biomarker=spec.id,
        value=trend.size,
        unit=spec.unit,
        onset_date=trend.onset_date,
    )


def risk_evidence(risk: RiskEstimate, threshold: float) -> Evidence:
    """The calibrated episode risk with its interval, model and the protocol threshold."""
    statement = (
        f"Calibrated probability of a depressive episode (PHQ-9 >= 10) now or within 14 days: "
        f"{risk.probability:.0%} (interval {risk.interval_low:.0%}-{risk.interval_high:.0%}) as "
        f"of {risk.as_of.isoformat()}, model {risk.model_id} version {risk.model_version}; "
        f"protocol threshold {threshold:.0%}."
    )
    return Evidence(
        kind="risk",
        label="Episode risk",
        statement=statement,
        value=risk.probability,
        unit="1",
    )


def contribution_evidence(contribution: Contribution) -> Evidence:
    """A top model contribution: the biomarker's recent value against the patient's baseline."""
    spec = REGISTRY.get(contribution.biomarker)
    label = spec.display if spec is not None else contribution.biomarker
    unit = spec.unit if spec is not None else "1"
    value = "missing" if contribution.value is None else _with_unit(contribution.value, unit)
    baseline = (
        "unknown" if contribution.baseline is None else _with_unit(contribution.baseline, unit)
    )
    statement = (
        f"{label}: 7-day mean {value} vs personal baseline {baseline} "
        f"(contribution {contribution.contribution:+.2f} log-odds)."
    )
    return Evidence(
        kind="biomarker",
        label=label,
        statement=statement,
        biomarker=contribution.biomarker,
        value=contribution.value,
        baseline=contribution.baseline,
        unit=unit,
    )


def coverage_evidence(modality: Modality, fraction: float, day: dt.date) -> Evidence:
    """How much raw data a modality had on the finding's day."""
    return Evidence(
        kind="coverage",
        label=f"{modality.value} coverage",
        statement=f"{modality.value.replace('_', ' ').capitalize()} data coverage on "
        f"{day.isoformat()}: {fraction:.0%} of the day.",
        value=fraction,
        unit="1",
    )


def phq9_evidence(response: Phq9Response, note: str = "") -> Evidence:
    """A completed PHQ-9: total, item 9 and where it came from."""
    statement = (
        f"PHQ-9 on {response.date.isoformat()} ({response.source}): total {response.total}/27, "
        f"item 9 (thoughts of death or self-harm) scored {response.item9}/3."
        + (f" {note}" if note else "")
    )
    return Evidence(
        kind="phq9",
        label="PHQ-9",
        statement=statement,
        value=float(response.total),
        unit="{score}",
        onset_date=response.date,
    )


def medication_evidence(medication: MedicationRecord) -> Evidence:
    """A medication start or dose change from the EHR."""
    dose = (
        f", {medication.dose_mg_per_day:g} mg/day" if medication.dose_mg_per_day is not None else ""
    )
    event = "dose change" if medication.kind == "dose_change" else "start"
    return Evidence(
        kind="medication",
        label=medication.name,
        statement=f"{medication.name} {event} on {medication.start.isoformat()}{dose} (EHR).",
        value=medication.dose_mg_per_day,
        unit="mg/d" if medication.dose_mg_per_day is not None else None,
        onset_date=medication.start,
    )
