"""The report's figures: one trace per series, the data as given, the source stated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from backtest.analogs.calibrate import CalibrationConfig, CalibrationResult
from backtest.analogs.event_study import AnalogsConfig, event_study
from backtest.analogs.flow_compare import compare_flows
from backtest.report.analogs_sections import (
    aligned_paths_figure,
    calibration_figure,
    car_summary,
    flow_comparison_figure,
    report_sections,
)
from tests.backtest.analogs.test_event_study import candles, noise_series


def study_result():
    frame = candles(noise_series(1), start="2023-01-01")
    prices = {"BTC": frame, "ETH": candles(noise_series(2), start="2023-01-01")}
    events = {"btc_spot_etf": "2024-01-11", "eth_spot_etf": "2024-07-23"}
    return event_study(prices, AnalogsConfig(events=events))


def test_aligned_paths_has_one_line_per_event_and_asset_with_the_source() -> None:
    result = study_result()
    figure = aligned_paths_figure(result)
    assert isinstance(figure, go.Figure)
    assert [t.name for t in figure.data] == ["btc_spot_etf · BTC", "eth_spot_etf · ETH"]
    btc = result.aligned[result.aligned["event"] == "btc_spot_etf"]
    np.testing.assert_allclose(figure.data[0].y, btc["price_rel"])
    np.testing.assert_allclose(figure.data[0].x, btc["offset_days"])
    assert "Source: Binance spot klines" in figure.layout.title.text


def test_car_summary_shows_every_horizon() -> None:
    result = study_result()
    summary = car_summary(result)
    assert "CAR 0..5d %" in summary.columns and "p (rank) 180d" in summary.columns
    expected = f"{result.table['car_5d_pct'].iloc[0]:+.1f}"
    assert summary["CAR 0..5d %"].iloc[0] == expected


def test_flow_comparison_plots_usd_billions_per_series() -> None:
    days = pd.date_range("2024-01-11", periods=30, freq="D", tz="UTC", name="date")
    etf = {"BTC": pd.DataFrame({"total_usd": np.full(30, 1e9)}, index=days)}
    flows = pd.DataFrame({"s1": np.full(20, 5e8)}, index=days[:20])
    figure = flow_comparison_figure(compare_flows(etf, flows, horizon_days=10), max_days=14)
    assert [t.name for t in figure.data] == ["BTC spot ETFs", "s1"]
    np.testing.assert_allclose(figure.data[0].y, np.arange(1, 16))  # $1bn a day, days 0..14
    np.testing.assert_allclose(figure.data[1].y[-1], 7.5)
    assert "Farside Investors" in figure.layout.title.text


def calibration_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "asset": ["BTC", "ETH", "BTC"],
            "parameter": ["multiplier", "multiplier", "sqrt_y"],
            "estimate": [60.0, 20.0, 4.0],
            "ci_low": [50.0, 5.0, 3.0],
            "ci_high": [75.0, 35.0, 5.5],
            "n_obs": [601, 403, 601],
            "sample_start": ["2024-01-11", "2024-07-23", "2024-01-11"],
            "sample_end": ["2025-09-02", "2025-08-29", "2025-09-02"],
            "unit": ["dimensionless"] * 3,
        }
    )


def test_calibration_figure_draws_the_intervals() -> None:
    table = calibration_table()
    figure = calibration_figure(CalibrationResult(table=table, config=CalibrationConfig()))
    assert len(figure.data) == 3  # multiplier, sqrt_y, lambda_per_billion_usd panels
    multiplier = figure.data[0]
    assert list(multiplier.x) == ["BTC", "ETH"]
    np.testing.assert_allclose(multiplier.error_y.array, [15.0, 15.0])
    np.testing.assert_allclose(multiplier.error_y.arrayminus, [10.0, 15.0])
    assert len(figure.data[2].x) == 0  # no λ rows given: an empty panel, not an error
    assert "95% HAC" in figure.layout.title.text and "Farside" in figure.layout.title.text


def test_report_sections_hold_the_figures_and_tables() -> None:
    result = study_result()
    days = pd.date_range("2024-01-11", periods=30, freq="D", tz="UTC", name="date")
    etf = {"BTC": pd.DataFrame({"total_usd": np.full(30, 1e9)}, index=days)}
    comparison = compare_flows(etf, pd.DataFrame({"s1": np.full(20, 5e8)}, index=days[:20]))
    sections = report_sections(result, comparison, None)
    assert [s.title for s in sections] == [
        "ETF-launch analogs: event study",
        "ETF flows beside the 401(k) scenarios",
    ]
    assert len(sections[0].figures) == 1 and "constant_mean" in sections[0].intro_html
    shown = sections[1].tables[0][1]  # the report shows dollars in billions
    for column in [c for c in comparison.table.columns if c.endswith("_usd")]:
        assert shown[f"{column}_bn"].tolist() == pytest.approx(
            (comparison.table[column] / 1e9).tolist(), nan_ok=True
        )
    calibration = CalibrationResult(table=calibration_table(), config=CalibrationConfig())
    with_calibration = report_sections(result, None, calibration)
    assert [s.title for s in with_calibration][-1] == "Impact calibrated on ETF flows"
    assert "flows_on_returns" in with_calibration[-1].intro_html
    assert "unit" not in with_calibration[-1].tables[0][1].columns
