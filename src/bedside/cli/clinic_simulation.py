"""A synthetic clinic run through the device pipeline, the protocols and triage, day by day.

Used by `bedside triage evaluate`: every patient's device computes its findings from raw
minute actigraphy (as on a phone); the clinic then replays the calendar, evaluating all
protocols for every patient every day with the patient's PHQ-9 answers and EHR medications,
and triages each day's new and escalated recommendations per clinician within the budget.
Clinicians are not simulated: nothing is accepted or dismissed, so recommendations stay open
until they expire or the improvement protocol resolves them (a conservative count).

With a `Phq9PromptPolicy`, each device also prompts its patient for a PHQ-9 when its findings
call for one (`bedside.device.phq9_prompt`); the synthetic patient answers some prompts
(`bedside.sensors.phq9_respondent`) and the answers join the patient's device PHQ-9s. The
synthetic sensors never depend on PHQ-9 answers, so running the prompter over the finished
findings gives the same prompts as running it day by day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from bedside.baseline import DailyTrendMonitor
from bedside.baseline.watch_set import unwatched_outside
from bedside.biomarkers import REGISTRY
from bedside.clinical import (
    HISTORY_DAYS,
    AlertBudget,
    CareTeam,
    Delivery,
    PatientContext,
    RecommendationEngine,
    patient_day_context,
    triage,
)
from bedside.device import DevicePipeline, Phq9Prompt, Phq9PromptPolicy, plan_phq9_prompts
from bedside.domain import (
    DailyBiomarkerTable,
    Finding,
    MedicationRecord,
    Phq9Response,
    Recommendation,
    Role,
)
from bedside.models import EpisodeRiskModel
from bedside.sensors import CohortConfig, generate_patient, phq9_respondent

__all__ = [
    "HISTORY_DAYS",
    "ClinicDay",
    "Delivered",
    "DeliveryLog",
    "PatientRecord",
    "PromptSetting",
    "care_team",
    "day_context",
    "deliver",
    "end_of_day",
    "naive_alerts",
    "replay_clinic",
    "simulate_devices",
    "with_phq9_prompts",
]

"""Findings older than this are not handed to the protocols (none looks further back)."""


@dataclass(frozen=True)
class PatientRecord:
    """What the clinic can know about one patient, plus the ground truth for scoring."""

    patient_id: str
    zone: str
    findings: tuple[Finding, ...]
    phq9: tuple[Phq9Response, ...]
    medications: tuple[MedicationRecord, ...]
    episodes: tuple[tuple[dt.date, dt.date], ...]
    table: DailyBiomarkerTable
    prompts: tuple[Phq9Prompt, ...] = ()


@dataclass(frozen=True)
class PromptSetting:
    """The devices' PHQ-9 prompt policy and how often synthetic patients answer a prompt.

    Attributes
    ----------
    policy : Phq9PromptPolicy
    response_rate : float
        Probability (0-1) that a patient answers a prompt the day it is shown.
    risk_at_base_rate : bool
        Set the policy's risk threshold to the risk model's training base rate (see `for_model`)
        before the devices run.
    """

    policy: Phq9PromptPolicy
    response_rate: float
    risk_at_base_rate: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.response_rate <= 1.0:
            raise ValueError(f"response_rate must be in [0, 1], got {self.response_rate}")

    def describe(self) -> str:
        """One line naming every parameter (for reports)."""
        note = ""
        if self.risk_at_base_rate:
            note = (
                " (to be set to the risk model's training base rate)"
                if self.policy.risk_threshold is None
                else " (the risk model's training base rate)"
            )
        return f"{self.policy.describe(note)}, response rate {self.response_rate:.2f}"

    def for_model(self, base_rate: float) -> PromptSetting:
        """This setting with the risk threshold at the model's training base rate when
        `risk_at_base_rate` (a risk above the base rate means the sensors' evidence makes an
        episode more likely than for the average patient-day: likelihood ratio > 1)."""
        if not self.risk_at_base_rate:
            return self
        policy = Phq9PromptPolicy.model_validate(
            {**self.policy.model_dump(), "risk_threshold": round(base_rate, 3)}
        )
        return PromptSetting(policy, self.response_rate, risk_at_base_rate=True)


def with_phq9_prompts(
    record: PatientRecord, config: CohortConfig, index: int, setting: PromptSetting
) -> PatientRecord:
    """`record` with its device's PHQ-9 prompts and the answers among its PHQ-9s.

    Parameters
    ----------
    record : PatientRecord
        Patient ``index`` of the clinic `config` describes, without prompts.
    config : CohortConfig
    index : int
    setting : PromptSetting

    Returns
    -------
    PatientRecord
        Same findings; `prompts` set and the answered prompts' PHQ-9s merged by date.
    """
    respondent = phq9_respondent(config, index, setting.response_rate)
    prompts = plan_phq9_prompts(record.findings, setting.policy, respondent.responds)
    answers = [respondent.answer(p.date) for p in prompts if p.answered]
    phq9 = sorted((*record.phq9, *answers), key=lambda r: r.date)
    return dataclasses.replace(record, phq9=tuple(phq9), prompts=tuple(prompts))


def _device_worker(
    args: tuple[CohortConfig, int, Path, PromptSetting | None],
) -> PatientRecord:
    config, index, model_path, prompting = args
    patient = generate_patient(config, index)
    model = EpisodeRiskModel.load(model_path)
    run = DevicePipeline(
        model,
        device_id=f"device-{patient.patient_id}",
        monitor=DailyTrendMonitor(unwatched=unwatched_outside(REGISTRY)),
    ).run(patient.actigraphy)
    # The per-biomarker baseline summaries are for clinicians' screens, not for the protocols;
    # dropping them keeps a 500-patient clinic in memory.
    findings = tuple(f.model_copy(update={"biomarkers": []}) for f in run.findings)
    record = PatientRecord(
        patient_id=patient.patient_id,
        zone=patient.zone,
        findings=findings,
        phq9=tuple(patient.phq9),
        medications=tuple(patient.medications),
        episodes=tuple((e.onset, e.end) for e in patient.episodes),
        table=run.table,
    )
    return record if prompting is None else with_phq9_prompts(record, config, index, prompting)


def simulate_devices(
    config: CohortConfig,
    model_path: Path,
    jobs: int = 1,
    prompting: PromptSetting | None = None,
) -> Iterator[PatientRecord]:
    """Each patient's device run, generated and processed one patient at a time; with
    `prompting`, the device's PHQ-9 prompts and their answers too."""
    tasks = [(config, i, model_path, prompting) for i in range(config.n_patients)]
    if jobs <= 1:
        yield from map(_device_worker, tasks)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(jobs) as pool:
        yield from pool.imap(_device_worker, tasks, chunksize=4)


def care_team(patient_ids: Sequence[str], clinicians: int) -> CareTeam:
    """Round-robin caseloads: one care coordinator, the other clinicians psychiatrists."""
    if clinicians < 2:
        raise ValueError("a clinic needs at least one psychiatrist and one care coordinator")
    psychiatrists = [f"psychiatrist-{k + 1}" for k in range(clinicians - 1)]
    return CareTeam(
        members={
            pid: {
                Role.PSYCHIATRIST: psychiatrists[i % len(psychiatrists)],
                Role.THERAPIST: psychiatrists[i % len(psychiatrists)],
                Role.CARE_COORDINATOR: "care-coordinator-1",
            }
            for i, pid in enumerate(patient_ids)
        }
    )


@dataclass(frozen=True)
class ClinicDay:
    """What the protocols produced on one local day, before triage."""

    date: dt.date
    now: dt.datetime
    new: tuple[Recommendation, ...]
    escalated: tuple[Recommendation, ...]


@dataclass(frozen=True)
class Delivered:
    """One raised recommendation with the delivery triage gave it on its first day."""

    recommendation: Recommendation
    delivery: Delivery
    clinician: str | None


@dataclass
class DeliveryLog:
    """Deliveries under one budget, and interruptive counts per clinician and day."""

    delivered: list[Delivered] = field(default_factory=list)
    interruptive_by_day: list[dict[str, int]] = field(default_factory=list)


def end_of_day(day: dt.date, zone: str) -> dt.datetime:
    """The UTC instant at which the clinic evaluates a local day: 23:59 that day, so a crisis
    answered that day is raised the same local day."""
    local = dt.datetime.combine(day, dt.time(23, 59), tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC)


def day_context(
    patient_id: str,
    day: dt.date,
    findings: Mapping[dt.date, Finding],
    phq9: Sequence[Phq9Response],
    medications: Sequence[MedicationRecord],
) -> PatientContext:
    """The clinic's view of one simulated patient-day (see `patient_day_context`)."""
    return patient_day_context(patient_id, day, findings, phq9, medications)


def replay_clinic(
    records: Sequence[PatientRecord],
    engine: RecommendationEngine,
    start: dt.date,
    n_days: int,
) -> list[ClinicDay]:
    """Evaluate every protocol for every patient on every day, in calendar order."""
    by_patient: dict[str, dict[dt.date, Finding]] = {
        r.patient_id: {f.date: f for f in r.findings} for r in records
    }
    known: dict[str, dict[str, Recommendation]] = {r.patient_id: {} for r in records}
    out: list[ClinicDay] = []
    for offset in range(n_days):
        day = start + dt.timedelta(days=offset)
        new: list[Recommendation] = []
        escalated: list[Recommendation] = []
        for record in records:
            pid = record.patient_id
            ctx = day_context(pid, day, by_patient[pid], record.phq9, record.medications)
            result = engine.evaluate_context(
                ctx, end_of_day(day, record.zone), list(known[pid].values())
            )
            for rec in result.changed:
                known[pid][rec.id] = rec
            new.extend(result.new)
            escalated.extend(result.escalated)
        now = max((end_of_day(day, r.zone) for r in records), default=end_of_day(day, "UTC"))
        out.append(ClinicDay(day, now, tuple(new), tuple(escalated)))
    return out


def deliver(
    days: Sequence[ClinicDay],
    team: CareTeam,
    budget: AlertBudget,
    actionability: Mapping[str, float],
) -> DeliveryLog:
    """Triage each day's new and escalated recommendations under `budget`."""
    log = DeliveryLog()
    for day in days:
        decided = triage([*day.new, *day.escalated], day.now, team, budget, actionability)
        log.interruptive_by_day.append(decided.interruptive_count())
        fresh = {r.id for r in day.new}
        log.delivered.extend(
            Delivered(i.recommendation, i.delivery, i.clinician)
            for i in decided.items
            if i.recommendation.id in fresh
        )
    return log


def naive_alerts(
    table: DailyBiomarkerTable, *, change: float = 0.12, refractory_days: int = 7
) -> list[tuple[dt.date, str]]:
    """The rule clinicians see today: alert when a biomarker's 7-day mean differs by more than
    12 % from the previous 7-day mean, at most once per biomarker per week.

    Clock-time biomarkers (onsets, offsets, midpoints) have no meaningful ratio and are left
    out; a previous mean of zero or less gives no alert.
    """
    dates = table.date_list()
    out: list[tuple[dt.date, str]] = []
    for key, values in table.values.items():
        if key.endswith(("_onset_min", "_offset_min", "_midpoint_min")):
            continue
        last_alert = -refractory_days
        for i in range(13, len(values)):
            cur = values[i - 6 : i + 1]
            prev = values[i - 13 : i - 6]
            if np.isnan(cur).all() or np.isnan(prev).all():
                continue
            before = float(np.nanmean(prev))
            now = float(np.nanmean(cur))
            if (
                before > 0
                and abs(now - before) > change * before
                and i - last_alert >= refractory_days
            ):
                out.append((dates[i], key))
                last_alert = i
    return out
