"""OnnxModel and model bundles: parity with scikit-learn, input checks, hash and signature hook."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skl2onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LogisticRegression

from bedside.domain import ModelError
from bedside.inference import FeatureSpec, ModelBundle, OnnxModel, load_bundle, save_bundle

N_FEATURES = 3


@pytest.fixture(scope="module")
def fitted() -> tuple[LogisticRegression, bytes, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, N_FEATURES))
    y = (X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=200) > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    onx = skl2onnx.convert_sklearn(
        model,
        initial_types=[("x", FloatTensorType([None, N_FEATURES]))],
        options={"zipmap": False},
        target_opset=17,
    )
    return model, onx.SerializeToString(), X


def _bundle(onnx_bytes: bytes, n: int = N_FEATURES) -> ModelBundle:
    return ModelBundle(
        model_id="test.model",
        version="1.2.3",
        onnx_bytes=onnx_bytes,
        features=tuple(FeatureSpec(f"f{i}", "float32", f"feature {i}") for i in range(n)),
        threshold=0.4,
        training={"n": 200, "metrics": {"auroc": 0.9}},
        extra={"note": "x"},
    )


def test_onnx_probabilities_match_sklearn(
    fitted: tuple[LogisticRegression, bytes, np.ndarray],
) -> None:
    model, data, X = fitted
    onnx = OnnxModel.load(data)
    assert onnx.n_features == N_FEATURES
    np.testing.assert_allclose(onnx.predict_proba(X), model.predict_proba(X)[:, 1], atol=1e-5)
    assert onnx.predict_proba(np.empty((0, N_FEATURES))).shape == (0,)


def test_onnx_loads_from_path_and_threads_option(
    fitted: tuple[LogisticRegression, bytes, np.ndarray], tmp_path: Path
) -> None:
    _, data, X = fitted
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    a = OnnxModel.load(path, threads=None).predict_proba(X[:5])
    b = OnnxModel.load(str(path)).predict_proba(X[:5])
    np.testing.assert_array_equal(a, b)


def test_onnx_rejects_bad_inputs(fitted: tuple[LogisticRegression, bytes, np.ndarray]) -> None:
    _, data, X = fitted
    onnx = OnnxModel.load(data)
    with pytest.raises(ModelError, match="expects shape"):
        onnx.predict_proba(X[:, :2])
    with pytest.raises(ModelError, match="expects shape"):
        onnx.predict_proba(X[0])
    bad = X[:2].copy()
    bad[0, 0] = np.nan
    with pytest.raises(ModelError, match="NaN"):
        onnx.predict_proba(bad)


def test_onnx_load_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read"):
        OnnxModel.load(tmp_path / "missing.onnx")
    with pytest.raises(ModelError, match="not a valid ONNX"):
        OnnxModel.load(b"not an onnx model")


@pytest.mark.parametrize("layout", ["dir", "pair"])
def test_bundle_round_trip(
    fitted: tuple[LogisticRegression, bytes, np.ndarray], tmp_path: Path, layout: str
) -> None:
    _, data, X = fitted
    bundle = _bundle(data)
    target = tmp_path / "bundle" if layout == "dir" else tmp_path / "risk.json"
    manifest = save_bundle(bundle, target)
    assert manifest.is_file()
    loaded = load_bundle(target)
    assert loaded == bundle
    assert loaded.sha256 == json.loads(manifest.read_text())["onnx_sha256"]
    np.testing.assert_array_equal(
        loaded.onnx_model().predict_proba(X[:10]), OnnxModel.load(data).predict_proba(X[:10])
    )


def test_bundle_detects_tampered_onnx(
    fitted: tuple[LogisticRegression, bytes, np.ndarray], tmp_path: Path
) -> None:
    _, data, _ = fitted
    save_bundle(_bundle(data), tmp_path)
    onnx_path = tmp_path / "model.onnx"
    raw = bytearray(onnx_path.read_bytes())
    raw[-1] ^= 0x01
    onnx_path.write_bytes(bytes(raw))
    with pytest.raises(ModelError, match="SHA-256"):
        load_bundle(tmp_path)


def test_bundle_rejects_feature_count_mismatch_and_bad_manifest(
    fitted: tuple[LogisticRegression, bytes, np.ndarray], tmp_path: Path
) -> None:
    _, data, _ = fitted
    with pytest.raises(ModelError, match="declares 2"):
        _bundle(data, n=2).onnx_model()
    save_bundle(_bundle(data), tmp_path)
    manifest = tmp_path / "bundle.json"
    doc = json.loads(manifest.read_text())
    del doc["features"]
    manifest.write_text(json.dumps(doc))
    with pytest.raises(ModelError, match="malformed"):
        load_bundle(tmp_path)
    with pytest.raises(ModelError, match="cannot read bundle manifest"):
        load_bundle(tmp_path / "nowhere")


def test_bundle_validation_and_named_matrix(
    fitted: tuple[LogisticRegression, bytes, np.ndarray],
) -> None:
    _, data, _ = fitted
    with pytest.raises(ModelError, match="duplicate"):
        ModelBundle("m", "1", data, (FeatureSpec("a"), FeatureSpec("a")), 0.5)
    with pytest.raises(ModelError, match="threshold"):
        ModelBundle("m", "1", data, (FeatureSpec("a"),), 1.5)
    bundle = _bundle(data)
    m = bundle.matrix({"f2": [3.0], "f0": [1.0], "f1": [2.0], "unused": [9.0]})
    np.testing.assert_array_equal(m, [[1.0, 2.0, 3.0]])
    with pytest.raises(ModelError, match="missing features"):
        bundle.matrix({"f0": [1.0]})


class _RecordingVerifier:
    def __init__(self, accept: bool) -> None:
        self.accept = accept
        self.calls: list[tuple[bytes, bytes | None, str]] = []

    def verify(self, manifest: bytes, signature: bytes | None, *, source: str) -> None:
        self.calls.append((manifest, signature, source))
        if not self.accept:
            raise ModelError(f"{source}: bad signature")


def test_signature_hook_gets_manifest_and_signature(
    fitted: tuple[LogisticRegression, bytes, np.ndarray], tmp_path: Path
) -> None:
    _, data, _ = fitted
    manifest = save_bundle(_bundle(data), tmp_path)
    ok = _RecordingVerifier(accept=True)
    load_bundle(tmp_path, verifier=ok)
    assert ok.calls == [(manifest.read_bytes(), None, str(manifest))]
    (tmp_path / "bundle.json.sig").write_bytes(b"sig")
    ok2 = _RecordingVerifier(accept=True)
    load_bundle(tmp_path, verifier=ok2)
    assert ok2.calls[0][1] == b"sig"
    with pytest.raises(ModelError, match="bad signature"):
        load_bundle(tmp_path, verifier=_RecordingVerifier(accept=False))
