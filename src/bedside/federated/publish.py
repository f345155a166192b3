"""Export the federated global model to ONNX and publish it as a bundle signed by the publisher.

`federated_bundle` folds the whitening into the logistic coefficients
(`bedside.federated.whitening.Whitening.fold_into`), converts the resulting logistic regression
with skl2onnx (input ``features`` float32, the #4 episode features in model order) and wraps it
as an episode-risk `ModelBundle` whose training metadata records the federation (clients,
rounds, aggregation, SecAgg+, DP epsilon) and the held-out AUROC, so the model card
(`bedside.models.model_card`) describes it.

`publish_bundle` saves the bundle and its model card and writes ``<manifest>.sig``: a compact
JWS (alg Ed25519, `bedside.privacy.signed_json`) by the model publisher's did:key over the
SHA-256 of the manifest (which pins the ONNX file's SHA-256) and of the model card JSON.
`load_published_model` is what a device runs before using a model: it checks the signature
against its allow-list of publisher DIDs, the manifest and model-card hashes, that the card
names the same model and version, then loads the ONNX (whose hash the manifest pins).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression

from bedside.domain import ModelError
from bedside.federated.whitening import Whitening
from bedside.inference import FeatureSpec, JsonValue, ModelBundle
from bedside.models import EpisodeRiskModel
from bedside.models.episode_risk import EPISODE_RISK_MODEL_ID
from bedside.models.episode_risk_training import export_onnx
from bedside.models.features import DEFAULT_EPISODE_BIOMARKERS, episode_feature_names
from bedside.privacy.errors import IdentityError
from bedside.privacy.identity import Identity
from bedside.privacy.signed_json import sign_json, verify_json

__all__ = [
    "BUNDLE_SIGNATURE_TYP",
    "FEDERATED_MODEL_ID",
    "PublisherVerifier",
    "federated_bundle",
    "load_published_model",
    "publish_bundle",
]

FloatArray = npt.NDArray[np.float64]

FEDERATED_MODEL_ID = f"{EPISODE_RISK_MODEL_ID}.federated"
BUNDLE_SIGNATURE_TYP = "bedside-model-bundle+jws"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def federated_bundle(
    w: FloatArray,
    whitening: Whitening,
    *,
    training: Mapping[str, JsonValue],
    version: str = "0.1.0",
    threshold: float = 0.5,
    biomarkers: tuple[str, ...] = DEFAULT_EPISODE_BIOMARKERS,
) -> EpisodeRiskModel:
    """An episode-risk model (ONNX) of federated parameters `w` on whitened features.

    Parameters
    ----------
    w : ndarray, shape (n_features + 1,)
        Global parameters on whitened features (coefficients, intercept).
    whitening : Whitening
    training : mapping
        Training metadata; should hold ``held_out_patients`` (with ``auroc``) and ``task``.
    """
    names = episode_feature_names(biomarkers)
    raw = whitening.fold_into(np.asarray(w, dtype=np.float64))
    if raw.size != len(names) + 1 or not np.all(np.isfinite(raw)):
        raise ModelError(f"federated parameters of length {raw.size} for {len(names)} features")
    logreg = LogisticRegression()
    logreg.coef_ = raw[None, :-1].copy()
    logreg.intercept_ = raw[-1:].copy()
    logreg.classes_ = np.array([0, 1])
    logreg.n_features_in_ = len(names)
    meta: dict[str, JsonValue] = {"family": "logistic", "n_patients_fitted": 0, **training}
    bundle = ModelBundle(
        model_id=FEDERATED_MODEL_ID,
        version=version,
        onnx_bytes=export_onnx(logreg, len(names)),
        features=tuple(FeatureSpec(n, "float32", n) for n in names),
        threshold=threshold,
        training=meta,
        extra={
            "biomarkers": list(biomarkers),
            "family": "logistic",
            "coefficients_raw_features": raw.tolist(),
            "whitening": whitening.to_json(),  # type: ignore[dict-item]
        },
    )
    return EpisodeRiskModel(bundle)


def _card_path(manifest: Path) -> Path:
    from bedside.models.model_card import CARD_JSON

    if manifest.name == "bundle.json":
        return manifest.parent / CARD_JSON
    return manifest.with_suffix(".model_card.json")


def publish_bundle(model: EpisodeRiskModel, directory: Path, publisher: Identity) -> Path:
    """Save the bundle and model card in `directory`, sign them; returns the manifest path."""
    manifest = model.save(directory)
    card = _card_path(manifest)
    claims = {
        "model_id": model.model_id,
        "version": model.version,
        "manifest_sha256": _sha256(manifest.read_bytes()),
        "model_card_sha256": _sha256(card.read_bytes()),
    }
    token = sign_json(publisher, claims, typ=BUNDLE_SIGNATURE_TYP)
    manifest.with_name(manifest.name + ".sig").write_text(token, encoding="ascii")
    return manifest


class PublisherVerifier:
    """`bedside.inference.BundleVerifier` accepting bundles signed by allow-listed publishers.

    After `verify`, `claims` holds the verified claims (for the model-card check).
    """

    def __init__(self, trusted_publishers: Collection[str]) -> None:
        self.trusted = set(trusted_publishers)
        self.claims: dict[str, object] = {}

    def verify(self, manifest: bytes, signature: bytes | None, *, source: str) -> None:
        if signature is None:
            raise ModelError(f"{source}: no publisher signature (.sig) beside the bundle")
        try:
            signed = verify_json(signature.decode("ascii").strip(), typ=BUNDLE_SIGNATURE_TYP)
        except (IdentityError, UnicodeDecodeError) as exc:
            raise ModelError(f"{source}: publisher signature rejected ({exc})") from exc
        if signed.signer not in self.trusted:
            raise ModelError(f"{source}: signed by {signed.signer}, not a trusted model publisher")
        if signed.claims.get("manifest_sha256") != _sha256(manifest):
            raise ModelError(f"{source}: manifest changed after it was signed")
        self.claims = dict(signed.claims)


def load_published_model(
    manifest: Path, trusted_publishers: Collection[str], *, threads: int = 1
) -> EpisodeRiskModel:
    """Verify signature, model card and ONNX hash, then load (module docstring).

    Raises
    ------
    ModelError
        Any check fails; the model is not used.
    """
    verifier = PublisherVerifier(trusted_publishers)
    model = EpisodeRiskModel.load(manifest, verifier=verifier, threads=threads)
    card = _card_path(Path(manifest))
    try:
        card_bytes = card.read_bytes()
    except OSError as exc:
        raise ModelError(f"{card}: model card missing ({exc}); refusing the model") from exc
    if verifier.claims.get("model_card_sha256") != _sha256(card_bytes):
        raise ModelError(f"{card}: model card differs from the one the publisher signed")
    doc = json.loads(card_bytes)
    if doc.get("model_id") != model.model_id or doc.get("version") != model.version:
        raise ModelError(f"{card}: model card describes another model or version")
    if verifier.claims.get("model_id") != model.model_id:
        raise ModelError(f"{manifest}: signed model id differs from the manifest's")
    return model
