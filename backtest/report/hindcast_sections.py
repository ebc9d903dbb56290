"""The hindcast in report.html: realized vs implied no-ETF prices, tables, a paragraph per asset.

``hindcast_sections`` is the section of ``run``'s report and the body of the hindcast's own
page (``write_hindcast_page``); ``over_explained_note`` is the calibration section's pointer to
it when a calibrated value explains more than the whole realized move.
"""

from __future__ import annotations

import html
import inspect
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from backtest.analogs import hindcast as hindcast_module
from backtest.analogs.hindcast import HindcastResult
from backtest.report.figures import COLORS, with_source
from backtest.report.html import Section, write_report
from backtest.report.level_set_section import level_set_section
from backtest.sim.models import SPECS
from backtest.study.analogs_step import AnalogsOutcome
from backtest.study.results import HindcastRun
from flowimpact.units import BPS_PER_UNIT, USD_PER_BILLION

TITLE = "What the ETF flows did: a hindcast"
FLOW_SOURCE = "Farside Investors US spot-ETF net flows"
#: how each model's parameter reads in prose
SYMBOL = {spec.parameter_key: spec.symbol for spec in SPECS.values()}
MODEL_TEXT = {name: spec.text for name, spec in SPECS.items()}


def price_source(manifest: Mapping[str, Any]) -> str:
    """Where the realized closes and the flows came from, for figure captions."""
    prices = [
        f"{d['exchange']} {d['symbol']} {d['timeframe']} closes"
        for d in manifest["data"]
        if d["table"] == "prices"
    ]
    return "; ".join([*prices, FLOW_SOURCE, "implied path: flowimpact hindcast"])


def hindcast_sections(result: HindcastResult, source: str) -> list[Section]:
    """The hindcast's section: figures per asset, a paragraph per asset, the tables."""
    intro = (
        "<p>The US spot-ETF net flows that really happened, run backwards through the study's "
        "impact models: the realized daily closes are taken as the impacted path P', each "
        "day's flow enters that day's close with the market cap of the previous realized "
        "close, and the implied no-ETF path is B<sub>t</sub> = P'<sub>t</sub>·exp(−I<sub>t"
        "</sub>) with I the decayed cumulative impact of the flows. For the linear and "
        "multiplier models this is the exact inverse of the engine. The explaining value is "
        "the parameter at which the flows alone account for the whole realized move, found "
        "by root finding (scipy.optimize.brentq). Numbers are log returns in basis points; "
        "hindcast.csv and hindcast_paths.csv hold them all.</p>"
    )
    paragraphs = "".join(f"<p>{html.escape(text)}</p>" for text in asset_paragraphs(result))
    return [
        Section(
            TITLE,
            intro + paragraphs,
            figures=[asset_figure(result, asset, source) for asset in _assets(result)],
            tables=[
                ("Attribution per asset, model and parameter value (hindcast.csv; flows in "
                 "USD billions here).", _shown(result.table)),
                ("The parameter value at which the flows alone explain the whole move "
                 "(hindcast_explaining.csv), beside the calibrated value.",
                 result.explaining.drop(columns=["method", "first_day", "last_day"])),
            ],
        )
    ]


def outcome_sections(outcome: AnalogsOutcome, manifest: Mapping[str, Any]) -> list[Section]:
    """The hindcast's part of ``run``'s report: its section, or why it was skipped, or nothing
    when no ETF flows are stored (the analogs sections say so)."""
    if outcome.hindcast is not None:
        return hindcast_sections(outcome.hindcast, price_source(manifest))
    if outcome.hindcast_skipped is not None:
        reason = html.escape(outcome.hindcast_skipped)
        return [Section(TITLE + " (skipped)", f"<p>The hindcast did not run: {reason}.</p>")]
    return []


def asset_paragraphs(result: HindcastResult) -> list[str]:
    """One plain paragraph per asset: the move, each model's share of it, the calibrated value."""
    out = []
    explaining = result.explaining.set_index(["asset", "model"])
    for asset in _assets(result):
        rows = result.table[result.table["asset"] == asset]
        first = rows.iloc[0]
        realized = float(first["realized_log_return_bps"])
        before, after = _closes(result, asset)
        verb = "rise" if realized >= 0 else "fall"
        text = [
            f"{asset} went from ${before:,.0f} before {first['first_day']} to ${after:,.0f} on "
            f"{first['last_day']} ({_bps(realized)} in log terms) while the US spot ETFs took "
            f"in a net ${first['cum_flow_usd'] / USD_PER_BILLION:,.1f} bn."
        ]
        calibrated, over = [], False
        for row in rows.itertuples():
            note = explaining.loc[(asset, row.model)]
            named = _named(row.parameter, row.value)
            if isinstance(row.note, str) and row.note:  # no implied path (analogs.hindcast)
                collapse = (
                    f"under the {MODEL_TEXT[row.model]} with {named} the implied no-ETF close "
                    "runs to zero: the flows would explain far more than the whole move"
                )
                if note["calibrated_token"] and row.value == note["calibrated_value"]:
                    calibrated.append(collapse)
                    over = over or realized > 0
                else:
                    text.append(collapse[0].upper() + collapse[1:] + ".")
                continue
            if note["calibrated_token"] and row.value == note["calibrated_value"]:
                calibrated.append(
                    f"{named} would put it at {_share(row.attributed_share_pct)} (no-ETF path "
                    f"{_bps(row.implied_baseline_log_return_bps)})"
                )
                over = over or (realized > 0 and row.attributed_share_pct > 100)
                continue
            text.append(
                f"Under the {MODEL_TEXT[row.model]} with {named} the spot-ETF flows account for "
                f"{_share(row.attributed_share_pct)} of that {verb} "
                f"({_bps(row.attributed_log_impact_bps)})."
            )
        if calibrated:
            token = explaining.loc[asset, "calibrated_token"].iloc[0]
            sentence = f"The calibrated values ({token}): " + "; ".join(calibrated)
            if over:
                sentence += (
                    f". More than the whole rise means {asset} would have fallen without the "
                    "flows: the same-day calibration overstates impact (flows also follow prices)"
                )
            text.append(sentence + ".")
        roots, failures = [], []
        for model, note in explaining.loc[asset].iterrows():
            if math.isnan(note["explaining_value"]):
                failures.append(f"no {MODEL_TEXT[model]} parameter does ({note['reason']})")
            else:
                roots.append(_named(note["parameter"], note["explaining_value"]))
        if roots:
            text.append(
                "The flows alone would explain the whole move at " + " or ".join(roots)
                + " (root of I on the last day = the realized move, by brentq)."
            )
        text.extend(f"{failure[0].upper()}{failure[1:]}." for failure in failures)
        out.append(" ".join(text))
    return out


def _bps(value: float) -> str:
    return f"{value:+,.0f} bps".replace("-", "−")


def over_explained_note(result: HindcastResult | None) -> str:
    """HTML pointing at the hindcast when a calibrated value explains more than the whole move."""
    if result is None:
        return ""
    calibrated = result.explaining[result.explaining["calibrated_value"].notna()]
    hits = []
    for note in calibrated.itertuples():
        row = result.table[
            (result.table["asset"] == note.asset)
            & (result.table["model"] == note.model)
            & (result.table["value"] == note.calibrated_value)
        ]
        if row.empty:
            continue
        share = float(row["attributed_share_pct"].iloc[0])
        if float(row["realized_log_return_bps"].iloc[0]) > 0 and share > 100:
            hits.append(
                f"{_named(note.parameter, note.calibrated_value)} would explain "
                f"{share:,.0f} % of {note.asset}'s rise"
            )
    if not hits:
        return ""
    return (
        '<p class="note">Put back through the same model over the ETFs\' own history, the '
        f"calibrated values over-explain the move: {html.escape('; '.join(hits))} (more than "
        f'all of it). See <a href="#{Section(TITLE).anchor}">{html.escape(TITLE)}</a>.</p>'
    )


def write_hindcast_page(path: Path, run: HindcastRun, manifest: Mapping[str, Any]) -> Path:
    """The hindcast's own report.html: its section, the definitions, data and the study."""
    sections = hindcast_sections(run.hindcast, price_source(manifest))
    level_set = level_set_section(run.analogs.level_set, price_source(manifest))
    sections.extend([level_set] if level_set else [])
    definitions = html.escape(inspect.getdoc(hindcast_module) or "")
    config = html.escape(json.dumps(manifest["config"], indent=2, default=str))
    versions = ", ".join(f"{k} {v}" for k, v in manifest["versions"].items())
    sections.append(
        Section(
            "Definitions, data and the study",
            f"<pre>{definitions}</pre>",
            tables=[("Data used (sha256 of the values).", pd.DataFrame(manifest["data"]))],
            outro_html=(
                f"<h3>Resolved study</h3><pre>{config}</pre><p class=\"note\">Versions: "
                f"{html.escape(versions)}. Time taken: {manifest['seconds_total']:.1f} s.</p>"
            ),
        )
    )
    subtitle = html.escape(
        f"{run.study.study.name} · run {manifest['run_id']} · {manifest['finished_utc'][:19]} UTC"
        f" · study: {run.study.source}"
    )
    return write_report(
        path, "flowimpact: what the ETF flows did", subtitle, sections,
        manifest.get("warnings", ()),
    )


def _assets(result: HindcastResult) -> list[str]:
    return list(dict.fromkeys(result.table["asset"]))


def _closes(result: HindcastResult, asset: str) -> tuple[float, float]:
    """The close before the first day and on the last day, from the paths and the table."""
    paths = result.paths[result.paths["asset"] == asset]
    row = result.table[result.table["asset"] == asset].iloc[0]
    last = float(paths["close_usd"].iloc[-1])
    return last / math.exp(row["realized_log_return_bps"] / BPS_PER_UNIT), last


def _named(parameter: str, value: float) -> str:
    if parameter == "lambda_per_billion_usd":
        return f"λ = {value:.3g} per $1 bn"
    return f"{SYMBOL.get(parameter, parameter)} = {value:.3g}"


def _share(pct: float) -> str:
    return "–" if math.isnan(pct) else f"{pct:,.1f} %"


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    shown = table.copy()
    shown["cum_flow_usd_bn"] = shown.pop("cum_flow_usd") / USD_PER_BILLION
    return shown


def _days_x(days: pd.Series) -> dict[str, object]:
    """The x of a daily line: ``x0``/``dx`` when the days are consecutive (a tenth of the
    bytes of one date string per point, and float32 prices halve the rest), else the days."""
    stamps = pd.DatetimeIndex(pd.to_datetime(days))
    if len(stamps) > 1 and (stamps[1:] - stamps[:-1] == pd.Timedelta(days=1)).all():
        return {"x0": stamps[0].strftime("%Y-%m-%d"), "dx": 86_400_000}
    return {"x": stamps}


def asset_figure(result: HindcastResult, asset: str, source: str) -> go.Figure:
    paths = result.paths[result.paths["asset"] == asset]
    figure = go.Figure()
    first = paths.groupby(["model", "value"], sort=False)
    realized = next(iter(first))[1]
    figure.add_trace(
        go.Scatter(
            **_days_x(realized["day"]),
            y=realized["close_usd"].to_numpy(dtype=np.float32),
            name="realized close",
            line={"color": "#222", "width": 2.5},
        )
    )
    for index, ((model, value), part) in enumerate(first):
        parameter = hindcast_module.PARAMETER_KEY[str(model)]
        figure.add_trace(
            go.Scatter(
                **_days_x(part["day"]),
                y=part["implied_close_usd"].to_numpy(dtype=np.float32),
                name=f"no ETF flows, {MODEL_TEXT[str(model)]} {_named(parameter, float(value))}",
                line={"color": COLORS[index % len(COLORS)], "dash": "dot"},
            )
        )
    figure.update_layout(
        title=f"{asset}: realized close vs the implied path without the spot-ETF flows",
        yaxis_title=f"{asset} price (USD, log scale)",
        yaxis_type="log",
        hovermode="x unified",
    )
    return with_source(figure, source)


__all__ = [
    "TITLE",
    "asset_figure",
    "asset_paragraphs",
    "hindcast_sections",
    "outcome_sections",
    "over_explained_note",
    "price_source",
    "write_hindcast_page",
]
