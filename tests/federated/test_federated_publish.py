"""ONNX export of the federated model, publisher signature and the device's checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bedside.domain import ModelError
from bedside.federated.logistic import predict_proba
from bedside.federated.publish import federated_bundle, load_published_model, publish_bundle
from bedside.federated.whitening import Whitening
from bedside.privacy.identity import Identity, PartyKind

TRAINING = {
    "task": "test task",
    "held_out_patients": {"auroc": {"estimate": 0.7, "low": 0.6, "high": 0.8}},
}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Identity, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 17))
    wh = Whitening.fit(X)
    w = rng.normal(size=18) * 0.3
    model = federated_bundle(w, wh, training=TRAINING)
    publisher = Identity.generate(PartyKind.MODEL_PUBLISHER)
    manifest = publish_bundle(model, tmp_path_factory.mktemp("bundle"), publisher)
    ref = predict_proba(w, wh.apply(X.astype(np.float32).astype(np.float64)))
    np.save(manifest.parent / "X.npy", X)
    return manifest, publisher, ref


def test_device_loads_a_verified_model_equal_to_the_federated_parameters(published) -> None:  # type: ignore[no-untyped-def]
    manifest, publisher, ref = published
    model = load_published_model(manifest, {publisher.did})
    X = np.load(manifest.parent / "X.npy")
    assert np.abs(model.onnx.predict_proba(X) - ref).max() < 1e-5
    card = json.loads((manifest.parent / "model_card.json").read_text())
    assert card["model_id"] == model.model_id == "bedside.episode-risk.federated"


def test_untrusted_publisher_is_refused(published) -> None:  # type: ignore[no-untyped-def]
    manifest, _, _ = published
    other = Identity.generate(PartyKind.MODEL_PUBLISHER)
    with pytest.raises(ModelError, match="not a trusted model publisher"):
        load_published_model(manifest, {other.did})


def _copy(src: Path, dst: Path) -> Path:
    for p in src.parent.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst / src.name


def test_tampering_is_refused(published, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    manifest, publisher, _ = published
    trusted = {publisher.did}
    card = _copy(manifest, tmp_path).parent / "model_card.json"
    card.write_text(card.read_text().replace("test task", "another task"))
    with pytest.raises(ModelError, match="model card differs"):
        load_published_model(tmp_path / manifest.name, trusted)
    d2 = tmp_path / "b"
    d2.mkdir()
    m2 = _copy(manifest, d2)
    m2.write_text(m2.read_text().replace('"threshold": 0.5', '"threshold": 0.1'))
    with pytest.raises(ModelError, match="manifest changed"):
        load_published_model(m2, trusted)
    d3 = tmp_path / "c"
    d3.mkdir()
    m3 = _copy(manifest, d3)
    (d3 / (manifest.name + ".sig")).unlink()
    with pytest.raises(ModelError, match="no publisher signature"):
        load_published_model(m3, trusted)
    d4 = tmp_path / "d"
    d4.mkdir()
    m4 = _copy(manifest, d4)
    onnx = d4 / "model.onnx"
    onnx.write_bytes(onnx.read_bytes() + b"\0")
    with pytest.raises(ModelError, match="SHA-256"):
        load_published_model(m4, trusted)


@pytest.mark.slow
def test_demo_model_trains_publishes_and_verifies(tmp_path: Path) -> None:
    from bedside.federated.demo_model import load_demo_model, train_federated_model
    from bedside.sensors import CohortConfig

    config = CohortConfig(n_patients=8, n_days=60, seed=4, extra_modalities=())
    manifest = train_federated_model(config, tmp_path, rounds=1, secure=False)
    model = load_demo_model(manifest)
    assert model.bundle.training["federation"]["clients"] == 8  # type: ignore[index]
    (tmp_path / "trusted_publishers.txt").write_text(
        Identity.generate(PartyKind.MODEL_PUBLISHER).did + "\n"
    )
    with pytest.raises(ModelError, match="not a trusted"):
        load_demo_model(manifest)
