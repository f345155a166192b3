"""Each FHIR mapping validates with fhir.resources R4B and carries the mapped content."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from bedside.domain import (
    DailyBiomarkerTable,
    Finding,
    InputFormatError,
    PatientId,
    Priority,
    Recommendation,
    TrendDirection,
)
from bedside.fhir import (
    BIOMARKER_SYSTEM,
    LOINC_SYSTEM,
    OUTCOME_TEXT,
    UCUM_SYSTEM,
    biomarker_observations,
    engine_device,
    local_day_period,
    model_device,
    patient_device,
    patient_ref,
    patient_stub,
    qualitative_risk,
    recommendation_task,
    risk_assessment,
    trend_observation,
    validate_resource,
)
from bedside.fhir.codes import EXT_PROBABILITY_INTERVAL

# Same values as the fixtures in conftest.py.
ZONE = "Europe/Oslo"
DAY = dt.date(2026, 4, 2)
NOW = dt.datetime(2026, 4, 3, 6, 0, tzinfo=dt.UTC)


def test_one_observation_per_non_missing_value(table: DailyBiomarkerTable) -> None:
    obs = biomarker_observations(table, "watch-1")
    n_values = sum(int(np.sum(~np.isnan(col))) for col in table.values.values())
    assert len(obs) == n_values == 2 * table.n_days - 1
    assert len({o["id"] for o in obs}) == len(obs)
    for o in obs:
        validate_resource(o)
        assert o["status"] == "final"
        assert o["category"][0]["coding"][0]["code"] == "activity"
        assert o["subject"]["reference"] == patient_ref("p001")
        assert o["valueQuantity"]["system"] == UCUM_SYSTEM
        assert math.isfinite(o["valueQuantity"]["value"])
        assert o["device"]["reference"].startswith("Device/")


def test_loinc_where_registry_has_it_else_bedside(table: DailyBiomarkerTable) -> None:
    obs = biomarker_observations(table, "watch-1", days=[DAY])
    by_text = {o["code"]["text"]: o for o in obs}
    sleep = by_text["Sleep duration"]["code"]["coding"][0]
    assert (sleep["system"], sleep["code"], sleep["display"]) == (
        LOINC_SYSTEM,
        "93832-4",
        "Sleep duration",
    )
    assert by_text["Sleep duration"]["valueQuantity"]["code"] == "min"
    activity = by_text["Mean activity"]["code"]["coding"]
    assert [c["system"] for c in activity] == [BIOMARKER_SYSTEM]
    assert activity[0]["code"] == "activity.mean_counts"


def test_effective_period_is_local_day_with_offsets_across_dst() -> None:
    winter = local_day_period(dt.date(2026, 3, 20), ZONE)
    assert winter == {"start": "2026-03-20T00:00:00+01:00", "end": "2026-03-21T00:00:00+01:00"}
    change = local_day_period(dt.date(2026, 3, 29), ZONE)
    assert change == {"start": "2026-03-29T00:00:00+01:00", "end": "2026-03-30T00:00:00+02:00"}
    start = dt.datetime.fromisoformat(change["start"])
    end = dt.datetime.fromisoformat(change["end"])
    assert end - start == dt.timedelta(hours=23)


def test_unknown_biomarker_column_is_named(table: DailyBiomarkerTable) -> None:
    bad = DailyBiomarkerTable(
        patient_id=PatientId("p001"),
        zone=ZONE,
        dates=table.dates,
        values={**table.values, "sleep.made_up": np.ones(table.n_days)},
    )
    with pytest.raises(InputFormatError) as info:
        biomarker_observations(bad, "watch-1")
    assert info.value.field == "sleep.made_up"


def test_trend_observation(finding: Finding) -> None:
    trend = finding.trends[0]
    obs = trend_observation("p001", trend, ZONE, "watch-1", ["Observation/abc"])
    validate_resource(obs)
    assert obs["interpretation"][0]["coding"][0]["code"] == "D"
    comps = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in obs["component"]}
    assert comps["size"]["value"] == trend.size
    assert comps["size"]["code"] == "min"
    assert comps["robust-z"]["value"] == trend.robust_z
    assert comps["days-sustained"]["value"] == trend.days_sustained
    assert obs["effectivePeriod"]["start"].startswith(trend.onset_date.isoformat())
    assert obs["effectivePeriod"]["end"].startswith(
        (trend.detection_date + dt.timedelta(days=1)).isoformat()
    )
    assert obs["derivedFrom"] == [{"reference": "Observation/abc"}]
    up = trend.model_copy(update={"direction": TrendDirection.UP})
    assert trend_observation("p001", up, ZONE, "w")["interpretation"][0]["coding"][0]["code"] == "U"


def test_risk_assessment(finding: Finding) -> None:
    assert finding.risk is not None
    ra = risk_assessment("p001", finding.risk, ["Observation/x"])
    validate_resource(ra)
    pred = ra["prediction"][0]
    assert ra["status"] == "final"
    assert pred["probabilityDecimal"] == 0.42
    assert pred["outcome"]["text"] == OUTCOME_TEXT
    assert pred["qualitativeRisk"]["coding"][0]["code"] == "high"
    interval = pred["extension"][0]
    assert interval["url"] == EXT_PROBABILITY_INTERVAL
    assert interval["valueRange"]["low"]["value"] == 0.3
    assert interval["valueRange"]["high"]["value"] == 0.55
    assert pred["whenRange"]["high"]["value"] == 14
    assert ra["method"]["coding"][0]["code"] == "episode-risk"
    assert ra["method"]["coding"][0]["version"] == "1.2.0"
    assert ra["performer"]["reference"].startswith("Device/")
    assert ra["basis"] == [{"reference": "Observation/x"}]
    assert ra["occurrenceDateTime"] == DAY.isoformat()


@pytest.mark.parametrize(
    ("p", "code"), [(0.0, "low"), (0.0999, "low"), (0.1, "moderate"), (0.2999, "moderate")]
)
def test_qualitative_cut_points(p: float, code: str) -> None:
    assert qualitative_risk(p) == code
    assert qualitative_risk(0.3) == "high"


def test_task(recommendation: Recommendation) -> None:
    task = recommendation_task(recommendation, "RiskAssessment/r1")
    validate_resource(task)
    assert task["status"] == "requested"
    assert task["intent"] == "proposal"
    assert task["priority"] == Priority.URGENT.fhir_task_priority == "urgent"
    assert task["description"] == recommendation.action
    assert task["code"]["text"] == recommendation.action
    assert task["for"]["reference"] == patient_ref("p001")
    assert task["focus"] == task["reasonReference"] == {"reference": "RiskAssessment/r1"}
    assert task["performerType"][0]["coding"][0]["code"] == "psychiatrist"
    assert dt.datetime.fromisoformat(task["restriction"]["period"]["end"]) == recommendation.due
    assert dt.datetime.fromisoformat(task["executionPeriod"]["start"]) == recommendation.created
    assert task["identifier"][0]["value"] == recommendation.id
    assert len(task["input"]) == len(recommendation.evidence)
    assert dt.datetime.fromisoformat(task["authoredOn"]) == NOW


def test_participants_validate() -> None:
    for resource in (
        patient_stub("p001"),
        patient_device("watch-1", "p001"),
        model_device("episode-risk", "1.2.0"),
        engine_device("relapse_watch", "1.0.0", "ab" * 32),
    ):
        validate_resource(resource)
        assert resource["identifier"]
    assert patient_stub("p001")["id"] == patient_stub("p001")["id"] != patient_stub("p002")["id"]
