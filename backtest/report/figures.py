"""Plotly figures of a study: fan charts, impact by allocation, flow schedules.

Every figure carries a source line (``with_source``), because a chart copied out of the report
must still say where its numbers came from. Figures take plain arrays and frames; they compute
only percentiles for display.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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


def fan_chart(
    days: pd.DatetimeIndex,
    baseline_close_usd: np.ndarray,
    impacted_close_usd: Sequence[np.ndarray],
    labels: Sequence[str],
    asset: str,
    *,
    last_history_day: pd.Timestamp,
    announcement: pd.Timestamp,
    source: str,
) -> go.Figure:
    """Median and 5-95% band of the baseline and of each impacted scenario, [path, day] arrays."""
    figure = go.Figure()
    _band(figure, days, baseline_close_usd, "baseline (no 401(k) inflow)", "#7f7f7f")
    for index, (close, label) in enumerate(zip(impacted_close_usd, labels, strict=True)):
        _band(figure, days, close, label, COLORS[index % len(COLORS)])
    _marker(figure, last_history_day, "last real bar")
    _marker(figure, announcement, "401(k) order")
    figure.update_layout(
        title=f"{asset}: baseline vs impacted price (median, 5-95% of paths)",
        yaxis_title=f"{asset} price (USD, log scale)",
        yaxis_type="log",
        hovermode="x unified",
    )
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


def flow_schedules(cumulative_flow_usd: pd.DataFrame, *, source: str) -> go.Figure:
    """Cumulative USD flows by day; columns are a MultiIndex (label, asset)."""
    assets = list(dict.fromkeys(cumulative_flow_usd.columns.get_level_values(1)))
    figure = make_subplots(rows=1, cols=len(assets), subplot_titles=assets)
    labels = list(dict.fromkeys(cumulative_flow_usd.columns.get_level_values(0)))
    for col, asset in enumerate(assets, start=1):
        for index, label in enumerate(labels):
            series = cumulative_flow_usd[(label, asset)] / 1e9
            figure.add_trace(
                go.Scatter(
                    x=series.index,
                    y=series.to_numpy(),
                    mode="lines",
                    name=label,
                    legendgroup=label,
                    showlegend=col == 1,
                    line={"color": COLORS[index % len(COLORS)]},
                ),
                row=1,
                col=col,
            )
    figure.update_yaxes(title_text="cumulative net inflow (billion USD)", row=1, col=1)
    figure.update_layout(title="401(k) inflow schedules (direct flows, cumulative)")
    return with_source(figure, source)


def _band(
    figure: go.Figure, days: pd.DatetimeIndex, close: np.ndarray, name: str, color: str
) -> None:
    low, mid, high = np.percentile(close, BAND, axis=0)
    rgba = _rgba(color, 0.15)
    figure.add_trace(
        go.Scatter(
            x=days, y=high, line={"width": 0}, showlegend=False, hoverinfo="skip", legendgroup=name
        )
    )
    figure.add_trace(
        go.Scatter(
            x=days,
            y=low,
            line={"width": 0},
            fill="tonexty",
            fillcolor=rgba,
            showlegend=False,
            hoverinfo="skip",
            legendgroup=name,
        )
    )
    figure.add_trace(go.Scatter(x=days, y=mid, name=name, line={"color": color}, legendgroup=name))


def _marker(figure: go.Figure, day: pd.Timestamp, text: str) -> None:
    figure.add_vline(x=day, line_dash="dot", line_color="#999")
    figure.add_annotation(x=day, y=1, yref="paper", text=text, showarrow=False, yanchor="bottom")


def _rgba(hex_color: str, alpha: float) -> str:
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
