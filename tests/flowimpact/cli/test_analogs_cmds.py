"""flowimpact analogs / calibrate end to end: real data imported into a store, exit codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowimpact.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Daily BTC and ETH candles and both Farside tables, imported by `flowimpact import`."""
    root = tmp_path_factory.mktemp("store")
    files = [str(p) for p in sorted((shared_data / "prices").glob("*_1d.csv"))]
    files += [str(p) for p in sorted((shared_data / "etf_flows").glob("*.csv"))]
    assert main(["import", "--data-dir", str(root), *files]) == 0
    return root


@pytest.fixture(scope="module")
def prices_only(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("prices_only")
    files = [str(p) for p in sorted((shared_data / "prices").glob("*_1d.csv"))]
    assert main(["import", "--data-dir", str(root), *files]) == 0
    return root


def raw_close(shared_data: Path, asset: str) -> pd.Series:
    return pd.read_csv(shared_data / "prices" / f"binance_{asset}USDT_1d.csv", index_col=0)["close"]


def test_analogs_writes_its_files_and_agrees_with_the_raw_csv(
    store: Path, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["analogs", "--data-dir", str(store), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "btc_spot_etf" in printed and str(out / "analogs.csv") in printed
    table = pd.read_csv(out / "analogs.csv")
    pairs = list(zip(table["event"], table["asset"], strict=True))
    assert pairs == [
        ("btc_spot_etf", "BTC"),
        ("eth_spot_etf", "ETH"),
        ("us_401k_order", "BTC"),
        ("us_401k_order", "ETH"),
    ]
    # independent: CAR(0, +30) of ETH around 2024-07-23 from the raw closes, constant mean
    close = raw_close(shared_data, "ETH").to_numpy()
    at = list(raw_close(shared_data, "ETH").index).index("2024-07-23")
    log_close = np.log(close)
    est = np.diff(log_close[at - 251 : at - 30])  # returns ending on days -250 .. -31
    car = (log_close[at + 30] - log_close[at - 1]) - 31 * est.mean()
    row = table.set_index(["event", "asset"]).loc[("eth_spot_etf", "ETH")]
    assert row["car_30d_pct"] == pytest.approx(100 * car, rel=1e-6)
    comparison = pd.read_csv(out / "flow_comparison.csv")
    assert len(comparison) == 24 * 2  # 24 distinct inflow schedules x BTC, ETH
    assert set(comparison["etf_launch"]) == {"2024-01-11", "2024-07-23"}
    page = (out / "analogs.html").read_text()
    assert "Farside Investors" in page and '<script src="http' not in page
    assert (out / "analogs_aligned.csv").stat().st_size > 0


def test_calibrate_writes_calibration_csv_matching_a_plain_regression(
    store: Path, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["calibrate", "--data-dir", str(store), "--out", str(out)]) == 0
    assert "flows also follow prices" in capsys.readouterr().out
    table = pd.read_csv(out / "calibration.csv")
    assert set(table["direction"]) == {"returns_on_flows", "flows_on_returns"}
    btc = table[(table["asset"] == "BTC") & (table["parameter"] == "lambda_per_billion_usd")]
    # independent: ordinary least squares of returns on flows ($bn) and two lags, numpy only
    close = raw_close(shared_data, "BTC")
    flows = pd.read_csv(shared_data / "etf_flows" / "farside_btc_etf_flows_daily.csv", index_col=0)
    returns = np.log(close).diff().loc[flows.index].to_numpy()
    flow_bn = pd.Series(flows["Total"].to_numpy() / 1000.0)  # US$ millions -> billions
    design = np.column_stack(
        [np.ones(len(flow_bn)), flow_bn, flow_bn.shift(1).fillna(0), flow_bn.shift(2).fillna(0)]
    )
    beta = np.linalg.lstsq(design, returns, rcond=None)[0]
    assert btc["estimate"].iloc[0] == pytest.approx(beta[1], rel=1e-6)
    assert btc["n_obs"].iloc[0] == 601


def test_a_study_with_a_calibrated_grid_value_runs_the_flow_comparison(
    store: Path, tmp_path: Path
) -> None:
    study = tmp_path / "study.toml"
    study.write_text('[impact]\nmultiplier = ["calibrated:btc_etf", 5]\n')
    out = tmp_path / "out"
    assert (
        main(["analogs", "--config", str(study), "--data-dir", str(store), "--out", str(out)]) == 0
    )
    assert len(pd.read_csv(out / "flow_comparison.csv")) == 48  # 24 inflows x 2 assets


def test_without_etf_flows_analogs_skips_the_comparison_and_calibrate_exits_3(
    prices_only: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["analogs", "--data-dir", str(prices_only), "--out", str(out)]) == 0
    assert "flow comparison skipped" in capsys.readouterr().err
    assert (out / "analogs.csv").exists() and not (out / "flow_comparison.csv").exists()
    assert main(["calibrate", "--data-dir", str(prices_only), "--out", str(out)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no ETF flow table" in err[0]
    assert not (out / "calibration.csv").exists()


def test_an_empty_store_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analogs", "--data-dir", str(tmp_path / "empty"), "--out", str(tmp_path)]) == 3
    assert "flowimpact import" in capsys.readouterr().err


def test_a_bad_analogs_key_exits_2_naming_it(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = tmp_path / "study.toml"
    study.write_text('[analogs]\nmodel = "fama_french"\n')
    code = main(
        ["analogs", "--config", str(study), "--data-dir", str(store), "--out", str(tmp_path)]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "[analogs] model" in err[0]


def test_analogs_and_run_write_the_same_analogs_csv_on_a_4h_study(
    shared_data: Path, tmp_path: Path
) -> None:
    """Both commands resample 4h candles to days the same way and write through one writer."""
    data_dir = tmp_path / "store"
    files = [str(p) for p in sorted((shared_data / "prices").glob("*_4h.csv"))]
    assert len(files) == 2
    assert main(["import", "--data-dir", str(data_dir), *files]) == 0
    study = tmp_path / "study.toml"
    study.write_text(
        '[data]\ntimeframe = "4h"\n'
        '[study]\nstart = "2025-06-01"\n'
        '[paths]\nn_paths = 4\nhorizon_end = "2026-06-30"\n'
        '[inflow]\nallocation = 0.02\nlag_months = 6\nramp_months = 12\n'
        '[impact]\nmodel = "multiplier"\netf_explained_share = []\n',  # no ETF tables stored
        encoding="utf-8",
    )
    common = ["--config", str(study), "--data-dir", str(data_dir)]
    assert main(["analogs", *common, "--out", str(tmp_path / "analogs")]) == 0
    assert main(["run", "--no-progress", *common, "--out", str(tmp_path / "run")]) == 0
    from_analogs = (tmp_path / "analogs" / "analogs.csv").read_bytes()
    from_run = (tmp_path / "run" / "analogs.csv").read_bytes()
    assert from_analogs == from_run
    # and it is the daily event study: the 4h window would hold six times the rows per event
    aligned = pd.read_csv(tmp_path / "analogs" / "analogs_aligned.csv")
    assert aligned.groupby(["event", "asset"]).size().max() <= 211
