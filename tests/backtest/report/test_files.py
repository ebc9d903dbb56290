"""backtest/outputs.py: scenarios.csv's layout, data fingerprints and versions."""

from __future__ import annotations

from importlib.metadata import version
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from backtest.report.files import FLOAT_FORMAT, csv_text, data_fingerprints
from backtest.report.manifest import versions
from backtest.study.config import load_study
from backtest.study.evidence_config import SHARE_AXIS, as_given
from backtest.study.table import scenarios_table


def _scenarios() -> list:
    study = load_study()
    return [
        s
        for s in study.scenarios(solve=as_given)
        if s.inflow.lag_months == 6
        and s.axes.get(SHARE_AXIS) == 0.1
        and s.inflow.ramp_months == 12
        and s.inflow.reallocation_share == 0.25
    ]


def _frame(n_rows: int, columns: list[str], start: float) -> pd.DataFrame:
    values = start + np.arange(n_rows * len(columns), dtype=float).reshape(n_rows, len(columns))
    frame = pd.DataFrame(values, columns=columns)
    frame.index = pd.MultiIndex.from_product(
        [range(n_rows // 2), range(2)], names=["scenario_index", "asset_index"]
    )
    return frame


def test_scenarios_table_layout() -> None:
    scenarios = _scenarios()  # 3 allocations x 2 models
    assert len(scenarios) == 6
    n_rows = len(scenarios) * 2
    impacts = _frame(n_rows, ["cum_flow_usd_p50"], 0.0)
    evaluation = _frame(n_rows, ["buy_and_hold_cagr_pct_p50"], 1_000.0)
    table = scenarios_table(scenarios, ("BTC", "ETH"), impacts, evaluation)
    assert list(table.columns) == [
        "scenario_id",
        "label",
        "asset",
        "allocation",
        "model",
        "lag_months",
        "ramp_months",
        "reallocation_share",
        # the default's evidence axis: the share, the solved parameters, the share per asset
        "etf_explained_share",
        "multiplier",
        "sqrt_y",
        "etf_implied_share",
        "flow_source",
        "cum_flow_usd_p50",
        "buy_and_hold_cagr_pct_p50",
    ]
    assert len(table) == n_rows
    # row order: scenario-major, asset-minor, as the engine's arrays and the metric frames
    assert list(table["asset"]) == ["BTC", "ETH"] * 6
    assert list(table["scenario_id"]) == [s.scenario_id for s in scenarios for _ in range(2)]
    assert list(table["allocation"]) == [s.inflow.allocation for s in scenarios for _ in range(2)]
    assert list(table["model"]) == [s.impact.model for s in scenarios for _ in range(2)]
    assert (table["lag_months"] == 6).all()
    # metric rows keep their order: row k carries the k-th row of each metric frame
    np.testing.assert_array_equal(table["cum_flow_usd_p50"], np.arange(n_rows, dtype=float))
    np.testing.assert_array_equal(
        table["buy_and_hold_cagr_pct_p50"], 1_000.0 + np.arange(n_rows, dtype=float)
    )


def _prices(close_shift: float = 0.0) -> dict[str, pd.DataFrame]:
    index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC", name="timestamp")
    frames = {}
    for asset, level in (("BTC", 40_000.0), ("ETH", 2_000.0)):
        close = level + np.arange(5.0)
        frames[asset] = pd.DataFrame(
            {"open": close, "high": close, "low": close, "close": close, "volume": 1.0},
            index=index,
        )
    frames["ETH"].iloc[-1, frames["ETH"].columns.get_loc("close")] += close_shift
    return frames


def _run(
    prices: dict[str, pd.DataFrame],
    etf_flows: dict[str, pd.DataFrame] | None = None,
    flow_tables: dict[str, pd.DataFrame] | None = None,
):
    extra = SimpleNamespace(tables=flow_tables) if flow_tables else None
    return SimpleNamespace(
        study=load_study(),
        price_sources={},
        prices=prices,
        analogs=SimpleNamespace(etf_flows=etf_flows or {}),
        inputs=SimpleNamespace(extra_flows=extra),
    )


def test_data_fingerprints_name_the_data_and_change_with_it() -> None:
    prints = data_fingerprints(_run(_prices()))  # type: ignore[arg-type]
    assert [p["symbol"] for p in prints] == ["BTC/USDT", "ETH/USDT"]
    assert prints[0] == {
        "asset": "BTC",
        "table": "prices",
        "exchange": "binance",
        "symbol": "BTC/USDT",
        "fallback": False,
        "timeframe": "1d",
        "first": "2024-01-01T00:00:00+00:00",
        "last": "2024-01-05T00:00:00+00:00",
        "rows": 5,
        "sha256": prints[0]["sha256"],
    }
    again = data_fingerprints(_run(_prices()))  # type: ignore[arg-type]
    assert again == prints
    changed = data_fingerprints(_run(_prices(0.01)))  # type: ignore[arg-type]
    assert changed[0]["sha256"] == prints[0]["sha256"]
    assert changed[1]["sha256"] != prints[1]["sha256"]


def test_data_fingerprints_cover_the_etf_flow_tables() -> None:
    days = pd.date_range("2024-01-11", periods=3, freq="D", tz="UTC", name="date")
    flows = pd.DataFrame({"ibit_usd": [1e8, 0.0, -2e7], "total_usd": [1e8, 0.0, -2e7]}, days)
    prints = data_fingerprints(_run(_prices(), {"BTC": flows}))  # type: ignore[arg-type]
    etf = [p for p in prints if p["table"] == "etf_flows"]
    assert len(etf) == 1 and etf[0]["asset"] == "BTC" and etf[0]["rows"] == 3
    revised = flows.assign(total_usd=[1e8, 0.0, -3e7])
    changed = data_fingerprints(_run(_prices(), {"BTC": revised}))  # type: ignore[arg-type]
    assert next(p for p in changed if p["table"] == "etf_flows")["sha256"] != etf[0]["sha256"]


def test_data_fingerprints_cover_the_flows_tables() -> None:
    days = pd.date_range("2026-02-01", periods=2, freq="D", tz="UTC")
    table = pd.DataFrame({"BTC": [5e8, 1e8]}, index=days)
    prints = data_fingerprints(_run(_prices(), flow_tables={"my.csv": table}))  # type: ignore[arg-type]
    (entry,) = [p for p in prints if p["table"] == "flows"]
    assert (entry["source"], entry["asset"], entry["rows"]) == ("my.csv", "BTC", 2)
    revised = {"my.csv": table * 2}
    changed = data_fingerprints(_run(_prices(), flow_tables=revised))  # type: ignore[arg-type]
    assert next(p for p in changed if p["table"] == "flows")["sha256"] != entry["sha256"]


@pytest.mark.parametrize("package", ["pandas", "vectorbt", "ccxt", "numpy", "flowimpact"])
def test_versions_are_the_installed_ones(package: str) -> None:
    assert versions()[package] == version(package)


def _awkward_frame(seed: int, n_rows: int) -> pd.DataFrame:
    """Every kind of cell the outputs hold: floats over 25 decades with NaN, ±inf and -0.0,
    integers, bools, text that needs quoting (commas, quotes, a newline) and a quoted header."""
    rng = np.random.default_rng(seed)
    floats = rng.normal(size=n_rows) * 10.0 ** rng.integers(-12, 13, size=n_rows)
    floats[::7] = np.nan
    floats[1::11] = np.inf
    floats[2::13] = -np.inf
    floats[3::17] = -0.0
    labels = np.array(["plain", "a, b", 'say "hi"', "two\nlines", "", "401(k) + [flows] x"])
    return pd.DataFrame(
        {
            "scenario_id": np.arange(n_rows) * 3 - 5,
            "label": labels[rng.integers(0, len(labels), n_rows)].tolist(),
            "value_usd": floats,
            "round_pct": np.round(rng.normal(size=n_rows), 2),
            "flag": rng.random(n_rows) < 0.5,
            "odd, header": rng.normal(size=n_rows) * 1e9,
        }
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_csv_text_is_pandas_to_csv_byte_for_byte(seed: int) -> None:
    frame = _awkward_frame(seed, 500)
    assert csv_text(frame) == frame.to_csv(index=False, float_format=FLOAT_FORMAT)


def test_csv_text_of_no_rows_and_of_repeats_is_pandas_to_csv() -> None:
    # each column's distinct values are formatted once: repeats, -0.0 beside 0.0, NaN among them
    frame = _awkward_frame(5, 60)
    frame["value_usd"] = np.tile([0.0, -0.0, np.nan, 1e-7, 0.0, 2.5], 10)
    for part in (frame, frame.iloc[:0], frame.iloc[:1]):
        assert csv_text(part) == part.to_csv(index=False, float_format=FLOAT_FORMAT)


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_text_columns_take_the_column_at_a_time_path(dtype: object, monkeypatch) -> None:
    # pandas 3 gives text its own dtype: those columns, missing cells too, are not left to
    # pandas' per-cell formatter (the outputs' text columns all have it)
    frame = _awkward_frame(4, 300)
    frame["label"] = frame["label"].astype(dtype)
    if dtype is not object:
        frame.loc[::9, "label"] = None
    expected = frame.to_csv(index=False, float_format=FLOAT_FORMAT)
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda *a, **k: pytest.fail("left to pandas"))
    assert csv_text(frame) == expected


def test_csv_text_leaves_other_kinds_to_pandas() -> None:
    # dates and nullable integers: pandas' own formatting, whole frame
    frame = _awkward_frame(3, 40)
    frame["day"] = pd.date_range("2025-01-01", periods=40, freq="D", tz="UTC")
    frame["note"] = [None if i % 4 else "x" for i in range(40)]
    frame["count"] = pd.array([None if i % 5 == 0 else i for i in range(40)], dtype="Int64")
    assert csv_text(frame) == frame.to_csv(index=False, float_format=FLOAT_FORMAT)
    assert csv_text(frame[["value_usd"]]) == frame[["value_usd"]].to_csv(
        index=False, float_format=FLOAT_FORMAT
    )
