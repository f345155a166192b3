"""`bedside triage evaluate`: the protocols and the alert budget on a synthetic clinic.

Scoring follows the walking-skeleton definitions (`demo_summary`): an episode is caught when a
recommendation is raised between its onset and onset + 21 days; the delay is from onset to the
first such recommendation; a recommendation is a true positive when raised inside an episode's
[onset, end + 7 days]. Only the protocols that detect an episode count for catching and PPV
(relapse watch, measurement-based care, medication effect, crisis); data-gap and improvement
recommendations count in the workload.

With `TriageOptions.prompting` set, every device also prompts its patient for a PHQ-9 when its
findings call for one (`bedside.device.phq9_prompt`); the evaluation reports how many prompts
were shown and answered, so the patients' burden is in the table too.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bedside.cli.clinic_simulation import (
    DeliveryLog,
    PatientRecord,
    PromptSetting,
    care_team,
    deliver,
    naive_alerts,
    replay_clinic,
    simulate_devices,
)
from bedside.clinical import (
    AlertBudget,
    CareTeam,
    Delivery,
    RecommendationEngine,
    recommendation_id,
)
from bedside.device import Phq9PromptPolicy
from bedside.domain import ConfigurationError, Role
from bedside.sensors import CohortConfig

__all__ = [
    "DEFAULT_PROMPT_BASIS",
    "DEFAULT_RESPONSE_RATE",
    "DETECTION_PROTOCOLS",
    "ArmMetrics",
    "PromptCounts",
    "TriageEvaluation",
    "TriageOptions",
    "evaluate_triage",
    "prompt_setting",
]

DETECTION_PROTOCOLS = frozenset(
    {"relapse_watch", "measurement_based_care", "medication_effect", "crisis"}
)
CATCH_WINDOW_DAYS = 21
TRUE_POSITIVE_GRACE_DAYS = 7

DEFAULT_PROMPT_BASIS = (
    "Risk at or above the risk model's training base rate: the calibrated risk exceeds the "
    "prior exactly when the sensors' evidence favours an episode (likelihood ratio > 1); a "
    "prompt reaches the patient, never a clinician, whose protocols judge the answer. Also on a "
    "verified adverse trend. At most one answered prompt a week: weekly is the most frequent "
    "PHQ-9 schedule of measurement-based care, and the PHQ-9 asks about the last two weeks. "
    "Up to 2 next-day reminders of an unanswered prompt. Rule and values chosen on "
    "development seed 11."
)
# Assumption: compliance with momentary-assessment prompts pooled at 75 % (95% CI 72-78 %) over
# 126 studies in Jones et al. 2019 (Addiction 114:609-619; substance users, not depression
# patients). The evaluation is also reported at 0.5.
DEFAULT_RESPONSE_RATE = 0.75


def prompt_setting(
    *,
    risk: float | None = None,
    risk_at_base_rate: bool = True,
    on_adverse_trend: bool = True,
    min_interval_days: int = 7,
    max_reminders: int = 2,
    response_rate: float = DEFAULT_RESPONSE_RATE,
) -> PromptSetting:
    """The devices' PHQ-9 prompt setting of the evaluation (defaults: the documented ones).

    Parameters
    ----------
    risk : float or None
        Fixed risk threshold (probability); None with `risk_at_base_rate` False: risk never
        prompts.
    risk_at_base_rate : bool
        Use the risk model's training base rate as the threshold (overrides `risk`).
    on_adverse_trend, min_interval_days, max_reminders
        See `Phq9PromptPolicy`.
    response_rate : float
        Probability (0-1) that a synthetic patient answers a prompt the day it is shown.
    """
    basis = DEFAULT_PROMPT_BASIS
    if risk_at_base_rate:
        risk = None
    policy = Phq9PromptPolicy(
        risk_threshold=risk,
        on_adverse_trend=on_adverse_trend,
        min_interval_days=min_interval_days,
        max_reminders=max_reminders,
        basis=basis,
    )
    return PromptSetting(policy, response_rate, risk_at_base_rate=risk_at_base_rate)


@dataclass(frozen=True)
class TriageOptions:
    """Settings of one evaluation (see `bedside triage evaluate --help`)."""

    patients: int = 500
    days: int = 180
    clinicians: int = 5
    budget: int = 5
    seed: int = 2027
    training_patients: int = 200
    training_days: int = 90
    jobs: int = 2
    cohort: Mapping[str, Any] = field(default_factory=dict)
    prompting: PromptSetting | None = None

    def options_json(self) -> dict[str, Any]:
        """The options as JSON-ready values (the prompt policy spelled out)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("cohort", "prompting")}
        out["cohort"] = dict(self.cohort)
        out["phq9_prompts"] = (
            None
            if self.prompting is None
            else {
                **self.prompting.policy.model_dump(),
                "risk_at_base_rate": self.prompting.risk_at_base_rate,
                "response_rate": self.prompting.response_rate,
            }
        )
        return out


@dataclass(frozen=True)
class PromptCounts:
    """The devices' PHQ-9 prompts over the whole clinic.

    Attributes
    ----------
    shown, answered : int
        Prompts shown (reminders included) and answered.
    per_patient_month : float
        Prompts shown per patient per 30 days of monitoring.
    patients_prompted : int
        Patients shown at least one prompt.
    """

    shown: int
    answered: int
    per_patient_month: float
    patients_prompted: int


@dataclass(frozen=True)
class ArmMetrics:
    """One row of the evaluation table."""

    arm: str
    recommendations: int
    per_clinician_per_week: float
    max_clinician_per_week: float
    interruptive_per_clinician_day: float
    max_interruptive_clinician_day: int
    episodes: int
    caught: int
    caught_by_interruption: int
    median_delay_days: float | None
    ppv: float | None
    crises: int
    crises_same_day: int


@dataclass(frozen=True)
class TriageEvaluation:
    """The evaluation table and the counts behind it."""

    options: TriageOptions
    arms: list[ArmMetrics]
    by_protocol: dict[str, int]
    prompts: PromptCounts | None = None
    prompting: PromptSetting | None = None
    """The prompt setting the devices ran with (risk threshold resolved)."""

    def arm(self, name: str) -> ArmMetrics:
        return next(a for a in self.arms if a.arm == name)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "options": self.options.options_json(),
            "arms": [asdict(a) for a in self.arms],
            "recommendations_by_protocol": self.by_protocol,
            "phq9_prompts": None if self.prompts is None else asdict(self.prompts),
            "phq9_prompt_setting": None
            if self.prompting is None
            else {
                **self.prompting.policy.model_dump(),
                "risk_at_base_rate": self.prompting.risk_at_base_rate,
                "response_rate": self.prompting.response_rate,
            },
        }


@dataclass(frozen=True)
class _Raised:
    patient_id: str
    day: dt.date
    protocol_id: str
    delivery: Delivery
    clinician: str | None


def _local_day(when: dt.datetime, zone: str) -> dt.date:
    return when.astimezone(ZoneInfo(zone)).date()


def _score(
    arm: str,
    raised: Sequence[_Raised],
    records: Sequence[PatientRecord],
    interruptive_by_day: Sequence[Mapping[str, int]],
    clinicians: Sequence[str],
    n_days: int,
    crises: tuple[int, int],
) -> ArmMetrics:
    weeks = n_days / 7.0
    per_clinician = {c: 0 for c in clinicians}
    for r in raised:
        per_clinician[r.clinician or "unassigned"] = (
            per_clinician.get(r.clinician or "unassigned", 0) + 1
        )
    cells = [day.get(c, 0) for day in interruptive_by_day for c in clinicians]
    detections: dict[str, list[_Raised]] = {}
    for r in raised:
        if r.protocol_id in DETECTION_PROTOCOLS:
            detections.setdefault(r.patient_id, []).append(r)
    episodes = caught = caught_interrupting = 0
    delays: list[int] = []
    true_pos = n_det = 0
    for record in records:
        mine = sorted(detections.get(record.patient_id, []), key=lambda r: r.day)
        for onset, _end in record.episodes:
            episodes += 1
            window = [r for r in mine if onset <= r.day <= onset + dt.timedelta(CATCH_WINDOW_DAYS)]
            if window:
                caught += 1
                delays.append((window[0].day - onset).days)
            if any(r.delivery is Delivery.INTERRUPTIVE for r in window):
                caught_interrupting += 1
        for r in mine:
            n_det += 1
            true_pos += any(
                onset <= r.day <= end + dt.timedelta(TRUE_POSITIVE_GRACE_DAYS)
                for onset, end in record.episodes
            )
    return ArmMetrics(
        arm=arm,
        recommendations=len(raised),
        per_clinician_per_week=round(sum(per_clinician.values()) / len(clinicians) / weeks, 3),
        max_clinician_per_week=round(max(per_clinician.values(), default=0) / weeks, 3),
        interruptive_per_clinician_day=round(sum(cells) / max(1, len(cells)), 3),
        max_interruptive_clinician_day=max(cells, default=0),
        episodes=episodes,
        caught=caught,
        caught_by_interruption=caught_interrupting,
        median_delay_days=float(statistics.median(delays)) if delays else None,
        ppv=round(true_pos / n_det, 3) if n_det else None,
        crises=crises[0],
        crises_same_day=crises[1],
    )


def _crises_same_day(records: Sequence[PatientRecord], log: DeliveryLog) -> tuple[int, int]:
    """(crisis answers, those with an interruptive crisis recommendation created that day)."""
    zones = {r.patient_id: r.zone for r in records}
    delivered = {
        (
            d.recommendation.id,
            _local_day(d.recommendation.created, zones[d.recommendation.patient_id]),
        )
        for d in log.delivered
        if d.recommendation.protocol_id == "crisis" and d.delivery is Delivery.INTERRUPTIVE
    }
    total = same_day = 0
    for record in records:
        for day in sorted({r.date for r in record.phq9 if r.item9 >= 1}):
            total += 1
            same_day += (recommendation_id(record.patient_id, "crisis", day), day) in delivered
    return total, same_day


def _bedside_arm(
    name: str,
    records: Sequence[PatientRecord],
    log: DeliveryLog,
    clinicians: Sequence[str],
    n_days: int,
) -> ArmMetrics:
    zones = {r.patient_id: r.zone for r in records}
    raised = [
        _Raised(
            d.recommendation.patient_id,
            _local_day(d.recommendation.created, zones[d.recommendation.patient_id]),
            d.recommendation.protocol_id,
            d.delivery,
            d.clinician,
        )
        for d in log.delivered
    ]
    return _score(
        name,
        raised,
        records,
        log.interruptive_by_day,
        clinicians,
        n_days,
        _crises_same_day(records, log),
    )


def _naive_arm(
    records: Sequence[PatientRecord],
    team: CareTeam,
    clinicians: Sequence[str],
    start: dt.date,
    n_days: int,
) -> ArmMetrics:
    raised: list[_Raised] = []
    by_day: list[dict[str, int]] = [{} for _ in range(n_days)]
    for record in records:
        clinician = team.clinician_for(record.patient_id, Role.PSYCHIATRIST)
        for day, _biomarker in naive_alerts(record.table):
            offset = (day - start).days
            if not 0 <= offset < n_days:
                continue
            # Today's dashboards alert on every such change: each one interrupts.
            raised.append(
                _Raised(record.patient_id, day, "relapse_watch", Delivery.INTERRUPTIVE, clinician)
            )
            if clinician is not None:
                by_day[offset][clinician] = by_day[offset].get(clinician, 0) + 1
    return _score(
        "naive 7-day mean > 12% change", raised, records, by_day, clinicians, n_days, (0, 0)
    )


def evaluate_triage(
    options: TriageOptions, *, records: Iterable[PatientRecord] | None = None
) -> TriageEvaluation:
    """Run the whole evaluation (device side, clinic replay, triage with and without budget).

    Parameters
    ----------
    options : TriageOptions
    records : iterable of PatientRecord, optional
        Pre-computed device runs (tests), used as they are (with whatever prompts they carry);
        by default the clinic is generated and every patient's device runs on a model trained
        on a separate cohort (seed + offset), prompting as `options.prompting` says.
    """
    config = CohortConfig(
        n_patients=options.patients, n_days=options.days, seed=options.seed, **options.cohort
    )
    prompting = options.prompting
    if records is None:
        records, prompting = _device_records(options, config)
    recs = list(records)
    engine = RecommendationEngine.builtin()
    actionability = {p.id: p.actionability for p in engine.protocols}
    team = care_team([r.patient_id for r in recs], options.clinicians)
    clinicians = sorted({c for m in team.members.values() for c in m.values()})
    days = replay_clinic(recs, engine, config.start_date, options.days)
    on = deliver(days, team, AlertBudget(max_interruptive_per_day=options.budget), actionability)
    off = deliver(days, team, AlertBudget(enabled=False), actionability)
    relapse_only = DeliveryLog(
        [d for d in on.delivered if d.recommendation.protocol_id == "relapse_watch"],
        on.interruptive_by_day,
    )
    by_protocol: dict[str, int] = {}
    for d in on.delivered:
        by_protocol[d.recommendation.protocol_id] = (
            by_protocol.get(d.recommendation.protocol_id, 0) + 1
        )
    arms = [
        _bedside_arm("bedside, budget on", recs, on, clinicians, options.days),
        _bedside_arm("bedside, budget off", recs, off, clinicians, options.days),
        _bedside_arm(
            "relapse watch alone, budget on", recs, relapse_only, clinicians, options.days
        ),
        _naive_arm(recs, team, clinicians, config.start_date, options.days),
    ]
    prompts = None
    if options.prompting is not None:
        shown = sum(len(r.prompts) for r in recs)
        prompts = PromptCounts(
            shown=shown,
            answered=sum(p.answered for r in recs for p in r.prompts),
            per_patient_month=round(shown / max(1, len(recs)) / (options.days / 30.0), 3),
            patients_prompted=sum(bool(r.prompts) for r in recs),
        )
    return TriageEvaluation(options, arms, dict(sorted(by_protocol.items())), prompts, prompting)


def _device_records(
    options: TriageOptions, config: CohortConfig
) -> tuple[list[PatientRecord], PromptSetting | None]:
    from rich.console import Console

    from bedside.cli.demo_run import DemoOptions, train_risk_model
    from bedside.cli.demo_run import _progress as progress_bar
    from bedside.models import EpisodeRiskModel

    with tempfile.TemporaryDirectory() as tmp, progress_bar(Console(stderr=True)) as progress:
        model_path = train_risk_model(
            DemoOptions(
                seed=options.seed,
                training_patients=options.training_patients,
                training_days=options.training_days,
            ),
            progress,
            Path(tmp),
        )
        prompting = options.prompting
        if prompting is not None:
            base_rate = EpisodeRiskModel.load(model_path).bundle.training.get("positive_rate")
            if not isinstance(base_rate, float):
                raise ConfigurationError(
                    f"risk model {model_path}: training metadata lacks positive_rate"
                )
            prompting = prompting.for_model(base_rate)
        task = progress.add_task("Devices of the clinic", total=config.n_patients)
        out = []
        for record in simulate_devices(config, model_path, jobs=options.jobs, prompting=prompting):
            out.append(record)
            progress.advance(task)
        return out, prompting
