"""The hindcast: the engine run backwards on realized closes with the flows that happened."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.signal import lfilter

from backtest.analogs.hindcast import (
    BRACKET_HIGH,
    COLUMNS,
    PATH_COLUMNS,
    Candidate,
    RealizedSeries,
    explaining_value,
    hindcast,
    log_impact,
    realized_series,
)
from backtest.sim.engine import run_engine
from backtest.sim.impact import MODELS, ImpactConfig
from backtest.sim.models import SPECS
from flowimpact.errors import InputError
from tests.backtest.sim.reference_engine import synthetic_baseline

WINDOWS = {"volatility_window_days": 10, "volume_window_days": 7}
N_DAYS, WARMUP, FIRST_FLOW = 60, 40, 5


def config(**overrides: object) -> ImpactConfig:
    return ImpactConfig(**{**WINDOWS, **overrides})


def frames(
    days: pd.DatetimeIndex,
    prior_close: np.ndarray,
    close: np.ndarray,
    flow_usd: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A daily price frame (warm-up + span) and a flow table that lists only its flow days."""
    every = pd.date_range(end=days[-1], periods=prior_close.size + close.size, freq="D")
    closes = np.concatenate([prior_close, close])
    daily = pd.DataFrame({"close": closes, "volume": 1e4}, index=every)
    listed = flow_usd != 0.0
    table = pd.DataFrame({"total_usd": flow_usd[listed]}, index=days[listed])
    return daily, table


ROUND_TRIP_MODELS = [
    config(model="linear", lambda_per_billion_usd=0.01),
    config(model="linear", lambda_per_billion_usd=0.004, permanent_share=0.2, half_life_days=3.0),
    config(model="multiplier", multiplier=40.0),
    config(model="multiplier", multiplier=15.0, permanent_share=0.8, half_life_days=5.0),
    config(model="multiplier", multiplier=25.0, decay="power", power_tau_days=2.0),
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=st.sampled_from(MODELS),
    decay=st.sampled_from(["exponential", "power"]),
    theta=st.floats(0.0, 1.0),
    half_life=st.floats(1.0, 60.0),
    seed=st.integers(0, 2**16),
)
def test_the_engine_s_path_through_the_hindcast_gives_back_the_engine_s_impact(
    model, decay, theta, half_life, seed
) -> None:
    # exact for every model: the hindcast solves the engine day by day with the same steps
    baseline = synthetic_baseline(seed % 11, n_paths=2, n_days=N_DAYS, warmup=WARMUP)
    rng = np.random.default_rng(seed)
    flows = rng.normal(2e8, 6e8, (1, N_DAYS, 2))
    flows[:, rng.random(N_DAYS) < 0.3] = 0.0
    impact = config(model=model, decay=decay, permanent_share=theta, half_life_days=half_life)
    engine = run_engine(baseline, flows, [impact], outputs=("close_usd", "log_impact"))
    for p in range(baseline.n_paths):
        for a, asset in enumerate(baseline.assets):
            series = RealizedSeries(
                asset=asset,
                days=baseline.days,
                flow_usd=flows[0, :, a],
                close_usd=engine.close_usd[0, p, :, a],
                volume_usd=baseline.volume_usd[p, :, a],  # flows do not change volume
                prior_close_usd=baseline.prior_close_usd[p, :, a],
                prior_volume_usd=baseline.prior_volume_usd[p, :, a],
            )
            _, cumulative = log_impact(series, impact)
            np.testing.assert_allclose(
                cumulative, engine.log_impact[0, p, :, a], rtol=0, atol=1e-9
            )
            implied = series.close_usd * np.exp(-cumulative)
            np.testing.assert_allclose(implied, baseline.close_usd[p, :, a], rtol=1e-9)
    assert np.abs(engine.log_impact).max() > 1e-3  # not a vacuous comparison


def test_the_hindcast_inverts_the_engine_on_a_flow_table_s_span() -> None:
    baseline = synthetic_baseline(11, n_paths=2, n_days=N_DAYS, warmup=WARMUP)
    rng = np.random.default_rng(12)
    flows = rng.normal(2e8, 6e8, (len(ROUND_TRIP_MODELS), N_DAYS, 2))
    flows[:, :FIRST_FLOW] = 0.0  # no flow before the table's first day
    flows[:, rng.random(N_DAYS) < 0.3] = 0.0  # days the table does not list
    flows[:, -1] = 3e8  # the table's last day is the window's last day
    flows[:, FIRST_FLOW] = 1e8
    engine = run_engine(baseline, flows, ROUND_TRIP_MODELS, outputs=("close_usd", "log_impact"))
    checked = 0
    for s, impact in enumerate(ROUND_TRIP_MODELS):
        for p in range(baseline.n_paths):
            for a, asset in enumerate(baseline.assets):
                impacted = engine.close_usd[s, p, :, a]
                span = baseline.days[FIRST_FLOW:]
                prior = np.concatenate(
                    [baseline.prior_close_usd[p, :, a], impacted[:FIRST_FLOW]]
                )
                daily, table = frames(span, prior, impacted[FIRST_FLOW:], flows[s, FIRST_FLOW:, a])
                series = realized_series(asset, daily, table)
                assert series.days.equals(span)
                _, cumulative = log_impact(series, impact)
                implied = series.close_usd * np.exp(-cumulative)
                np.testing.assert_allclose(
                    implied, baseline.close_usd[p, FIRST_FLOW:, a], rtol=1e-9, atol=0
                )
                np.testing.assert_allclose(
                    cumulative, engine.log_impact[s, p, FIRST_FLOW:, a], rtol=0, atol=1e-10
                )
                assert np.abs(cumulative).max() > 0.01  # not a vacuous comparison
                checked += 1
    assert checked == len(ROUND_TRIP_MODELS) * 2 * 2


def test_a_constant_flow_has_the_closed_form_impact_under_exponential_decay() -> None:
    n_days, flow, lam, theta, half_life = 50, 1e9, 0.001, 0.4, 10.0
    impact = config(
        model="linear", lambda_per_billion_usd=lam, permanent_share=theta, half_life_days=half_life
    )
    days = pd.date_range("2024-01-11", periods=n_days, freq="D", tz="UTC")
    series = RealizedSeries(
        asset="BTC",
        days=days,
        flow_usd=np.full(n_days, flow),
        close_usd=np.full(n_days, 40_000.0),
        volume_usd=np.full(n_days, 1e10),
        prior_close_usd=np.array([40_000.0]),
        prior_volume_usd=np.array([1e10]),
    )
    u, cumulative = log_impact(series, impact)
    rho = 2.0 ** (-1.0 / half_life)
    t = np.arange(n_days)
    # I_t = Σ_{j=0..t} λF·(θ + (1-θ)ρ^j) = λF·(θ(t+1) + (1-θ)(1-ρ^{t+1})/(1-ρ))
    geometric = (1 - rho ** (t + 1)) / (1 - rho)
    expected = lam * (flow / 1e9) * (theta * (t + 1) + (1 - theta) * geometric)
    np.testing.assert_allclose(u, lam, rtol=1e-14)
    np.testing.assert_allclose(cumulative, expected, rtol=1e-12)


def _market_with_true_multiplier(
    true_m: float, baseline_drift: float
) -> tuple[RealizedSeries, np.ndarray, ImpactConfig]:
    """Closes made by the engine from a known baseline and M; returns (series, B, config)."""
    n_days = 120
    baseline = synthetic_baseline(21, n_paths=1, n_days=n_days, warmup=WARMUP, assets=("BTC",))
    drift = np.exp(baseline_drift * np.arange(1, n_days + 1))
    baseline = dataclasses.replace(
        baseline,
        close_usd=np.full((1, n_days, 1), 50_000.0) * drift[None, :, None],
        prior_close_usd=np.full((1, WARMUP, 1), 50_000.0),
    )
    rng = np.random.default_rng(22)
    flows = rng.uniform(-2e8, 8e8, (1, n_days, 1))
    flows[0, :, 0][baseline.days.day_of_week >= 5] = 0.0  # the ETFs do not trade on weekends
    flows[0, 0, 0] = flows[0, -1, 0] = 4e8
    impact = config(model="multiplier", multiplier=true_m)
    engine = run_engine(baseline, flows, [impact], outputs=("close_usd",))
    daily, table = frames(
        baseline.days, baseline.prior_close_usd[0, :, 0], engine.close_usd[0, 0, :, 0],
        flows[0, :, 0],
    )
    return realized_series("BTC", daily, table), baseline.close_usd[0, :, 0], impact


def test_attribution_finds_the_true_multiplier_on_a_flat_baseline() -> None:
    series, _, impact = _market_with_true_multiplier(12.0, 0.0)
    value, low, high, reason = explaining_value(series, impact)
    assert reason == "" and low == 0.0 and high <= BRACKET_HIGH["multiplier"]
    assert value == pytest.approx(12.0, rel=1e-8)
    result = hindcast(
        {"BTC": series},
        {"BTC": [Candidate(impact), Candidate(dataclasses.replace(impact, multiplier=4.0))]},
    )
    table = result.table.set_index("value")
    assert list(result.table.columns) == list(COLUMNS)
    assert table.loc[12.0, "attributed_share_pct"] == pytest.approx(100.0, rel=1e-9)
    assert table.loc[12.0, "implied_baseline_log_return_bps"] == pytest.approx(0.0, abs=1e-8)
    assert 0.0 < table.loc[4.0, "attributed_share_pct"] < 100.0
    assert result.explaining["explaining_value"].iloc[0] == pytest.approx(12.0, rel=1e-8)
    assert list(result.paths.columns) == list(PATH_COLUMNS)
    assert len(result.paths) == 2 * len(series.days)


def test_at_the_true_multiplier_the_implied_path_is_the_baseline_with_its_own_drift() -> None:
    series, baseline_close, impact = _market_with_true_multiplier(12.0, 0.002)
    row = hindcast({"BTC": series}, {"BTC": [Candidate(impact)]}).table.iloc[0]
    true_baseline_bps = math.log(baseline_close[-1] / 50_000.0) * 1e4
    assert row["implied_baseline_log_return_bps"] == pytest.approx(true_baseline_bps, rel=1e-9)
    realized_bps = math.log(series.close_usd[-1] / series.prior_close_usd[-1]) * 1e4
    assert row["realized_log_return_bps"] == pytest.approx(realized_bps, rel=1e-12)
    assert row["attributed_log_impact_bps"] == pytest.approx(realized_bps - true_baseline_bps)
    assert row["cum_flow_usd"] == pytest.approx(series.flow_usd.sum())
    assert row["first_day"] == "2025-01-01" and row["last_day"] == "2025-04-30"
    # the baseline rose too: flows alone explain the whole rise only at a larger M
    value, *_ = explaining_value(series, impact)
    assert 12.0 < value < BRACKET_HIGH["multiplier"]


def test_no_root_when_the_price_fell_while_the_flows_bought() -> None:
    days = pd.date_range("2024-01-11", periods=30, freq="D", tz="UTC")
    close = 40_000.0 * np.exp(-0.01 * np.arange(1, 31))
    daily, table = frames(days, np.array([40_000.0]), close, np.full(30, 3e8))
    series = realized_series("BTC", daily, table)
    value, _, _, reason = explaining_value(series, config(model="multiplier"))
    assert math.isnan(value)
    assert reason.startswith("no root") and "-3000 bps" in reason


def test_a_sell_of_any_size_has_a_price_and_the_bracket_is_the_registry_s() -> None:
    # a sell smaller than the market's value has a price under any M
    days = pd.date_range("2024-01-11", periods=10, freq="D", tz="UTC")
    flows = np.full(10, 1e9)
    flows[4] = -5e9  # 0.5% of a $1 trillion market cap
    daily, table = frames(days, np.array([50_000.0]), np.full(10, 50_000.0), flows)
    series = realized_series("BTC", daily, table)
    impact = config(model="multiplier", circulating_supply={"BTC": 2e7})
    _, _, high, _ = explaining_value(series, impact)
    assert high == BRACKET_HIGH["multiplier"] == SPECS["multiplier"].bracket_high
    _, cumulative = log_impact(series, dataclasses.replace(impact, multiplier=250.0))
    assert np.all(np.isfinite(cumulative)) and cumulative[4] < cumulative[3]


def test_the_square_root_model_reads_sigma_of_the_implied_path_and_realized_volume() -> None:
    rng = np.random.default_rng(5)
    n_prior, n_days, theta = 20, 30, 0.4
    every = pd.date_range("2023-12-22", periods=n_prior + n_days, freq="D", tz="UTC")
    close = 40_000.0 * np.exp(np.cumsum(rng.normal(0, 0.03, every.size)))
    volume = rng.uniform(1e4, 3e4, every.size)
    daily = pd.DataFrame({"close": close, "volume": volume}, index=every)
    table = pd.DataFrame({"total_usd": rng.normal(1e8, 3e8, n_days)}, index=every[n_prior:])
    impact = config(model="sqrt", sqrt_y=0.7, permanent_share=theta, half_life_days=4.0)
    series = realized_series("BTC", daily, table, prior_days=n_prior)
    u, cumulative = log_impact(series, impact)
    # the calibration's pandas definitions of the same windows (backtest.analogs.calibrate),
    # σ on the implied no-ETF closes (the realized ones before the span), V on realized volume
    implied = np.concatenate([close[:n_prior], series.close_usd * np.exp(-cumulative)])
    returns = pd.Series(np.log(implied)).diff()
    sigma = returns.rolling(10).std().shift(1).to_numpy()[n_prior:]
    usd = (daily["close"] * daily["volume"]).rolling(7).mean().shift(1).to_numpy()[n_prior:]
    flow = table["total_usd"].to_numpy()
    market_volume = 10.0 * usd
    # κ = Y·σ_0·MC_0/V_0 USD of market value per USD, held from the state before the first day
    supply = impact.supply_coins("BTC")
    kappa = 0.7 * sigma[0] * close[n_prior - 1] * supply / market_volume[0]
    np.testing.assert_allclose(u, kappa * flow, rtol=1e-9)
    size = lfilter([1.0], [1.0, -(2.0 ** -0.25)], flow)  # E_t with a 4-day half-life
    transient = 0.7 * sigma * np.sign(size) * np.sqrt(np.abs(size) / market_volume)
    baseline_cap = implied[n_prior:] * supply
    expected = np.log1p(theta * np.cumsum(u) / baseline_cap) + (1 - theta) * transient
    np.testing.assert_allclose(cumulative, expected, rtol=1e-9, atol=1e-13)
    realized_sigma = np.log(daily["close"]).diff().rolling(10).std().shift(1).to_numpy()
    assert not np.allclose(sigma, realized_sigma[n_prior:], rtol=1e-3)  # the σ that matters
    with pytest.raises(InputError, match="needs 11 days of prices before 2024-01-11"):
        log_impact(realized_series("BTC", daily, table, prior_days=5), impact)


def test_a_missing_close_is_refused_naming_the_day() -> None:
    days = pd.date_range("2024-01-11", periods=10, freq="D", tz="UTC")
    daily, table = frames(days, np.array([40_000.0]), np.full(10, 40_000.0), np.full(10, 1e8))
    with pytest.raises(InputError, match="no BTC close on 2024-01-14"):
        realized_series("BTC", daily.drop(index=daily.index[4]), table)
    with pytest.raises(InputError, match="no BTC close on 2024-01-10"):
        realized_series("BTC", daily.iloc[1:], table)


def test_the_trailing_volume_is_computed_once_per_series_and_window(monkeypatch) -> None:
    # the root finders evaluate thousands of values on one series: V does not depend on them
    from backtest.sim import market

    rng = np.random.default_rng(6)
    n_prior, n_days = 20, 30
    every = pd.date_range("2023-12-22", periods=n_prior + n_days, freq="D", tz="UTC")
    close = 40_000.0 * np.exp(np.cumsum(rng.normal(0, 0.03, every.size)))
    daily = pd.DataFrame({"close": close, "volume": rng.uniform(1e4, 3e4, every.size)},
                         index=every)
    table = pd.DataFrame({"total_usd": rng.normal(1e8, 3e8, n_days)}, index=every[n_prior:])
    series = realized_series("BTC", daily, table, prior_days=n_prior)
    impact = config(model="sqrt", sqrt_y=0.7, half_life_days=4.0)
    fresh = log_impact(series, impact)[1]
    calls = []
    trailing = market.trailing_venue_volume_usd
    monkeypatch.setattr(market, "trailing_venue_volume_usd",
                        lambda *args: calls.append(args[2]) or trailing(*args))
    again = dataclasses.replace(series)  # another series: computed once for it
    for y in (0.1, 0.7, 3.0):
        log_impact(again, dataclasses.replace(impact, sqrt_y=y))
    np.testing.assert_array_equal(log_impact(again, impact)[1], fresh)
    log_impact(again, dataclasses.replace(impact, volume_window_days=5))
    assert calls == [7, 5]


@pytest.mark.parametrize("impact", [*ROUND_TRIP_MODELS, config(model="sqrt", sqrt_y=0.7)])
def test_with_parameter_is_replace_with_the_value_checked(impact: ImpactConfig) -> None:
    from backtest.analogs.hindcast import PARAMETER_KEY, with_parameter
    from flowimpact.errors import ConfigError

    key = PARAMETER_KEY[impact.model]
    changed = with_parameter(impact, 3.5)
    assert changed == dataclasses.replace(impact, **{key: 3.5})
    assert hash(changed) == hash(dataclasses.replace(impact, **{key: 3.5}))
    assert getattr(impact, key) != 3.5  # the original is left as it was
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(ConfigError) as replaced:
            dataclasses.replace(impact, **{key: bad})
        with pytest.raises(ConfigError, match=f"^{re.escape(str(replaced.value))}$"):
            with_parameter(impact, bad)
