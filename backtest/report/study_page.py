"""The sections of report.html for a study run: the answer, paths, flows, portfolios, sources."""

from __future__ import annotations

import dataclasses
import html
import inspect
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from backtest.report import dollars, evidence_section, figures, hindcast_sections
from backtest.report import headline as headline_rule
from backtest.report.analogs_sections import outcome_sections
from backtest.report.html import Section, table_html, write_report
from backtest.report.level_set_section import level_set_section
from backtest.report.sensitivity.page import tornado_section
from backtest.report.sources import price_source
from backtest.sim.evaluate_config import STRATEGIES
from backtest.sim.impact import impact_model
from backtest.study.config import AxisKey, Scenario
from backtest.study.drawn import MAX_DRAWN, drawn_inflows, drawn_scenarios
from backtest.study.evidence_config import SHARE_AXIS
from backtest.study.results import StudyRun
from backtest.study.schedules import summary_table
from flowimpact.headline import headline_text
from flowimpact.units import USD_PER_BILLION

UPLIFT = "price_uplift_at_horizon_pct"


def write(run: StudyRun, path: Path, manifest: dict[str, Any]) -> Path:
    """Assemble every section and write the page atomically."""
    sources = figure_source(manifest)
    sections = [
        _answer(run, sources, manifest["headline"]),
        _paths(run, sources, manifest["headline"]),
        _flows(run),
        _portfolios(run, sources),
    ]
    evidence = evidence_section.answer_section(run, sources)
    if evidence is not None:  # the answer by φ leads, opened by the headline's sentence
        lead = f'<p class="headline"><b>{html.escape(headline_text(manifest["headline"]))}.</b></p>'
        sections.insert(0, dataclasses.replace(evidence, intro_html=lead + evidence.intro_html))
    venue = price_source(run.study.data, run.price_sources)
    sections.extend(outcome_sections(run.analogs, prices=venue, axes_of=_drawn_inflows(run)))
    sections.extend(hindcast_sections.outcome_sections(run.analogs, manifest))
    sections.extend(s for s in [level_set_section(run.analogs.level_set, sources)] if s)
    if run.tornado is not None:
        sections.append(tornado_section(run.tornado.outcome, run.tornado.skipped))
    sections.append(_assumptions(run, manifest))
    subtitle = html.escape(
        f"{run.study.study.name} · run {manifest['run_id']} · {manifest['finished_utc'][:19]} UTC"
        f" · prices to {run.last_candle_day} · {len(run.scenarios)} scenarios × "
        f"{run.baseline.n_paths} paths · study: {run.study.source}"
    )
    return write_report(
        path, "flowimpact: 401(k) inflows and crypto prices", subtitle, sections, run.warnings
    )


def figure_source(manifest: Mapping[str, Any]) -> str:
    """The figures' source line: the price series run.json records, and the model."""
    parts = [
        f"{d['exchange']} {d['symbol']} {d['timeframe']} candles "
        f"{d['first'][:10]}..{d['last'][:10]}"
        for d in manifest["data"]
        if d["table"] == "prices"
    ]
    return "; ".join(parts) + "; bootstrap paths past the last bar; flowimpact impact model"


def _answer_rows(run: StudyRun) -> list[str]:
    # a reallocation-share axis is two readings of the same allocation: rows, not columns
    rows = ["asset", "model"]
    if _is_axis(run, "reallocation_share"):
        rows.append("reallocation_share")
    return rows


def _answer_scenarios(run: StudyRun) -> pd.DataFrame:
    """The rows of scenarios.csv the answer shows: each cell one scenario, the axes not shown
    at the headline's values."""
    return headline_rule.at_headline_values(run, free=[*_answer_rows(run), "allocation"])


def _pivot(run: StudyRun, frame: pd.DataFrame, quantile: str, how: str) -> pd.DataFrame:
    return frame.pivot_table(
        index=_answer_rows(run), columns="allocation", values=f"{UPLIFT}_{quantile}",
        aggfunc=how,
    )


def answer_table(run: StudyRun) -> pd.DataFrame:
    """The answer as the report's table shows it: per asset and model (and reallocation
    reading), one column per allocation, each cell one scenario's median uplift in % with its
    5-95 % path band, "median [5th, 95th]"."""
    fixed = _answer_scenarios(run)
    median, low, high = (_pivot(run, fixed, q, "first") for q in ("p50", "p05", "p95"))
    return _cells(median, [
        f"{m:+.1f}% [{lo:+.1f}, {hi:+.1f}]"
        for column in median.columns
        for m, lo, hi in zip(median[column], low[column], high[column], strict=True)
    ])


def answer_figure(run: StudyRun, source: str) -> go.Figure:
    """The answer's chart: the uplift by allocation, a panel per asset, the answer's scenarios."""
    return figures.impact_by_allocation(_answer_scenarios(run), value=UPLIFT, source=source)


def _answer(run: StudyRun, source: str, headline: Mapping[str, Any]) -> Section:
    table = run.table
    horizon = run.baseline.days[-1].date()
    rows = _answer_rows(run)
    cells = answer_table(run)

    def pivot(frame: pd.DataFrame, quantile: str, how: str) -> pd.DataFrame:
        return _pivot(run, frame, quantile, how)

    others = _other_axes(run, rows)
    spread = ""
    if others != "none":
        lowest, highest = pivot(table, "p50", "min"), pivot(table, "p50", "max")
        ranges = _cells(lowest, [
            f"{lo:+.1f}% to {hi:+.1f}%"
            for column in lowest.columns
            for lo, hi in zip(lowest[column], highest[column], strict=True)
        ])
        spread = (
            f'<p class="note"><b>Range over scenarios</b> (not a path band): the lowest to '
            f"the highest median over every value of {html.escape(others)}.</p>"
            f"{table_html(ranges)}"
        )
    inflow = run.scenarios[0].inflow
    lead = f'<p class="headline"><b>{html.escape(headline_text(headline))}.</b></p>'

    question = (
        "<p>If a share of the US 401(k) plans' assets "
        f"(${inflow.plan_assets_usd / 1e12:.1f} trillion, ICI) flows into crypto after the "
        f"{inflow.announcement} executive order, how far does it lift each price by {horizon}? "
        "Median price uplift [5th, 95th percentile over the scenario's paths]:</p>"
    )
    frame = dollars.dollars_frame(run)  # the table's and the sentence's, built once
    money = (
        f'<div><p class="note"><b>The dollars behind each allocation</b>: USD bn reaching each '
        f"asset by {horizon} in the model (medians over the other grid axes) beside the "
        "sources' count; reallocated + payroll + withdrawn = both.</p>"
        f"{table_html(dollars.dollars_table(run, frame), float_format='{:,.1f}')}"
        f'<p class="note">{dollars.why_they_differ(run, frame)}</p></div>'
    )
    fixed_text = _fixed_axes_text(run, rows)
    reading = (
        "<p>Each cell is one scenario"
        + (f" ({html.escape(fixed_text)})" if fixed_text else "")
        + ": the median over its bootstrap paths, and in brackets the 5th to 95th percentile "
        "over the same paths. The uplift is the impacted price over the baseline on the same "
        "path, so market direction cancels out: this is the inflow's effect, not a price "
        "forecast. The headline above (and in run.json, the terminal and the archive) is the "
        f"scenario of {html.escape(str(headline['rule']))}.</p>"
    )
    return Section(
        "The answer",
        lead
        + question
        + f'<div class="answer"><div>{table_html(cells)}{spread}</div>{money}</div>'
        + reading
        + _reading_notes(run),
        figures=[
            answer_figure(run, source),
            _heatmap(run, headline, source),
        ],
    )


def _cells(shape: pd.DataFrame, texts: list[str]) -> pd.DataFrame:
    """``texts`` (column by column) in the shape of the pivot ``shape``, as the page shows it."""
    cells = shape.copy().astype(object)
    n = len(shape)
    for j, column in enumerate(shape.columns):
        cells[column] = texts[j * n : (j + 1) * n]
    cells.columns = [figures.allocation_text(a) for a in shape.columns]
    cells = cells.reset_index()
    if "reallocation_share" in cells.columns:
        cells["reallocation_share"] = [f"{v:g}" for v in cells["reallocation_share"]]
        cells = cells.rename(columns={"reallocation_share": dollars.SHARE_COLUMN})
    return cells


def _fixed_axes_text(run: StudyRun, shown: list[str]) -> str:
    """``lag_months = 6, ramp_months = 12``: the axes the answer holds at the headline's values."""
    fixed = headline_rule.fixed_axes(run.study, shown)
    return ", ".join(f"{key} = {value}" for key, value in fixed.items())


def _heatmap(run: StudyRun, headline: Mapping[str, Any], source: str) -> go.Figure:
    """The headline asset's median uplift over allocation × the model's parameter (the
    models, when the grid does not vary a parameter), the other axes at the headline's values."""
    parameter = _heatmap_parameter(run)
    rows = parameter or "model"
    cells = headline_rule.at_headline_values(run, free=["asset", "allocation", rows])
    cells = cells[cells["asset"] == headline["asset"]]
    if parameter is not None:
        cells = cells[cells["model"] == headline["model"]]
    reading = _fixed_axes_text(run, ["asset", rows]) or "the study's only values"
    return figures.uplift_heatmap(
        cells, value=f"{UPLIFT}_p50", rows=rows, asset=str(headline["asset"]),
        reading=reading, source=source,
    )


def _heatmap_parameter(run: StudyRun) -> str | None:
    """What the heatmap's rows span: the ``etf_explained_share`` axis (φ) when the grid has
    it, else the first ``[impact]`` axis of a model's strength that the grid varies, else
    none (allocation alone)."""
    if AxisKey(SHARE_AXIS) in run.study.grid_axes:
        return SHARE_AXIS.split(".", 1)[1]
    for name in headline_rule.MODEL_PARAMETER.values():
        if AxisKey.of("impact", name) in run.study.grid_axes:
            return name
    return None


def _is_axis(run: StudyRun, key: str) -> bool:
    return key in run.table.columns and run.table[key].nunique() > 1


def _other_axes(run: StudyRun, shown: list[str]) -> str:
    names = [key.name for key in run.study.grid_axes]
    others = [n for n in names if n not in (*shown, "allocation")]
    return ", ".join(others) or "none"


def _reading_notes(run: StudyRun) -> str:
    """How to read the models' spread, with the calibrated multiplier where one exists."""
    notes = [
        "The <b>multiplier</b> model (inelastic markets) prices each dollar against market cap; "
        "the <b>square-root</b> law was measured on single metaorders, and applied to a flow "
        "every day it adds up: read it as the upper end of the range."
    ]
    calibration = run.analogs.calibration
    if calibration is not None:
        rows = calibration.table.query(
            "direction == 'returns_on_flows' and parameter == 'multiplier'"
        )
        for row in rows.itertuples():
            notes.append(
                f"On the {row.asset} spot-ETF flows the same-day multiplier is M = "
                f"{row.estimate:.0f} (95% interval {row.ci_low:.0f} to {row.ci_high:.0f}, "
                f"{row.n_obs} days), against the study's M = "
                f"{run.scenarios[0].impact.multiplier:g}; flows also follow prices, so this "
                "bounds M from above (see the calibration section)."
            )
    return "<p class=\"note\">" + " ".join(notes) + "</p>"


def fan_figures(
    run: StudyRun, source: str, bands: Mapping[int, np.ndarray] | None = None
) -> list[go.Figure]:
    """The fan charts, one per asset: one scenario at a time against the baseline, the
    scenario's grid values in menus that start on the headline scenario.

    ``bands`` (scenario index → [5th/50th/95th, day, asset] close) draws those scenarios
    instead of the run's drawn ones (``run.fans``), with menus over the values they span.
    """
    drawn, axes = drawn_scenarios(run.study, run.scenarios)
    if bands is not None:
        drawn = list(bands)
        axes = {
            key.split(".", 1)[1]: list(dict.fromkeys(run.scenarios[i].axes[key] for i in drawn))
            for key in run.study.grid_axes
        }
    chosen_bands = bands if bands is not None else {i: run.fans.impacted[i] for i in drawn}
    # [band, drawn scenario, day, asset]: the 5th, 50th and 95th percentile over paths, which
    # the run's chunks computed for exactly these scenarios (it keeps no full paths)
    stacked = np.stack([chosen_bands[i] for i in drawn], axis=1)
    baseline = np.percentile(run.baseline.close_usd, figures.BAND, axis=0)
    announcement = pd.Timestamp(run.scenarios[0].inflow.announcement_day)
    # the dropdowns start on their first values: the headline scenario's come first
    chosen = headline_rule.headline_axes(run.study)
    menus = {
        axis: _first(values, chosen.get(_key_of(run, axis))) for axis, values in axes.items()
    }
    start = run.baseline.days[0]
    figs = []
    for a, asset in enumerate(run.baseline.assets):
        close = run.prices[asset]["close"]
        figs.append(
            figures.fan_chart_picker(
                run.baseline.days,
                baseline[:, :, a],
                [(_other_values(run.scenarios[i], menus), stacked[:, k, :, a])
                 for k, i in enumerate(drawn)],
                asset,
                axes=menus,
                history_usd=close[close.index >= start],
                last_history_day=run.baseline.last_history_day,
                announcement=announcement,
                source=source,
            )
        )
    return figs


def _paths(run: StudyRun, source: str, headline: Mapping[str, Any]) -> Section:
    drawn, _ = drawn_scenarios(run.study, run.scenarios)
    figs = fan_figures(run, source)
    limited = (
        f" The chart holds {len(drawn)} of the {len(run.scenarios)} scenarios (at most "
        f"{MAX_DRAWN}; every one is in scenarios.csv)."
        if len(drawn) < len(run.scenarios)
        else ""
    )
    intro = (
        "<p>History (black) up to the last stored bar, then seeded stationary "
        "block-bootstrap paths of historical daily returns (BTC and ETH resampled on the same "
        "days). Each chart shows one scenario (blue) against the baseline without the inflow "
        "(grey); the menus above it pick the scenario's grid values, starting on the headline "
        f"scenario ({html.escape(headline_rule.RULE)}). Bands are the 5th-95th percentile over "
        f"that scenario's paths.{limited}</p>"
    )
    return Section("Price paths", intro, figures=figs)


def _first(values: Sequence[object], chosen: object) -> list[object]:
    """``values`` with ``chosen`` (when among them) moved to the front, the rest in order."""
    return [v for v in values if v == chosen] + [v for v in values if v != chosen]


def _key_of(run: StudyRun, name: str) -> AxisKey:
    """The grid key (``inflow.allocation``) of an axis name (``allocation``)."""
    return next((key for key in run.study.grid_axes if key.name == name), AxisKey(name))


def report_inflows(run: StudyRun) -> dict[str, Mapping[str, object]]:
    """The inflow schedules this run's report draws: ``drawn_inflows``, or with ``[compute]
    write_flows = "headline"`` (the scheduler's dated folders) one per allocation at the
    headline's other inflow values."""
    if (run.compute or run.study.compute).flows_written != "headline":
        return drawn_inflows(run.scenarios, run.inputs.by_inflow)
    fixed = headline_rule.fixed_axes(run.study, [])
    chosen = [
        s for s in run.scenarios
        if all(
            fixed[key.split(".", 1)[1]] == value
            for key, value in s.axes.items()
            if key.startswith("inflow.") and key.split(".", 1)[1] in fixed
        )
    ]
    return drawn_inflows(chosen, run.inputs.by_inflow)


def _drawn_inflows(run: StudyRun) -> dict[str, Mapping[str, object]]:
    return report_inflows(run)


def _other_values(scenario: Scenario, others: dict[str, list[object]]) -> dict[str, object]:
    return {key.name: value for key, value in scenario.axes.items() if key.name in others}


def flow_figure(run: StudyRun) -> go.Figure:
    """The flow schedules' chart: cumulative USD per drawn schedule, other values in menus."""
    columns = {}
    drawn = _drawn_inflows(run)
    for label, schedule in run.inputs.by_inflow.items():
        if label not in drawn:
            continue
        cumulative = schedule.net_flow_usd.cumsum()
        for asset in cumulative.columns:
            columns[(label, asset)] = cumulative[asset]
    extra = run.inputs.extra_flows
    for asset, cumulative in (extra.total_usd.cumsum() if extra else pd.DataFrame()).items():
        columns[("[flows] tables, in every scenario", asset)] = cumulative
    frame = pd.DataFrame(columns)
    return figures.flow_schedules_picker(
        frame,
        drawn,
        source="flowimpact 401(k) inflow model (strategies.inflow); parameters in run.json",
    )


def _flows(run: StudyRun) -> Section:
    drawn = _drawn_inflows(run)
    extra = run.inputs.extra_flows
    figure = flow_figure(run)
    summary = summary_table(run.inputs.by_inflow, extra)
    intro = (
        "<p>Direct net flows into each asset (reallocation of balances during the ramp, payroll "
        "contributions on US settlement days, withdrawals), cumulative, one line per allocation; "
        "the menus pick the other inflow values. The full schedules are in flows.csv."
        + (
            f" The chart draws {len(drawn)} of the {len(run.inputs.by_inflow)} schedules (at "
            f"most {MAX_DRAWN}, each axis's range kept)."
            if len(drawn) < len(run.inputs.by_inflow)
            else ""
        )
        + "</p>"
        + _flow_tables_note(run)
    )
    return Section(
        "Flow schedules",
        intro,
        figures=[figure],
        tables=[("Totals over the study window, per distinct inflow scenario.", summary)],
    )


def _flow_tables_note(run: StudyRun) -> str:
    """Which ``[flows]`` tables every scenario carries, and what fell outside the window."""
    extra = run.inputs.extra_flows
    if extra is None:
        return ""
    dropped = [
        f"{html.escape(label)} ${usd / USD_PER_BILLION:,.2f} bn"
        for label, usd in extra.outside_usd.items()
        if usd != 0.0
    ]
    return (
        "<p>Every scenario also carries the dated flows of the study's <code>[flows]</code> "
        f"tables: {html.escape(', '.join(extra.by_source))} (rows <code>[flows] ...</code> "
        "below; scenarios.csv's <code>flow_source</code> names what each scenario and asset "
        "carries). Days inside the window that are history already hold whatever those flows "
        "did to the price, so a table adds to history as well as to the bootstrap paths."
        + (f" Left out, dated outside the window: {'; '.join(dropped)}." if dropped else "")
        + "</p>"
    )


def _portfolios(run: StudyRun, source: str) -> Section:
    strategies = run.study.evaluate.strategies
    table = run.table
    rows = []
    for strategy in strategies:
        for asset, group in table.groupby("asset", sort=False):
            row: dict[str, object] = {"strategy": strategy, "asset": asset}
            base = (
                group[f"{strategy}_total_return_pct_p50"]
                - group[f"{strategy}_total_return_pct_vs_baseline_p50"]
            )
            row["baseline return %"] = float(base.median())
            for (allocation, model), cell in group.groupby(["allocation", "model"], sort=True):
                row[f"{allocation:.0%} {model}"] = float(
                    cell[f"{strategy}_total_return_pct_vs_baseline_p50"].median()
                )
            rows.append(row)
    intro = (
        "<p>What the inflow does to each portfolio: the median over paths of (total return on "
        "the impacted path minus total return of the same portfolio on the baseline path), in "
        "percentage points, then the median over the other grid axes "
        f"({html.escape(_other_axes(run, ['model']))}). "
        "<b>baseline return %</b> is the portfolio's median return without the inflow, for "
        "scale. Strategies: "
        + "; ".join(
            f"<b>{html.escape(n)}</b>: {html.escape(STRATEGIES.get(n, n))}" for n in strategies
        )
        + ". Every scenario's CAGR, Sharpe, Sortino and maximum drawdown, with 5th/50th/95th "
        f"percentiles, are in scenarios.csv. Prices: {html.escape(source)}.</p>"
    )
    return Section(
        "Portfolios",
        intro,
        tables=[("Return added by the inflow (percentage points), median.", pd.DataFrame(rows))],
    )


def _assumptions(run: StudyRun, manifest: dict[str, Any]) -> Section:
    models: dict[str, str] = {}
    for scenario in run.scenarios:
        model = impact_model(scenario.impact)
        models.setdefault(type(model).__name__, inspect.getdoc(model) or "")
    model_html = "".join(
        f"<h3>{html.escape(name)}</h3><pre>{html.escape(doc)}</pre>" for name, doc in models.items()
    )
    data = pd.DataFrame(manifest["data"])
    credits = (
        f"<p>Prices: {html.escape(price_source(run.study.data, run.price_sources))} candles "
        "as stored in the "
        "flowimpact data directory (fetched through ccxt or imported from CSV). ETF flows: "
        "Farside Investors' public Bitcoin and Ethereum ETF flow tables. 401(k) assets: ICI "
        "(2025-03-31). Contribution limits: IRS 2025. Every default's source is in its config "
        "class's docstring; the values used are below.</p>"
    )
    config = html.escape(json.dumps(manifest["config"], indent=2, default=str))
    versions = ", ".join(f"{k} {v}" for k, v in manifest["versions"].items())
    outro = (
        f"<h3>Resolved study</h3><pre>{config}</pre>"
        f'<p class="note">Versions: {html.escape(versions)}. Time taken before this page: '
        f"{manifest['seconds_total']:.1f} s, in {manifest['compute']['chunks']} chunk(s).</p>"
    )
    return Section(
        "Models, assumptions and data sources",
        "<p>Impact models used in this study:</p>" + model_html + credits,
        tables=[("Data used (sha256 of close and volume).", data)],
        outro_html=outro,
    )
