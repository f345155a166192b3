"""Model cards (JSON + Markdown) written next to every saved model bundle.

A card follows the sections of Mitchell et al. 2019 ("Model Cards for Model Reporting", FAT*):
model details, intended use (and uses it is not for), data, metrics with 95 % intervals,
calibration, metrics by subgroup where the data has them, and limits. Every figure in a card is
copied from the bundle's training metadata, which the training code computed; nothing is typed in.
Pure Python (no scikit-learn): a device can render the card of the model it runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bedside.inference import JsonValue, ModelBundle

__all__ = ["CARD_JSON", "CARD_MARKDOWN", "ModelCard", "model_card_from_bundle", "write_model_card"]

CARD_JSON = "model_card.json"
CARD_MARKDOWN = "model_card.md"


@dataclass(frozen=True)
class ModelCard:
    """The sections of a model card.

    Attributes
    ----------
    metrics : dict
        Name -> number or ``{estimate, low, high}`` (95 % interval).
    subgroups : dict
        Subgroup name -> its metrics (empty when the data has no subgroup attributes).
    """

    model_id: str
    version: str
    family: str
    task: str
    intended_use: str
    not_intended_for: list[str]
    data: dict[str, JsonValue]
    metrics: dict[str, JsonValue]
    calibration: dict[str, JsonValue]
    subgroups: dict[str, JsonValue]
    limits: list[str]
    details: dict[str, JsonValue] = field(default_factory=dict)

    def to_json(self) -> dict[str, JsonValue]:
        """JSON-ready dictionary of every section."""
        return {
            "model_id": self.model_id,
            "version": self.version,
            "family": self.family,
            "task": self.task,
            "intended_use": self.intended_use,
            "not_intended_for": list(self.not_intended_for),
            "data": self.data,
            "metrics": self.metrics,
            "calibration": self.calibration,
            "subgroups": self.subgroups,
            "limits": list(self.limits),
            "details": self.details,
        }

    def to_markdown(self) -> str:
        """The card as a Markdown document."""
        lines = [
            f"# Model card: {self.model_id} {self.version}",
            "",
            f"- Family: {self.family}",
            f"- Task: {self.task}",
            "",
            "## Intended use",
            self.intended_use,
            "",
            "Not intended for:",
            *[f"- {x}" for x in self.not_intended_for],
            "",
            "## Data",
            *[f"- {k}: {_fmt(v)}" for k, v in self.data.items()],
            "",
            "## Metrics (95 % intervals in brackets)",
            *[f"- {k}: {_fmt(v)}" for k, v in self.metrics.items()],
            "",
            "## Calibration",
            *[f"- {k}: {_fmt(v)}" for k, v in self.calibration.items() if k != "reliability"],
        ]
        reliability = self.calibration.get("reliability")
        if isinstance(reliability, list) and reliability:
            lines += ["", "| bin | mean predicted | observed rate | n |", "|---|---:|---:|---:|"]
            for b in reliability:
                if isinstance(b, dict):
                    lines.append(
                        f"| {_num(b.get('low'))}-{_num(b.get('high'))} | "
                        f"{_num(b.get('predicted'))} | {_num(b.get('observed'))} | "
                        f"{b.get('count')} |"
                    )
        lines += ["", "## Metrics by subgroup"]
        if self.subgroups:
            lines += [f"- {k}: {_fmt(v)}" for k, v in self.subgroups.items()]
        else:
            lines.append("- The training data has no subgroup attributes (sex, age).")
        lines += ["", "## Limits", *[f"- {x}" for x in self.limits], ""]
        if self.details:
            lines += ["## Details", *[f"- {k}: {_fmt(v)}" for k, v in self.details.items()], ""]
        return "\n".join(lines)


def _num(v: object) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _fmt(v: object) -> str:
    if isinstance(v, dict) and {"estimate", "low", "high"} <= set(v):
        return f"{_num(v['estimate'])} [{_num(v['low'])}, {_num(v['high'])}]"
    if isinstance(v, dict):
        return "; ".join(f"{k} {_fmt(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(_fmt(x) for x in v)
    return _num(v)


def _dict(value: JsonValue | None) -> dict[str, JsonValue]:
    return value if isinstance(value, dict) else {}


def _episode_card(bundle: ModelBundle) -> ModelCard:
    t = bundle.training
    held = _dict(t.get("held_out_patients"))
    cal = _dict(held.get("calibration"))
    metrics: dict[str, JsonValue] = {
        "auroc (held-out patients)": held.get("auroc"),
        "brier": held.get("brier"),
        "brier of the base rate": held.get("brier_base_rate"),
        "ece (10 bins)": held.get("ece"),
        "conformal coverage of patient-days (held-out folds)": held.get("conformal_coverage"),
        "conformal coverage, mean per patient (held-out folds)": held.get(
            "conformal_patient_coverage"
        ),
        "conformal alpha": held.get("conformal_alpha"),
    }
    return ModelCard(
        model_id=bundle.model_id,
        version=bundle.version,
        family=str(t.get("family", "logistic")),
        task=str(t.get("task", "")),
        intended_use=(
            "Decision support for clinicians monitoring patients with a history of depression: "
            "a calibrated probability, with its uncertainty and the biomarkers behind it, that "
            "prompts a clinician to check in. A clinician decides; the model never acts alone."
        ),
        not_intended_for=[
            "diagnosing depression or any other condition",
            "automatic treatment decisions, unsupervised triage, insurance or employment use",
            "populations or devices unlike the training data without re-validation",
        ],
        data={
            "training data": t.get("training_data"),
            "patients": t.get("n_patients"),
            "patients fitted": t.get("n_patients_fitted"),
            "patient-days": t.get("n_patient_days"),
            "positive rate": t.get("positive_rate"),
            "features": [f.name for f in bundle.features],
        },
        metrics=metrics,
        calibration={
            "method": t.get("calibration"),
            **{k: v for k, v in cal.items() if k in ("n", "base_rate", "reliability")},
            "conformal": t.get("conformal"),
        },
        subgroups={},
        limits=[
            "Trained and evaluated on synthetic cohorts only: its real-world accuracy is unknown.",
            "Held-out metrics pool patient-days of held-out patients; days of one patient are "
            "correlated, so intervals resample patients.",
            "Conformal sets are calibrated out of fold with the patient as the unit (one random "
            "day per patient and class), aiming at covering a random day of a new patient with "
            "probability >= 1 - alpha; cross-conformal validity is approximate, and under cohort "
            "shift coverage is not guaranteed (see the shift evaluation).",
            "Missing biomarkers are imputed as 'at baseline'; the coverage feature flags this.",
            f"Interval: {t.get('interval')}",
        ],
        details={
            "estimator": t.get("estimator"),
            "contributions": t.get("contributions"),
            "scikit-learn": t.get("scikit_learn"),
            "skl2onnx": t.get("skl2onnx"),
            "onnx sha256": bundle.sha256,
            "onnx bytes": len(bundle.onnx_bytes),
        },
    )


def _depresjon_card(bundle: ModelBundle) -> ModelCard:
    t = bundle.training
    ev = _dict(t.get("evaluation"))
    family = str(t.get("family", "logistic"))
    block = _dict(ev.get(family))
    days = _dict(ev.get(f"{family}_days"))
    metrics: dict[str, JsonValue] = {f"participant {k}": v for k, v in block.items()}
    metrics.update({f"day-level {k}": v for k, v in days.items()})
    metrics.update(
        {f"paper 3-feature baseline {k}": v for k, v in _dict(ev.get("paper_baseline")).items()}
    )
    metrics.update(
        {
            f"paper 3-feature baseline day-level {k}": v
            for k, v in _dict(ev.get("paper_baseline_days")).items()
        }
    )
    if ev.get("madrs_regression"):
        metrics["MADRS regression (mean absolute error)"] = ev.get("madrs_regression")
    subgroups = _dict(ev.get("subgroups_logistic_auroc")) if family == "logistic" else {}
    return ModelCard(
        model_id=bundle.model_id,
        version=bundle.version,
        family=family,
        task="P(participant belongs to the depressed group) from ~2 weeks of wrist actigraphy",
        intended_use=(
            "Research benchmark of how much signal actigraphy biomarkers carry about depression "
            "(Depresjon dataset, Garcia-Ceja et al. 2018, doi:10.1145/3204949.3208125). "
            "Never the clinical model."
        ),
        not_intended_for=[
            "screening or diagnosing depression in anyone",
            "clinical decisions of any kind",
        ],
        data={
            "training data": t.get("training_data"),
            "participants": t.get("n_participants"),
            "depressed": t.get("n_depressed"),
            "days": t.get("days"),
            "features": t.get("features"),
            "citation": (
                "Garcia-Ceja E. et al. Depresjon: A Motor Activity Database of Depression "
                "Episodes in Unipolar and Bipolar Patients. MMSys 2018. "
                "doi:10.1145/3204949.3208125"
            ),
        },
        metrics=metrics,
        calibration={"method": t.get("estimator"), "evaluation protocol": ev.get("protocol")},
        subgroups=subgroups,
        limits=[
            "Small sample (tens of participants): wide intervals; subgroup figures are fragile.",
            "Season is confounded with the label in this dataset; no feature sees dates, months, "
            "day length or clock times, and re-dating recordings leaves the features unchanged "
            "(tested; a recording crossing a clock change shifts by an hour on its minute grid, "
            "which moves its probability by less than 0.01, also tested). Seasonal behaviour "
            "itself (e.g. activity in light summer nights) cannot be separated from the label.",
            "MADRS severity: no usable signal in the training patients; the shrunk regression "
            "predicts the training mean (see the MADRS metrics).",
            "Patients (partly inpatients) versus community controls: the contrast is larger than "
            "between depressed and non-depressed people in any screening population.",
            f"Evaluation interval: {ev.get('interval')}",
        ],
        details={
            "estimator": t.get("estimator"),
            "scikit-learn": t.get("scikit_learn"),
            "onnx sha256": bundle.sha256,
            "onnx bytes": len(bundle.onnx_bytes),
        },
    )


def model_card_from_bundle(bundle: ModelBundle) -> ModelCard:
    """The card of an episode-risk or Depresjon bundle, from its training metadata."""
    if "held_out_patients" in bundle.training:
        return _episode_card(bundle)
    return _depresjon_card(bundle)


def write_model_card(bundle: ModelBundle, manifest_path: Path) -> tuple[Path, Path]:
    """Write ``model_card.json`` and ``model_card.md`` beside a saved bundle's manifest.

    For a bundle saved as ``name.json`` the files are ``name.model_card.json`` / ``.md``.
    """
    card = model_card_from_bundle(bundle)
    if manifest_path.name == "bundle.json":
        json_path = manifest_path.parent / CARD_JSON
        md_path = manifest_path.parent / CARD_MARKDOWN
    else:
        json_path = manifest_path.with_suffix(".model_card.json")
        md_path = manifest_path.with_suffix(".model_card.md")
    text = json.dumps(card.to_json(), indent=2, sort_keys=False, allow_nan=False)
    json_path.write_text(text + "\n", encoding="utf-8")
    md_path.write_text(card.to_markdown(), encoding="utf-8")
    return json_path, md_path
