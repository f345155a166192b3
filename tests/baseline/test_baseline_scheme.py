"""BaselineScheme and its replay `scheme_z`: the guard band keeps recent days out of refits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.baseline import BaselineScheme
from bedside.baseline.scheme import scheme_z
from bedside.domain import ConfigurationError


def test_refit_cutoff_never_cuts_into_the_first_fit() -> None:
    plain = BaselineScheme(guard_days=0)
    guarded = BaselineScheme(guard_days=21)
    assert [plain.refit_cutoff(r) for r in (28, 35, 56)] == [28, 35, 56]
    # the first fit (row 28) keeps its 28 days; later refits wait 21 days for new ones
    assert [guarded.refit_cutoff(r) for r in (28, 35, 49, 56, 84)] == [28, 28, 28, 35, 63]
    with pytest.raises(ConfigurationError, match="guard_days"):
        BaselineScheme(guard_days=-1)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    step_at=st.integers(28, 150),
    guard=st.integers(1, 56),
)
def test_a_change_is_not_absorbed_inside_the_guard_band(
    seed: int, step_at: int, guard: int
) -> None:
    """Inside the band the baseline in force ignores the change, so z moves linearly with it."""
    scheme = BaselineScheme(guard_days=guard)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(step_at + guard + 14)
    step = np.zeros_like(x)
    step[step_at:] = 1.0
    z0 = scheme_z(x, scheme, 1e-6)
    z1 = scheme_z(x + step, scheme, 1e-6)
    z3 = scheme_z(x + 3.0 * step, scheme, 1e-6)
    band = slice(step_at, step_at + guard)
    np.testing.assert_allclose(z3[band] - z0[band], 3.0 * (z1[band] - z0[band]), atol=1e-9)
    assert (z1[band] - z0[band] > 0).all()


def test_without_a_guard_band_the_baseline_absorbs_the_change() -> None:
    scheme = BaselineScheme(guard_days=0)
    x = np.random.default_rng(3).standard_normal(120)
    step = np.where(np.arange(120) >= 60, 1.0, 0.0)
    z0, z1, z3 = (scheme_z(x + c * step, scheme, 1e-6) for c in (0.0, 1.0, 3.0))
    band = slice(60, 81)
    assert not np.allclose(z3[band] - z0[band], 3.0 * (z1[band] - z0[band]), atol=1e-6)
