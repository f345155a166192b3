"""Reading protocol context from the EHR: PHQ-9, medications and conditions.

Accepts the resources an EHR returns (CDS Hooks prefetch, or searchset Bundles from a FHIR
query) and turns them into domain objects:

* PHQ-9 QuestionnaireResponse (``questionnaire`` = ``http://loinc.org/q/44249-1``, answers as
  LOINC answer Codings or integers, ``linkId`` = item LOINC code with or without a leading ``/``)
  -> :class:`~bedside.domain.Phq9Response` with ``source="ehr"``;
* Observation 44261-6 (total) and 44260-8 (item 9) -> :class:`Phq9Score`;
* MedicationRequest / MedicationStatement -> :class:`~bedside.domain.MedicationRecord`;
* Condition -> :class:`~bedside.domain.ConditionRecord`.

Resources marked ``entered-in-error`` are ignored; a malformed resource raises
``InputFormatError`` naming the resource and the element.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bedside.domain import ConditionRecord, InputFormatError, MedicationRecord, Phq9Response
from bedside.fhir.codes import CONDITION_CLINICAL_SYSTEM, LOINC_SYSTEM, RXNORM_SYSTEM
from bedside.fhir.phq9 import PHQ9_ANSWERS, PHQ9_ITEMS, PHQ9_QUESTIONNAIRE_URL

__all__ = ["EhrContext", "Phq9Score", "flatten_resources", "read_ehr_context"]


@dataclass(frozen=True, slots=True)
class Phq9Score:
    """A PHQ-9 total (and item 9 when known) reported as Observations by the EHR."""

    date: dt.date
    total: int | None
    item9: int | None


@dataclass
class EhrContext:
    """What the EHR knows that a protocol may use, for one patient."""

    patient_id: str
    phq9_responses: list[Phq9Response] = field(default_factory=list)
    phq9_scores: list[Phq9Score] = field(default_factory=list)
    medications: list[MedicationRecord] = field(default_factory=list)
    conditions: list[ConditionRecord] = field(default_factory=list)

    def latest_phq9(self) -> Phq9Score | None:
        """The most recent PHQ-9 from either source (responses give total and item 9)."""
        scores = list(self.phq9_scores) + [
            Phq9Score(r.date, r.total, r.item9) for r in self.phq9_responses
        ]
        return max(scores, key=lambda s: s.date) if scores else None


def flatten_resources(items: Iterable[Mapping[str, Any] | None]) -> list[Mapping[str, Any]]:
    """Resources, with Bundles (searchset, collection) replaced by their entry resources."""
    out: list[Mapping[str, Any]] = []
    for item in items:
        if not item:
            continue
        if item.get("resourceType") == "Bundle":
            out.extend(flatten_resources(e.get("resource") for e in item.get("entry", []) or []))
        else:
            out.append(item)
    return out


def _label(r: Mapping[str, Any]) -> str:
    return f"{r.get('resourceType', '?')}/{r.get('id', '?')}"


def _date(r: Mapping[str, Any], *paths: str) -> dt.date | None:
    for path in paths:
        node: Any = r
        for part in path.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, str) and node:
            try:
                return dt.date.fromisoformat(node[:10])
            except ValueError:
                raise InputFormatError(
                    _label(r), f"not a FHIR date: {node!r}", field=path
                ) from None
    return None


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    if not isinstance(concept, Mapping):
        return []
    return [c for c in concept.get("coding", []) or [] if isinstance(c, Mapping)]


def _answer_score(r: Mapping[str, Any], answer: Mapping[str, Any], where: str) -> int:
    if "valueInteger" in answer:
        score = answer["valueInteger"]
    elif isinstance(answer.get("valueCoding"), Mapping):
        code = answer["valueCoding"].get("code")
        if code not in PHQ9_ANSWERS:
            raise InputFormatError(_label(r), f"unknown PHQ-9 answer code {code!r}", field=where)
        score = PHQ9_ANSWERS.index(code)
    else:
        raise InputFormatError(_label(r), "answer has no valueCoding/valueInteger", field=where)
    if not isinstance(score, int) or not 0 <= score <= 3:
        raise InputFormatError(_label(r), f"PHQ-9 item score {score!r} not 0-3", field=where)
    return score


def _phq9_response(r: Mapping[str, Any], patient_id: str) -> Phq9Response:
    by_link: dict[str, int] = {}
    for i, item in enumerate(r.get("item", []) or []):
        answers = item.get("answer") or []
        if answers:
            link = str(item.get("linkId", "")).lstrip("/")
            by_link[link] = _answer_score(r, answers[0], f"item[{i}].answer[0]")
    missing = [code for code, _ in PHQ9_ITEMS if code not in by_link]
    if missing:
        raise InputFormatError(_label(r), f"PHQ-9 items without answer: {missing}", field="item")
    day = _date(r, "authored")
    if day is None:
        raise InputFormatError(_label(r), "missing", field="authored")
    return Phq9Response(
        patient_id=patient_id,
        date=day,
        items=[by_link[code] for code, _ in PHQ9_ITEMS],
        source="ehr",
    )


def _medication(r: Mapping[str, Any], patient_id: str) -> MedicationRecord:
    concept = r.get("medicationCodeableConcept")
    codings = _codings(concept)
    rxnorm = next((str(c.get("code")) for c in codings if c.get("system") == RXNORM_SYSTEM), None)
    name = (
        (concept or {}).get("text")
        or next((c.get("display") for c in codings if c.get("display")), None)
        or (r.get("medicationReference") or {}).get("display")
    )
    if not name:
        raise InputFormatError(_label(r), "no medication name or code", field="medication[x]")
    start = _date(
        r,
        "authoredOn",
        "effectiveDateTime",
        "effectivePeriod.start",
        "dateAsserted",
        "dispenseRequest.validityPeriod.start",
    )
    if start is None:
        raise InputFormatError(_label(r), "no date (authoredOn/effective)", field="authoredOn")
    return MedicationRecord(
        patient_id=patient_id, name=str(name).lower(), rxnorm=rxnorm, start=start
    )


def _condition(r: Mapping[str, Any], patient_id: str) -> ConditionRecord:
    codings = _codings(r.get("code"))
    first = codings[0] if codings else {}
    display = (r.get("code") or {}).get("text") or first.get("display") or first.get("code")
    if not display:
        raise InputFormatError(_label(r), "condition without code or text", field="code")
    status = next(
        (
            str(c.get("code"))
            for c in _codings(r.get("clinicalStatus"))
            if c.get("system") == CONDITION_CLINICAL_SYSTEM
        ),
        None,
    )
    return ConditionRecord(
        patient_id=patient_id,
        system=first.get("system"),
        code=first.get("code"),
        display=str(display),
        clinical_status=status,
        onset=_date(r, "onsetDateTime", "onsetPeriod.start", "recordedDate"),
    )


def _phq9_scores(observations: list[Mapping[str, Any]]) -> list[Phq9Score]:
    by_day: dict[dt.date, dict[str, int]] = {}
    for r in observations:
        codes = {c.get("code") for c in _codings(r.get("code")) if c.get("system") == LOINC_SYSTEM}
        if not codes & {"44261-6", "44260-8"}:
            continue
        day = _date(r, "effectiveDateTime", "effectivePeriod.start", "issued")
        if day is None:
            raise InputFormatError(_label(r), "missing", field="effective[x]")
        if "44261-6" in codes:
            value = r.get("valueInteger", (r.get("valueQuantity") or {}).get("value"))
            if not isinstance(value, int | float) or not 0 <= value <= 27:
                raise InputFormatError(_label(r), f"PHQ-9 total {value!r} not 0-27", field="value")
            by_day.setdefault(day, {})["total"] = int(value)
        elif "44260-8" in codes:
            if "valueCodeableConcept" in r:
                code = next((c.get("code") for c in _codings(r["valueCodeableConcept"])), None)
                answer: Mapping[str, Any] = {"valueCoding": {"code": code}}
            else:
                answer = {"valueInteger": r.get("valueInteger")}
            by_day.setdefault(day, {})["item9"] = _answer_score(r, answer, "value[x]")
    return [Phq9Score(day, v.get("total"), v.get("item9")) for day, v in sorted(by_day.items())]


def read_ehr_context(patient_id: str, resources: Iterable[Mapping[str, Any] | None]) -> EhrContext:
    """Protocol context of one patient from EHR resources (Bundles are flattened).

    Resources of other types, and those whose status is ``entered-in-error``, are ignored.

    Raises
    ------
    InputFormatError
        For a malformed PHQ-9, medication or condition resource (names the resource and field).
    """
    context = EhrContext(patient_id=patient_id)
    observations: list[Mapping[str, Any]] = []
    for r in flatten_resources(resources):
        status = r.get("status")
        if status == "entered-in-error" or (
            "entered-in-error" in {c.get("code") for c in _codings(r.get("verificationStatus"))}
        ):
            continue
        rtype = r.get("resourceType")
        if rtype == "QuestionnaireResponse":
            if str(r.get("questionnaire", "")).split("|")[0] == PHQ9_QUESTIONNAIRE_URL:
                context.phq9_responses.append(_phq9_response(r, patient_id))
        elif rtype == "Observation":
            observations.append(r)
        elif rtype in ("MedicationRequest", "MedicationStatement"):
            context.medications.append(_medication(r, patient_id))
        elif rtype == "Condition":
            context.conditions.append(_condition(r, patient_id))
    context.phq9_scores = _phq9_scores(observations)
    context.medications.sort(key=lambda m: (m.start, m.name))
    context.phq9_responses.sort(key=lambda p: p.date)
    return context
