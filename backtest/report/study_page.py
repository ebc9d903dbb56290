"""The sections of report.html for a study run: the answer, paths, flows, portfolios, sources."""

from __future__ import annotations

import html
import inspect
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backtest.report import dollars, evidence_section, figures, hindcast_sections, picker
from backtest.report.analogs_sections import outcome_sections
from backtest.report.html import Section, table_html, write_report
from backtest.report.level_set_section import level_set_section
from backtest.report.sensitivity_page import tornado_section
from backtest.report.sources import price_source
from backtest.sim.evaluate_config import STRATEGIES
from backtest.sim.impact import impact_model
from backtest.study.config import Scenario, Study
from backtest.study.results import StudyRun
from backtest.study.schedules import inflow_axes, summary_table
from flowimpact.units import USD_PER_BILLION

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
    sections[:0] = [s for s in [evidence_section.answer_section(run, sources)] if s]  # φ first
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
    # a reallocation-share axis is two readings of the same allocation: rows, not columns
    rows = ["asset", "model"]
    if _is_axis(run, "reallocation_share"):
        rows.append("reallocation_share")

    def pivot(quantile: str, how: str) -> pd.DataFrame:
        return table.pivot_table(
            index=rows, columns="allocation", values=f"{UPLIFT}_{quantile}", aggfunc=how
        )

    headline, low, high = pivot("p50", "median"), pivot("p05", "min"), pivot("p95", "max")
    cells = headline.copy().astype(object)
    for column in headline.columns:
        cells[column] = [
            f"{m:+.1f}% [{lo:+.1f}, {hi:+.1f}]"
            for m, lo, hi in zip(headline[column], low[column], high[column], strict=True)
        ]
    cells.columns = [figures.allocation_text(a) for a in headline.columns]
    cells = cells.reset_index()
    if "reallocation_share" in cells.columns:
        cells["reallocation_share"] = [f"{v:g}" for v in cells["reallocation_share"]]
        cells = cells.rename(columns={"reallocation_share": dollars.SHARE_COLUMN})
    inflow = run.scenarios[0].inflow
    question = (
        "<p>If a share of the US 401(k) plans' assets "
        f"(${inflow.plan_assets_usd / 1e12:.1f} trillion, ICI) flows into crypto after the "
        f"{inflow.announcement} executive order, how far does it lift each price by {horizon}? "
        "Median price uplift [5th, 95th percentile]:</p>"
    )
    money = (
        f'<div><p class="note"><b>The dollars behind each allocation</b>: USD bn reaching each '
        f"asset by {horizon} in the model (medians over the other grid axes) beside the "
        "sources' count; reallocated + payroll + withdrawn = both.</p>"
        f"{table_html(dollars.dollars_table(run), float_format='{:,.1f}')}"
        f'<p class="note">{dollars.why_they_differ(run)}</p></div>'
    )
    reading = (
        "<p>Each cell is the median over the study's scenarios with that allocation and model "
        f"(other grid axes: {html.escape(_other_axes(run, rows))}) of the median over bootstrap "
        "paths; brackets give the widest 5th-95th percentile range over those scenarios and "
        "paths. The uplift is the impacted price over the baseline on the same path, so market "
        "direction cancels out: this is the inflow's effect, not a price forecast.</p>"
    )
    return Section(
        "The answer",
        question
        + f'<div class="answer"><div>{table_html(cells)}</div>{money}</div>'
        + reading
        + _reading_notes(run),
        figures=[figures.impact_by_allocation(table, value=UPLIFT, source=source)],
    )


def _is_axis(run: StudyRun, key: str) -> bool:
    return key in run.table.columns and run.table[key].nunique() > 1


def _other_axes(run: StudyRun, shown: list[str]) -> str:
    names = [key.split(".", 1)[1] for key in run.study.grid_axes]
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


def _paths(run: StudyRun, source: str) -> Section:
    drawn, axes = drawn_scenarios(run.study, run.scenarios)
    # [band, drawn scenario, day, asset]: the 5th, 50th and 95th percentile over paths, which
    # the run's chunks computed for exactly these scenarios (it keeps no full paths)
    bands = np.stack([run.fans.impacted[i] for i in drawn], axis=1)
    baseline = np.percentile(run.baseline.close_usd, figures.BAND, axis=0)
    announcement = pd.Timestamp(run.scenarios[0].inflow.announcement_day)
    others = {axis: values for axis, values in axes.items() if axis != "allocation"}
    figs = []
    for a, asset in enumerate(run.baseline.assets):
        scenario_bands = [
            (_other_values(run.scenarios[i], others), _allocation_name(run.scenarios[i]),
             bands[:, k, :, a])
            for k, i in enumerate(drawn)
        ]
        figs.append(
            figures.fan_chart_picker(
                run.baseline.days,
                baseline[:, :, a],
                scenario_bands,
                asset,
                axes=others,
                last_history_day=run.baseline.last_history_day,
                announcement=announcement,
                source=source,
            )
        )
    chosen = "; ".join(f"{axis}: {', '.join(map(str, v))}" for axis, v in others.items())
    limited = (
        f" The chart holds {len(drawn)} of the {len(run.scenarios)} scenarios (at most "
        f"{MAX_DRAWN}; every one is in scenarios.csv)."
        if len(drawn) < len(run.scenarios)
        else ""
    )
    intro = (
        "<p>History up to the last stored bar, then seeded stationary block-bootstrap paths of "
        "historical daily returns (BTC and ETH resampled on the same days). One line per "
        "allocation; the menus above each chart pick the scenario's other grid values"
        f"{' (' + html.escape(chosen) + ')' if chosen else ''}. Bands are the 5th-95th "
        f"percentile over paths.{limited}</p>"
    )
    return Section("Price paths", intro, figures=figs)


#: scenarios a fan chart draws at most (each is three lines of about 500 points per asset)
MAX_DRAWN = 96


def _grid_values(study: Study) -> dict[str, list[object]]:
    """Every grid axis by its key name (``lag_months``), values in grid order."""
    return {key.split(".", 1)[1]: list(values) for key, values in study.grid_axes.items()}


def drawn_scenarios(
    study: Study, scenarios: Sequence[Scenario]
) -> tuple[list[int], dict[str, list[object]]]:
    """The scenarios the charts draw (all, unless over ``MAX_DRAWN``) and the axes they span.

    It depends on the grid only, so the run knows it before any chunk runs: each chunk returns
    the fan bands of the drawn scenarios it holds.
    """
    axes = picker.bounded_axes(_grid_values(study), MAX_DRAWN)
    drawn = [
        index
        for index, scenario in enumerate(scenarios)
        if all(value in axes[key.split(".", 1)[1]] for key, value in scenario.axes.items())
    ]
    return drawn, axes


def drawn_inflows(
    scenarios: Sequence[Scenario], schedules: Iterable[str]
) -> dict[str, Mapping[str, object]]:
    """The inflow schedules the flow charts draw: label → grid values, at most ``MAX_DRAWN``.

    ``schedules`` are the run's schedule labels; ``[compute] write_flows = "drawn"`` writes
    these to flows.csv.
    """
    axes_of = inflow_axes(scenarios)
    scheduled = {label: axes_of[label] for label in schedules if label in axes_of}
    return picker.bounded_labels(scheduled, MAX_DRAWN)


def _drawn_inflows(run: StudyRun) -> dict[str, Mapping[str, object]]:
    return drawn_inflows(run.scenarios, run.inputs.by_inflow)


def _other_values(scenario: Scenario, others: dict[str, list[object]]) -> dict[str, object]:
    return {
        key.split(".", 1)[1]: value
        for key, value in scenario.axes.items()
        if key.split(".", 1)[1] in others
    }


def _allocation_name(scenario: Scenario) -> str:
    return figures.allocation_text(scenario.inflow.allocation)


def _flows(run: StudyRun) -> Section:
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
    figure = figures.flow_schedules_picker(
        frame,
        drawn,
        source="flowimpact 401(k) inflow model (strategies.inflow); parameters in run.json",
    )
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
        f"{manifest['seconds_total']:.1f} s, in {manifest['chunks']} chunk(s).</p>"
    )
    return Section(
        "Models, assumptions and data sources",
        "<p>Impact models used in this study:</p>" + model_html + credits,
        tables=[("Data used (sha256 of close and volume).", data)],
        outro_html=outro,
    )
