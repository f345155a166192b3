"""Bedside: from digital biomarkers to triaged, explained clinical recommendations in the EHR."""

__all__ = ["__version__"]

__version__ = "0.1.0"
