"""The clinic's daily round: every protocol, for every patient with findings, on one local day.

Devices deliver sealed findings and PHQ-9 answers through the day; once a day (or on demand) the
clinic evaluates the protocols for each patient: that day's finding and the previous
`HISTORY_DAYS` days, the PHQ-9s received from the device, PHQ-9s, medications and PHQ-9 score
Observations read from the EHR, and the patient's known
recommendations from the store. Changed recommendations are stored (one open recommendation per
patient and protocol), and the day's new and escalated ones are triaged under the care team's
alert budget when one is given; crisis recommendations bypass it.

When the EHR cannot be read for a patient the round still evaluates that patient on the device's
data, and the report names the patient and the reason: EHR-only signals (a PHQ-9 item 9 entered
in clinic, a new medication) could be missing, which a clinician must know rather than assume.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from bedside.clinical import (
    AlertBudget,
    CareTeam,
    EngineResult,
    Phq9Report,
    RecommendationEngine,
    TriageResult,
    patient_day_context,
    triage,
)
from bedside.domain import InputFormatError, Recommendation
from bedside.fhir import EhrContext, EhrError
from bedside.fhir.participants import engine_ref
from bedside.fhir.provenance import ProvenanceAgent, protocol_policy, provenance
from bedside.fhir.tasks import recommendation_task, task_ref
from bedside.store import Store

__all__ = ["PatientRound", "RoundReport", "run_clinic_round"]

EhrReader = Callable[[str], EhrContext]
"""Reads one patient's EHR context (e.g. ``partial(read_patient_context, client)``)."""


@dataclass(frozen=True, slots=True)
class PatientRound:
    """One patient's part of the round.

    Attributes
    ----------
    patient_id : str
    result : EngineResult
    ehr_error : str or None
        Why the EHR context could not be read (None when it was read or no EHR is configured).
    """

    patient_id: str
    result: EngineResult
    ehr_error: str | None = None


@dataclass(frozen=True, slots=True)
class RoundReport:
    """What a round did.

    Attributes
    ----------
    day : date
        The local day evaluated.
    now : datetime
        Evaluation instant (UTC).
    patients : tuple of PatientRound
    triage : TriageResult or None
        Delivery of the day's new and escalated recommendations (None without a care team).
    """

    day: dt.date
    now: dt.datetime
    patients: tuple[PatientRound, ...]
    triage: TriageResult | None = None

    @property
    def new(self) -> list[Recommendation]:
        return [r for p in self.patients for r in p.result.new]

    @property
    def escalated(self) -> list[Recommendation]:
        return [r for p in self.patients for r in p.result.escalated]

    @property
    def ehr_errors(self) -> dict[str, str]:
        return {p.patient_id: p.ehr_error for p in self.patients if p.ehr_error is not None}


def run_clinic_round(
    store: Store,
    day: dt.date,
    now: dt.datetime,
    *,
    engine: RecommendationEngine | None = None,
    ehr: EhrReader | None = None,
    team: CareTeam | None = None,
    budget: AlertBudget | None = None,
) -> RoundReport:
    """Evaluate every protocol for every patient with findings on local day `day`.

    Parameters
    ----------
    store : Store
        Findings in, recommendations out (re-running a day updates, never duplicates).
    day : date
        Local day to evaluate.
    now : datetime
        Timezone-aware evaluation instant (e.g. 23:59 of `day` in the clinic's zone).
    engine : RecommendationEngine, optional
        Default: the built-in protocols.
    ehr : callable, optional
        Patient id -> EhrContext; without it only device data is used.
    team, budget : CareTeam and AlertBudget, optional
        Given together, the day's new and escalated recommendations are triaged.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if (team is None) != (budget is None):
        raise ValueError("give both team and budget to triage, or neither")
    engine = engine or RecommendationEngine.builtin()
    rounds: list[PatientRound] = []
    for pid in store.findings.patient_ids():
        findings = {f.date: f for f in store.findings.list_for_patient(pid)}
        context = EhrContext(patient_id=pid)
        error = None
        if ehr is not None:
            try:
                context = ehr(pid)
            except (EhrError, InputFormatError) as exc:
                error = f"{type(exc).__name__}: {exc}"
        ctx = patient_day_context(
            pid,
            day,
            findings,
            [*context.phq9_responses, *store.phq9.list_for_patient(pid)],
            context.medications,
            phq9_reports=[
                Phq9Report(patient_id=pid, date=s.date, total=s.total, item9=s.item9)
                for s in context.phq9_scores
            ],
        )
        result = engine.evaluate_context(ctx, now, store.recommendations.list_for_patient(pid))
        for rec in result.changed:
            store.recommendations.upsert(rec)
            _keep_task(store, rec, now)
        rounds.append(PatientRound(pid, result, error))
    report = RoundReport(day, now.astimezone(dt.UTC), tuple(rounds))
    if team is not None and budget is not None:
        actionability = {p.id: p.actionability for p in engine.protocols}
        decided = triage([*report.new, *report.escalated], now, team, budget, actionability)
        report = RoundReport(report.day, report.now, report.patients, decided)
    return report


def _keep_task(store: Store, rec: Recommendation, now: dt.datetime) -> None:
    """Mirror `rec` as its FHIR Task (with the engine's Provenance) in the store's repository.

    The dashboard's actions and the EHR outbox (`server.ehr_task_sync`) update this Task; without
    it a clinician's decision on a round's recommendation would never reach the EHR.
    """
    store.fhir.put(recommendation_task(rec))
    store.fhir.put(
        provenance(
            task_ref(rec.id),
            now,
            [ProvenanceAgent(engine_ref(rec.protocol_id, rec.protocol_version), "author")],
            policies=[protocol_policy(rec.protocol_id, rec.protocol_version, rec.protocol_hash)],
        )
    )
