"""The demo's federated episode-risk model: trained over a synthetic cohort, published signed.

`train_federated_model` runs FedAvg with SecAgg+ over one client per synthetic patient (labels:
the patient's own PHQ-9, `bedside.federated.cohort_data`), exports the global model to ONNX,
publishes it signed by a freshly generated model-publisher identity and writes that publisher's
did:key to ``trusted_publishers.txt`` beside the bundle (the devices' allow-list).
`load_demo_model` is the device side: signature, model card and ONNX hash are verified against
that allow-list before the model is used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bedside.federated.cohort_data import whitened_cohort
from bedside.federated.logistic import predict_logit
from bedside.federated.publish import federated_bundle, load_published_model, publish_bundle
from bedside.federated.server_app import SecAggSettings
from bedside.federated.simulation import RunSpec, simulate
from bedside.inference import JsonValue
from bedside.models import EpisodeRiskModel
from bedside.models.metrics_ci import auroc, cluster_bootstrap
from bedside.privacy.identity import Identity, PartyKind
from bedside.sensors import CohortConfig

__all__ = ["TRUSTED_PUBLISHERS_FILE", "load_demo_model", "train_federated_model"]

TRUSTED_PUBLISHERS_FILE = "trusted_publishers.txt"


def train_federated_model(
    config: CohortConfig, model_dir: Path, *, rounds: int = 5, seed: int = 0, secure: bool = True
) -> Path:
    """Train, export and publish (module docstring); returns the signed manifest's path."""
    clients, whitening = whitened_cohort(config)
    spec = RunSpec(rounds=rounds, secagg=SecAggSettings() if secure else None, seed=seed)
    run = simulate(clients, spec, evaluate=False)
    y = np.concatenate([c.y_test for c in clients])
    s = np.concatenate([predict_logit(run.parameters, c.X_test) for c in clients])
    groups = np.concatenate([np.full(c.y_test.size, c.client_id) for c in clients])
    held = cluster_bootstrap(auroc, y, s, groups, n_bootstrap=200, seed=seed)
    training: dict[str, JsonValue] = {
        "task": (
            "P(a PHQ-9 >= 10 within the next 14 days) for one patient-day, from the patient's "
            "own PHQ-9 answers as labels"
        ),
        "training_data": (
            f"federated over {len(clients)} synthetic patients (seed {config.seed}, "
            f"{config.n_days} days), one Flower client each"
        ),
        "n_patients": len(clients),
        "n_patient_days": int(sum(c.y.size for c in clients)),
        "positive_rate": float(np.concatenate([c.y for c in clients]).mean()),
        "held_out_patients": {
            "method": "each patient's last 30% of labelled days, pooled",
            "auroc": held.to_json(),
        },
        "estimator": (
            f"logistic regression on whitened episode features, {spec.name()}, {rounds} rounds, "
            f"{spec.local.steps} local gradient steps of {spec.local.learning_rate:g} per round, "
            f"server step {spec.server.learning_rate:g}; no post-hoc calibration"
        ),
        "federation": {
            "clients": len(clients),
            "rounds": rounds,
            "aggregation": spec.name(),
            "secagg_num_shares": None if spec.secagg is None else spec.secagg.num_shares,
        },
    }
    model = federated_bundle(run.parameters, whitening, training=training)
    publisher = Identity.generate(PartyKind.MODEL_PUBLISHER)
    manifest = publish_bundle(model, model_dir, publisher)
    (model_dir / TRUSTED_PUBLISHERS_FILE).write_text(publisher.did + "\n", encoding="utf-8")
    return manifest


def load_demo_model(manifest: Path) -> EpisodeRiskModel:
    """Verify against ``trusted_publishers.txt`` beside the bundle, then load."""
    trusted_file = Path(manifest).parent / TRUSTED_PUBLISHERS_FILE
    trusted = [
        line.strip() for line in trusted_file.read_text("utf-8").splitlines() if line.strip()
    ]
    return load_published_model(Path(manifest), trusted)
