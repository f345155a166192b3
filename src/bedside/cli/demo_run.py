"""`bedside demo`: a synthetic clinic run end to end, device side then clinic side.

1. Train the episode-risk model on a separate synthetic training cohort (another seed) by
   federated learning (FedAvg + SecAgg+, one Flower client per training patient, labelled by
   the patient's own PHQ-9; `bedside.federated.demo_model`), export it to ONNX and publish it
   signed by a model-publisher key; the devices verify signature, model card and ONNX hash
   before loading it, as a phone would. ``federated=False`` (``--centralised``) trains the
   former centralised model (calibrated logistic regression on the cohort's episode labels).
2. Generate the clinic (patients with injected episodes whose onset and effects are known).
3. Device side, per patient: raw minute actigraphy -> daily biomarkers -> baseline and verified
   trends -> risk -> one finding per day. Raw samples stay here. The findings then travel sealed
   (signed by the patient, encrypted to the clinic) under each patient's consent, through the
   decrypting processor into the clinic's store (`demo_sealed`; policy ``allow_unattested``).
4. Clinic side, day by day in calendar order: every patient's finding, PHQ-9 answers and EHR
   medications through all built-in protocols (relapse watch, measurement-based care,
   medication effect, crisis, data gap, improvement); recommendations deduplicated per patient
   and protocol; everything stored (SQLite).
5. FHIR: one transaction Bundle (validated) of the findings that raised recommendations and each
   patient's latest finding, written to ``out/``; its resources are served by the FHIR read API.
6. Score the recommendations against the ground truth (`demo_summary`).
7. Keep the PHQ-9s and the simulated EHR's medications (as FHIR MedicationRequests) in the
   store, so the dashboard charts them next to the findings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bedside.baseline import DailyTrendMonitor
from bedside.baseline.watch_set import unwatched_outside
from bedside.biomarkers import REGISTRY, extract_daily
from bedside.cli.clinic_simulation import care_team, day_context, end_of_day
from bedside.cli.demo_sealed import deliver_sealed
from bedside.cli.demo_summary import DemoSummary, summarise
from bedside.clinical import AlertBudget, RecommendationEngine, triage
from bedside.device import DevicePipeline, DeviceRun
from bedside.domain import DailyBiomarkerTable, Finding, Recommendation, RecommendationStatus
from bedside.fhir import (
    bundle_resources,
    finding_bundle,
    merge_transaction_bundles,
    validate_bundle,
)
from bedside.models import EpisodeRiskModel, episode_examples
from bedside.privacy import Identity, PartyKind
from bedside.sensors import (
    CohortConfig,
    SyntheticPatient,
    episode_risk_labels,
    generate_cohort,
    iter_cohort,
)
from bedside.sensors.synthetic_config import SYNTHETIC_EXTRA_MODALITIES
from bedside.store import SqlStore, create_store

__all__ = ["DemoOptions", "DemoResult", "run_demo"]

TRAINING_SEED_OFFSET = 1_000_003
"""Added to the clinic's seed for the training cohort, so the model never sees clinic patients."""

DEMO_TREND_ALARMS_PER_YEAR = 1.0
"""Family-wise false trend alarms per patient-year the demo's monitors are calibrated to.

The device default (1). Until 2026-11-27 the demo ran at 12: the univariate-only monitor found no
episode's trends in time at 1 per year (0 of 7 in the e2e demo). The device monitor now has the
episode-signature chart with half the budget (`bedside.baseline.chart_family`), which is built
for the episodes' pattern; each finding carries the rate it was calibrated to.
"""


@dataclass(frozen=True)
class DemoOptions:
    """Settings of one demo run (see `bedside demo --help`).

    Attributes
    ----------
    cohort : mapping of str to value
        Extra `CohortConfig` parameters for the clinic (e.g. ``effect_activity_sd``); the training
        cohort keeps the generator's defaults, so results can be checked under other settings.
    """

    patients: int = 30
    days: int = 60
    seed: int = 42
    out: Path = Path("out")
    training_patients: int = 200
    training_days: int = 90
    cohort: Mapping[str, Any] = field(default_factory=dict)
    quiet: bool = False
    federated: bool = True


@dataclass
class DemoResult:
    """What the demo produced."""

    summary: DemoSummary
    store: SqlStore
    bundle_path: Path
    model_path: Path
    clock_end: dt.datetime
    recommendations: list[Recommendation]
    clinic: Identity | None = None
    """The clinic service's identity (signs the audit log; the dashboard's tokens too)."""
    patient_ids: tuple[str, ...] = ()


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _labels_for(
    table: DailyBiomarkerTable, patient: SyntheticPatient, start: dt.date
) -> npt.NDArray[np.bool_]:
    """The patient's episode-risk labels on the table's rows (the table spans first to last
    sample, which can start or end later than the monitoring period when the device was off)."""
    offset = (table.date_list()[0] - start).days
    return episode_risk_labels(patient)[offset : offset + table.n_days]


def train_risk_model(options: DemoOptions, progress: Progress, model_dir: Path) -> Path:
    """Train the episode-risk model on its own synthetic cohort; returns the bundle path."""
    from bedside.models import train_episode_risk

    config = CohortConfig(
        n_patients=options.training_patients,
        n_days=options.training_days,
        seed=options.seed + TRAINING_SEED_OFFSET,
        # The risk model reads actigraphy biomarkers only; other modalities would cost time.
        extra_modalities=(),
    )
    if options.federated:
        from bedside.federated.demo_model import train_federated_model

        fed = progress.add_task("Federated training (FedAvg + SecAgg+, signed bundle)", total=1)
        path = train_federated_model(config, model_dir, seed=options.seed)
        progress.advance(fed)
        return path
    task = progress.add_task("Training cohort: generate + biomarkers", total=config.n_patients)
    cohort = generate_cohort(config)
    examples = []
    for patient in cohort.patients:
        table = extract_daily(patient.actigraphy)
        examples.append(episode_examples(table, _labels_for(table, patient, config.start_date)))
        progress.advance(task)
    fit = progress.add_task("Training episode-risk model", total=1)
    model = train_episode_risk(examples, seed=options.seed)
    progress.advance(fit)
    return model.save(model_dir)


def run_devices(
    patients: Iterable[SyntheticPatient],
    n_patients: int,
    model: EpisodeRiskModel,
    progress: Progress,
) -> tuple[dict[str, DeviceRun], list[SyntheticPatient]]:
    """The device side, one patient at a time (each device sees only its own data).

    Returns the runs and the patients without their other modalities' raw data, which stays
    on the device: with `patients` generated lazily (``iter_cohort``), memory holds one
    patient's GPS fixes, keystrokes and RR intervals at a time.
    """
    task = progress.add_task("Devices: generate, biomarkers, trends, risk", total=n_patients)
    runs = {}
    kept = []
    for patient in patients:
        pipeline = DevicePipeline(
            model,
            device_id=f"device-{patient.patient_id}",
            # The curated watch set, not every column (bedside.baseline.watch_set).
            monitor=DailyTrendMonitor(
                target_rate_per_year=DEMO_TREND_ALARMS_PER_YEAR,
                unwatched=unwatched_outside(REGISTRY),
            ),
        )
        runs[patient.patient_id] = (
            pipeline.run_frames(patient.frames())
            if patient.raw
            else pipeline.run(patient.actigraphy)
        )
        kept.append(dataclasses.replace(patient, raw={}))
        progress.advance(task)
    return runs, kept


DEMO_CLINICIANS = 5
DEMO_BUDGET = 5


@dataclass(frozen=True)
class TriageTally:
    """How the demo's triage delivered recommendations (counts by delivery) and the busiest
    clinician-day's interruptions."""

    deliveries: dict[str, int]
    peak_interruptive_per_clinician_day: int


def run_clinic(
    runs: Mapping[str, DeviceRun],
    patients: Sequence[SyntheticPatient],
    store: SqlStore,
    progress: Progress,
    start: dt.date,
    n_days: int,
) -> tuple[dict[str, list[dt.date]], list[tuple[Finding, list[Recommendation]]], TriageTally]:
    """Replay the calendar through every built-in protocol, patient by patient each day, with
    the patient's findings, PHQ-9 answers and EHR medications. Returns the local days on which
    episode-detecting recommendations were first raised (for the summary) and the findings that
    raised or refreshed a recommendation (for the FHIR bundle), and how triage delivered each
    day's new and escalated recommendations to the demo's clinicians under the alert budget."""
    from bedside.cli.triage_evaluation import DETECTION_PROTOCOLS

    engine = RecommendationEngine.builtin()
    findings = {pid: {f.date: f for f in run.findings} for pid, run in runs.items()}
    raised: dict[str, list[dt.date]] = {pid: [] for pid in runs}
    acted: list[tuple[Finding, list[Recommendation]]] = []
    deliveries: dict[str, int] = {}
    peak = 0
    team = care_team([p.patient_id for p in patients], DEMO_CLINICIANS)
    budget = AlertBudget(max_interruptive_per_day=DEMO_BUDGET)
    actionability = {p.id: p.actionability for p in engine.protocols}
    task = progress.add_task("Clinic: protocols and triage", total=n_days)
    for offset in range(n_days):
        day = start + dt.timedelta(days=offset)
        todays: list[Recommendation] = []
        for patient in patients:
            pid = patient.patient_id
            finding = findings[pid].get(day)
            if finding is not None:
                store.findings.add(finding)
            ctx = day_context(pid, day, findings[pid], patient.phq9, patient.medications)
            known = store.recommendations.list_for_patient(pid)
            result = engine.evaluate_context(ctx, end_of_day(day, patient.zone), known)
            for rec in result.changed:
                store.recommendations.upsert(rec)
            raised[pid].extend(day for r in result.new if r.protocol_id in DETECTION_PROTOCOLS)
            todays.extend((*result.new, *result.escalated))
            # FHIR resources hang off a finding; a crisis on a day without one is still stored
            # and served (CDS Hooks, dashboard), just not in this day's bundle.
            if result.recommendations and finding is not None:
                acted.append((finding, list(result.recommendations)))
        if todays:
            decided = triage(todays, end_of_day(day, patients[0].zone), team, budget, actionability)
            for item in decided.items:
                deliveries[item.delivery.value] = deliveries.get(item.delivery.value, 0) + 1
            peak = max([peak, *decided.interruptive_count().values()])
        progress.advance(task)
    return raised, acted, TriageTally(deliveries, peak)


def keep_clinical_record(
    patients: Sequence[SyntheticPatient], store: SqlStore, last_day: dt.date
) -> None:
    """Store what the clinic knows by `last_day` besides findings, for the dashboard: the PHQ-9s
    patients answered on their devices, and the simulated EHR's medication record as FHIR
    MedicationRequests (the protocols read both through `day_context` during the replay)."""
    from bedside.fhir.medication_request import medication_request

    for patient in patients:
        for response in patient.phq9:
            if response.date <= last_day:
                store.phq9.add(response)
        store.fhir.put_many(
            [medication_request(m) for m in patient.medications if m.start <= last_day]
        )


def write_bundle(
    runs: Mapping[str, DeviceRun],
    acted: Sequence[tuple[Finding, list[Recommendation]]],
    zones: Mapping[str, str],
    store: SqlStore,
    out: Path,
    recorded: dt.datetime,
) -> Path:
    """One validated transaction Bundle; its resources also go to the store's FHIR repository."""
    bundles = [
        finding_bundle(
            finding,
            zone=zones[finding.patient_id],
            recorded=recorded,
            recommendations=recs,
            table=runs[finding.patient_id].table,
        )
        for finding, recs in acted
    ]
    for pid, run in runs.items():
        bundles.append(
            finding_bundle(run.findings[-1], zone=zones[pid], recorded=recorded, table=run.table)
        )
    bundle = merge_transaction_bundles(bundles, recorded)
    validate_bundle(bundle)
    path = out / "fhir-transaction-bundle.json"
    path.write_text(json.dumps(bundle, indent=1) + "\n", encoding="utf-8")
    for resource in bundle_resources(bundle):
        store.fhir.put(resource)
    return path


def run_demo(options: DemoOptions) -> DemoResult:
    """Run the demo and print its summary table; see the module docstring."""
    console = Console(quiet=options.quiet)
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    db = out / "bedside.db"
    for stale in (db, db.with_suffix(".db-wal"), db.with_suffix(".db-shm")):
        stale.unlink(missing_ok=True)
    # The clinic's devices see every synthetic modality (the training cohort: actigraphy only).
    clinic_config = CohortConfig(
        n_patients=options.patients,
        n_days=options.days,
        seed=options.seed,
        **{"extra_modalities": SYNTHETIC_EXTRA_MODALITIES, **options.cohort},
    )
    with _progress(console) as progress:
        model_path = train_risk_model(options, progress, out / "models" / "episode-risk")
        if options.federated:
            from bedside.federated.demo_model import load_demo_model

            model = load_demo_model(model_path)  # signature + model card checked first
        else:
            model = EpisodeRiskModel.load(model_path)
        runs, patients = run_devices(
            iter_cohort(clinic_config), clinic_config.n_patients, model, progress
        )
        zones = {p.patient_id: p.zone for p in patients}
        store = create_store(f"sqlite:///{db}")
        last_day = clinic_config.start_date + dt.timedelta(days=options.days - 1)
        clock_end = end_of_day(last_day, clinic_config.zone)
        clock_start = end_of_day(
            clinic_config.start_date - dt.timedelta(days=1), clinic_config.zone
        )
        clinic_identity = Identity.generate(PartyKind.CLINIC_SERVICE)
        runs = deliver_sealed(
            runs, store, clock_start, clock_end, progress, console, clinic=clinic_identity
        )
        raised, acted, tally = run_clinic(
            runs, patients, store, progress, clinic_config.start_date, options.days
        )
        keep_clinical_record(patients, store, last_day)
    bundle_path = write_bundle(runs, acted, zones, store, out, clock_end)
    summary = summarise(
        episodes={p.patient_id: [(e.onset, e.end) for e in p.episodes] for p in patients},
        recommendation_dates=raised,
        patients=options.patients,
        monitored_days=options.days,
        seed=options.seed,
    )
    recs = [r for p in patients for r in store.recommendations.list_for_patient(p.patient_id)]
    _print_summary(console, summary, recs, bundle_path, model_path)
    console.print(
        f"Triage ({DEMO_CLINICIANS} clinicians, budget {DEMO_BUDGET} interruptive per clinician "
        f"per day; crises always interrupt): {tally.deliveries}; busiest clinician-day had "
        f"{tally.peak_interruptive_per_clinician_day} interruption(s)"
    )
    return DemoResult(
        summary,
        store,
        bundle_path,
        model_path,
        clock_end,
        recs,
        clinic=clinic_identity,
        patient_ids=tuple(p.patient_id for p in patients),
    )


def _print_summary(
    console: Console,
    summary: DemoSummary,
    recs: Sequence[Recommendation],
    bundle_path: Path,
    model_path: Path,
) -> None:
    table = Table(title="Bedside demo: synthetic clinic")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in summary.to_json_dict().items():
        table.add_row(key, "n/a" if value is None else str(value))
    console.print(table)
    open_now = sum(r.status is RecommendationStatus.OPEN for r in recs)
    console.print(f"Recommendations raised: {len(recs)} (open at the end: {open_now})")
    console.print(f"FHIR transaction bundle: {bundle_path}")
    console.print(f"Episode-risk model bundle: {model_path}")
