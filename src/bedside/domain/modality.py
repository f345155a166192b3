"""Sensing modalities: where a biomarker's raw data comes from (coverage is kept per modality)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Modality"]


class Modality(StrEnum):
    """A source of raw data on the patient's device."""

    ACTIGRAPHY = "actigraphy"
    STEPS = "steps"
    SLEEP_RECORDS = "sleep_records"
    HEART_RATE = "heart_rate"
    GPS = "gps"
    PHONE_USE = "phone_use"
    TYPING = "typing"
    VOICE = "voice"
    GLUCOSE = "glucose"
    CORTISOL = "cortisol"
    LANGUAGE = "language"
    SELF_REPORT = "self_report"
