"""backtest/run.py end to end on small synthetic prices: the files of the outside contract.

One run is shared by the module (vectorbt compiles on its first call): 2 assets, about 900
days of made-up daily candles ending in 2025-10, 8 bootstrap paths to 2026-12-31, two
allocations of which one is zero, one impact model.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
import tomli_w
from plotly.offline import get_plotlyjs

import feeds
from backtest.run import RunResult, run_study
from backtest.study.chunks import BAND_PERCENTILES, scenario_paths
from backtest.study.config import load_study
from backtest.study.schedules import inflow_label
from flowimpact.cli import main
from tests.backtest.fixtures import (
    FIRST_DAY,
    LAST_DAY,
    NETWORK_REFERENCE,
    SYMBOLS,
    synthetic_candles,
    write_study,
    write_synthetic_store,
)

pytestmark = pytest.mark.slow

IDENTITY = ("scenario_id", "label", "asset", "allocation", "model")
UNIT = re.compile(r"(_usd|_pct|_bps|_sharpe|_sortino)(_vs_baseline)?_p(05|50|95)$")

@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    root = tmp_path_factory.mktemp("run")
    write_synthetic_store(root / "data")
    study = load_study(write_study(root / "study.toml"))
    return run_study(study, root / "data", root / "out", progress=False)


@pytest.fixture(scope="module")
def scenarios_csv(result: RunResult) -> pd.DataFrame:
    return pd.read_csv(result.out_dir / "scenarios.csv")


@pytest.fixture(scope="module")
def manifest(result: RunResult) -> dict[str, object]:
    return json.loads((result.out_dir / "run.json").read_text(encoding="utf-8"))


def test_the_contract_files_exist(result: RunResult) -> None:
    names = {"report.html", "scenarios.csv", "analogs.csv", "run.json", "flows.csv"}
    assert names <= set(result.files)
    for name in names:
        assert (result.out_dir / name).stat().st_size > 0
    assert result.report_path == result.out_dir / "report.html"
    # every file was written atomically: no temporary file is left behind
    assert not [p.name for p in result.out_dir.iterdir() if p.name.endswith(".tmp")]


def test_scenarios_csv_follows_the_contract(result: RunResult, scenarios_csv: pd.DataFrame) -> None:
    assert list(scenarios_csv.columns[: len(IDENTITY)]) == list(IDENTITY)
    assert len(scenarios_csv) == 2 * 2  # scenarios x assets
    assert sorted(scenarios_csv["asset"].unique()) == ["BTC", "ETH"]
    assert sorted(scenarios_csv["allocation"].unique()) == [0.0, 0.02]
    assert set(scenarios_csv["model"]) == {"multiplier"}
    assert scenarios_csv["scenario_id"].nunique() == 2
    metrics = [c for c in scenarios_csv.columns if c not in (*IDENTITY, "flow_source")]
    assert metrics, "no metric columns"
    # no [flows] tables: a scenario carries its 401(k) flows, or none at a zero allocation
    sources = scenarios_csv.set_index("allocation")["flow_source"]
    assert set(sources.loc[0.0]) == {"none"} and set(sources.loc[0.02]) == {"401(k)"}
    assert [c for c in metrics if not UNIT.search(c)] == []
    for needed in (
        "cum_flow_usd_p50",
        "flow_share_of_volume_pct_p50",
        "log_impact_at_horizon_bps_p50",
        "peak_log_impact_bps_p50",
        "permanent_log_impact_at_horizon_bps_p50",
        "price_uplift_at_horizon_pct_p05",
        "price_uplift_at_horizon_pct_p95",
        "buy_and_hold_cagr_pct_p50",
        "payroll_dca_total_return_pct_vs_baseline_p50",
        "front_run_max_drawdown_pct_p50",
        "announcement_hold_sharpe_p50",
    ):
        assert needed in scenarios_csv.columns
    # the CSV is the run's table, rounded to 6 significant digits
    pd.testing.assert_frame_equal(
        scenarios_csv,
        result.run.table.reset_index(drop=True),
        check_exact=False,
        check_dtype=False,  # a column of whole numbers reads back as int
        rtol=1e-5,
    )


def test_zero_allocation_shows_zero_uplift_and_zero_flows(
    result: RunResult, scenarios_csv: pd.DataFrame
) -> None:
    zero = scenarios_csv[scenarios_csv["allocation"] == 0.0]
    some = scenarios_csv[scenarios_csv["allocation"] == 0.02]
    for column in (
        "cum_flow_usd_p50",
        "log_impact_at_horizon_bps_p95",
        "peak_log_impact_bps_p95",
        "permanent_log_impact_at_horizon_bps_p95",
        "price_uplift_at_horizon_pct_p05",
        "price_uplift_at_horizon_pct_p50",
        "price_uplift_at_horizon_pct_p95",
        "buy_and_hold_total_return_pct_vs_baseline_p50",
        "announcement_hold_total_return_pct_vs_baseline_p95",
    ):
        np.testing.assert_array_equal(zero[column].to_numpy(), 0.0, err_msg=column)
    # and the non-zero allocation does move prices and flows
    assert (some["cum_flow_usd_p50"] > 0).all()
    assert (some["price_uplift_at_horizon_pct_p50"] > 0).all()
    assert (some["buy_and_hold_total_return_pct_vs_baseline_p50"] > 0).all()
    # the engine's own arrays, recomputed for that scenario: no flow and no impact anywhere
    run = result.run
    index = [i for i, s in enumerate(run.scenarios) if s.inflow.allocation == 0.0]
    assert len(index) == 1
    paths = scenario_paths(run.baseline, run.inputs, run.scenarios, index[0])
    assert paths.close_usd.shape == (1, *run.baseline.close_usd.shape)
    np.testing.assert_array_equal(paths.flow_usd[0], 0.0)
    np.testing.assert_array_equal(paths.log_impact[0], 0.0)
    np.testing.assert_array_equal(paths.close_usd[0], run.baseline.close_usd)
    flows = pd.read_csv(result.out_dir / "flows.csv")
    labels = {s.scenario_id: inflow_label(s) for s in result.run.scenarios}
    assert labels[result.run.scenarios[index[0]].scenario_id] not in set(flows["inflow"])
    assert set(flows["inflow"]) == {labels[i] for i in some["scenario_id"]}


def test_flows_csv_adds_up_to_the_cumulative_flow(
    result: RunResult, scenarios_csv: pd.DataFrame
) -> None:
    flows = pd.read_csv(result.out_dir / "flows.csv")
    assert {"inflow", "day", "asset", "net_usd"} <= set(flows.columns)
    assert pd.to_datetime(flows["day"]).min() >= pd.Timestamp("2025-08-07")
    totals = flows.groupby(["inflow", "asset"])["net_usd"].sum()
    labels = {s.scenario_id: inflow_label(s) for s in result.run.scenarios}
    some = scenarios_csv[scenarios_csv["allocation"] == 0.02]
    # one impact model: one scenario per inflow
    some.index = pd.MultiIndex.from_arrays([some["scenario_id"].map(labels), some["asset"]])
    # without a sleeve the flow does not depend on the path, so every quantile is the total
    for key, total in totals.items():
        assert some.loc[key, "cum_flow_usd_p50"] == pytest.approx(total, rel=1e-5)


def test_run_json_follows_the_contract(result: RunResult, manifest: dict[str, object]) -> None:
    study = result.run.study
    assert manifest["config"] == json.loads(json.dumps(study.resolved()))
    assert manifest["scenarios"] == 2
    assert manifest["paths"] == 8
    assert manifest["assets"] == ["BTC", "ETH"]
    assert manifest["window"] == {
        "first_day": "2025-06-01",
        "last_day": "2026-12-31",
        "last_history_day": LAST_DAY,
    }
    versions = manifest["versions"]
    assert isinstance(versions, dict)
    for package in ("flowimpact", "pandas", "vectorbt", "ccxt"):
        assert versions[package] not in ("", "not installed"), package
    assert versions["pandas"] == pd.__version__
    assert float(manifest["seconds_total"]) > 0
    steps = manifest["seconds_by_step"]
    assert set(steps) >= {"prices", "flows", "chunks", "outputs", "report"}
    assert steps["report"] > 0  # the report is timed, and counted in the total
    assert float(manifest["seconds_total"]) >= sum(steps.values()) - 0.01
    assert set(manifest["seconds_in_chunks"]) == {
        "engine", "metrics", "evaluate", "market_windows", "baseline_evaluate"
    }  # fmt: skip
    compute = manifest["compute"]
    assert isinstance(compute, dict)
    assert compute["executor"] == "in-process" and compute["chunks"] >= 1
    assert compute["chunk_columns"] == 8000 and isinstance(manifest["warnings"], list)
    assert re.fullmatch(r"[0-9a-f]{12}", str(manifest["run_id"]))
    assert set(manifest["files"]) >= {"report.html", "scenarios.csv", "run.json", "flows.csv"}


def test_run_json_fingerprints_the_data(result: RunResult, manifest: dict[str, object]) -> None:
    data = manifest["data"]
    assert isinstance(data, list)
    assert [(d["asset"], d["symbol"], d["exchange"]) for d in data] == [
        ("BTC", "BTC/USDT", "binance"),
        ("ETH", "ETH/USDT", "binance"),
    ]
    n_days = len(pd.date_range(FIRST_DAY, LAST_DAY, freq="D"))
    for entry in data:
        assert entry["rows"] == n_days
        assert entry["first"].startswith(FIRST_DAY)
        assert entry["last"].startswith(LAST_DAY)
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
    assert data[0]["sha256"] != data[1]["sha256"]


def test_run_json_config_loads_back_to_the_same_study(
    result: RunResult, manifest: dict[str, object], tmp_path: Path
) -> None:
    path = tmp_path / "again.toml"
    path.write_text(tomli_w.dumps(manifest["config"]), encoding="utf-8")
    again = load_study(path)
    assert [s.scenario_id for s in again.scenarios()] == [
        s.scenario_id for s in result.run.scenarios
    ]


def test_the_fan_bands_are_the_percentiles_of_the_recomputed_paths(result: RunResult) -> None:
    run = result.run
    assert run.fans.scenarios  # the report draws something
    for index in run.fans.scenarios:
        paths = scenario_paths(run.baseline, run.inputs, run.scenarios, index).close_usd[0]
        np.testing.assert_array_equal(
            run.fans.impacted[index], np.percentile(paths, BAND_PERCENTILES, axis=0)
        )


def test_report_is_self_contained(result: RunResult) -> None:
    page = result.report_path.read_text(encoding="utf-8")
    assert NETWORK_REFERENCE.search(page) is None
    assert "<script src" not in page.lower()
    assert get_plotlyjs()[:1_000] in page  # plotly inlined
    assert page.count('class="plotly-graph-div"') >= 3
    for title in ("The answer", "Price paths", "Flow schedules", "Portfolios"):
        assert title in page
    assert result.run.study.study.name in page
    assert json.loads((result.out_dir / "run.json").read_text())["run_id"] in page


def test_a_second_run_replaces_the_files_with_the_same_numbers(
    result: RunResult, scenarios_csv: pd.DataFrame
) -> None:
    # seeded paths: the same study on the same data computes the same table, into a used folder
    data_dir = result.out_dir.parent / "data"
    out = result.out_dir.parent / "out_again"
    out.mkdir()
    (out / "scenarios.csv").write_text("stale\n")
    again = run_study(result.run.study, data_dir, out, progress=False)
    pd.testing.assert_frame_equal(pd.read_csv(out / "scenarios.csv"), scenarios_csv)
    first_id = json.loads((result.out_dir / "run.json").read_text())["run_id"]
    assert json.loads((out / "run.json").read_text())["run_id"] == first_id
    assert again.report_path.exists()


# --- no data and no exchange -----------------------------------------------------------------


def _unreachable_ccxt() -> dict[str, object]:
    """Every Binance API URL on 127.0.0.1:1, a port nothing listens on."""
    import ccxt

    api = ccxt.binance().urls["api"]
    closed = {key: "http://127.0.0.1:1" + urlsplit(url).path for key, url in api.items()}
    return {
        "urls": {"api": closed},
        "timeout": 500,
        "options": {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}},
    }


def test_no_data_and_no_exchange_exits_3_saying_how_to_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The run's retry policy is the default one (5 attempts, about 15 s of backoff, from
    # [data] retries); the test keeps every attempt and skips only the waiting.
    slept: list[float] = []
    policy = feeds.RetryPolicy(sleep=slept.append)
    monkeypatch.setattr(feeds, "update_store", functools.partial(feeds.update_store, retry=policy))
    study = write_study(tmp_path / "study.toml", data={"ccxt": _unreachable_ccxt()})
    assert tomllib.loads(study.read_text())["data"]["ccxt"]["urls"]["api"]["public"].startswith(
        "http://127.0.0.1:1/"
    )
    data_dir = tmp_path / "data"
    out = tmp_path / "out"
    code = main(
        ["run", "--config", str(study), "--data-dir", str(data_dir), "--out", str(out),
         "--no-progress"]
    )
    captured = capsys.readouterr()
    assert code == 3, captured.err
    errors = [line for line in captured.err.splitlines() if line.startswith("flowimpact: error")]
    assert len(errors) == 1, captured.err
    assert "flowimpact import" in errors[0]
    assert "binance_BTCUSDT_1d.csv" in errors[0]
    assert "Traceback" not in captured.err
    assert len(slept) == policy.max_attempts - 1  # the exchange was really tried, and retried
    assert not (out / "report.html").exists()
    assert not list(data_dir.rglob("*.parquet"))  # nothing half-stored


def test_old_candles_are_said_on_stderr_and_in_the_report(
    result: RunResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the synthetic candles end 2025-10-31; the shared run started today, long after
    page = result.report_path.read_text(encoding="utf-8")
    assert result.run.last_candle_day == pd.Timestamp(LAST_DAY).date()
    assert f"prices to {LAST_DAY}" in page
    assert result.run.warnings and "stale_after_days" in result.run.warnings[0]
    assert "Warning: the newest candle is from 2025-10-31" in page
    study = write_study(tmp_path / "fresh.toml", data={"stale_after_days": 100_000})
    data_dir = result.out_dir.parent / "data"
    code = main(["run", "--no-progress", "--config", str(study), "--data-dir", str(data_dir),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0 and "warning" not in err
    code = main(["run", "--no-progress", "--config", str(write_study(tmp_path / "s.toml")),
                 "--data-dir", str(data_dir), "--out", str(tmp_path / "out2")])
    assert code == 0 and "flowimpact: warning: the newest candle is from" in capsys.readouterr().err


def test_report_captions_name_the_venue_the_prices_came_from(result: RunResult) -> None:
    page = result.report_path.read_text(encoding="utf-8")
    assert "binance BTC/USDT, ETH/USDT 1d" in page
    assert "Binance spot klines" not in page


def test_prices_served_by_a_fallback_venue_are_named_in_run_json_and_the_report(
    tmp_path: Path,
) -> None:
    store = feeds.CandleStore(tmp_path / "data")
    for seed, (symbol, price) in enumerate(SYMBOLS.items()):
        store.merge("coinbaseexchange", symbol.replace("USDT", "USD"), "1d",
                    synthetic_candles(price, seed))
    fallback = {"exchange": "coinbaseexchange", "symbols": ["BTC/USD", "ETH/USD"]}
    study = load_study(write_study(tmp_path / "study.toml", data={"fallbacks": [fallback]}))
    result = run_study(study, tmp_path / "data", tmp_path / "out", progress=False)
    manifest = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    prices = [d for d in manifest["data"] if d["table"] == "prices"]
    assert {(d["exchange"], d["symbol"], d["fallback"]) for d in prices} == {
        ("coinbaseexchange", "BTC/USD", True), ("coinbaseexchange", "ETH/USD", True)
    }
    page = result.report_path.read_text(encoding="utf-8")
    assert "coinbaseexchange BTC/USD, ETH/USD 1d (fallback for binance)" in page


def test_the_answer_shows_the_dollars_the_sources_count_and_the_models(
    result: RunResult, scenarios_csv: pd.DataFrame
) -> None:
    from backtest.report.dollars import dollars_table, why_they_differ

    table = dollars_table(result.run).set_index("allocation")
    # one reallocation share in this study: no column for it
    assert "reallocation_share" not in " ".join(table.columns)
    sources = table["sources' count (× $8.7 T)"]
    assert sources.loc["2%"] == pytest.approx(0.02 * 8.7e12 / 1e9)  # 174 bn
    assert sources.loc["0%"] == 0.0
    some = scenarios_csv[scenarios_csv["allocation"] == 0.02].set_index("asset")
    assert table.loc["2%", "BTC"] == pytest.approx(some.loc["BTC", "cum_flow_usd_p50"] / 1e9)
    assert table.loc["2%", "both"] == pytest.approx(table.loc["2%", ["BTC", "ETH"]].sum())
    # without a sleeve the components add up to what reaches the assets
    parts = table.loc["2%", ["reallocated", "payroll", "withdrawn"]]
    assert parts.sum() == pytest.approx(table.loc["2%", "both"], rel=1e-9)
    assert table.loc["2%", "withdrawn"] < 0 < table.loc["2%", "payroll"]
    assert table.loc["0%"].drop("sources' count (× $8.7 T)").abs().sum() == 0.0
    # the reason names the settings with this study's values
    sentence = why_they_differ(result.run)
    assert "2% of $8.7 T = $174 bn" in sentence
    for words in ("<code>reallocation_share</code>", "(0.25)", "<code>ramp_months</code> = 12",
                  "<code>lag_months</code> = 6", "payroll", "withdrawal_rate_per_year"):
        assert words in sentence, words
    page = result.report_path.read_text(encoding="utf-8")
    assert sentence in page
    assert page.index("The dollars behind each allocation") < page.index('id="price-paths"')


def test_the_charts_bound_what_they_draw_and_say_so(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backtest.report import study_page
    from backtest.study import drawn

    monkeypatch.setattr(drawn, "MAX_DRAWN", 1)
    monkeypatch.setattr(study_page, "MAX_DRAWN", 1)
    manifest = json.loads((result.out_dir / "run.json").read_text(encoding="utf-8"))
    page = study_page.write(result.run, tmp_path / "report.html", manifest).read_text("utf-8")
    assert "The chart holds 1 of the 2 scenarios (at most 1;" in page
    assert "The chart draws 1 of the 1 schedules" not in page  # one schedule: all of it drawn
    full = result.report_path.read_text(encoding="utf-8")
    assert "The chart holds" not in full  # under the cap, nothing is left out
