"""φ and its inverse: the parameter that makes the hindcast attribute a chosen share of a move."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest

from backtest.analogs.evidence import explained_share, reach, share_curve, solve_share
from backtest.analogs.hindcast import (
    PARAMETER_KEY,
    RealizedSeries,
    log_impact,
    realized_series,
    with_parameter,
)
from backtest.sim.impact import ImpactConfig
from flowimpact.errors import InputError

WINDOWS = {"volatility_window_days": 10, "volume_window_days": 7}
N_DAYS, PRIOR = 200, 12


def config(**overrides: object) -> ImpactConfig:
    return ImpactConfig(**{**WINDOWS, **overrides})


def market(drift: float, seed: int = 3) -> RealizedSeries:
    """A random walk with ``drift`` per day and ETF-like flows that mostly buy."""
    rng = np.random.default_rng(seed)
    every = pd.date_range("2024-01-01", periods=PRIOR + N_DAYS, freq="D", tz="UTC")
    close = 40_000.0 * np.exp(np.cumsum(rng.normal(drift, 0.03, every.size)))
    daily = pd.DataFrame({"close": close, "volume": rng.uniform(2e4, 6e4, every.size)}, every)
    flow = rng.normal(1.5e8, 4e8, N_DAYS)
    flow[every[PRIOR:].day_of_week >= 5] = 0.0
    flow[0] = flow[-1] = 2e8  # the table's first and last days carry a flow
    listed = flow != 0.0
    table = pd.DataFrame({"total_usd": flow[listed]}, index=every[PRIOR:][listed])
    return realized_series("BTC", daily, table, prior_days=PRIOR)


MODELS = [
    config(model="linear"),
    config(model="multiplier", permanent_share=0.3),
    config(model="multiplier", decay="power", power_tau_days=2.0),
    config(model="sqrt", permanent_share=0.8, half_life_days=5.0),
]


@pytest.fixture(scope="module")
def rising() -> RealizedSeries:
    series = market(0.004)
    assert series.realized_log_return > 0.3  # the window rose
    return series


@pytest.mark.parametrize("impact", MODELS, ids=lambda c: f"{c.model}-{c.decay}")
@pytest.mark.parametrize("share", [0.1, 0.5, 0.99])
def test_the_solved_parameter_run_back_through_the_hindcast_gives_the_share(
    rising: RealizedSeries, impact: ImpactConfig, share: float
) -> None:
    # 0.99 of the reach: the edge of the rising part, where the bracket's refinement matters
    # (the additive models cannot explain the whole of this steep window: their implied
    # baseline would reach zero on an earlier day)
    share = share * min(reach(rising, impact).share_high, 1.0) if share > 0.5 else share
    value = solve_share(rising, impact, share)
    solved = with_parameter(impact, value)
    attributed = float(log_impact(rising, solved)[1][-1])
    assert attributed / rising.realized_log_return == pytest.approx(share, abs=1e-6)
    assert explained_share(rising, solved) == pytest.approx(share, abs=1e-6)
    # the other keys are the scenario's own: only the parameter moved
    assert dataclasses.replace(solved, **{PARAMETER_KEY[impact.model]: 0.0}) == (
        dataclasses.replace(impact, **{PARAMETER_KEY[impact.model]: 0.0})
    )


@pytest.mark.parametrize("impact", MODELS, ids=lambda c: f"{c.model}-{c.decay}")
def test_a_larger_share_takes_a_larger_parameter(
    rising: RealizedSeries, impact: ImpactConfig
) -> None:
    top = min(reach(rising, impact).share_high, 1.0)
    values = [solve_share(rising, impact, share * top) for share in (0.1, 0.25, 0.5, 0.99)]
    assert all(b > a > 0 for a, b in itertools.pairwise(values))


def test_the_linear_share_is_proportional_to_lambda(rising: RealizedSeries) -> None:
    curve = share_curve(rising, config(model="linear"), [0.001, 0.002, 0.004])
    np.testing.assert_allclose(curve / curve[0], [1.0, 2.0, 4.0], rtol=1e-12)


def test_a_falling_window_is_refused_naming_the_window_and_the_reach() -> None:
    falling = market(-0.004)
    assert falling.realized_log_return < 0
    with pytest.raises(InputError) as caught:
        solve_share(falling, config(model="multiplier"), 0.5)
    message = str(caught.value)
    first, last = falling.days[0].date(), falling.days[-1].date()
    assert f"BTC {first}..{last}" in message and "did not rise" in message
    assert "reachable" in message and "etf_explained_share = []" in message


def test_a_share_beyond_the_bracket_is_refused_with_the_reachable_range(
    rising: RealizedSeries,
) -> None:
    impact = config(model="linear")
    bounds = reach(rising, impact)
    assert bounds.share_low == 0.0 and bounds.share_high > 1.0
    too_far = bounds.share_high * 1.5
    with pytest.raises(InputError, match="beyond reach") as caught:
        solve_share(rising, impact, too_far)
    assert f"{bounds.share_high:.3g}" in str(caught.value)
    assert solve_share(rising, impact, bounds.share_high) == bounds.value_high


def test_the_zero_drift_bootstrap_has_no_drift_and_the_random_walk_spread() -> None:
    from backtest.analogs.evidence import zero_drift_window_returns

    rng = np.random.default_rng(9)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.01, 0.02, 3000)))  # strong drift, removed
    draws = zero_drift_window_returns(close, 100, n_paths=4000, block_mean_days=1.0, seed=1)
    # block length 1: independent days, so the window's spread is sigma * sqrt(n)
    assert abs(draws.mean()) < 4 * 0.02 * 10 / np.sqrt(4000)
    assert draws.std() == pytest.approx(0.02 * np.sqrt(100), rel=0.06)
    again = zero_drift_window_returns(close, 100, n_paths=4000, block_mean_days=1.0, seed=1)
    np.testing.assert_array_equal(draws, again)
