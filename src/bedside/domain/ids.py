"""Identifiers shared by every layer."""

from __future__ import annotations

from typing import NewType

__all__ = ["ClinicianId", "PatientId", "RecommendationId"]

PatientId = NewType("PatientId", str)
ClinicianId = NewType("ClinicianId", str)
RecommendationId = NewType("RecommendationId", str)
