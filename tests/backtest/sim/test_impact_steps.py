"""The impact models' day step: the finiteness test the horizon mode counts with."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from backtest.sim.impact_steps import LINEAR, MULTIPLIER, SQRT, log_impact, log_impact_is_finite

#: around every edge: log1p's pole at -1, overflow, zero and non-finite market caps, NaN
EDGES = (
    0.0, -0.0, 1.0, -1.0, -0.5, -1.5, 1e-300, 5e-324, 1e300, -1e300, 1.7976931348623157e308,
    -1.7976931348623157e308, np.inf, -np.inf, np.nan,
)  # fmt: skip
THETAS = (0.0, 0.3, 1.0, 1.5, np.nan)


@pytest.mark.parametrize("code", [LINEAR, MULTIPLIER, SQRT, 99])
def test_the_finiteness_test_agrees_with_the_log_impact_it_stands_for(code: int) -> None:
    rng = np.random.default_rng(code)
    # every edge combination, and random values around the pole z = -1 at random caps
    grid = list(itertools.product(THETAS, EDGES, EDGES, (1.0, 0.0, -1.0, 1e-300, np.inf, np.nan)))
    caps = rng.uniform(1e9, 1e12, 3000)
    near_pole = (-1.0 + rng.normal(0.0, 1e-12, 3000)) * caps
    grid += [(0.4, lasting, fading, cap) for lasting, fading, cap in zip(
        near_pole, rng.normal(0.0, 1.0, 3000) * caps * 1e-12, caps, strict=True)]  # fmt: skip
    grid += [(0.4, lasting, 0.0, cap) for lasting, cap in zip(near_pole, caps, strict=True)]
    disagree = [
        (theta, lasting, fading, cap)
        for theta, lasting, fading, cap in grid
        if log_impact_is_finite(code, theta, lasting, fading, cap)
        != np.isfinite(log_impact(code, theta, lasting, fading, cap))
    ]
    assert disagree == []
    both = [log_impact_is_finite(code, 0.4, x, 0.0, 1.0) for x in (-0.999, -1.0)]
    expected = {LINEAR: [True, True], MULTIPLIER: [True, False], SQRT: [True, False]}
    assert both == expected.get(code, [False, False])  # an unknown code is never finite
