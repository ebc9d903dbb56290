"""The sections of report.html for a study run: the answer, paths, flows, portfolios, sources."""

from __future__ import annotations

import html
import inspect
import json
from pathlib import Path
from typing import Any

import pandas as pd

from backtest.report import figures, hindcast_sections
from backtest.report.analogs_sections import outcome_sections
from backtest.report.html import Section, table_html, write_report
from backtest.report.sources import price_source
from backtest.sim.evaluate_config import STRATEGIES
from backtest.sim.impact import impact_model
from backtest.study.results import StudyRun
from backtest.study.schedules import summary_table

UPLIFT = "price_uplift_at_horizon_pct"


def write(run: StudyRun, path: Path, manifest: dict[str, Any]) -> Path:
    """Assemble every section and write the page atomically."""
    sources = _price_source(manifest)
    sections = [
        _answer(run, sources),
        _paths(run, sources),
        _flows(run),
        _portfolios(run, sources),
    ]
    venue = price_source(run.study.data, run.price_sources)
    sections.extend(outcome_sections(run.analogs, prices=venue))
    sections.extend(hindcast_sections.outcome_sections(run.analogs, manifest))
    sections.append(_assumptions(run, manifest))
    subtitle = html.escape(
        f"{run.study.study.name} · run {manifest['run_id']} · {manifest['finished_utc'][:19]} UTC"
        f" · prices to {run.last_candle_day} · {len(run.scenarios)} scenarios × "
        f"{run.baseline.n_paths} paths · study: {run.study.source}"
    )
    for warning in run.warnings:
        subtitle += f'<br><b class="warning">Warning: {html.escape(warning)}</b>'
    return write_report(path, "flowimpact: 401(k) inflows and crypto prices", subtitle, sections)


def _price_source(manifest: dict[str, Any]) -> str:
    parts = [
        f"{d['exchange']} {d['symbol']} {d['timeframe']} candles "
        f"{d['first'][:10]}..{d['last'][:10]}"
        for d in manifest["data"]
        if d["table"] == "prices"
    ]
    return "; ".join(parts) + "; bootstrap paths past the last bar; flowimpact impact model"


def _answer(run: StudyRun, source: str) -> Section:
    table = run.table
    horizon = run.baseline.days[-1].date()
    headline = table.pivot_table(
        index=["asset", "model"], columns="allocation", values=f"{UPLIFT}_p50", aggfunc="median"
    )
    low = table.pivot_table(
        index=["asset", "model"], columns="allocation", values=f"{UPLIFT}_p05", aggfunc="min"
    )
    high = table.pivot_table(
        index=["asset", "model"], columns="allocation", values=f"{UPLIFT}_p95", aggfunc="max"
    )
    cells = headline.copy().astype(object)
    for column in headline.columns:
        cells[column] = [
            f"{m:+.1f}% [{lo:+.1f}, {hi:+.1f}]"
            for m, lo, hi in zip(headline[column], low[column], high[column], strict=True)
        ]
    cells.columns = [f"{a:.0%} allocation" for a in headline.columns]
    inflow = run.scenarios[0].inflow
    intro = (
        "<p>The question: if a share of the US 401(k) plans' assets "
        f"(${inflow.plan_assets_usd / 1e12:.1f} trillion, ICI) flows into crypto after the "
        f"{inflow.announcement} executive order, phased in over months and then paid in on every "
        f"payday, how far does it lift the price of each asset by {horizon}? Each cell is the "
        "median over the study's scenarios with that allocation and model (other grid axes: lag "
        "and ramp) of the median over bootstrap paths; brackets give the widest 5th-95th "
        "percentile range over those scenarios and paths. The uplift is the impacted price over "
        "the baseline on the same path, so market direction cancels out: this is the inflow's "
        "effect, not a price forecast.</p>"
    )
    flows = table.groupby(["allocation", "asset"])["cum_flow_usd_p50"].median().unstack() / 1e9
    flows.columns = [f"{asset} (USD bn)" for asset in flows.columns]
    flows.index = [f"{a:.0%}" for a in flows.index]
    return Section(
        "The answer",
        intro + table_html(cells.reset_index()) + _reading_notes(run),
        figures=[figures.impact_by_allocation(table, value=UPLIFT, source=source)],
        tables=[
            (
                f"Net 401(k) dollars that reach each asset by {horizon} (median over scenarios "
                "and paths): the ramp and the payroll stream, less withdrawals.",
                flows.rename_axis("allocation").reset_index(),
            )
        ],
    )


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


def _paths(run: StudyRun, source: str) -> Section:
    chosen = _fan_scenarios(run)
    figs = []
    announcement = pd.Timestamp(run.scenarios[0].inflow.announcement_day)
    for a, asset in enumerate(run.baseline.assets):
        figs.append(
            figures.fan_chart(
                run.baseline.days,
                run.baseline.close_usd[:, :, a],
                [run.engine.array("close_usd")[i, :, :, a] for i in chosen],
                [run.scenarios[i].label for i in chosen],
                asset,
                last_history_day=run.baseline.last_history_day,
                announcement=announcement,
                source=source,
            )
        )
    intro = (
        "<p>History up to the last stored bar, then seeded stationary block-bootstrap paths of "
        "historical daily returns (BTC and ETH resampled on the same days). Shown: one scenario "
        "per allocation (the first value of every other axis); bands are the 5th-95th percentile "
        "over paths.</p>"
    )
    return Section("Price paths", intro, figures=figs)


def _fan_scenarios(run: StudyRun) -> list[int]:
    first: dict[float, int] = {}
    reference = run.scenarios[0].axes
    for index, scenario in enumerate(run.scenarios):
        others_first = all(
            scenario.axes[key] == reference[key]
            for key in scenario.axes
            if key != "inflow.allocation"
        )
        if others_first:
            first.setdefault(scenario.inflow.allocation, index)
    return list(first.values())


def _flows(run: StudyRun) -> Section:
    columns = {}
    for label, schedule in run.inputs.by_inflow.items():
        cumulative = schedule.net_flow_usd.cumsum()
        for asset in cumulative.columns:
            columns[(label, asset)] = cumulative[asset]
    extra = run.inputs.extra_flows
    for asset, cumulative in (extra.total_usd.cumsum() if extra else pd.DataFrame()).items():
        columns[("[flows] tables, in every scenario", asset)] = cumulative
    frame = pd.DataFrame(columns)
    figure = figures.flow_schedules(
        frame, source="flowimpact 401(k) inflow model (strategies.inflow); parameters in run.json"
    )
    summary = summary_table(run.inputs.by_inflow, extra)
    intro = (
        "<p>Direct net flows into each asset (reallocation of balances during the ramp, payroll "
        "contributions on US settlement days, withdrawals), cumulative, one line per distinct "
        "inflow scenario. The full schedules are in flows.csv.</p>" + _flow_tables_note(run)
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
        f"{html.escape(label)} ${usd / 1e9:,.2f} bn" for label, usd in extra.outside_usd.items()
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
        "percentage points, then the median over the other grid axes (lag, ramp). "
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
        f'<p class="note">Versions: {html.escape(versions)}. Time taken: '
        f"{manifest['seconds_total']:.1f} s.</p>"
    )
    return Section(
        "Models, assumptions and data sources",
        "<p>Impact models used in this study:</p>" + model_html + credits,
        tables=[("Data used (sha256 of close and volume).", data)],
        outro_html=outro,
    )
