"""backtest/report/picker.py: dropdowns that choose the grid values a figure shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from backtest.report import picker
from backtest.report.html import Section, render_report


def _figure() -> go.Figure:
    figure = go.Figure(go.Scatter(y=[1, 2], name="baseline"))  # untagged: always shown
    for lag in (6, 12):
        for share in (0.25, 1.0):
            figure.add_trace(
                picker.tag(go.Scatter(y=[lag, share]), {"lag_months": lag,
                                                        "reallocation_share": share})
            )
    return figure


def test_only_the_first_values_show_at_first_and_each_axis_gets_a_menu() -> None:
    axes = {"lag_months": [6, 12], "reallocation_share": [0.25, 1.0]}
    figure = picker.add_picker(_figure(), axes)
    visible = [trace.visible for trace in figure.data]
    assert visible == [None, None, False, False, False]  # baseline, (6, 0.25) shown
    menus = figure.layout.updatemenus
    assert [menu.name for menu in menus] == ["lag_months", "reallocation_share"]
    assert [b.label for b in menus[1].buttons] == ["reallocation_share: 0.25",
                                                   "reallocation_share: 1"]
    assert all(b.method == "skip" for menu in menus for b in menu.buttons)
    assert figure.layout.meta["picker"]["values"] == {"lag_months": ["6", "12"],
                                                      "reallocation_share": ["0.25", "1"]}
    assert picker.has_picker(figure)


def test_an_axis_with_one_value_needs_no_menu() -> None:
    figure = picker.add_picker(_figure(), {"lag_months": [6], "reallocation_share": [0.25, 1.0]})
    assert [menu.name for menu in figure.layout.updatemenus] == ["reallocation_share"]
    assert not picker.has_picker(picker.add_picker(go.Figure(), {"lag_months": [6]}))


def test_the_page_carries_the_script_once_and_calls_it_per_picker_figure() -> None:
    plain = go.Figure(go.Scatter(y=[1]))
    chosen = picker.add_picker(_figure(), {"lag_months": [6, 12]})
    page = render_report("t", "s", [Section("A", figures=[plain, chosen, chosen])])
    assert page.count("window.flowimpactPicker = function") == 1
    assert page.count("window.flowimpactPicker(document.getElementById(") == 2


def test_bounded_axes_keep_the_ends_of_each_range_under_the_cap() -> None:
    axes = {"allocation": [0.01, 0.02, 0.05], "lag": list(range(10)), "model": ["a", "b"]}
    kept = picker.bounded_axes(axes, 24)
    assert int(np.prod([len(v) for v in kept.values()])) <= 24
    assert kept["lag"][0] == 0 and kept["lag"][-1] == 9  # the range survives
    assert kept["allocation"] == [0.01, 0.02, 0.05] and kept["model"] == ["a", "b"]
    assert picker.bounded_axes(axes, 1000) == axes  # under the cap: nothing dropped


def test_thin_keeps_evenly_spaced_points_ending_on_the_horizon() -> None:
    days = pd.date_range("2025-01-01", periods=1461, freq="D", tz="UTC")
    keep = picker.thin(len(days), 500)
    kept = np.arange(len(days))[keep]
    assert kept[-1] == len(days) - 1 and len(kept) <= 500
    assert len(set(np.diff(kept))) == 1
    x = picker.daily_x(days, keep)
    assert x == {"x0": days[kept[0]].strftime("%Y-%m-%d"), "dx": 3 * 86_400_000}
    assert np.arange(10)[picker.thin(10, 500)].tolist() == list(range(10))


def test_bounded_labels_keep_whole_grid_points_under_the_cap() -> None:
    axes_of = {
        f"a={a}, lag={lag}": {"allocation": a, "lag": lag}
        for a in (0.01, 0.02)
        for lag in range(6)
    }
    kept = picker.bounded_labels(axes_of, 6)
    assert 0 < len(kept) <= 6
    assert {v["allocation"] for v in kept.values()} == {0.01, 0.02}
    lags = sorted({v["lag"] for v in kept.values()})
    assert lags[0] == 0 and lags[-1] == 5
    # a label is kept with all its values or not at all
    assert all(axes_of[label] == values for label, values in kept.items())
    assert picker.bounded_labels(axes_of, 100) == axes_of
