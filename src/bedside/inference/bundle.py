"""Model bundles: the ONNX bytes plus the metadata needed to run them safely.

On disk a bundle is a JSON manifest next to the ONNX file, either as a directory::

    my-model/bundle.json
    my-model/model.onnx
    my-model/bundle.json.sig     (optional, see "Signatures")

or as a pair of files ``name.json`` + ``name.onnx`` (save to a path ending in ``.json``).

The manifest holds the model id and version, the ordered, typed feature names (a model input is
never an array whose columns mean something by position alone), the decision threshold, the
SHA-256 of the ONNX bytes (checked at load: changed bytes raise `ModelError`), training metadata
(the model card basics) and model-specific parameters (``extra``).

Signatures
----------
Publisher signatures come with the privacy layer. The hook is `BundleVerifier`: `load_bundle`
passes it the exact manifest bytes (which include the ONNX SHA-256, so a signature over the
manifest covers the model) and the bytes of ``<manifest>.sig`` if that file exists. Without a
verifier no signature is checked; only the hash is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt

from bedside.domain import ModelError
from bedside.inference.onnx_model import OnnxModel

__all__ = [
    "BUNDLE_FORMAT",
    "BundleVerifier",
    "FeatureSpec",
    "JsonValue",
    "ModelBundle",
    "load_bundle",
    "save_bundle",
]

JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None

BUNDLE_FORMAT = "bedside-model-bundle"
_FORMAT_VERSION = 1
_MANIFEST = "bundle.json"
_ONNX = "model.onnx"


class BundleVerifier(Protocol):
    """Checks the publisher's signature over a bundle manifest (implemented by the privacy layer).

    `verify` must raise `ModelError` (or another `BedsideError`) when the signature is missing
    or invalid.
    """

    def verify(self, manifest: bytes, signature: bytes | None, *, source: str) -> None: ...


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One model input column.

    Attributes
    ----------
    name : str
        Feature name, e.g. ``sleep.duration_min.z_mean_7d``.
    dtype : {"float32", "float64"}
        Numeric type the value is given to the model in.
    description : str
        What the feature is, with its unit.
    """

    name: str
    dtype: Literal["float32", "float64"] = "float32"
    description: str = ""


@dataclass(frozen=True)
class ModelBundle:
    """An ONNX binary classifier with its declared inputs and metadata.

    Attributes
    ----------
    model_id, version : str
    onnx_bytes : bytes
    features : tuple of FeatureSpec
        The model's input columns, in order.
    threshold : float
        Probability at or above which the model's answer is "positive".
    training : dict
        JSON metadata about training: data description, metrics on held-out data, parameters.
    extra : dict
        JSON model-specific parameters (e.g. what is needed to explain a prediction).
    created : str
        ISO 8601 UTC time the bundle was made.
    """

    model_id: str
    version: str
    onnx_bytes: bytes
    features: tuple[FeatureSpec, ...]
    threshold: float
    training: dict[str, JsonValue] = field(default_factory=dict)
    extra: dict[str, JsonValue] = field(default_factory=dict)
    created: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )

    def __post_init__(self) -> None:
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            raise ModelError(f"bundle {self.model_id}: duplicate feature names")
        if not 0.0 <= self.threshold <= 1.0:
            raise ModelError(f"bundle {self.model_id}: threshold {self.threshold} not in [0, 1]")

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the ONNX bytes."""
        return hashlib.sha256(self.onnx_bytes).hexdigest()

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def onnx_model(self, *, threads: int | None = 1) -> OnnxModel:
        """Load the ONNX model and check that it takes exactly the declared features."""
        model = OnnxModel.load(self.onnx_bytes, threads=threads)
        if model.n_features != len(self.features):
            raise ModelError(
                f"bundle {self.model_id}: ONNX input takes {model.n_features} features, "
                f"the manifest declares {len(self.features)}"
            )
        return model

    def matrix(self, columns: Mapping[str, npt.ArrayLike]) -> npt.NDArray[np.float64]:
        """Stack named feature columns in the model's order; a missing name raises ModelError.

        Parameters
        ----------
        columns : mapping of feature name to array-like of shape (n,)

        Returns
        -------
        ndarray of float64, shape (n, n_features)
        """
        missing = [n for n in self.feature_names if n not in columns]
        if missing:
            raise ModelError(f"bundle {self.model_id}: missing features {missing}")
        cols = [np.asarray(columns[n], dtype=np.float64).reshape(-1) for n in self.feature_names]
        return np.column_stack(cols) if cols else np.empty((0, 0))

    def manifest(self, onnx_file: str = _ONNX) -> dict[str, JsonValue]:
        """The JSON manifest (what `save_bundle` writes)."""
        return {
            "format": BUNDLE_FORMAT,
            "format_version": _FORMAT_VERSION,
            "model_id": self.model_id,
            "version": self.version,
            "created": self.created,
            "onnx_file": onnx_file,
            "onnx_sha256": self.sha256,
            "threshold": self.threshold,
            "features": [
                {"name": f.name, "dtype": f.dtype, "description": f.description}
                for f in self.features
            ],
            "training": self.training,
            "extra": self.extra,
        }


def _paths(path: Path) -> tuple[Path, Path | None]:
    """(manifest path, ONNX path or None when the manifest names it) for a bundle location."""
    if path.suffix == ".json":
        return path, path.with_suffix(".onnx")
    return path / _MANIFEST, path / _ONNX


def save_bundle(bundle: ModelBundle, path: Path | str) -> Path:
    """Write a bundle; returns the manifest path.

    Parameters
    ----------
    path : Path or str
        A directory (created if needed; gets ``bundle.json`` + ``model.onnx``) or a path ending in
        ``.json`` (gets that file plus the same name with ``.onnx``).
    """
    manifest_path, onnx_path = _paths(Path(path))
    assert onnx_path is not None
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    onnx_path.write_bytes(bundle.onnx_bytes)
    text = json.dumps(bundle.manifest(onnx_path.name), indent=2, sort_keys=True, allow_nan=False)
    manifest_path.write_text(text + "\n", encoding="utf-8")
    return manifest_path


def load_bundle(path: Path | str, *, verifier: BundleVerifier | None = None) -> ModelBundle:
    """Read a bundle and check the ONNX bytes against the manifest's SHA-256.

    Parameters
    ----------
    path : Path or str
        The bundle directory or its ``.json`` manifest.
    verifier : BundleVerifier or None
        Checks the publisher's signature (``<manifest>.sig``); None checks only the hash.

    Raises
    ------
    ModelError
        Missing files, malformed manifest, hash mismatch or rejected signature.
    """
    manifest_path, _ = _paths(Path(path))
    source = str(manifest_path)
    try:
        raw = manifest_path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{source}: cannot read bundle manifest ({exc})") from exc
    if verifier is not None:
        sig_path = manifest_path.with_name(manifest_path.name + ".sig")
        signature = sig_path.read_bytes() if sig_path.is_file() else None
        verifier.verify(raw, signature, source=source)
    try:
        doc = json.loads(raw)
        if doc.get("format") != BUNDLE_FORMAT:
            raise ModelError(f"{source}: not a {BUNDLE_FORMAT} manifest")
        if doc.get("format_version") != _FORMAT_VERSION:
            raise ModelError(f"{source}: unsupported format_version {doc.get('format_version')}")
        onnx_path = manifest_path.parent / str(doc["onnx_file"])
        features = tuple(
            FeatureSpec(str(f["name"]), _dtype(f["dtype"], source), str(f.get("description", "")))
            for f in doc["features"]
        )
        expected = str(doc["onnx_sha256"])
        model_id = str(doc["model_id"])
        version = str(doc["version"])
        threshold = float(doc["threshold"])
        created = str(doc["created"])
        training = _json_object(doc.get("training", {}), source, "training")
        extra = _json_object(doc.get("extra", {}), source, "extra")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelError(f"{source}: malformed bundle manifest ({exc!r})") from exc
    try:
        onnx_bytes = onnx_path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{source}: cannot read ONNX file {onnx_path} ({exc})") from exc
    actual = hashlib.sha256(onnx_bytes).hexdigest()
    if actual != expected:
        raise ModelError(
            f"{onnx_path}: SHA-256 {actual} does not match the manifest's {expected}; "
            "the model file was changed or corrupted"
        )
    return ModelBundle(
        model_id=model_id,
        version=version,
        onnx_bytes=onnx_bytes,
        features=features,
        threshold=threshold,
        training=training,
        extra=extra,
        created=created,
    )


def _dtype(value: object, source: str) -> Literal["float32", "float64"]:
    if value == "float32":
        return "float32"
    if value == "float64":
        return "float64"
    raise ModelError(f"{source}: feature dtype must be float32 or float64, got {value!r}")


def _json_object(value: object, source: str, name: str) -> dict[str, JsonValue]:
    if not isinstance(value, dict):
        raise ModelError(f"{source}: {name!r} must be a JSON object")
    return value
