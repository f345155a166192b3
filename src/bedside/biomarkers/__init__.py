"""Pure functions from sample frames to the daily biomarker table, and the biomarker registry."""

from bedside.biomarkers.registry import REGISTRY, get_spec, specs_for

__all__ = ["REGISTRY", "get_spec", "specs_for"]
