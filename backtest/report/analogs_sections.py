"""Plotly figures of the analogs and the calibration, for report.html.

Each builder takes a result object and returns a ``plotly.graph_objects.Figure`` whose title
or annotation names its data source (pass ``source=`` when the data come from elsewhere than
the defaults below).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtest.analogs.calibrate import PARAMETERS, CalibrationResult
from backtest.analogs.event_study import EventStudyResult
from backtest.analogs.flow_compare import FlowComparison
from backtest.report import figures, picker
from backtest.report.hindcast_sections import over_explained_note
from backtest.report.html import Section, write_report
from backtest.study.analogs_step import AnalogsOutcome
from flowimpact.units import USD_PER_BILLION

PRICE_SOURCE = "Source: Binance spot klines"
FLOW_SOURCE = "Source: Farside Investors ETF flows; 401(k) scenarios: flowimpact inflow model"
CALIBRATION_SOURCE = "Source: Binance spot klines; Farside Investors ETF flows"
ASSET_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
DASHES = ("dot", "dash", "dashdot", "longdash", "longdashdot")


def aligned_paths_figure(result: EventStudyResult, *, source: str = PRICE_SOURCE) -> go.Figure:
    """Every event's price path, 1.0 at the start of day 0, on one chart."""
    figure = go.Figure()
    aligned = result.aligned
    for (event, asset), part in aligned.groupby(["event", "asset"], sort=False):
        figure.add_trace(
            go.Scatter(
                x=part["offset_days"],
                y=part["price_rel"],
                mode="lines",
                name=f"{event} · {asset}",
                hovertemplate="day %{x:.2f}<br>%{y:.3f}× the day-0 start<extra></extra>",
            )
        )
    figure.add_vline(x=0, line_dash="dot", line_color="#888")
    figure.add_hline(y=1, line_color="#ccc")
    _finish(
        figure,
        "Price around each event (1.0 = close before day 0)",
        source,
        x_title="days since the event (UTC)",
        y_title="price relative to day 0",
    )
    return figure


def flow_comparison_figure(
    comparison: FlowComparison,
    *,
    max_days: int | None = None,
    source: str = FLOW_SOURCE,
    axes_of: Mapping[str, Mapping[str, object]] | None = None,
) -> go.Figure:
    """Cumulative US spot-ETF net flows and each 401(k) scenario's, by days since each start.

    With ``axes_of`` (inflow label → its grid values, ``allocation`` among them) the scenario
    lines are named by allocation and asset and the other values are chosen in dropdowns, so
    the legend stays short at any grid size, and only the labels it holds are drawn (pass
    ``picker.bounded_labels`` of them to bound the page); without it every line is listed.
    """
    curves = comparison.cumulative
    if max_days is not None:
        curves = curves[curves["days_since_start"] <= max_days]
    others: dict[str, list[object]] = {}
    traces: list[go.Scatter] = []
    # an asset's scenarios in its ETFs' colour, one dash per allocation
    colours = {asset: ASSET_COLOURS[i % len(ASSET_COLOURS)]
               for i, asset in enumerate(curves["asset"].unique())}  # in order of appearance
    dashes: dict[object, str] = {}
    for (kind, series), part in curves.groupby(["kind", "series"], sort=False):
        is_etf = kind == "etf"
        name, values = series, None
        line: dict[str, float | str | None] = {
            "width": 3.5 if is_etf else 1.2,
            "dash": "solid" if is_etf else "dot",
        }
        if axes_of is not None and not is_etf:
            if str(part["scenario"].iloc[0]) not in axes_of:
                continue  # not among the drawn scenarios
            scenario_axes = axes_of[str(part["scenario"].iloc[0])]
            allocation = scenario_axes.get("allocation")
            if isinstance(allocation, float | int):
                asset = part["asset"].iloc[0]
                name = f"{allocation * 100:.4g}% · {asset}"
                dash = dashes.setdefault(allocation, DASHES[len(dashes) % len(DASHES)])
                line = {"width": 1.6, "dash": dash, "color": colours.get(asset)}
            values = {k: v for k, v in scenario_axes.items() if k != "allocation"}
            for key, value in values.items():
                if value not in others.setdefault(key, []):
                    others[key].append(value)
        days = part["days_since_start"].to_numpy()
        keep = picker.thin(len(days))
        trace = figures.scatter(
            x0=int(days[keep][0]) if len(days) else 0,
            dx=keep.step or 1,
            y=(part["cumulative_usd"].to_numpy()[keep] / USD_PER_BILLION).astype(np.float32),
            mode="lines",
            name=name,
            legendgroup=series,
            line={**line, "color": colours.get(part["asset"].iloc[0])} if is_etf else line,
            hovertemplate="day %{x}<br>$%{y:,.1f}bn<extra>" + series + "</extra>",
        )
        traces.append(picker.tag(trace, values) if values else trace)
    figure = figures.unchecked_figure(traces)  # a line per drawn scenario: tens of traces
    figure.add_vline(x=comparison.horizon_days - 1, line_dash="dot", line_color="#888")
    _finish(
        figure,
        "Cumulative net flows: US spot ETFs vs 401(k) scenarios",
        source,
        x_title="days since launch / first inflow",
        y_title="cumulative net flow (USD bn)",
    )
    if others:
        picker.add_picker(figure, others)
    return figure


def car_summary(result: EventStudyResult) -> pd.DataFrame:
    """The CARs with their t-test and rank-test p-values, one row per event and asset."""
    table = result.table
    summary = table[["event", "asset", "model"]].copy()
    for h in result.config.car_horizons_days:
        summary[f"CAR 0..{h}d %"] = _fmt(table[f"car_{h}d_pct"], "{:+.1f}")
        summary[f"p (t) {h}d"] = _fmt(table[f"car_{h}d_p"], "{:.3f}")
        summary[f"p (rank) {h}d"] = _fmt(table[f"car_{h}d_rank_p"], "{:.3f}")
    return summary


def calibration_figure(result: CalibrationResult, *, source: str = CALIBRATION_SOURCE) -> go.Figure:
    """Same-day estimates of M, Y and λ per asset with their HAC confidence intervals."""
    table = result.table
    params = list(PARAMETERS)
    figure = make_subplots(rows=1, cols=len(params), subplot_titles=params)
    for col, param in enumerate(params, start=1):
        rows = table[table["parameter"] == param]
        figure.add_trace(
            go.Scatter(
                x=rows["asset"],
                y=rows["estimate"],
                mode="markers",
                marker={"size": 10},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": rows["ci_high"] - rows["estimate"],
                    "arrayminus": rows["estimate"] - rows["ci_low"],
                },
                name=param,
                showlegend=False,
                customdata=np.column_stack(
                    [rows["n_obs"], rows["sample_start"], rows["sample_end"]]
                )
                if len(rows)
                else None,
                hovertemplate="%{x}: %{y:.4g}<br>n=%{customdata[0]}, "
                "%{customdata[1]}..%{customdata[2]}<extra></extra>",
            ),
            row=1,
            col=col,
        )
    level = f"{result.config.confidence:.0%}"
    _finish(figure, f"Calibrated impact parameters, same-day flow ({level} HAC intervals)", source)
    return figure


def report_sections(
    result: EventStudyResult,
    comparison: FlowComparison | None,
    calibration: CalibrationResult | None,
    calibration_note: str = "",
    *,
    prices: str = "Binance spot klines",
    axes_of: Mapping[str, Mapping[str, object]] | None = None,
) -> list[Section]:
    """The analogs' parts of report.html: event study, flow comparison, calibration.

    ``calibration_note`` (HTML) ends the calibration's prose, e.g. the hindcast's verdict;
    ``prices`` names where the candles came from (exchange, symbols, timeframe), for captions.
    """
    sections = [
        Section(
            title="ETF-launch analogs: event study",
            intro_html=(
                f"Abnormal returns against the <b>{html.escape(result.config.model)}</b> model "
                f"(benchmark {html.escape(result.config.benchmark)} for the market model), "
                f"estimated on days {result.config.estimation_start_days}.."
                f"{result.config.estimation_end_days}. CAR p-values: a t-test with the "
                "estimation window's variance (p) and Corrado's rank test in its single-event "
                "Wilcoxon rank-sum form (rank_p)."
            ),
            figures=(aligned_paths_figure(result, source=f"Source: {prices}"),),
            tables=(
                (
                    "Cumulative abnormal returns and their p-values; volatility, volume and "
                    "drawdown before and after are in analogs.csv.",
                    car_summary(result),
                ),
            ),
        )
    ]
    if comparison is not None:
        sections.append(
            Section(
                title="ETF flows beside the 401(k) scenarios",
                intro_html=(
                    "Cumulative net flows counted from each one's first day. "
                    "days_to_match_etf_year1: the day (since the scenario's first inflow) on "
                    f"which it has matched the ETFs' first {comparison.horizon_days} days."
                ),
                figures=(flow_comparison_figure(comparison, axes_of=axes_of),),
                tables=(("Flow comparison (flow_comparison.csv; USD in billions here)",
                         _in_billions(comparison.table)),),
            )
        )
    if calibration is not None:
        table = calibration.table
        sections.append(
            Section(
                title="Impact calibrated on ETF flows",
                intro_html=(
                    "Daily log returns on same-day and lagged ETF net flows, Newey-West errors. "
                    "Flows also follow prices (see the flows_on_returns rows), so the same-day "
                    "slopes bound impact from above rather than measure it."
                    + calibration_note
                ),
                figures=(
                    calibration_figure(
                        calibration, source=f"Source: {prices}; Farside Investors ETF flows"
                    ),
                ),
                tables=(("Calibration (calibration.csv)", table.drop(columns="unit")),),
            )
        )
    return sections


def _fmt(values: Iterable[float], pattern: str) -> list[str]:
    return ["–" if not np.isfinite(v) else pattern.format(v) for v in values]


def _finish(
    figure: go.Figure, title: str, source: str, *, x_title: str = "", y_title: str = ""
) -> None:
    figure.update_layout(
        title={"text": f"{title}<br><sup>{source}</sup>"},
        xaxis_title=x_title,
        yaxis_title=y_title,
        margin={"t": 90},
    )
    figures.white(figure)


__all__ = [
    "CALIBRATION_SOURCE",
    "FLOW_SOURCE",
    "PRICE_SOURCE",
    "aligned_paths_figure",
    "calibration_figure",
    "car_summary",
    "flow_comparison_figure",
    "report_sections",
]


def _in_billions(table: pd.DataFrame) -> pd.DataFrame:
    """``*_usd`` columns shown as ``*_usd_bn`` for reading; the CSV keeps dollars."""
    shown = table.copy()
    for column in [c for c in shown.columns if c.endswith("_usd")]:
        shown[f"{column}_bn"] = shown.pop(column) / USD_PER_BILLION
    return shown


def outcome_sections(
    outcome: AnalogsOutcome,
    *,
    prices: str,
    axes_of: Mapping[str, Mapping[str, object]] | None = None,
) -> list[Section]:
    """The report's sections on a run's analogs, flow comparison and calibration.

    ``axes_of``: inflow label → grid values (``backtest.study.schedules.inflow_axes``), for
    the flow comparison's dropdowns.
    """
    sections = report_sections(
        outcome.events,
        outcome.comparison,
        outcome.calibration,
        over_explained_note(outcome.hindcast),
        prices=prices,
        axes_of=axes_of,
    )
    if outcome.calibration_skipped is not None:
        sections.append(
            Section(
                "Impact calibration skipped",
                f"<p>The calibration did not run: {html.escape(outcome.calibration_skipped)}.</p>",
            )
        )
    elif outcome.calibration is None:
        sections.append(
            Section(
                "ETF flows and calibration",
                "<p>No ETF-flow tables are stored, so the flow comparison and the impact "
                "calibration are left out. Import the Farside tables "
                "(<code>flowimpact import farside_btc_etf_flows_daily.csv ...</code>) to "
                "add them.</p>",
            )
        )
    return sections


def write_analogs_page(
    path: Path,
    outcome: AnalogsOutcome,
    *,
    prices: str,
    axes_of: Mapping[str, Mapping[str, object]] | None = None,
    warnings: Sequence[str] = (),
) -> Path:
    """``analogs.html``: the event study and the flow comparison, self-contained;
    ``warnings`` (stale data) under the subtitle."""
    sections = report_sections(
        outcome.events, outcome.comparison, None, prices=prices, axes_of=axes_of
    )
    subtitle = "US spot-ETF launches and the 401(k) order"
    return write_report(path, "flowimpact: analogs", subtitle, sections, warnings)
