"""Calibration: known M, Y and λ recovered from synthetic flows and prices with noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from backtest.analogs.calibrate import (
    CalibrationConfig,
    CalibrationResult,
    _daily_inputs,
    _scaled_flow,
    calibrate,
    daily_candles,
    resolve_calibrated,
)
from backtest.sim.baseline import BaselinePaths
from backtest.sim.engine import _per_window, run_engine
from backtest.sim.impact import ImpactConfig
from backtest.sim.market import market_volume_usd
from backtest.sim.models import SquareRootImpact
from flowimpact.errors import ConfigError, InputError

SUPPLY = 20_000_000.0
N_DAYS = 700
FLOW_START = 200  # the flows begin on day 200: 200 days of history for the trailing statistics
DAYS = pd.date_range("2023-01-01", periods=N_DAYS, freq="D", tz="UTC", name="timestamp")
CONFIG = CalibrationConfig(supply_coins={"BTC": SUPPLY}, volume_coverage=10.0)


def synthetic_flows(seed: int) -> np.ndarray:
    """Weekday flows of about ±$400M, zero on weekends and before FLOW_START."""
    rng = np.random.default_rng(seed)
    flows = rng.normal(1e8, 4e8, N_DAYS)
    flows[DAYS.day_of_week >= 5] = 0.0
    flows[:FLOW_START] = 0.0
    return flows


def simulate(impact, flows: np.ndarray, seed: int, noise_sd: float = 0.01) -> pd.DataFrame:
    """Closes with r_t = impact(t, F_t, history) + noise, built day by day as the model says."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, noise_sd, N_DAYS)
    volume_coins = rng.uniform(8_000, 12_000, N_DAYS)
    close = np.empty(N_DAYS)
    close[0] = 40_000.0
    for t in range(1, N_DAYS):
        move = impact(t, flows[t], close[:t], volume_coins[:t])
        close[t] = close[t - 1] * np.exp(move + noise[t])
    return pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": volume_coins},
        index=DAYS,
    )


def flow_table(flows: np.ndarray) -> pd.DataFrame:
    days = DAYS[FLOW_START:].rename("date")
    return pd.DataFrame({"ibit_usd": flows[FLOW_START:], "total_usd": flows[FLOW_START:]}, days)


def row(result: CalibrationResult, parameter: str, asset: str = "BTC") -> pd.Series:
    table = result.table
    return table[(table["asset"] == asset) & (table["parameter"] == parameter)].iloc[0]


def assert_recovered(found: pd.Series, truth: float) -> None:
    assert found["ci_low"] < truth < found["ci_high"], found
    assert abs(found["estimate"] - truth) < 3 * found["std_error"]
    assert found["std_error"] < abs(truth) / 4  # informative: the interval excludes zero
    assert found["ci_low"] > 0


def test_recovers_a_known_multiplier() -> None:
    m = 20.0
    flows = synthetic_flows(1)

    def multiplier(t: int, flow: float, closes: np.ndarray, _volume: np.ndarray) -> float:
        return float(np.log1p(m * flow / (closes[-1] * SUPPLY)))

    prices = {"BTC": simulate(multiplier, flows, seed=2)}
    result = calibrate(prices, {"BTC": flow_table(flows)}, CONFIG)
    assert_recovered(row(result, "multiplier"), m)
    lag1 = row(result, "multiplier_lag1d")
    assert lag1["ci_low"] < 0 < lag1["ci_high"]  # no lagged effect in the data
    same_day = row(result, "multiplier")
    assert same_day["n_obs"] == N_DAYS - FLOW_START
    assert same_day["sample_start"] == "2023-07-20" and same_day["sample_end"] == "2024-11-30"
    assert result.value("calibrated:btc_etf", "multiplier") == same_day["estimate"]


def test_recovers_a_known_lambda() -> None:
    lam = 0.02  # log return per $1bn
    flows = synthetic_flows(3)
    prices = {"BTC": simulate(lambda t, f, c, v: lam * f / 1e9, flows, seed=4)}
    result = calibrate(prices, {"BTC": flow_table(flows)}, CONFIG)
    assert_recovered(row(result, "lambda_per_billion_usd"), lam)
    assert resolve_calibrated("calibrated:btc_etf", "lambda", result) == pytest.approx(
        row(result, "lambda_per_billion_usd")["estimate"]
    )


def test_recovers_a_known_square_root_y() -> None:
    y = 1.5
    window = 30
    flows = synthetic_flows(5)

    def square_root(t: int, flow: float, closes: np.ndarray, volume: np.ndarray) -> float:
        if t <= window + 1:
            return 0.0
        sigma = np.std(np.diff(np.log(closes[-window - 1 :])), ddof=1)
        usd_volume = np.mean(closes[-window:] * volume[-window:]) * 10.0
        return float(y * sigma * np.sign(flow) * np.sqrt(abs(flow) / usd_volume))

    prices = {"BTC": simulate(square_root, flows, seed=6, noise_sd=0.005)}
    result = calibrate(prices, {"BTC": flow_table(flows)}, CONFIG)
    assert_recovered(row(result, "sqrt_y"), y)
    assert (
        resolve_calibrated("calibrated:BTC_etf", "sqrt_y", result)
        == row(result, "sqrt_y")["estimate"]
    )


def test_the_reverse_regression_sees_flows_that_chase_returns() -> None:
    rng = np.random.default_rng(8)
    prices = {"BTC": simulate(lambda t, f, c, v: 0.0, np.zeros(N_DAYS), seed=9, noise_sd=0.02)}
    returns = np.log(prices["BTC"]["close"]).diff().fillna(0.0).to_numpy()
    chase_bn = 10.0  # $10bn per unit log return of the day before
    flows = chase_bn * 1e9 * np.roll(returns, 1) + rng.normal(0, 5e7, N_DAYS)
    flows[:FLOW_START] = 0.0
    result = calibrate(prices, {"BTC": flow_table(flows)}, CONFIG)
    reverse = row(result, "flow_bn_on_return_lag1d")
    assert reverse["direction"] == "flows_on_returns" and reverse["model"] == "reverse"
    assert_recovered(reverse, chase_bn)
    lag2 = row(result, "flow_bn_on_return_lag2d")
    assert lag2["ci_low"] < 0 < lag2["ci_high"]


def test_cumulative_row_sums_the_lags_with_their_covariance() -> None:
    flows = synthetic_flows(1)
    prices = {"BTC": simulate(lambda t, f, c, v: 0.01 * f / 1e9, flows, seed=2)}
    table = calibrate(prices, {"BTC": flow_table(flows)}, CONFIG).table
    linear = table[table["model"] == "linear"].set_index("parameter")
    name = "lambda_per_billion_usd"
    parts = linear.loc[[name, f"{name}_lag1d", f"{name}_lag2d"], "estimate"]
    total = linear.loc[f"{name}_cumulative"]
    assert total["estimate"] == pytest.approx(parts.sum())
    # the error of the sum is statsmodels' own test of the restriction b0 + b1 + b2
    x = pd.Series(flows / 1e9, index=DAYS)
    exog = pd.concat([x, x.shift(1), x.shift(2)], axis=1).iloc[FLOW_START:]
    y = np.log(prices["BTC"]["close"]).diff().iloc[FLOW_START:]
    fit = sm.OLS(y.to_numpy(), sm.add_constant(exog.to_numpy())).fit(
        cov_type="HAC", cov_kwds={"maxlags": 5}
    )
    restriction = fit.t_test(np.array([[0.0, 1.0, 1.0, 1.0]]))
    assert total["std_error"] == pytest.approx(float(restriction.sd[0][0]), rel=1e-9)
    assert linear.loc[name, "std_error"] == pytest.approx(float(fit.bse[1]), rel=1e-9)


def test_four_hour_prices_are_summed_to_days_first() -> None:
    flows = synthetic_flows(1)
    daily = simulate(lambda t, f, c, v: 0.01 * f / 1e9, flows, seed=2)
    # six 4-hour bars per day: the last one closes the day, the volume is split evenly
    index = pd.date_range(DAYS[0], periods=6 * N_DAYS, freq="4h", name="timestamp")
    rng = np.random.default_rng(0)
    close = np.repeat(daily["close"].to_numpy(), 6) * rng.uniform(0.99, 1.01, 6 * N_DAYS)
    close[5::6] = daily["close"].to_numpy()
    hourly = pd.DataFrame(
        {"close": close, "volume": np.repeat(daily["volume"].to_numpy() / 6, 6)}, index=index
    )
    pd.testing.assert_series_equal(
        daily_candles(hourly)["close"], daily["close"], check_names=False, check_freq=False
    )
    a = calibrate({"BTC": hourly}, {"BTC": flow_table(flows)}, CONFIG).table
    b = calibrate({"BTC": daily}, {"BTC": flow_table(flows)}, CONFIG).table
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-9)


def test_resolve_refuses_bad_tokens_parameters_assets_and_negative_values() -> None:
    table = pd.DataFrame(
        {
            "asset": ["BTC", "BTC"],
            "direction": ["returns_on_flows"] * 2,
            "parameter": ["multiplier", "sqrt_y"],
            "estimate": [12.0, -0.5],
        }
    )
    result = CalibrationResult(table=table, config=CONFIG)
    assert resolve_calibrated("calibrated:btc_etf", "M", result) == 12.0
    with pytest.raises(ConfigError, match="write calibrated:<asset>_etf"):
        resolve_calibrated("calibrated:btc", "multiplier", result)
    with pytest.raises(ConfigError, match="no ETF-flow calibration for SOL"):
        resolve_calibrated("calibrated:sol_etf", "multiplier", result)
    with pytest.raises(ConfigError, match="'half_life_days' has no calibration"):
        resolve_calibrated("calibrated:btc_etf", "half_life_days", result)
    with pytest.raises(ConfigError, match=r"sqrt_y is -0\.5"):
        resolve_calibrated("calibrated:btc_etf", "sqrt_y", result)


def test_too_few_days_and_no_common_asset_are_input_errors() -> None:
    flows = synthetic_flows(1)
    prices = {"BTC": simulate(lambda t, f, c, v: 0.0, flows, seed=2)}
    with pytest.raises(InputError, match="no asset has both prices"):
        calibrate(prices, {"ETH": flow_table(flows)}, CONFIG)
    short = flow_table(flows).iloc[:20]
    with pytest.raises(InputError, match="fewer than 30"):
        calibrate(prices, {"BTC": short}, CONFIG)
    with pytest.raises(InputError, match="no total_usd column"):
        calibrate(prices, {"BTC": flow_table(flows).drop(columns="total_usd")}, CONFIG)


def test_prices_that_end_before_the_etf_window_are_said_missing_after_it() -> None:
    flows = synthetic_flows(1)
    prices = simulate(lambda t, f, c, v: 0.0, flows, seed=2)
    early = prices[prices.index < DAYS[FLOW_START]]  # every candle before the first ETF day
    with pytest.raises(InputError) as caught:
        calibrate({"BTC": early}, {"BTC": flow_table(flows)}, CONFIG)
    message = str(caught.value)
    assert f"the stored prices end {early.index[-1].date()}" in message
    assert f"store prices after {early.index[-1].date()}" in message
    assert "before" not in message.split("; ", 1)[1].replace("before the ETF flows'", "")
    # prices too short at the start still say "before"
    short = flow_table(flows).iloc[:20]
    with pytest.raises(InputError, match="store more prices before"):
        calibrate({"BTC": prices}, {"BTC": short}, CONFIG)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"volume_coverage": 0.0}, "volume_coverage"),
        ({"flow_lags_days": -1}, "flow_lags_days"),
        ({"hac_max_lags_days": 1.5}, "hac_max_lags_days"),
        ({"supply_coins": {"BTC": -1.0}}, "supply_coins.BTC"),
        ({"confidence": 1.0}, "confidence"),
    ],
)
def test_config_errors_name_the_key(kwargs: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        CalibrationConfig(**kwargs)


def real_flows(shared_data: Path, asset: str) -> pd.DataFrame:
    raw = pd.read_csv(shared_data / "etf_flows" / f"farside_{asset.lower()}_etf_flows_daily.csv")
    raw.index = pd.DatetimeIndex(pd.to_datetime(raw.pop("date")).dt.tz_localize("UTC"), name="date")
    return (raw * 1e6).rename(columns=lambda c: f"{c.lower()}_usd")  # US$ millions -> dollars


def real_prices(shared_data: Path, asset: str) -> pd.DataFrame:
    raw = pd.read_csv(shared_data / "prices" / f"binance_{asset}USDT_1d.csv")
    raw.index = pd.DatetimeIndex(pd.to_datetime(raw.pop("timestamp")).dt.tz_localize("UTC"))
    return raw


def test_real_btc_multiplier_agrees_with_a_plain_regression(shared_data: Path) -> None:
    prices = {"BTC": real_prices(shared_data, "BTC")}
    flows = {"BTC": real_flows(shared_data, "BTC")}
    config = CalibrationConfig(flow_lags_days=0)
    result = calibrate(prices, flows, config)
    found = row(result, "multiplier")
    # independent: numpy least squares on the same definitions
    close = prices["BTC"]["close"]
    frame = pd.DataFrame({"r": np.log(close / close.shift(1)), "cap": close.shift(1) * 19.9e6})
    frame = frame.join(flows["BTC"]["total_usd"], how="inner")
    x = (frame["total_usd"] / frame["cap"]).to_numpy()
    design = np.column_stack([np.ones_like(x), x])
    beta = np.linalg.lstsq(design, frame["r"].to_numpy(), rcond=None)[0]
    assert found["estimate"] == pytest.approx(beta[1], rel=1e-9)
    assert found["n_obs"] == 601 and found["sample_start"] == "2024-01-11"
    assert found["sample_end"] == "2025-09-02"
    reverse = row(result, "flow_bn_on_return_lag1d")
    assert reverse["n_obs"] == 601


def test_unfinished_last_day_is_dropped_and_outage_days_kept() -> None:
    index = pd.date_range("2024-01-01", periods=18, freq="4h", tz="UTC", name="timestamp")
    frame = pd.DataFrame({"close": np.arange(1.0, 19.0), "volume": np.ones(18)}, index=index)
    # day 2 lost its 04:00 and 08:00 bars to an outage; day 3 was fetched at 12:00
    frame = frame.drop(index=index[[7, 8, 15, 16, 17]])
    daily = daily_candles(frame)
    assert daily.index.tolist() == list(pd.date_range("2024-01-01", periods=2, tz="UTC"))
    assert daily["close"].tolist() == [6.0, 12.0]
    assert daily["volume"].tolist() == [6.0, 4.0]
    assert list(daily.columns) == ["close", "volume"]


@pytest.mark.slow
def test_calibration_and_engine_read_the_same_sigma_and_volume() -> None:
    # one daily series, seen by the calibration as history and by the engine as a baseline
    # path (its first WARMUP days the warm-up): σ_t, V_t and the square-root regressor
    # x_t = σ_t·sign(F_t)·sqrt(|F_t|/V_t) must agree with the engine's σ_t and V_t, and its
    # u_t for Y = 1 with the first day's
    flows = synthetic_flows(11)
    prices = simulate(lambda t, f, c, v: 0.0, flows, seed=12, noise_sd=0.03)
    config = CalibrationConfig(
        supply_coins={"BTC": SUPPLY}, volume_coverage=7.0,
        volatility_window_days=20, volume_window_days=12,
    )  # fmt: skip
    inputs, _ = _daily_inputs(prices, flow_table(flows), "BTC", config)

    warmup = 45  # not a multiple of either window: the rolling sums restart on other days
    close = prices["close"].to_numpy()[None, :, None]
    venue_usd = close * prices["volume"].to_numpy()[None, :, None]
    baseline = BaselinePaths(
        days=DAYS[warmup:], assets=("BTC",),
        close_usd=close[:, warmup:], volume_usd=venue_usd[:, warmup:],
        last_history_day=DAYS[-1],
        prior_close_usd=close[:, :warmup], prior_volume_usd=venue_usd[:, :warmup],
    )  # fmt: skip
    impact = ImpactConfig(
        model="sqrt", sqrt_y=1.0, volume_coverage=config.volume_coverage,
        volatility_window_days=config.volatility_window_days,
        volume_window_days=config.volume_window_days,
    )  # fmt: skip
    engine_sigma = _per_window(baseline, (20,), volatility=True)[0, 0, :, 0]
    engine_venue = _per_window(baseline, (12,), volatility=False)[0, 0, :, 0]
    engine_volume = market_volume_usd.py_func(engine_venue, impact.volume_coverage)
    np.testing.assert_allclose(inputs["sigma"].to_numpy()[warmup:], engine_sigma, rtol=1e-12)
    np.testing.assert_allclose(inputs["volume_usd"].to_numpy()[warmup:], engine_volume, rtol=1e-12)

    result = run_engine(
        baseline, flows[None, warmup:, None], [impact], outputs=("instant_log_impact",)
    )
    # κ·F = Y·σ_0·MC_0·F/V_0, from the state before the window's first day: the same σ and V
    engine_u = result.instant_log_impact[0, 0, :, 0]
    sigma, volume = inputs["sigma"].to_numpy()[warmup:], inputs["volume_usd"].to_numpy()[warmup:]
    flowing = flows[warmup:] != 0.0
    assert flowing.sum() > 300  # the comparison is not vacuous
    cap0 = close[0, warmup - 1, 0] * impact.supply_coins("BTC")
    expected_u = sigma[0] * cap0 * flows[warmup:] / volume[0]
    np.testing.assert_allclose(engine_u[flowing], expected_u[flowing], rtol=1e-12)
    # the regressor is the model's transient of a lone day's flow on those σ and V
    calibration_x = _scaled_flow("sqrt", inputs).to_numpy()[warmup:]
    lone_day = SquareRootImpact(1.0).transient_part(flows[warmup:], sigma, volume)
    np.testing.assert_allclose(calibration_x[flowing], lone_day[flowing], rtol=1e-12)
