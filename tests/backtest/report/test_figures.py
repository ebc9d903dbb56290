"""Report figures built the fast way (unchecked traces ``figures.scatter`` and
``figures.unchecked_figure``, the template set by ``figures.white``, vertical lines without
plotly's search for empty panels) give the JSON that plotly's checked way gives: the check is
what costs, not what decides the output."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from backtest.analogs.flow_compare import compare_flows
from backtest.report import (
    analogs_sections,
    evidence_section,
    figures,
    level_set_section,
    picker,
)


def _checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put back plotly's checked way of building each part of a figure."""

    def unchecked_figure(traces: list[go.Scatter]) -> go.Figure:
        figure = go.Figure()
        figure.add_traces(traces)
        return figure

    def white(figure: go.Figure) -> go.Figure:
        return figure.update_layout(template="plotly_white")

    def searching(add_line: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
        def add(self: go.Figure, *args: object, **kwargs: object) -> go.Figure:
            kwargs.pop("exclude_empty_subplots", None)
            return add_line(self, *args, **kwargs)

        return add

    monkeypatch.setattr(figures, "scatter", lambda **properties: go.Scatter(**properties))
    monkeypatch.setattr(figures, "unchecked_figure", unchecked_figure)
    monkeypatch.setattr(figures, "white", white)
    monkeypatch.setattr(figures, "marked_on_every_panel", _marked_by_add_vline)
    monkeypatch.setattr(go.Figure, "add_vline", searching(go.Figure.add_vline))
    monkeypatch.setattr(go.Figure, "add_hline", searching(go.Figure.add_hline))


def _marked_by_add_vline(
    figure: go.Figure,
    panels: list[tuple[str, str]],
    marks: list[tuple[float, str]],
    *,
    log_x: bool,
    color: str = "#777",
    font_size: int = 9,
) -> go.Figure:
    """``figures.marked_on_every_panel`` as plotly's ``add_vline`` does it (on every panel, as
    the figures here call it), with its label moved to the log axis' units."""
    first = len(figure.layout.annotations)
    for x, text in marks:
        figure.add_vline(x=x, line_dash="dot", line_color=color, annotation_text=text,
                         annotation_font_size=font_size)  # fmt: skip
    if log_x:
        for label in figure.layout.annotations[first:]:
            label.x = math.log10(label.x)
    return figure


def _fan_chart() -> go.Figure:
    rng = np.random.default_rng(0)
    days = pd.date_range("2025-06-01", periods=400, freq="D", tz="UTC")
    band = np.sort(rng.lognormal(11, 0.1, (3, days.size)), axis=0)
    bands = [
        ({"allocation": allocation, "model": model}, band * (1 + allocation))
        for allocation, model in itertools.product([0.01, 0.02], ["multiplier", "sqrt"])
    ]
    history = pd.Series(rng.lognormal(11, 0.1, 60), index=days[:60])
    return figures.fan_chart_picker(
        days, band, bands, "BTC",
        axes={"allocation": [0.01, 0.02], "model": ["multiplier", "sqrt"]},
        history_usd=history, last_history_day=days[59], announcement=days[10],
        source="a test",
    )  # fmt: skip


def _uplift() -> go.Figure:
    rows = pd.DataFrame(
        [
            {"asset": asset, "allocation": allocation, "model": model,
             evidence_section.READING: reading, evidence_section.SHARE_KEY: share,
             **{f"{evidence_section.UPLIFT}_p{p}": share * allocation * (1 + k) * 100
                for k, p in enumerate(("05", "50", "95"))}}
            for asset, allocation, model, reading, share in itertools.product(
                ["BTC", "ETH"], [0.01, 0.05], ["multiplier", "sqrt"], [0.25, 1.0],
                [0.1, 0.3, 0.9],
            )
        ]
    )  # fmt: skip
    lines = pd.DataFrame(
        [{evidence_section.SHARE_KEY: 0.2, "parameter": "multiplier", "value": 6.5}]
    )
    return evidence_section.uplift_against_share(rows, lines, source="a test")


def _scenario_rows() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"asset": asset, "allocation": allocation, "model": model, "reallocation_share": share,
             **{f"{evidence_section.UPLIFT}_p{p}": allocation * share * (1 + k) * 100
                for k, p in enumerate(("05", "50", "95"))}}
            for asset, allocation, model, share in itertools.product(
                ["BTC", "ETH"], [0.0, 0.01, 0.05], ["multiplier", "sqrt"], [0.25, 1.0],
            )
        ]
    )  # fmt: skip


def _impact() -> go.Figure:
    return figures.impact_by_allocation(
        _scenario_rows(), value=evidence_section.UPLIFT, source="a test"
    )


def _heatmap() -> go.Figure:
    cells = _scenario_rows().query("asset == 'BTC' and reallocation_share == 1.0")
    return figures.uplift_heatmap(
        cells, value=f"{evidence_section.UPLIFT}_p50", rows="model", asset="BTC",
        reading="lag_months = 6", source="a test",
    )  # fmt: skip


def _flows() -> go.Figure:
    days = pd.date_range("2025-06-01", periods=300, freq="D", tz="UTC")
    labels = {"a": {"allocation": 0.01, "lag_months": 3},
              "b": {"allocation": 0.02, "lag_months": 6}}
    frame = pd.DataFrame(
        {(label, asset): np.linspace(0, 1e9 * (k + 1), days.size)
         for k, (label, asset) in enumerate(itertools.product([*labels, "extra"], ["BTC", "ETH"]))},
        index=days,
    )  # fmt: skip
    return figures.flow_schedules_picker(frame, labels, source="a test")


def _flow_comparison() -> go.Figure:
    days = pd.date_range("2024-01-11", periods=60, freq="D", tz="UTC", name="date")
    etf = {asset: pd.DataFrame({"total_usd": np.full(60, 1e9)}, index=days)
           for asset in ("BTC", "ETH")}
    scenarios = {f"s{k}": {"allocation": allocation, "lag_months": lag}
                 for k, (allocation, lag) in enumerate(itertools.product([0.01, 0.02], [3, 6]))}
    flows = pd.DataFrame(
        {(label, asset): np.full(40, 5e8 * (k + 1))
         for k, (label, asset) in enumerate(itertools.product(scenarios, ["BTC", "ETH"]))},
        index=days[:40],
    )  # fmt: skip
    return analogs_sections.flow_comparison_figure(
        compare_flows(etf, flows, horizon_days=30), axes_of=scenarios
    )


def _phi_curves() -> go.Figure:
    curve = pd.DataFrame(
        [{"asset": asset, "model": model, "parameter": "multiplier", "permanent_share": theta,
          "value": value, "etf_explained_share": value * theta / 10}
         for asset, model, theta, value in itertools.product(
             ["BTC", "ETH"], ["multiplier", "sqrt"], [0.25, 0.5, 1.0], [1.0, 3.0, 10.0])]
    )  # fmt: skip
    return level_set_section.phi_curves(SimpleNamespace(curve=curve), "a test")  # type: ignore[arg-type]


def _analogs_finish() -> go.Figure:
    figure = go.Figure(go.Scatter(x=[0, 1, 2], y=[1.0, 1.1, 0.9]))
    analogs_sections._finish(figure, "A title", "a test", x_title="day", y_title="×")
    return figure


@pytest.mark.parametrize(
    "build", [_fan_chart, _uplift, _impact, _heatmap, _flows, _flow_comparison, _phi_curves,
              _analogs_finish]
)
def test_the_fast_way_gives_the_checked_figure_s_json(
    build: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = json.loads(build().to_json())  # type: ignore[operator]
    _checked(monkeypatch)
    checked = json.loads(build().to_json())  # type: ignore[operator]
    assert fast == checked
    assert fast["layout"]["template"] == checked["layout"]["template"] != {}


def test_a_mark_on_a_log_axis_has_its_label_over_its_line() -> None:
    """plotly.js reads a shape's x in data units but an annotation's in the log axis' units
    (log10): the label of the line at φ = 0.2 must say log10(0.2), on every panel."""
    figure = _uplift()
    lines = [shape for shape in figure.layout.shapes if shape.type == "line"]
    labels = [label for label in figure.layout.annotations if "φ 0.20" in label.text]
    assert len(lines) == len(labels) == 4  # BTC, ETH by allocations 1 %, 5 %
    for line, label in zip(lines, labels, strict=True):
        assert line.x0 == line.x1 == 0.2
        assert label.x == pytest.approx(math.log10(0.2))
        assert (label.xref, label.yref) == (line.xref, line.yref)
    assert figure.layout.xaxis.type == "log"


def test_every_band_of_every_choice_is_drawn() -> None:
    assert len(_fan_chart().data) >= 12
    assert len(_uplift().data) >= 12
    assert len(_flow_comparison().data) == 2 + 8  # the ETFs and every scenario's asset
    assert picker.has_picker(_flow_comparison())


def test_the_flow_schedules_sit_on_their_asset_s_panel() -> None:
    figure = _flows()
    for col, asset in enumerate(["BTC", "ETH"], start=1):
        on_panel = list(figure.select_traces(row=1, col=col))
        assert len(on_panel) == 3
        assert all(trace.hovertemplate.endswith(f" {asset}</extra>") for trace in on_panel)


def test_the_uplift_chart_s_traces_sit_on_the_panels_plotly_s_grid_gives() -> None:
    figure = _uplift()
    panels = [(r, c) for r in (1, 2) for c in (1, 2)]  # BTC, ETH by allocations 1%, 5%
    per_panel = len(figure.data) // len(panels)
    for k, (r, c) in enumerate(panels):
        on_panel = list(figure.select_traces(row=r, col=c))
        assert on_panel == list(figure.data[k * per_panel : (k + 1) * per_panel])
        assert {trace.name for trace in on_panel} - {None} == {
            f"{model}, reallocation {reading:g}"
            for model in ("multiplier", "sqrt") for reading in (0.25, 1.0)
        }  # fmt: skip
