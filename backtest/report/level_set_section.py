"""The hindcast as a level set, in the report: φ curves at three θ, the explaining value by the
window's end date, and the zero-drift bootstrap beside the realized move.

The tables are ``backtest.study.level_set``'s (hindcast_phi_curve.csv,
hindcast_explaining_by_end.csv, hindcast_noise.csv); this module only draws them.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtest.report import figures
from backtest.report.html import Section
from backtest.study.level_set import LevelSet

NOISE_SHOWN = {
    "asset": "asset", "first_day": "first day", "last_day": "last day",
    "realized_log_return_bps": "realized (bps)", "bootstrap_std_bps": "bootstrap std (bps)",
    "bootstrap_p05_bps": "5 % (bps)", "bootstrap_p95_bps": "95 % (bps)",
    "share_of_draws_at_or_above_realized": "draws ≥ realized",
}  # fmt: skip


def level_set_section(level_set: LevelSet | None, source: str) -> Section | None:
    """The section, or None without a level set (no stored ETF table)."""
    if level_set is None or level_set.curve.empty:
        return None
    intro = (
        "<p>The explaining value is one point of a level set: the flows explain the whole move "
        "(φ = 1) along a curve of parameter and permanent share θ, and where the window ends "
        "moves it. Left: φ against each model's parameter at three θ. Right: the explaining "
        "value with the window ending at each month's end. Below: a zero-drift bootstrap of "
        "the same window (the baseline's resampling, without any ETF) beside the realized "
        "move: a spread as wide as the move itself is why the record cannot bound φ from "
        "below.</p>"
    )
    return Section(
        "The hindcast as a level set",
        intro,
        figures=[phi_curves(level_set, source), explaining_by_end(level_set, source)],
        tables=[("Zero-drift bootstrap of each ETF window's log return",
                 level_set.noise[list(NOISE_SHOWN)].rename(columns=NOISE_SHOWN))],
    )  # fmt: skip


def phi_curves(level_set: LevelSet, source: str) -> go.Figure:
    """φ against the parameter (log-log), a panel per asset and model, a line per θ."""
    curve = level_set.curve
    panels = list(curve.groupby(["asset", "model"], sort=False).groups)
    figure = make_subplots(
        rows=1, cols=len(panels), subplot_titles=[f"{a} · {m}" for a, m in panels]
    )
    for col, (asset, model) in enumerate(panels, start=1):
        panel = curve[(curve["asset"] == asset) & (curve["model"] == model)]
        for index, (theta, line) in enumerate(panel.groupby("permanent_share")):
            figure.add_trace(
                go.Scatter(
                    x=line["value"], y=line["etf_explained_share"], mode="lines",
                    name=f"θ = {theta:g}", legendgroup=f"θ{theta}", showlegend=col == 1,
                    line={"color": figures.COLORS[index % len(figures.COLORS)]},
                ),
                row=1, col=col,
            )  # fmt: skip
        figure.update_xaxes(type="log", title_text=str(panel["parameter"].iloc[0]), row=1, col=col)
        figure.update_yaxes(type="log", row=1, col=col)
    # every panel has its lines, so plotly's search for empty panels would find none
    figure.add_hline(y=1.0, line_dash="dot", line_color="#777", exclude_empty_subplots=False)
    figure.update_yaxes(title_text="φ (share of the ETF-era move)", col=1)
    figure.update_layout(title="φ against the parameter at three permanent shares θ")
    return figures.with_source(figure, source)


def explaining_by_end(level_set: LevelSet, source: str) -> go.Figure:
    """The explaining value (φ = 1) against the window's end date, a line per asset and model."""
    by_end = level_set.by_end
    figure = go.Figure()
    for index, ((asset, model), line) in enumerate(by_end.groupby(["asset", "model"], sort=False)):
        figure.add_trace(
            go.Scatter(
                x=line["last_day"], y=line["explaining_value"], mode="lines+markers",
                name=f"{asset} {model} ({line['parameter'].iloc[0]})",
                line={"color": figures.COLORS[index % len(figures.COLORS)]},
            )
        )  # fmt: skip
    figure.update_yaxes(type="log", title_text="explaining value (φ = 1)")
    figure.update_xaxes(title_text="last day of the window")
    figure.update_layout(title="The explaining value by the window's end date")
    return figures.with_source(figure, source)


__all__ = ["explaining_by_end", "level_set_section", "phi_curves"]
