"""PHQ-9 in FHIR: the LOINC Questionnaire, a QuestionnaireResponse, and the scores as Observations.

* Questionnaire: canonical ``http://loinc.org/q/44249-1`` (the LOINC PHQ-9 panel), nine items
  (``linkId`` = the item's LOINC code) with the four LOINC answers (LA6568-5 .. LA6571-9,
  scored 0-3). Only item 9 carries its LOINC ``code`` in the curated table; the other items are
  identified by ``linkId`` and text.
* QuestionnaireResponse: one per completed PHQ-9 (status ``completed``, ``authored`` = the local
  day), answers as LOINC answer Codings.
* Observations (category ``survey``): the total score 44261-6 (``valueInteger``, 0-27) and item 9
  44260-8 (the coded answer), both ``derivedFrom`` the QuestionnaireResponse.

Item wording: Kroenke K, Spitzer RL, Williams JB. The PHQ-9: validity of a brief depression
severity measure. J Gen Intern Med 2001;16(9):606-613.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bedside.domain import Phq9Response
from bedside.fhir.codes import LOINC_DISPLAYS, SID, identifier, loinc_coding, resource_id
from bedside.fhir.observations import SURVEY_CATEGORY
from bedside.fhir.participants import patient_ref

__all__ = [
    "PHQ9_ANSWERS",
    "PHQ9_ITEMS",
    "PHQ9_QUESTIONNAIRE_URL",
    "phq9_observations",
    "phq9_questionnaire",
    "phq9_questionnaire_response",
    "questionnaire_response_ref",
]

PHQ9_QUESTIONNAIRE_URL = "http://loinc.org/q/44249-1"
PHQ9_TOTAL_LOINC = "44261-6"
PHQ9_ITEM9_LOINC = "44260-8"

PHQ9_ITEMS: tuple[tuple[str, str], ...] = (
    ("44250-9", "Little interest or pleasure in doing things"),
    ("44255-8", "Feeling down, depressed, or hopeless"),
    ("44259-0", "Trouble falling or staying asleep, or sleeping too much"),
    ("44254-1", "Feeling tired or having little energy"),
    ("44251-7", "Poor appetite or overeating"),
    (
        "44258-2",
        "Feeling bad about yourself - or that you are a failure or have let yourself or your "
        "family down",
    ),
    (
        "44252-5",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
    ),
    (
        "44253-3",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite - "
        "being so fidgety or restless that you have been moving around a lot more than usual",
    ),
    (PHQ9_ITEM9_LOINC, "Thoughts that you would be better off dead, or of hurting yourself"),
)
"""(linkId = LOINC item code, question text) in questionnaire order."""

PHQ9_ANSWERS: tuple[str, ...] = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
"""LOINC answer codes for item scores 0, 1, 2, 3."""


def _answer(score: int) -> dict[str, str]:
    return loinc_coding(PHQ9_ANSWERS[score])


def phq9_questionnaire() -> dict[str, Any]:
    """The PHQ-9 Questionnaire Bedside's QuestionnaireResponses refer to."""
    items = []
    for link_id, text in PHQ9_ITEMS:
        item: dict[str, Any] = {"linkId": link_id, "text": text, "type": "choice", "required": True}
        if link_id in LOINC_DISPLAYS:
            item["code"] = [loinc_coding(link_id)]
        item["answerOption"] = [{"valueCoding": _answer(score)} for score in range(4)]
        items.append(item)
    return {
        "resourceType": "Questionnaire",
        "id": resource_id("questionnaire", PHQ9_QUESTIONNAIRE_URL),
        "url": PHQ9_QUESTIONNAIRE_URL,
        "name": "PHQ9",
        "title": "PHQ-9 quick depression assessment panel",
        "status": "active",
        "subjectType": ["Patient"],
        "code": [loinc_coding("44249-1")],
        "item": items,
    }


def _response_key(resp: Phq9Response) -> str:
    return f"{resp.patient_id}/{resp.date.isoformat()}/{resp.source}"


def questionnaire_response_ref(resp: Phq9Response) -> str:
    return f"QuestionnaireResponse/{resource_id(SID.questionnaire_response, _response_key(resp))}"


def phq9_questionnaire_response(resp: Phq9Response) -> dict[str, Any]:
    """A completed PHQ-9 as a QuestionnaireResponse (answers as LOINC answer Codings)."""
    key = _response_key(resp)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id(SID.questionnaire_response, key),
        "identifier": identifier(SID.questionnaire_response, key),
        "questionnaire": PHQ9_QUESTIONNAIRE_URL,
        "status": "completed",
        "subject": {"reference": patient_ref(resp.patient_id)},
        "authored": resp.date.isoformat(),
        "item": [
            {"linkId": link_id, "text": text, "answer": [{"valueCoding": _answer(score)}]}
            for (link_id, text), score in zip(PHQ9_ITEMS, resp.items, strict=True)
        ],
    }


def _observation(
    resp: Phq9Response, code: str, value: dict[str, Any], issued: dt.datetime | None
) -> dict[str, Any]:
    key = f"{_response_key(resp)}/{code}"
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id(SID.phq9_observation, key),
        "identifier": [identifier(SID.phq9_observation, key)],
        "status": "final",
        "category": [SURVEY_CATEGORY],
        "code": {"coding": [loinc_coding(code)], "text": LOINC_DISPLAYS[code]},
        "subject": {"reference": patient_ref(resp.patient_id)},
        "effectiveDateTime": resp.date.isoformat(),
        "derivedFrom": [{"reference": questionnaire_response_ref(resp)}],
        **value,
    }
    if issued is not None:
        obs["issued"] = issued.astimezone(dt.UTC).isoformat()
    return obs


def phq9_observations(
    resp: Phq9Response, issued: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The total score (44261-6, 0-27) and item 9 (44260-8, coded answer) as Observations.

    Parameters
    ----------
    resp : Phq9Response
    issued : datetime, optional
        Timezone-aware time the scores were made available.
    """
    total = _observation(resp, PHQ9_TOTAL_LOINC, {"valueInteger": resp.total}, issued)
    item9 = _observation(
        resp,
        PHQ9_ITEM9_LOINC,
        {"valueCodeableConcept": {"coding": [_answer(resp.item9)], "text": str(resp.item9)}},
        issued,
    )
    return [total, item9]
