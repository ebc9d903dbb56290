"""backtest/report/views.py: results show the report's table and figures, and write its files.

One small study on the real reference data (FLOWIMPACT_SHARED_DATA), its hindcast and a small
one-at-a-time sensitivity analysis, shared by the module. "The same figure the report draws"
is checked on the page itself: the figure's trace data, serialized as plotly serializes it
into report.html, is found in the written report.
"""

from __future__ import annotations

import dataclasses
import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly

import feeds
from backtest import load_study, run_hindcast, run_sensitivity, run_study
from backtest.report import picker
from backtest.report.figures import FAN_POINTS
from backtest.report.files import FLOAT_FORMAT
from backtest.report.html import table_html
from backtest.report.views import StudyResult
from backtest.run import HindcastOutput, SensitivityResult
from backtest.study.chunks import BAND_PERCENTILES, scenario_paths
from backtest.study.results import FanBands
from flowimpact.errors import ConfigError
from flowimpact.headline import headline_text

OVERRIDES = {
    "study": {"name": "views test study"},
    "paths": {"n_paths": 8},
    "inflow": {"allocation": [0.01, 0.05], "lag_months": 6, "ramp_months": 12,
               "reallocation_share": 0.25},
    "impact": {"model": ["multiplier", "sqrt"]},
}
SENSITIVITY = {
    "inflow": {"allocation": 0.02},
    "sensitivity": {
        "method": "oat",
        "n_paths": 4,
        "ranges": {"multiplier": {"low": 2, "high": 60, "scale": "log"},
                   "volume_coverage": [3, 20]},
    },
}


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("views") / "data"
    candles = feeds.CandleStore(data_dir)
    for path in [*sorted((shared_data / "prices").glob("binance_*_1d.csv")),
                 *sorted((shared_data / "etf_flows").glob("*.csv"))]:
        feeds.import_csv(path, candles)
    return data_dir


@pytest.fixture(scope="module")
def result(store: Path) -> StudyResult:
    out_dir = store.parent / "out"
    return run_study(load_study(overrides=OVERRIDES), store, out_dir, progress=False)


@pytest.fixture(scope="module")
def report(result: StudyResult) -> str:
    return result.report_path.read_text(encoding="utf-8")


def _drawn_in(figure: go.Figure, page: str, *, layout: bool = True) -> bool:
    """The figure's traces (and its layout: title, axes, source line), as plotly writes them
    into a page, are on ``page``."""
    parts = ["data", "layout"] if layout else ["data"]
    return all(to_json_plotly(figure.to_dict()[part]) in page for part in parts)


def test_the_answer_is_the_reports_table(result: StudyResult, report: str) -> None:
    answer = result.answer()
    assert isinstance(answer, pd.DataFrame)
    assert {"asset", "model", "1% allocation", "5% allocation"} <= set(answer.columns)
    assert set(answer["asset"]) == {"BTC", "ETH"}
    assert set(answer["model"]) == {"multiplier", "sqrt"}
    assert table_html(answer) in report
    # every cell is "median [5th, 95th]" of the uplift, and the median sits inside its bracket
    cells = answer["5% allocation"].str.extract(r"([-+\d.]+)% \[([-+\d.]+), ([-+\d.]+)\]")
    low, mid, high = (cells[i].astype(float) for i in (1, 0, 2))
    assert ((low <= mid) & (mid <= high)).all()


def test_the_table_is_scenarios_csv(result: StudyResult) -> None:
    written = (result.out_dir / "scenarios.csv").read_text(encoding="utf-8")
    assert result.table.to_csv(index=False, float_format=FLOAT_FORMAT) == written
    assert set(result.table["scenario_id"]) == {s.scenario_id for s in result.run.scenarios}


def test_the_plots_are_the_reports_figures(result: StudyResult, report: str) -> None:
    figures = [
        result.plot.answer(),
        result.plot.flows(),
        result.plot.fan(),
        result.plot.fan(asset="ETH"),
    ]
    for figure in figures:
        assert isinstance(figure, go.Figure)
        assert _drawn_in(figure, report), figure.layout.title.text
    assert "ETH" in figures[3].layout.title.text
    assert not _drawn_in(go.Figure(go.Scatter(y=[1.0, 2.0])), report)  # the check can fail


def test_a_fan_of_one_scenario_shows_its_band(result: StudyResult) -> None:
    run = result.run
    chosen = 3
    scenario_id = run.scenarios[chosen].scenario_id
    figure = result.plot.fan(scenario_id, asset="ETH")
    medians = [trace for trace in figure.data if trace.name == "chosen scenario"]
    assert len(medians) == 1  # one scenario against the baseline
    # the chart starts at the last real bar and keeps every k-th day after it, as float32
    days = run.baseline.days
    first = min(int(days.searchsorted(run.baseline.last_history_day)), len(days) - 1)
    keep = picker.thin(len(days) - first, FAN_POINTS)
    median = run.fans.impacted[chosen][1, first:, 1]  # [band, day, asset]: ETH's median
    np.testing.assert_array_equal(medians[0].y, median[keep].astype(np.float32))


def test_a_scenario_the_report_did_not_draw_is_run_again(result: StudyResult) -> None:
    run = result.run
    chosen = 2
    # the same run, as if its charts had drawn only scenario 0: scenario 2 has no band kept
    narrow = dataclasses.replace(
        run, fans=FanBands(scenarios=(0,), impacted={0: run.fans.impacted[0]})
    )
    again = StudyResult(out_dir=result.out_dir, files={}, run=narrow)
    figure = again.plot.fan(run.scenarios[chosen].scenario_id)
    expected = result.plot.fan(run.scenarios[chosen].scenario_id)
    assert to_json_plotly(figure.to_dict()["data"]) == to_json_plotly(expected.to_dict()["data"])
    close = scenario_paths(run.baseline, run.inputs, run.scenarios, chosen).close_usd[0]
    np.testing.assert_allclose(
        np.percentile(close, BAND_PERCENTILES, axis=0), run.fans.impacted[chosen], rtol=1e-12
    )


def test_a_wrong_scenario_or_asset_is_a_one_line_error(result: StudyResult) -> None:
    with pytest.raises(ConfigError, match=r"no scenario 's-nope' in this run; .*scenario_id"):
        result.plot.fan("s-nope")
    with pytest.raises(ConfigError, match=r"no asset 'SOL' in this result; choose one of BTC, ETH"):
        result.plot.fan(asset="SOL")


def test_the_notebook_shows_the_answer_table(result: StudyResult) -> None:
    shown = result._repr_html_()
    assert table_html(result.answer()) in shown
    assert "views test study" in shown
    assert "16 scenarios × 8 paths" in shown  # 2 allocations x 2 models x 4 shares
    # the headline is run.json's object, and the notebook shows its number
    manifest = json.loads(result.files["run.json"].read_text(encoding="utf-8"))
    assert result.headline == manifest["headline"]
    assert headline_text(result.headline) in html.unescape(shown)
    median = result.headline["price_uplift_at_horizon_pct"]["p50"]
    assert f"{median:+.1f}" in html.unescape(shown)
    assert "16 scenarios x 8 paths" in repr(result)


def test_write_gives_the_run_files_again(result: StudyResult, tmp_path: Path) -> None:
    files = result.write(tmp_path / "again")
    assert set(files) == set(result.files)
    for name in files:
        if name.endswith(".csv"):
            assert files[name].read_bytes() == result.files[name].read_bytes(), name
    first = json.loads(result.files["run.json"].read_text(encoding="utf-8"))
    second = json.loads(files["run.json"].read_text(encoding="utf-8"))
    assert second["run_id"] == first["run_id"]
    assert second["files"] == first["files"]
    page = files["report.html"].read_text(encoding="utf-8")
    assert table_html(result.answer()) in page


@pytest.fixture(scope="module")
def hindcast(store: Path) -> HindcastOutput:
    study = load_study(overrides=OVERRIDES)
    return run_hindcast(study, store, store.parent / "hindcast")


def test_the_hindcast_shows_its_table_and_figures(hindcast: HindcastOutput) -> None:
    written = hindcast.files["hindcast.csv"].read_text(encoding="utf-8")
    assert hindcast.table.to_csv(index=False, float_format=FLOAT_FORMAT) == written
    page = hindcast.files["report.html"].read_text(encoding="utf-8")
    for asset in ("BTC", "ETH"):
        assert _drawn_in(hindcast.plot.paths(asset), page)
    assert _drawn_in(hindcast.plot.paths(), page)
    shown = hindcast._repr_html_()
    assert "What the ETF flows did" in shown and "spot ETFs took in" in shown


def test_the_hindcast_writes_its_files_again(hindcast: HindcastOutput, tmp_path: Path) -> None:
    files = hindcast.write(tmp_path / "again")
    assert set(files) == set(hindcast.files)
    for name in ("hindcast.csv", "hindcast_paths.csv", "hindcast_explaining.csv"):
        assert files[name].read_bytes() == hindcast.files[name].read_bytes()


@pytest.fixture(scope="module")
def sensitivity(store: Path) -> SensitivityResult:
    study = load_study(overrides={**OVERRIDES, **SENSITIVITY})
    return run_sensitivity(study, store, store.parent / "sensitivity", progress=False)


def test_the_sensitivity_shows_its_table_and_figures(sensitivity: SensitivityResult) -> None:
    written = sensitivity.files["sensitivity.csv"].read_text(encoding="utf-8")
    assert sensitivity.table.to_csv(index=False, float_format=FLOAT_FORMAT) == written
    figure = sensitivity.plot.tornado("ETH", "sqrt")
    assert isinstance(figure, go.Figure)
    assert figure.layout.title.text == "ETH, square-root model: one at a time"
    page = sensitivity.report_path.read_text(encoding="utf-8")
    # the traces; the page's source line also names the data's span, which the
    # result does not hold
    assert _drawn_in(figure, page, layout=False)
    answer = sensitivity.answer()
    assert set(answer) == {"BTC", "ETH"}
    assert all(text in sensitivity._repr_html_() for text in answer.values())
    with pytest.raises(ConfigError, match="one-at-a-time analysis has no indices"):
        sensitivity.plot.indices()
    with pytest.raises(ConfigError, match="no model 'quadratic' in this analysis"):
        sensitivity.plot.tornado(model="quadratic")
