"""What a daily biomarker is: id, unit, code, direction of concern, valid range."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bedside.domain.modality import Modality

__all__ = ["BiomarkerSpec", "Concern"]


class Concern(StrEnum):
    """Which direction of change is clinically adverse for a biomarker (in depression)."""

    UP = "up"
    DOWN = "down"
    BOTH = "both"


class BiomarkerSpec(BaseModel):
    """The registry entry of one daily biomarker.

    Attributes
    ----------
    id : str
        Dotted id, ``<family>.<name>``, e.g. ``sleep.duration_min``; also the daily-table column.
    family : str
        Biomarker family (sleep, circadian, activity, ...), the part of `id` before the dot.
    modality : Modality
        The raw data source whose coverage governs this biomarker.
    unit : str
        UCUM unit code (``min``, ``1``, ``{count}``, ``h``).
    display : str
        Human-readable name for clinicians.
    loinc : str or None
        LOINC code when one exists; otherwise the Bedside CodeSystem code (= `id`) is used.
    concern : Concern
        Direction of change that is adverse.
    valid_min, valid_max : float
        Physically plausible range; values outside are data errors, not findings.
    citation : str
        Where the definition comes from.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")
    family: str
    modality: Modality
    unit: str
    display: str
    loinc: str | None = None
    concern: Concern
    valid_min: float
    valid_max: float
    citation: str

    @model_validator(mode="after")
    def _check(self) -> BiomarkerSpec:
        if self.id.split(".", 1)[0] != self.family:
            raise ValueError(f"biomarker id {self.id!r} must start with its family {self.family!r}")
        if not self.valid_min < self.valid_max:
            raise ValueError(f"biomarker {self.id!r}: valid_min must be below valid_max")
        return self
