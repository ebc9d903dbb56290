"""The hindcast of a study: its models and values, the calibrated values, the stored tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import feeds
from backtest.analogs.hindcast import log_impact, realized_series
from backtest.study import analogs_step, hindcast_step
from backtest.study.config import load_study
from backtest.study.prices import load_daily_prices
from flowimpact.errors import DataUnavailableError
from tests.backtest.fixtures import write_study, write_synthetic_store
from tests.backtest.study.test_analogs_step import etf_flows_that_follow_returns


def test_every_model_and_value_of_the_grid_and_the_calibrated_value(tmp_path: Path) -> None:
    frames = write_synthetic_store(tmp_path / "data")
    flows = etf_flows_that_follow_returns(frames["BTC/USDT"])
    feeds.write_etf_flows(tmp_path / "data", "BTC", flows)
    study = load_study(
        write_study(
            tmp_path / "study.toml",
            inflow={"allocation": [0.01, 0.02]},
            impact={
                "model": ["multiplier", "linear"],
                "multiplier": [5.0, 20.0],
                "permanent_share": [0.3, 0.6],
            },
        )
    )
    prices = load_daily_prices(study, tmp_path / "data", progress=False)
    outcome = analogs_step.run_analogs(study, prices, tmp_path / "data")
    result = hindcast_step.hindcast_study(study, prices, outcome)
    table = result.table
    estimate = outcome.calibration.value("calibrated:btc_etf", "multiplier")
    lam = outcome.calibration.value("calibrated:btc_etf", "lambda_per_billion_usd")
    pairs = sorted(zip(table["model"], table["value"], strict=True))
    assert pairs == sorted(
        [("multiplier", 5.0), ("multiplier", 20.0), ("multiplier", estimate),
         ("linear", 0.0022), ("linear", lam)]
    )
    assert set(table["first_day"]) == {flows.index[0].strftime("%Y-%m-%d")}
    assert set(table["last_day"]) == {flows.index[-1].strftime("%Y-%m-%d")}
    # every other [impact] axis at its first grid value: θ = 0.3, not 0.6
    linear = table[(table["model"] == "linear") & (table["value"] == 0.0022)].iloc[0]
    series = realized_series("BTC", prices["BTC"], flows)
    for theta, same in ((0.3, True), (0.6, False)):
        impact = dataclasses.replace(study.impact, model="linear", permanent_share=theta)
        bps = log_impact(series, impact)[1][-1] * 1e4
        assert bool(bps == pytest.approx(linear["attributed_log_impact_bps"], rel=1e-12)) is same
    explaining = result.explaining.set_index("model")
    assert explaining.loc["multiplier", "calibrated_value"] == pytest.approx(estimate)
    assert explaining.loc["linear", "calibrated_token"] == "calibrated:btc_etf"


def test_without_a_stored_table_the_hindcast_is_data_unavailable(tmp_path: Path) -> None:
    write_synthetic_store(tmp_path / "data")
    study = load_study(write_study(tmp_path / "study.toml"))
    prices = load_daily_prices(study, tmp_path / "data", progress=False)
    outcome = analogs_step.run_analogs(study, prices, tmp_path / "data")
    with pytest.raises(DataUnavailableError, match="no ETF flow table"):
        hindcast_step.hindcast_study(study, prices, outcome)
    assert hindcast_step.with_hindcast(study, prices, outcome) is outcome
