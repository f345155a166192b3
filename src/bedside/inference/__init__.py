"""ONNX model bundles: load, verify, run with onnxruntime (no scikit-learn on this path)."""

from bedside.inference.bundle import (
    BUNDLE_FORMAT,
    BundleVerifier,
    FeatureSpec,
    JsonValue,
    ModelBundle,
    load_bundle,
    save_bundle,
)
from bedside.inference.onnx_model import OnnxModel

__all__ = [
    "BUNDLE_FORMAT",
    "BundleVerifier",
    "FeatureSpec",
    "JsonValue",
    "ModelBundle",
    "OnnxModel",
    "load_bundle",
    "save_bundle",
]
