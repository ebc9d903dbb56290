"""Plotly figures of a study: fan charts, impact by allocation, flow schedules.

Every figure carries a source line (``with_source``), because a chart copied out of the report
must still say where its numbers came from. Figures take plain arrays and frames; they compute
only percentiles for display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from backtest.report import picker
from flowimpact.units import USD_PER_BILLION

BAND = (5, 50, 95)
GREY = "#9a9a9a"
#: points per band line of a fan chart: about every sixth day of three years still shows the band's
#: shape, and a report of the default study's 48 scenarios stays near 1 MB of chart data
FAN_POINTS = 200
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def scatter(**properties: object) -> go.Scatter:
    """A scatter trace without plotly's check of every property on the way in.

    The check costs about ten times the rest of building a trace, and a fan chart builds one
    per band edge of every scenario it can show (hundreds); its properties are this module's
    own, fixed in code. Such traces go into a figure through ``unchecked_figure``; the
    figure's layout is still checked, and the same JSON comes out
    (tests/backtest/report/test_figures.py builds the figures both ways).
    """
    return go.Scatter(**properties, _validate=False)


def unchecked_figure(traces: Sequence[go.Scatter]) -> go.Figure:
    """A figure that starts with ``traces`` as they are, then checks what is added to it.

    ``Figure.add_traces`` builds every trace again with plotly's check of each property, which
    undoes ``scatter``'s saving (hundreds of milliseconds for the fan charts' traces); only
    the figure's constructor takes plotly's ``_validate`` switch through to its traces. The
    switch is turned back on at once, so the layout and later traces are still checked.
    """
    figure = go.Figure(data=list(traces), _validate=False)
    figure._validate = True
    figure.layout._validate = True
    return figure


def white(figure: go.Figure) -> go.Figure:
    """Give ``figure`` plotly's registered ``plotly_white`` template.

    ``update_layout(template="plotly_white")`` deep-copies the registered template and checks
    every property of it again (about 40 ms a figure, a sixth of the report's time); the
    template is plotly's own and valid already, so it is set the way plotly sets its default
    template on every new figure, unchecked (the same JSON: tests/backtest/report/
    test_figures.py).
    """
    layout = figure.layout
    layout._validate = False
    try:
        layout.template = pio.templates["plotly_white"]
    finally:
        layout._validate = figure._validate
    return figure


def marked_on_every_panel(
    figure: go.Figure,
    panels: Sequence[tuple[str, str]],
    marks: Sequence[tuple[float, str]],
    *,
    log_x: bool,
    color: str = "#777",
    font_size: int = 9,
) -> go.Figure:
    """A dotted vertical line at each ``(x, text)`` of ``marks`` on every panel ``(xaxis,
    yaxis)`` of ``panels``, ``text`` at the panel's top, left-aligned on the line.

    The shapes and labels ``add_vline`` would add, with two differences. On a log x axis the
    label's x is log10(x): plotly.js places a shape in data units but an annotation in the
    axis' log units, so ``add_vline``'s label stood at 10^x (plotly.py issues #2580, #4012).
    And they go in at once, unchecked: ``add_vline`` deep-copies and checks the figure's layout
    for each line and panel (0.2 s of the report's φ chart); these are this module's own
    values, fixed in code, and the figure's later changes are still checked.
    """
    shapes, labels = [], []
    for x, text in marks:
        at = float(np.log10(x)) if log_x else x
        for xaxis, yaxis in panels:
            shapes.append(go.layout.Shape(
                type="line", x0=x, x1=x, xref=xaxis, y0=0, y1=1, yref=f"{yaxis} domain",
                line={"color": color, "dash": "dot"}, _validate=False,
            ))  # fmt: skip
            labels.append(go.layout.Annotation(
                text=text, x=at, xref=xaxis, y=1, yref=f"{yaxis} domain", xanchor="left",
                yanchor="top", showarrow=False, font={"size": font_size}, _validate=False,
            ))  # fmt: skip
    layout = figure.layout
    layout._validate = False
    try:
        layout.shapes = (*layout.shapes, *shapes)
        layout.annotations = (*layout.annotations, *labels)
    finally:
        layout._validate = figure._validate
    return figure


def with_source(figure: go.Figure, source: str) -> go.Figure:
    """Write ``Source: ...`` under the plot area."""
    figure.add_annotation(
        text=f"Source: {source}",
        xref="paper",
        yref="paper",
        x=0,
        y=-0.28,
        showarrow=False,
        xanchor="left",
        font={"size": 10, "color": "#555"},
    )
    figure.update_layout(margin={"b": 120})
    return white(figure)


def fan_chart_picker(
    days: pd.DatetimeIndex,
    baseline_band_usd: np.ndarray,
    bands_usd: Sequence[tuple[Mapping[str, object], np.ndarray]],
    asset: str,
    *,
    axes: Mapping[str, Sequence[object]],
    history_usd: pd.Series,
    last_history_day: pd.Timestamp,
    announcement: pd.Timestamp,
    source: str,
) -> go.Figure:
    """One chosen scenario's band against the baseline band in grey, history in black.

    ``baseline_band_usd`` and each band are [3, day] arrays (5th, 50th, 95th percentile over
    paths); ``bands_usd`` holds (the scenario's grid values, band), every drawn scenario. The
    dropdowns (``picker.add_picker`` over ``axes``, allocation among them) choose the one
    scenario shown, the first value of each axis to start with: the caller puts the headline's
    values first. ``history_usd`` is the realized close up to ``last_history_day``. Days are
    thinned to ``picker.MAX_POINTS`` per line (the horizon kept).
    """
    # before the last real bar every band is the history (drawn once, in black)
    first = min(int(days.searchsorted(last_history_day)), len(days) - 1)
    future = days[first:]
    keep = picker.thin(len(future), FAN_POINTS)
    x = picker.daily_x(future, keep)
    traces = _band_traces(x, baseline_band_usd[:, first:][:, keep],
                          "baseline (no 401(k) inflow)", GREY)
    for values, band in bands_usd:
        group = "scenario|" + ",".join(f"{k}={picker.value_text(v)}" for k, v in values.items())
        # the scenario's band as lines, so the grey baseline band stays visible beneath it
        traces += [
            picker.tag(trace, values)
            for trace in _band_traces(x, band[:, first:][:, keep], "chosen scenario",
                                      COLORS[0], group=group, fill=False)
        ]
    figure = unchecked_figure(traces)
    history = history_usd[history_usd.index <= last_history_day]
    figure.add_trace(
        go.Scatter(
            x=history.index,
            y=history.to_numpy(dtype=np.float32),
            name="history",
            line={"color": "#000000", "width": 1.5},
            hovertemplate="%{x|%Y-%m-%d}: $%{y:,.0f}<extra>history</extra>",
        )
    )
    _marker(figure, last_history_day, "last real bar")
    _marker(figure, announcement, "401(k) order")
    figure.update_layout(
        title=f"{asset}: the chosen scenario vs the baseline (median, 5-95% of paths)",
        yaxis_title=f"{asset} price (USD, log scale)",
        yaxis_type="log",
        hovermode="x unified",
    )
    picker.add_picker(figure, axes)
    return with_source(figure, source)


def impact_by_allocation(table: pd.DataFrame, *, value: str, source: str) -> go.Figure:
    """Median price uplift at the horizon by allocation, one line per model and reallocation
    reading, whiskers the 5-95% band of that scenario's paths; a panel per asset, log axes.

    ``table`` holds one scenarios.csv row per (asset, model, reallocation_share, allocation):
    the caller fixes the other axes (``headline.at_headline_values``), so nothing here is a
    range over scenarios. The y axes are logarithmic and each panel has its own, so a 5%
    median is not flattened by a 2,000% bracket; a zero allocation (no uplift) is left out.
    """
    assets = list(dict.fromkeys(table["asset"]))
    figure = make_subplots(rows=1, cols=len(assets), subplot_titles=assets, shared_yaxes=False)
    keys = ["model"] + (["reallocation_share"] if "reallocation_share" in table.columns else [])
    for col, asset in enumerate(assets, start=1):
        rows = table[(table["asset"] == asset) & (table["allocation"] > 0)]
        for index, (key, group) in enumerate(rows.groupby(keys, sort=False)):
            group = group.sort_values("allocation")
            parts = key if isinstance(key, tuple) else (key,)
            name = str(parts[0]) + (f", reallocation {parts[1]:g}" if len(parts) > 1 else "")
            mid = group[f"{value}_p50"]
            figure.add_trace(
                go.Scatter(
                    x=group["allocation"].to_numpy() * 100,
                    y=mid,
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    line={"color": COLORS[index % len(COLORS)],
                          "dash": "dot" if len(parts) > 1 and index % 2 else "solid"},
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": group[f"{value}_p95"] - mid,
                        "arrayminus": mid - group[f"{value}_p05"],
                    },
                    hovertemplate="%{x:.4g}%: %{y:+.1f}%<extra>" + name + "</extra>",
                ),
                row=1,
                col=col,
            )
        figure.update_xaxes(
            title_text="401(k) crypto allocation (% of plan assets)", row=1, col=col
        )
        figure.update_yaxes(type="log", row=1, col=col)
    figure.update_yaxes(title_text="price uplift at horizon (%, log)", row=1, col=1)
    figure.update_layout(
        title="Price uplift at the horizon: median, 5-95% of one scenario's paths"
    )
    return with_source(figure, source)


def uplift_heatmap(
    cells: pd.DataFrame, *, value: str, rows: str, asset: str, reading: str, source: str
) -> go.Figure:
    """The median uplift (%) of ``asset`` over allocation (columns) × ``rows`` (the model's
    parameter, or the model), one scenario per cell, the other axes at ``reading``."""
    grid = cells.pivot_table(index=rows, columns="allocation", values=value, aggfunc="first")
    x = [allocation_text(a).replace(" allocation", "") for a in grid.columns]
    y = [f"{rows} {v:g}" if isinstance(v, float | int) else str(v) for v in grid.index]
    z = grid.to_numpy()
    figure = go.Figure(
        go.Heatmap(
            x=x,
            y=y,
            z=z,
            colorscale="Blues",
            colorbar={"title": {"text": "uplift %"}},
            text=[[f"{v:+.1f}%" for v in row] for row in z],
            texttemplate="%{text}",
            hovertemplate="%{y}, %{x}: %{z:+.2f}%<extra></extra>",
        )
    )
    figure.update_layout(
        title=f"{asset}: median uplift at the horizon by 401(k) allocation and {rows}",
        yaxis={"type": "category", "autorange": "reversed"},
        height=300 + 45 * len(y),  # the 120 px of the source line come out of it
    )
    figure.add_annotation(
        text=f"other axes: {reading}", xref="paper", yref="paper", x=0, y=1.02,
        showarrow=False, xanchor="left", yanchor="bottom", font={"size": 12, "color": "#555"},
    )
    return with_source(figure, source)


def flow_schedules_picker(
    cumulative_flow_usd: pd.DataFrame,
    axes_of: Mapping[str, Mapping[str, object]],
    *,
    source: str,
) -> go.Figure:
    """Cumulative USD flows by day, a line per allocation, the other inflow values in dropdowns.

    ``cumulative_flow_usd``: columns a MultiIndex (inflow label, asset) on evenly spaced UTC
    days; ``axes_of[label]`` the label's inflow grid values, ``allocation`` among them.
    """
    assets = list(dict.fromkeys(cumulative_flow_usd.columns.get_level_values(1)))
    labels = list(dict.fromkeys(cumulative_flow_usd.columns.get_level_values(0)))
    days = pd.DatetimeIndex(cumulative_flow_usd.index)
    keep = picker.thin(len(days))
    x = picker.daily_x(days, keep)
    others = _picker_axes(axes_of, labels)
    # a column without grid values (the [flows] tables every scenario carries) is its own
    # line, always shown, in grey
    names = {label: _allocation_of(axes_of[label]) if label in axes_of else label
             for label in labels}
    colours = {name: COLORS[i % len(COLORS)] for i, name in enumerate(dict.fromkeys(
        names[label] for label in labels if label in axes_of))}
    traces = []
    for col, asset in enumerate(assets, start=1):
        for label in labels:
            values = axes_of.get(label, {})
            name = names[label]
            series = cumulative_flow_usd[(label, asset)].to_numpy()[keep] / USD_PER_BILLION
            trace = scatter(
                **x,
                # the panel's axes as make_subplots names them, one panel per asset
                xaxis=f"x{col}" if col > 1 else "x",
                yaxis=f"y{col}" if col > 1 else "y",
                y=series.astype(np.float32),
                mode="lines",
                name=name,
                legendgroup=f"{name}|{label}",
                showlegend=col == 1,
                line={"color": colours.get(name, "#7f7f7f")},
                hovertemplate="%{x|%Y-%m-%d}: $%{y:,.1f}bn<extra>" + label + f" {asset}</extra>",
            )
            tags = {k: values[k] for k in others if k in values}
            traces.append(picker.tag(trace, tags) if tags else trace)
    # the traces go in unchecked, already on their panels; the grid is laid over them
    figure = make_subplots(rows=1, cols=len(assets), subplot_titles=assets,
                           figure=unchecked_figure(traces))
    figure.update_yaxes(title_text="cumulative net inflow (billion USD)", row=1, col=1)
    figure.update_layout(
        title="401(k) inflow schedules (direct flows, cumulative)"
    )
    picker.add_picker(figure, others)
    return with_source(figure, source)


def _picker_axes(
    axes_of: Mapping[str, Mapping[str, object]], labels: Sequence[str]
) -> dict[str, list[object]]:
    """The grid keys other than the allocation, each with its values in first-seen order."""
    axes: dict[str, list[object]] = {}
    for label in labels:
        for key, value in axes_of.get(label, {}).items():
            if key != "allocation" and value not in axes.setdefault(key, []):
                axes[key].append(value)
    return axes


def allocation_text(allocation: float) -> str:
    """An allocation as the charts name it: 0.01 → "1% allocation", 0.025 → "2.5% allocation"."""
    return f"{allocation * 100:.4g}% allocation"


def _allocation_of(values: Mapping[str, object]) -> str:
    allocation = values.get("allocation")
    return allocation_text(allocation) if isinstance(allocation, float | int) else "401(k) inflow"


def _band_traces(
    x: Mapping[str, object],
    band: np.ndarray,
    name: str,
    color: str,
    *,
    group: str | None = None,
    fill: bool = True,
) -> list[go.Scatter]:
    """A 5-95% band and its median from a [3, day] array: three traces, for the caller to add.
    ``fill``: the band shaded; else its edges drawn as thin dotted lines.

    ``x`` is the evenly spaced days as ``x0``/``dx``; values go out as float32 (7 digits,
    half the bytes of the page's data).
    """
    low, mid, high = (np.asarray(row, dtype=np.float32) for row in band)
    group = group or name
    edge = {"width": 0} if fill else {"width": 1, "color": color, "dash": "dot"}
    shade = {"fill": "tonexty", "fillcolor": _rgba(color, 0.15)} if fill else {}
    return [
        scatter(**x, y=high, line=edge, showlegend=False, hoverinfo="skip", legendgroup=group),
        scatter(**x, y=low, line=edge, **shade, showlegend=False, hoverinfo="skip",
                legendgroup=group),
        scatter(**x, y=mid, name=name, line={"color": color}, legendgroup=group),
    ]


def _marker(figure: go.Figure, day: pd.Timestamp, text: str) -> None:
    figure.add_vline(x=day, line_dash="dot", line_color="#999")
    figure.add_annotation(x=day, y=1, yref="paper", text=text, showarrow=False, yanchor="bottom")


def _rgba(hex_color: str, alpha: float) -> str:
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
