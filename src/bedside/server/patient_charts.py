"""The patient page's charts, from what the clinic's store holds about one patient.

What the clinic has, and therefore what is drawn (raw samples never leave the device):

* daily biomarker values and the patient's baseline (median and robust SD) -- from each day's
  `Finding.biomarkers`; the band is median +- one robust SD as the device computed it that day;
* verified trends -- from `Finding.trends`: highlighted from onset to the last day the device
  still reported the trend active, with the onset marked;
* coverage -- from `Finding.coverage` of the biomarker's modality: a day with no finding, or
  with coverage below `COVERAGE_GAP_BELOW`, is shaded as a gap;
* episode risk with its interval -- from `Finding.risk`;
* PHQ-9 totals -- the clinic's PHQ-9 store (device questionnaires) plus PHQ-9 results in the
  FHIR store (QuestionnaireResponse / Observation, as the EHR reports them);
* medications -- MedicationRequest / MedicationStatement resources of the patient in the FHIR
  store (the EHR's record), marked on every chart's time axis.

Every chart of a patient shares one time axis (first to last day of any of the above within the
findings' span, medications before the span are listed but not drawn).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from bedside.biomarkers.registry import REGISTRY
from bedside.domain import BedsideError, Finding, MedicationRecord, Modality
from bedside.fhir.codes import SID, resource_id
from bedside.fhir.ehr_context import read_ehr_context
from bedside.server.svg_chart import (
    ChartEvent,
    ChartSegment,
    DailyChart,
    ReferenceLine,
    TimeAxis,
    render_chart,
)
from bedside.store import FhirResource, Store

__all__ = [
    "COVERAGE_GAP_BELOW",
    "ChartPanel",
    "FamilyCharts",
    "PatientCharts",
    "patient_charts",
]

COVERAGE_GAP_BELOW = 0.6
"""A day whose modality coverage is below this share is shaded as a gap (the relapse protocol's
default minimum coverage, `bedside.clinical.protocol`)."""

PHQ9_CUTOFFS = ((5, "mild 5"), (10, "moderate 10"), (15, "mod. severe 15"), (20, "severe 20"))
"""Kroenke, Spitzer & Williams 2001, J Gen Intern Med 16:606: PHQ-9 severity cut-offs."""


@dataclass(frozen=True)
class ChartPanel:
    """One rendered chart with the words a screen reader and a table need."""

    chart_id: str
    title: str
    summary: str
    svg: Markup


@dataclass(frozen=True)
class FamilyCharts:
    """The panels of one biomarker family (sleep, activity, ...)."""

    family: str
    panels: list[ChartPanel]


@dataclass(frozen=True)
class PatientCharts:
    """Everything the patient page draws, on one time axis (None when there are no findings)."""

    axis: TimeAxis | None
    families: list[FamilyCharts]
    risk: ChartPanel | None
    phq9: ChartPanel | None
    medications: list[MedicationRecord]
    missing: list[str]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _display(biomarker: str) -> tuple[str, str, str, Modality | None]:
    """(family, display name, unit, modality) of a biomarker id, from the registry if known."""
    spec = REGISTRY.get(biomarker)
    if spec is None:
        family = biomarker.split(".", 1)[0]
        return family, biomarker, "", None
    return spec.family, spec.display, spec.unit, spec.modality


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _med_label(m: MedicationRecord) -> str:
    dose = f" {m.dose_mg_per_day:g} mg/day" if m.dose_mg_per_day is not None else ""
    what = "dose change" if m.kind == "dose_change" else "start"
    return f"{m.name}{dose} ({what} {m.start.isoformat()})"


def _about(store: Store, patient_id: str, *types: str) -> list[FhirResource]:
    """Resources of `types` about the patient, whether the FHIR store names them by the clinic's
    patient id or by Bedside's FHIR Patient id (a uuid5 of it)."""
    ids = dict.fromkeys([patient_id, resource_id(SID.patient, patient_id)])
    return [r for t in types for pid in ids for r in store.fhir.search(t, patient=pid)]


def _medications(store: Store, patient_id: str, missing: list[str]) -> list[MedicationRecord]:
    resources = _about(store, patient_id, "MedicationRequest", "MedicationStatement")
    try:
        return read_ehr_context(patient_id, resources).medications
    except BedsideError as exc:
        missing.append(f"medications could not be read from the FHIR store: {exc}")
        return []


def _phq9_totals(store: Store, patient_id: str, missing: list[str]) -> dict[dt.date, int]:
    totals = {r.date: r.total for r in store.phq9.list_for_patient(patient_id)}
    resources = _about(store, patient_id, "QuestionnaireResponse", "Observation")
    try:
        ehr = read_ehr_context(patient_id, resources)
    except BedsideError as exc:
        missing.append(f"PHQ-9 results in the FHIR store could not be read: {exc}")
        return totals
    for r in ehr.phq9_responses:
        totals.setdefault(r.date, r.total)
    for s in ehr.phq9_scores:
        if s.total is not None:
            totals.setdefault(s.date, s.total)
    return totals


def _trend_segments(findings: Sequence[Finding]) -> dict[str, list[ChartSegment]]:
    """Per biomarker, each verified trend from onset to the last day a finding carried it."""
    last: dict[tuple[str, dt.date, str], dt.date] = {}
    for f in findings:
        for t in f.trends:
            key = (t.biomarker, t.onset_date, t.direction.value)
            last[key] = max(last.get(key, f.date), f.date)
    out: dict[str, list[ChartSegment]] = {}
    for (biomarker, onset, direction), end in sorted(last.items()):
        out.setdefault(biomarker, []).append(
            ChartSegment(onset, end, f"Verified trend {direction} since {onset.isoformat()}")
        )
    return out


def patient_charts(store: Store, patient_id: str) -> PatientCharts:
    """Build the patient page's charts from `store` (see the module docstring)."""
    missing: list[str] = []
    findings = store.findings.list_for_patient(patient_id)
    medications = _medications(store, patient_id, missing)
    phq9 = _phq9_totals(store, patient_id, missing)
    if not findings:
        return PatientCharts(None, [], None, None, medications, missing)
    by_day: dict[dt.date, Finding] = {}
    for finding in findings:  # one device's finding per day is drawn: the last one listed
        by_day[finding.date] = finding
    start, end = min(by_day), max(by_day)
    start = min([start, *(d for d in phq9 if d >= start - dt.timedelta(days=14))])
    end = max([end, *(d for d in phq9 if d <= end)])
    axis = TimeAxis(start, end)
    days = axis.days()
    events = [ChartEvent(m.start, _med_label(m)) for m in medications if start <= m.start <= end]
    segments = _trend_segments(findings)

    biomarkers: dict[str, None] = {}
    for finding in findings:
        biomarkers.update(dict.fromkeys(b.biomarker for b in finding.biomarkers))
    entries = {d: {b.biomarker: b for b in f.biomarkers} for d, f in by_day.items()}
    if not biomarkers:
        missing.append("the findings carry no daily biomarker values (older device software)")
    families: dict[str, list[ChartPanel]] = {}
    for biomarker in sorted(biomarkers, key=lambda b: (_display(b)[0], b)):
        family, display, unit, modality = _display(biomarker)
        values: list[float | None] = []
        low: list[float | None] = []
        high: list[float | None] = []
        gaps: list[dt.date] = []
        for day in days:
            f = by_day.get(day)
            entry = entries[day].get(biomarker) if f else None
            values.append(entry.value if entry else None)
            med = entry.baseline_median if entry else None
            scale = entry.baseline_scale if entry else None
            low.append(med - scale if med is not None and scale is not None else None)
            high.append(med + scale if med is not None and scale is not None else None)
            coverage = f.coverage.get(modality, 0.0) if (f and modality) else (1.0 if f else 0.0)
            if f is None or coverage < COVERAGE_GAP_BELOW:
                gaps.append(day)
        segs = segments.get(biomarker, [])
        seen = [v for v in values if v is not None]
        words = [f"{len(seen)} of {len(days)} days have a value"]
        if seen:
            words.append(f"range {_fmt(min(seen))} to {_fmt(max(seen))} {unit}".rstrip())
        latest = next((i for i in range(len(days) - 1, -1, -1) if values[i] is not None), None)
        if latest is not None and low[latest] is not None and high[latest] is not None:
            words.append(
                f"latest {_fmt(values[latest] or 0)} on {days[latest].isoformat()}, baseline band "
                f"{_fmt(low[latest] or 0)} to {_fmt(high[latest] or 0)}"
            )
        words.append(f"{len(gaps)} coverage-gap day{'s' if len(gaps) != 1 else ''}")
        words += [s.label for s in segs] or ["no verified trend"]
        chart_id = f"chart-{_slug(biomarker)}"
        title = f"{display} per day" + (f" ({unit})" if unit else "")
        summary = "; ".join(words) + "."
        chart = DailyChart(
            chart_id=chart_id,
            title=title,
            description=summary,
            unit=unit,
            values=values,
            band_low=low,
            band_high=high,
            segments=segs,
            gaps=gaps,
            events=events,
        )
        families.setdefault(family, []).append(
            ChartPanel(chart_id, title, summary, render_chart(chart, axis))
        )

    risk_panel = _risk_panel(by_day, days, axis, events, missing)
    phq_panel = _phq9_panel(phq9, days, axis, events, missing)
    return PatientCharts(
        axis,
        [FamilyCharts(f, p) for f, p in families.items()],
        risk_panel,
        phq_panel,
        medications,
        missing,
    )


def _risk_panel(
    by_day: dict[dt.date, Finding],
    days: list[dt.date],
    axis: TimeAxis,
    events: list[ChartEvent],
    missing: list[str],
) -> ChartPanel | None:
    risks = [(by_day[d].risk if d in by_day else None) for d in days]
    if not any(risks):
        missing.append("no episode-risk estimate in any finding")
        return None
    values = [r.probability * 100 if r else None for r in risks]
    seen = [(d, r) for d, r in zip(days, risks, strict=True) if r is not None]
    last_day, last = seen[-1]
    models = sorted({f"{r.model_id} {r.model_version}" for _, r in seen})
    summary = (
        f"{len(seen)} of {len(days)} days have an estimate; latest {last.probability:.0%} "
        f"(interval {last.interval_low:.0%} to {last.interval_high:.0%}) on "
        f"{last_day.isoformat()}; highest {max(r.probability for _, r in seen):.0%}; "
        f"model {', '.join(models)}."
    )
    chart = DailyChart(
        chart_id="chart-risk",
        title="Episode risk per day (%), with its interval",
        description=summary,
        unit="%",
        values=values,
        band_low=[r.interval_low * 100 if r else None for r in risks],
        band_high=[r.interval_high * 100 if r else None for r in risks],
        events=events,
        y_range=(0.0, 100.0),
    )
    return ChartPanel("chart-risk", chart.title, summary, render_chart(chart, axis))


def _phq9_panel(
    totals: dict[dt.date, int],
    days: list[dt.date],
    axis: TimeAxis,
    events: list[ChartEvent],
    missing: list[str],
) -> ChartPanel | None:
    inside = {d: t for d, t in totals.items() if axis.start <= d <= axis.end}
    if not inside:
        missing.append("no PHQ-9 in the monitored period")
        return None
    ordered = sorted(inside.items())
    summary = (
        f"{len(ordered)} PHQ-9 questionnaire{'s' if len(ordered) != 1 else ''}: "
        + ", ".join(f"{t} on {d.isoformat()}" for d, t in ordered)
        + "."
    )
    # PHQ-9s are sparse: connect the answered days rather than break the line between them.
    values: list[float | None] = [None] * len(days)
    for d, t in ordered:
        values[axis.index(d)] = float(t)
    chart = DailyChart(
        chart_id="chart-phq9",
        title="PHQ-9 total score (0-27)",
        description=summary,
        unit="score",
        values=_connect(values),
        events=events,
        references=[ReferenceLine(v, label) for v, label in PHQ9_CUTOFFS],
        y_range=(0.0, 27.0),
        markers=values,
    )
    return ChartPanel("chart-phq9", chart.title, summary, render_chart(chart, axis))


def _connect(values: list[float | None]) -> list[float | None]:
    """Linear interpolation between answered days (only inside the first..last answer)."""
    idx = [i for i, v in enumerate(values) if v is not None]
    out = list(values)
    for a, b in itertools.pairwise(idx):
        va, vb = values[a], values[b]
        assert va is not None
        assert vb is not None
        for i in range(a + 1, b):
            out[i] = va + (vb - va) * (i - a) / (b - a)
    return out
