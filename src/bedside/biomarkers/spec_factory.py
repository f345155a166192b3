"""One way to write a registry entry, shared by every modality's spec module."""

from __future__ import annotations

from bedside.domain import BiomarkerSpec, Concern, Modality

__all__ = ["make_spec"]


def make_spec(
    id: str,
    display: str,
    unit: str,
    concern: Concern,
    valid: tuple[float, float],
    citation: str,
    loinc: str | None = None,
    *,
    modality: Modality,
) -> BiomarkerSpec:
    """A `BiomarkerSpec` whose family is the part of `id` before the dot.

    Parameters
    ----------
    id, display, unit, concern, citation, loinc
        As in `BiomarkerSpec` (`unit` is a UCUM code).
    valid : tuple of float
        (valid_min, valid_max) in `unit`.
    modality : Modality
        The raw data source whose coverage governs the biomarker.
    """
    return BiomarkerSpec(
        id=id,
        family=id.split(".", 1)[0],
        modality=modality,
        unit=unit,
        display=display,
        loinc=loinc,
        concern=concern,
        valid_min=valid[0],
        valid_max=valid[1],
        citation=citation,
    )
