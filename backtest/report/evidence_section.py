"""The answer indexed by φ: what the record allows, the uplift against φ, and the table by φ.

Shown when the study has an ``[impact] etf_explained_share`` axis (``backtest.study.evidence``).
φ is the share of the reference asset's ETF-era log move that the hindcast attributes to its ETF
flows under a model's parameter; every scenario's parameter was solved for its φ. The section
holds:

- one paragraph on φ and the record: the φ the same-day calibrated values imply (an upper
  reading, as flows also follow prices) and the zero-drift bootstrap of the window's log return
  (``backtest.study.level_set.noise_row``, as hindcast_noise.csv) beside the realized move, the
  reason the record cannot bound φ from below;
- the answer table: rows φ, columns allocation, one block per asset, model and reallocation
  reading; each cell one scenario's median uplift at the horizon and its 5-95 % path band (the
  other ``[inflow]`` axes at their first value, said under the table);
- a chart of the uplift against φ (log axis, 0.05-1), a panel per asset and allocation, a line
  per model and reallocation reading with its path band shaded, and the φ of the parameters as
  given (M = 5, Y = 1 by default) as dotted reference lines.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtest.analogs.hindcast import PARAMETER_KEY, with_parameter
from backtest.report import figures
from backtest.report.html import Section, table_html
from backtest.study.config import Study
from backtest.study.evidence import Evidence
from backtest.study.evidence_config import SHARE_AXIS, SHARE_KEY
from backtest.study.level_set import model_impacts as given_impacts
from backtest.study.level_set import noise_row
from backtest.study.results import StudyRun
from backtest.study.sensitivity.evidence import IMPLIED_COLUMN, share_of_box

UPLIFT = "price_uplift_at_horizon_pct"
PHI_RANGE = (0.05, 1.0)
READING = "reallocation_share"


def answer_section(run: StudyRun, source: str) -> Section | None:
    """The φ-indexed answer, or None when the study has no ``etf_explained_share`` axis."""
    evidence = run.analogs.evidence
    if SHARE_AXIS not in run.study.grid_axes or evidence is None:
        return None
    rows = answer_rows(run.table, run.study)
    lines = evidence.reference_lines(given_impacts(run.study))
    horizon = run.baseline.days[-1].date()
    fixed = fixed_axes(run.study)
    note = (
        f'<p class="note">Each cell is one scenario: the median over its bootstrap paths of the '
        f"price uplift at {horizon} (impacted over baseline on the same path) and, in brackets, "
        "the 5th-95th percentile of those paths. Other grid axes at "
        f"{html.escape(fixed or 'their only value')}. {html.escape(reference_text(lines))}</p>"
    )
    first, last, _ = evidence.window
    question = (
        f"<p>Median price uplift at {horizon} [5th, 95th percentile of the paths], by φ: the "
        f"share of {evidence.config.reference}'s ETF-era move ({first} to {last}) that the "
        "ETF flows explain under each scenario's solved parameter.</p>"
    )
    return Section(
        "The answer by what the ETF flows did",
        question
        + f'<div class="answer-phi">{table_html(cells(rows))}</div>'
        + note
        + record_paragraph(run, evidence, lines),
        figures=[uplift_against_share(rows, lines, source=source)],
    )


def fixed_axes(study: Study) -> str:
    """The first value of every ``[inflow]`` axis the answer does not index (text)."""
    shown = {"inflow.allocation", f"inflow.{READING}"}
    return ", ".join(
        f"{key.split('.', 1)[1]} = {values[0]}"
        for key, values in study.grid_axes.items()
        if key.startswith("inflow.") and key not in shown
    )


def answer_rows(table: pd.DataFrame, study: Study) -> pd.DataFrame:
    """scenarios.csv's rows at the first value of every other ``[inflow]`` axis."""
    keep = pd.Series(True, index=table.index)
    for key, values in study.grid_axes.items():
        section, name = key.split(".", 1)
        if section == "inflow" and name not in ("allocation", READING) and name in table:
            keep &= table[name] == values[0]
    if READING not in table:
        table = table.assign(**{READING: study.inflow.reallocation_share})
    return table[keep]


def cells(rows: pd.DataFrame) -> pd.DataFrame:
    """The answer table: (asset, model, reading, φ) × allocation, "median [p05, p95]" text."""
    index = ["asset", "model", READING, SHARE_KEY]
    frame = rows.set_index([*index, "allocation"])[[f"{UPLIFT}_p{q}" for q in ("50", "05", "95")]]
    text = frame.apply(lambda r: f"{r.iloc[0]:+.1f}% [{r.iloc[1]:+.1f}, {r.iloc[2]:+.1f}]", axis=1)
    out = text.unstack("allocation")
    out.columns = [figures.allocation_text(a) for a in out.columns]
    out = out.reset_index()
    return out.rename(columns={READING: "reallocation share", SHARE_KEY: "φ"})


def record_paragraph(run: StudyRun, evidence: Evidence, lines: pd.DataFrame) -> str:
    """What φ is, the calibrated values' φ (upper reading), the bootstrap's noise band."""
    reference = evidence.config.reference
    first, last, realized_bps = evidence.window
    noise = noise_band_bps(run, evidence)
    calibrated = calibrated_shares(run, evidence)
    upper = (
        "; ".join(f"{k} gives φ = {v:.2f}" for k, v in calibrated.items())
        or "no same-day calibration ran"
    )
    text = (
        f"<p><b>φ</b> is the share of {reference}'s log move over its ETF era ({first} to "
        f"{last}, {realized_bps:+,.0f} bps) that the hindcast attributes to the ETF flows under a "
        "model's parameter; each scenario's parameter was solved for its φ, and the answer below "
        "is read by φ. The record bounds φ only loosely. From above: the same-day calibration "
        f"on the ETF flows ({upper}) is an upper reading, because flows also follow prices. From "
        f"below, not at all: without any flow a zero-drift bootstrap of the same "
        f"{evidence.reference.days.size}-day window has a standard deviation of "
        f"{noise['std']:,.0f} bps (5-95 %: {noise['p05']:+,.0f} to {noise['p95']:+,.0f} bps) "
        f"against the realized {realized_bps:+,.0f} bps, so a market without the ETFs could "
        "have moved as far.</p>"
    )
    return text


def noise_band_bps(run: StudyRun, evidence: Evidence) -> Mapping[str, float]:
    """std, 5th and 95th percentile (bps) of the window's zero-drift bootstrap log return."""
    row = noise_row(evidence.reference, run.prices[evidence.config.reference], run.study)
    return {
        "std": float(row["bootstrap_std_bps"]),  # type: ignore[arg-type]
        "p05": float(row["bootstrap_p05_bps"]),  # type: ignore[arg-type]
        "p95": float(row["bootstrap_p95_bps"]),  # type: ignore[arg-type]
    }


def calibrated_shares(run: StudyRun, evidence: Evidence) -> dict[str, float]:
    """``"M = 60"`` -> φ of the reference's same-day calibrated value, per model of the study."""
    calibration = run.analogs.calibration
    if calibration is None:
        return {}
    table = calibration.table
    out = {}
    for impact in given_impacts(run.study):
        key = PARAMETER_KEY[impact.model]
        found = table[
            (table["asset"] == evidence.config.reference)
            & (table["direction"] == "returns_on_flows")
            & (table["parameter"] == key)
        ]
        if found.empty or not math.isfinite(float(found["estimate"].iloc[0])):
            continue
        value = float(found["estimate"].iloc[0])
        if value <= 0:
            continue
        share = evidence.implied_shares(with_parameter(impact, value))[evidence.config.reference]
        out[f"{parameter_text(key, value)}"] = share
    return out


def parameter_text(key: str, value: float) -> str:
    names = {"multiplier": "M", "sqrt_y": "Y", "lambda_per_billion_usd": "λ per $1 bn"}
    return f"{names.get(key, key)} = {value:.3g}"


def reference_text(lines: pd.DataFrame) -> str:
    """'The parameters as given: M = 5 implies φ = 0.11 on BTC (ETH 0.45); ...'."""
    parts = []
    for row in lines.to_dict("records"):
        others = ", ".join(
            f"{k.removeprefix('implied_share_')} {v:.2f}"
            for k, v in row.items()
            if k.startswith("implied_share_") and v != row[SHARE_KEY]
        )
        parts.append(
            f"{parameter_text(row['parameter'], row['value'])} implies φ = "
            f"{row[SHARE_KEY]:.3g}" + (f" (elsewhere: {others})" if others else "")
        )
    return "The parameters as given: " + "; ".join(parts) + "." if parts else ""


def uplift_against_share(rows: pd.DataFrame, lines: pd.DataFrame, *, source: str) -> go.Figure:
    """Uplift against φ (log x), a panel per asset and allocation, a line per model and reading."""
    assets = list(dict.fromkeys(rows["asset"]))
    allocations = sorted(rows["allocation"].unique())
    series = list(rows.groupby(["model", READING], sort=False).groups)
    traces: list[go.Scatter] = []
    for r, asset in enumerate(assets, start=1):
        for c, allocation in enumerate(allocations, start=1):
            panel = rows[(rows["asset"] == asset) & (rows["allocation"] == allocation)]
            # the panel's axes as make_subplots names them: numbered row by row from the top left
            k = (r - 1) * len(allocations) + c
            at = {"xaxis": f"x{k}" if k > 1 else "x", "yaxis": f"y{k}" if k > 1 else "y"}
            for index, (model, reading) in enumerate(series):
                line = panel[(panel["model"] == model) & (panel[READING] == reading)]
                line = line.sort_values(SHARE_KEY)
                color = figures.COLORS[index % len(figures.COLORS)]
                name = f"{model}, reallocation {reading:g}"
                x = line[SHARE_KEY].to_numpy(float)
                traces += [
                    figures.scatter(x=x, y=line[f"{UPLIFT}_p95"], line={"width": 0},
                                    showlegend=False, hoverinfo="skip", legendgroup=name, **at),
                    figures.scatter(x=x, y=line[f"{UPLIFT}_p05"], line={"width": 0},
                                    fill="tonexty", fillcolor=_rgba(color, 0.15),
                                    showlegend=False, hoverinfo="skip", legendgroup=name, **at),
                    figures.scatter(x=x, y=line[f"{UPLIFT}_p50"], name=name,
                                    mode="lines+markers", line={"color": color},
                                    legendgroup=name, showlegend=r == 1 and c == 1, **at),
                ]  # fmt: skip
    # the traces go in unchecked, already on their panels (plotly's add_traces with rows and
    # cols would build each again, checked); the grid is laid over them
    figure = make_subplots(
        rows=len(assets),
        cols=len(allocations),
        subplot_titles=[f"{a} · {figures.allocation_text(x)}" for a in assets for x in allocations],
        figure=figures.unchecked_figure(traces),
    )
    for r in range(1, len(assets) + 1):
        for c in range(1, len(allocations) + 1):
            figure.update_xaxes(
                type="log", range=[math.log10(PHI_RANGE[0]), math.log10(PHI_RANGE[1])],
                title_text="φ (share of the ETF-era move)" if r == len(assets) else None,
                row=r, col=c,
            )  # fmt: skip
    marks = [
        (share, f"{parameter_text(row['parameter'], row['value'])}: φ {share:.2f}")
        for row in lines.to_dict("records")
        if PHI_RANGE[0] <= (share := float(row[SHARE_KEY])) <= PHI_RANGE[1]
    ]
    panels = [
        (f"x{k}" if k > 1 else "x", f"y{k}" if k > 1 else "y")
        for k in range(1, len(assets) * len(allocations) + 1)
    ]
    figures.marked_on_every_panel(figure, panels, marks, log_x=True)
    figure.update_yaxes(title_text="price uplift at horizon (%)", col=1)
    figure.update_layout(
        title="Price uplift at the horizon against φ (median, 5-95 % path band)",
        height=320 * len(assets) + 120,
    )
    return figures.with_source(figure, source)


def share_of_box_note(samples: pd.DataFrame) -> str:
    """The share of a sensitivity box with φ > 1 and φ > 0.5, per model ("" without φ)."""
    above_one, above_half = share_of_box(samples, 1.0), share_of_box(samples, 0.5)
    if not above_one:
        return (
            '<p class="note">No φ: the reference asset has no stored ETF-flow table, so the '
            "samples' implied share of its ETF-era move is not known.</p>"
        )
    parts = [
        f"{html.escape(model)}: {above_one[model]:.0%} of the box has φ > 1 (the ETF flows "
        f"explaining more than the whole move), {above_half[model]:.0%} φ > 0.5"
        for model in above_one
    ]
    return (
        '<p class="note">What the box implies on the record (column '
        f"{IMPLIED_COLUMN} of sensitivity_samples.csv): " + "; ".join(parts) + ".</p>"
    )


def _rgba(hex_color: str, alpha: float) -> str:
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


__all__ = ["answer_rows", "answer_section", "cells", "share_of_box_note", "uplift_against_share"]
