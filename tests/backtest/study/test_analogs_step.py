"""The analogs inside a study run: calibrated grid values, calibration and flow comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import feeds
from backtest.run import RunResult, run_study
from backtest.study.config import load_study
from flowimpact.errors import ConfigError, InputError
from tests.backtest.fixtures import write_study, write_synthetic_store

TOKEN = "calibrated:btc_etf"


def etf_flows_that_follow_returns(btc: pd.DataFrame) -> pd.DataFrame:
    """ETF net flows (USD) that rise with BTC's same-day return, so the fitted M is positive."""
    days = btc.index[btc.index >= "2024-01-11"]
    returns = np.log(btc["close"]).diff().reindex(days).fillna(0.0).to_numpy()
    noise = np.random.default_rng(7).normal(0.0, 5e7, len(days))
    total = 2e10 * returns + noise
    return pd.DataFrame({"ibit_usd": total, "total_usd": total}, index=days.rename("date"))


@pytest.fixture(scope="module")
def calibrated_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    root = tmp_path_factory.mktemp("calibrated")
    frames = write_synthetic_store(root / "data")
    feeds.write_etf_flows(root / "data", "BTC", etf_flows_that_follow_returns(frames["BTC/USDT"]))
    study_file = write_study(
        root / "study.toml",
        inflow={"allocation": 0.02},
        impact={"model": "multiplier", "multiplier": [TOKEN, 5.0]},
    )
    return run_study(load_study(study_file), root / "data", root / "out", progress=False)


def test_a_calibrated_grid_value_runs_with_the_calibrated_estimate(
    calibrated_run: RunResult,
) -> None:
    calibration = pd.read_csv(calibrated_run.out_dir / "calibration.csv")
    estimate = calibration.query(
        "asset == 'BTC' and direction == 'returns_on_flows' and parameter == 'multiplier'"
    )["estimate"].iloc[0]
    assert estimate > 0
    scenarios = pd.read_csv(calibrated_run.out_dir / "scenarios.csv")
    calibrated = scenarios[scenarios["label"].str.contains(TOKEN)]
    fixed = scenarios[~scenarios["label"].str.contains(TOKEN)]
    assert len(calibrated) == len(fixed) == 2  # one scenario each, two assets
    assert calibrated["multiplier"].to_numpy() == pytest.approx(estimate, rel=1e-12)
    assert (fixed["multiplier"] == 5.0).all()
    # the larger M must give the larger impact on the same flows and paths
    bigger = calibrated if estimate > 5 else fixed
    smaller = fixed if estimate > 5 else calibrated
    assert (
        bigger["log_impact_at_horizon_bps_p50"].to_numpy()
        > smaller["log_impact_at_horizon_bps_p50"].to_numpy()
    ).all()


def test_the_flow_comparison_and_its_report_section_are_written(
    calibrated_run: RunResult,
) -> None:
    comparison = pd.read_csv(calibrated_run.out_dir / "flow_comparison.csv")
    assert not comparison.empty
    report = (calibrated_run.out_dir / "report.html").read_text(encoding="utf-8")
    assert "Impact calibrated on ETF flows" in report
    assert "ETF flows beside the 401(k) scenarios" in report


def test_a_calibrated_value_without_etf_flows_is_refused(tmp_path: Path) -> None:
    write_synthetic_store(tmp_path / "data")
    study = load_study(
        write_study(tmp_path / "study.toml", impact={"multiplier": [TOKEN, 5.0]})
    )
    with pytest.raises(ConfigError, match="needs ETF flows"):
        run_study(study, tmp_path / "data", tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "report.html").exists()


def test_a_calibration_without_enough_days_is_skipped_not_fatal(tmp_path: Path) -> None:
    frames = write_synthetic_store(tmp_path / "data")
    few = etf_flows_that_follow_returns(frames["BTC/USDT"]).iloc[:10]  # < 30 usable days
    feeds.write_etf_flows(tmp_path / "data", "BTC", few)
    study = load_study(write_study(tmp_path / "study.toml"))
    result = run_study(study, tmp_path / "data", tmp_path / "out", progress=False)
    assert result.run.analogs.calibration is None
    assert "fewer than" in (result.run.analogs.calibration_skipped or "")
    assert not (tmp_path / "out" / "calibration.csv").exists()
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Impact calibration skipped" in report
    # the same data with a calibrated grid value cannot run: exit 2, not a silent fallback
    needs_it = load_study(
        write_study(tmp_path / "needs.toml", impact={"multiplier": [TOKEN, 5.0]})
    )
    with pytest.raises(InputError, match="fewer than"):
        run_study(needs_it, tmp_path / "data", tmp_path / "out2", progress=False)


def test_the_run_writes_the_hindcast_and_reports_it(calibrated_run: RunResult) -> None:
    hindcast = pd.read_csv(calibrated_run.out_dir / "hindcast.csv")
    # BTC only (ETH has no table); the grid's token and BTC's own calibrated value coincide
    assert set(hindcast["asset"]) == {"BTC"}
    estimate = calibrated_run.run.analogs.calibration.value(TOKEN, "multiplier")
    assert sorted(hindcast["value"]) == pytest.approx(sorted([estimate, 5.0]), rel=1e-9)
    assert (calibrated_run.out_dir / "hindcast_paths.csv").exists()
    report = (calibrated_run.out_dir / "report.html").read_text(encoding="utf-8")
    assert "What the ETF flows did: a hindcast" in report
    assert "BTC went from" in report
