"""Which medications being ordered matter to Bedside: antidepressants and sedative-hypnotics.

Used by the ``order-select`` hook: when a clinician orders one of these, recent sleep and
activity trends are relevant (sleep and psychomotor changes are both symptoms and side effects).
A draft MedicationRequest matches by RxNorm ingredient code or, when the EHR codes the product
rather than the ingredient, by the generic name in its text or display (case-insensitive).
The ingredient codes were written from the RxNorm ingredient concepts as known to the authors;
they have not been checked against an RxNorm release here (no RxNorm download is possible), so the
name match is the fallback that must never be removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from bedside.fhir.codes import RXNORM_SYSTEM

__all__ = [
    "ANTIDEPRESSANTS",
    "NAME_ONLY",
    "SEDATIVES",
    "MedicationClass",
    "classify_medication_request",
]


class MedicationClass(StrEnum):
    ANTIDEPRESSANT = "antidepressant"
    SEDATIVE = "sedative"


ANTIDEPRESSANTS: dict[str, str] = {
    "sertraline": "36437",
    "fluoxetine": "4493",
    "citalopram": "2556",
    "escitalopram": "321988",
    "paroxetine": "32937",
    "venlafaxine": "39786",
    "duloxetine": "72625",
    "desvenlafaxine": "734064",
    "bupropion": "42347",
    "mirtazapine": "15996",
    "trazodone": "10737",
    "vortioxetine": "1455099",
    "amitriptyline": "704",
    "nortriptyline": "7531",
}
"""Generic name -> RxNorm ingredient code (RXCUI)."""

NAME_ONLY: dict[str, MedicationClass] = {"zopiclone": MedicationClass.SEDATIVE}
"""Recognised by name only (no RxNorm ingredient code used)."""

SEDATIVES: dict[str, str] = {
    "zolpidem": "39993",
    "eszopiclone": "461016",
    "zaleplon": "74667",
    "lorazepam": "6470",
    "diazepam": "3322",
    "alprazolam": "596",
    "clonazepam": "2598",
    "temazepam": "10355",
    "quetiapine": "51272",
    "hydroxyzine": "5553",
}
"""Generic name -> RxNorm ingredient code (RXCUI)."""

_BY_CODE = {code: (name, MedicationClass.ANTIDEPRESSANT) for name, code in ANTIDEPRESSANTS.items()}
_BY_CODE |= {code: (name, MedicationClass.SEDATIVE) for name, code in SEDATIVES.items()}
_NAMES = [(name, MedicationClass.ANTIDEPRESSANT) for name in ANTIDEPRESSANTS] + [
    (name, MedicationClass.SEDATIVE) for name in SEDATIVES
]
_NAMES += list(NAME_ONLY.items())


def classify_medication_request(resource: Mapping[str, Any]) -> tuple[str, MedicationClass] | None:
    """(generic name, class) of a MedicationRequest that is an antidepressant or sedative.

    Returns None for other medications and for resources that are not MedicationRequests.
    """
    if resource.get("resourceType") != "MedicationRequest":
        return None
    concept = resource.get("medicationCodeableConcept") or {}
    texts: list[str] = [str(concept.get("text") or "")]
    for coding in concept.get("coding", []) or []:
        if coding.get("system") == RXNORM_SYSTEM and str(coding.get("code")) in _BY_CODE:
            return _BY_CODE[str(coding.get("code"))]
        texts.append(str(coding.get("display") or ""))
    texts.append(str((resource.get("medicationReference") or {}).get("display") or ""))
    haystack = " ".join(texts).lower()
    # longest names first, so "escitalopram" is not reported as "citalopram"
    for name, cls in sorted(_NAMES, key=lambda nc: -len(nc[0])):
        if name in haystack:
            return name, cls
    return None
