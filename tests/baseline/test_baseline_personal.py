"""PersonalBaseline: contract, weekday effects, exclusions, cold start, JSON round-trip."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.baseline import PersonalBaseline, PopulationPrior
from bedside.baseline.robust_window import fit_location_scale, nan_median
from bedside.domain import (
    ConfigurationError,
    DailyBiomarkerTable,
    InputFormatError,
    InsufficientDataError,
    NotFittedError,
    PatientId,
)

from .conftest import PROFILE, make_table


def _table(values: dict[str, np.ndarray]) -> DailyBiomarkerTable:
    n = len(next(iter(values.values())))
    dates = np.datetime64("2026-01-05") + np.arange(n)  # 2026-01-05 is a Monday
    return DailyBiomarkerTable(PatientId("p"), "Europe/Oslo", dates, values)


def test_contract_not_fitted_then_fit_returns_self() -> None:
    b = PersonalBaseline()
    with pytest.raises(NotFittedError):
        b.robust_z(make_table(0))
    with pytest.raises(NotFittedError):
        b.to_dict()
    assert b.fit(make_table(0)) is b
    assert all(name.endswith("_") for name in vars(b) if name not in b.get_params())
    with pytest.raises(ConfigurationError):
        PersonalBaseline().set_params(nope=1)
    with pytest.raises(ConfigurationError):
        PersonalBaseline(min_days=0).fit(make_table(0))


def test_nan_median_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((50, 13))
    a[rng.random(a.shape) < 0.3] = np.nan
    a[0] = np.nan
    expected = np.full(50, np.nan)
    ok = ~np.isnan(a).all(axis=1)
    expected[ok] = np.nanmedian(a[ok], axis=1)
    np.testing.assert_allclose(nan_median(a), expected, equal_nan=True)


def test_weekday_effect_is_learned_and_removed() -> None:
    rng = np.random.default_rng(2)
    n = 84
    sunday = (np.arange(n) % 7) == 6  # day 0 is a Monday
    sleep = 420.0 + 20.0 * rng.standard_normal(n) + np.where(sunday, 90.0, 0.0)
    table = _table({"sleep.duration_min": sleep})
    fit = PersonalBaseline(window_days=84, weekday_shrinkage=0.0).fit(table)
    off = fit.weekday_offset_["sleep.duration_min"]
    assert off[6] == pytest.approx(90.0, abs=20.0)
    assert max(abs(o) for o in off[:6]) < 15.0
    z = fit.robust_z(table)["sleep.duration_min"]
    assert abs(float(np.median(z[sunday]))) < 0.5
    plain = PersonalBaseline(window_days=84, weekday_effects=False).fit(table)
    assert float(np.median(plain.robust_z(table)["sleep.duration_min"][sunday])) > 2.0


def test_weekday_offsets_are_shrunk_with_few_weeks() -> None:
    x = np.tile([0.0, 0, 0, 0, 0, 0, 10.0], 4)[None, :]
    full = fit_location_scale(x, 0, 1.0, weekday_shrinkage=0.0)
    shrunk = fit_location_scale(x, 0, 1.0, weekday_shrinkage=4.0)
    assert full.weekday_offset[0, 6] == pytest.approx(10.0)
    assert shrunk.weekday_offset[0, 6] == pytest.approx(10.0 * 4 / 8)


def test_excluded_days_are_not_learned() -> None:
    table = make_table(3, n_days=60, shift_at=30, shift_sd=4.0)
    flagged = np.zeros(60, dtype=bool)
    flagged[30:] = True
    kept = PersonalBaseline(window_days=60).fit(table, exclude=flagged)
    absorbed = PersonalBaseline(window_days=60).fit(table)
    before = PersonalBaseline(window_days=60).fit(table, end=30)
    for b in table.biomarker_ids:
        assert kept.median_[b] == before.median_[b]
        assert kept.n_days_[b] == 30
        assert absorbed.median_[b] != kept.median_[b]


def test_without_prior_too_few_days_is_insufficient() -> None:
    table = make_table(4, n_days=10)
    fit = PersonalBaseline(min_days=14).fit(table)
    assert sorted(fit.insufficient_) == sorted(table.biomarker_ids)
    assert all(math.isnan(v) for v in fit.median_.values())
    assert all(c == 0.0 for c in fit.confidence_.values())


def _prior() -> PopulationPrior:
    """Twenty patients whose own means differ (between-patient SD 60 min of sleep, etc.)."""
    rng = np.random.default_rng(99)
    tables = []
    for i in range(20):
        profile = {
            b: (mean + 1.5 * sd * rng.standard_normal(), sd, sign)
            for b, (mean, sd, sign) in PROFILE.items()
        }
        tables.append(make_table(100 + i, n_days=40, profile=profile))
    return PopulationPrior.from_tables(tables)


def test_cold_start_shrinks_towards_the_prior_and_confidence_grows() -> None:
    prior = _prior()
    b = "sleep.duration_min"
    centre = prior.biomarkers[b].centre
    # a patient who sleeps 2 hours longer than the population
    values = 540.0 + 40.0 * np.random.default_rng(5).standard_normal(60)
    table = _table({b: values})
    confidences, medians = [], []
    for end in (0, 2, 5, 10, 20, 40, 60):
        fit = PersonalBaseline(prior=prior).fit(table, end=end)
        assert b not in fit.insufficient_
        confidences.append(fit.confidence_[b])
        medians.append(fit.median_[b])
    assert confidences[0] == 0.0
    assert medians[0] == pytest.approx(centre)
    assert all(a <= c for a, c in itertools.pairwise(confidences))
    assert confidences[-1] > 0.9
    # shrunk: between the population centre and the patient's own median
    own = float(np.median(values[:5]))
    assert min(centre, own) < medians[2] < max(centre, own)
    assert abs(medians[-1] - 540.0) < 30.0


def test_prior_needs_three_patients() -> None:
    with pytest.raises(InsufficientDataError):
        PopulationPrior.from_tables([make_table(1), make_table(2)])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), end=st.integers(0, 60), with_prior=st.booleans())
def test_json_round_trip(seed: int, end: int, with_prior: bool) -> None:
    prior = _PRIOR if with_prior else None
    table = make_table(seed, n_days=60)
    fit = PersonalBaseline(prior=prior).fit(table, end=end)
    text = json.dumps(fit.to_dict())  # plain JSON: no NaN tokens
    assert "NaN" not in text
    back = PersonalBaseline.from_json(text)
    assert back.to_dict() == fit.to_dict()
    np.testing.assert_array_equal(
        np.stack(list(back.robust_z(table).values())),
        np.stack(list(fit.robust_z(table).values())),
    )


_PRIOR = _prior()


def test_bad_state_names_the_problem() -> None:
    fit = PersonalBaseline().fit(make_table(6))
    state = fit.to_dict()
    del state["scale"]
    with pytest.raises(InputFormatError, match="scale"):
        PersonalBaseline.from_dict(state)
    with pytest.raises(InputFormatError):
        PersonalBaseline.from_json("[1, 2]")
    with pytest.raises(InputFormatError):
        PopulationPrior.from_dict({"format_version": 1, "biomarkers": {"x": {"centre": 1.0}}})
