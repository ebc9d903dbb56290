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
from plotly.subplots import make_subplots

from backtest.report import picker
from flowimpact.units import USD_PER_BILLION

BAND = (5, 50, 95)
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


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
    figure.update_layout(margin={"b": 120}, template="plotly_white")
    return figure


def fan_chart_picker(
    days: pd.DatetimeIndex,
    baseline_band_usd: np.ndarray,
    bands_usd: Sequence[tuple[Mapping[str, object], str, np.ndarray]],
    asset: str,
    *,
    axes: Mapping[str, Sequence[object]],
    last_history_day: pd.Timestamp,
    announcement: pd.Timestamp,
    source: str,
) -> go.Figure:
    """The baseline and every drawn scenario's band, one legend entry per allocation.

    ``baseline_band_usd`` and each band are [3, day] arrays (5th, 50th, 95th percentile over
    paths); ``bands_usd`` holds (the scenario's other grid values, its allocation's name, band).
    The other grid values are chosen in dropdowns (``picker.add_picker`` over ``axes``), so the
    legend stays one line per allocation whatever the grid. Days are thinned to
    ``picker.MAX_POINTS`` per line (the horizon kept).
    """
    keep = picker.thin(len(days))
    x = picker.daily_x(days, keep)
    figure = go.Figure()
    _band_of(figure, x, baseline_band_usd[:, keep], "baseline (no 401(k) inflow)", "#7f7f7f")
    names = dict.fromkeys(name for _, name, _ in bands_usd)
    colours = {name: COLORS[i % len(COLORS)] for i, name in enumerate(names)}
    for values, name, band in bands_usd:
        group = name + "|" + ",".join(f"{k}={picker.value_text(v)}" for k, v in values.items())
        for trace in _band_of(figure, x, band[:, keep], name, colours[name], group=group):
            picker.tag(trace, values)
    _marker(figure, last_history_day, "last real bar")
    _marker(figure, announcement, "401(k) order")
    figure.update_layout(
        title=f"{asset}: baseline vs impacted price (median, 5-95% of paths)",
        yaxis_title=f"{asset} price (USD, log scale)",
        yaxis_type="log",
        hovermode="x unified",
    )
    picker.add_picker(figure, axes)
    return with_source(figure, source)


def impact_by_allocation(table: pd.DataFrame, *, value: str, source: str) -> go.Figure:
    """Median price uplift at the horizon (with 5-95% whiskers) by allocation, a line per model.

    ``table`` is scenarios.csv; rows with the same (asset, model, allocation) but different
    other axes are averaged in the median and bracketed by the widest whiskers.
    """
    assets = list(dict.fromkeys(table["asset"]))
    figure = make_subplots(rows=1, cols=len(assets), subplot_titles=assets, shared_yaxes=False)
    for col, asset in enumerate(assets, start=1):
        rows = table[table["asset"] == asset]
        for index, (model, group) in enumerate(rows.groupby("model", sort=False)):
            agg = group.groupby("allocation").agg(
                mid=(f"{value}_p50", "median"),
                low=(f"{value}_p05", "min"),
                high=(f"{value}_p95", "max"),
            )
            x_pct = agg.index.to_numpy() * 100
            figure.add_trace(
                go.Scatter(
                    x=x_pct,
                    y=agg["mid"],
                    mode="lines+markers",
                    name=str(model),
                    legendgroup=str(model),
                    showlegend=col == 1,
                    line={"color": COLORS[index % len(COLORS)]},
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": agg["high"] - agg["mid"],
                        "arrayminus": agg["mid"] - agg["low"],
                    },
                ),
                row=1,
                col=col,
            )
        figure.update_xaxes(
            title_text="401(k) crypto allocation (% of plan assets)", row=1, col=col
        )
    figure.update_yaxes(title_text="price uplift at horizon (%)", row=1, col=1)
    figure.update_layout(title="Price uplift at the horizon by allocation and impact model")
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
    figure = make_subplots(rows=1, cols=len(assets), subplot_titles=assets)
    for col, asset in enumerate(assets, start=1):
        for label in labels:
            values = axes_of.get(label, {})
            name = names[label]
            series = cumulative_flow_usd[(label, asset)].to_numpy()[keep] / USD_PER_BILLION
            trace = go.Scatter(
                **x,
                y=series.astype(np.float32),
                mode="lines",
                name=name,
                legendgroup=f"{name}|{label}",
                showlegend=col == 1,
                line={"color": colours.get(name, "#7f7f7f")},
                hovertemplate="%{x|%Y-%m-%d}: $%{y:,.1f}bn<extra>" + label + f" {asset}</extra>",
            )
            tags = {k: values[k] for k in others if k in values}
            figure.add_trace(picker.tag(trace, tags) if tags else trace, row=1, col=col)
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


def _band_of(
    figure: go.Figure,
    x: Mapping[str, object],
    band: np.ndarray,
    name: str,
    color: str,
    *,
    group: str | None = None,
) -> list[go.Scatter]:
    """A 5-95% band and its median from a [3, day] array; returns the three traces added.

    ``x`` is the evenly spaced days as ``x0``/``dx``; values go out as float32 (7 digits,
    half the bytes of the page's data).
    """
    low, mid, high = (np.asarray(row, dtype=np.float32) for row in band)
    group = group or name
    traces = [
        go.Scatter(**x, y=high, line={"width": 0}, showlegend=False, hoverinfo="skip",
                   legendgroup=group),
        go.Scatter(**x, y=low, line={"width": 0}, fill="tonexty", fillcolor=_rgba(color, 0.15),
                   showlegend=False, hoverinfo="skip", legendgroup=group),
        go.Scatter(**x, y=mid, name=name, line={"color": color}, legendgroup=group),
    ]
    figure.add_traces(traces)
    return list(figure.data[-3:])


def _marker(figure: go.Figure, day: pd.Timestamp, text: str) -> None:
    figure.add_vline(x=day, line_dash="dot", line_color="#999")
    figure.add_annotation(x=day, y=1, yref="paper", text=text, showarrow=False, yanchor="bottom")


def _rgba(hex_color: str, alpha: float) -> str:
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
