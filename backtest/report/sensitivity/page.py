"""The report page of ``flowimpact sensitivity``, and the tornado section of the main run.

The page: the plain answer per asset, then per asset and model the ranked indices with their
intervals, the tornado and every sample's output against its leading parameter, then the
method, data and versions. ``tornado_section`` is what the main run's report shows when the
study has a ``[sensitivity]`` section.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from backtest.report.evidence_section import share_of_box_note
from backtest.report.html import Section, write_report
from backtest.report.sensitivity import figures as charts
from backtest.study.sensitivity.analysis import SensitivityOutcome

METHOD_TEXT = {
    "sobol": (
        "Sobol' indices (SALib): S1 is the share of the output's variance a parameter explains "
        "alone, ST its share including all its interactions; bars show 95% bootstrap intervals. "
        "A parameter whose ST interval covers 0 can be fixed anywhere in its range without "
        "changing the answer."
    ),
    "morris": (
        "Morris elementary effects (SALib): mu* is the mean absolute change of the output when a "
        "parameter moves across its whole range, with a bootstrap interval; σ, the spread of "
        "those effects, signals interactions or curvature."
    ),
    "oat": (
        "One at a time: each parameter at the low and at the high end of its range, the others "
        "at their study values."
    ),
}


def write_page(outcome: SensitivityOutcome, path: Path, manifest: Mapping[str, Any]) -> Path:
    source = _source(manifest)
    sections = [_answer(outcome)]
    sections.extend(_asset_section(outcome, asset, source) for asset in outcome.assets)
    sections.append(_method(outcome, manifest))
    plan = outcome.plan
    subtitle = html.escape(
        f"run {manifest['run_id']} · {manifest['finished_utc'][:19]} UTC · {plan.config.method}"
        f" · {len(plan.parameters)} parameters · {outcome.n_runs:,} runs × "
        f"{manifest['paths']} paths · study: {manifest['study']}"
    )
    return write_report(
        path, "flowimpact: which assumption drives the answer", subtitle, sections,
        manifest.get("warnings", ()),
    )


def tornado_section(outcome: SensitivityOutcome | None, skipped: str | None) -> Section:
    """The main run's section: the one-at-a-time swings of its ``[sensitivity]`` ranges."""
    title = "Sensitivity: one at a time"
    if outcome is None:
        note = html.escape(skipped or "no [sensitivity] section")
        return Section(title, f'<p class="note">Not computed: {note}.</p>')
    output = outcome.plan.config.outputs[0]
    source = "flowimpact engine on the run's paths; ranges of [sensitivity.ranges]"
    figures = [
        charts.tornado_chart(
            rows, f"{_what(asset, model)}: {charts.output_label(output)}", source=source
        )
        for (model, asset), rows in _groups(outcome.table, output)
    ]
    intro = (
        "<p>Each parameter of <code>[sensitivity.ranges]</code> at the low and at the high end "
        "of its range, the others at their study values (the first value of a grid axis), on "
        "this run's paths. For the share of the variance each one carries, run "
        "<code>flowimpact sensitivity --config</code> with the same study file: Sobol' "
        "indices in a report of their own (with the default <code>--out</code>, at <a "
        'href="sensitivity/report.html">sensitivity/report.html</a> beside this one).</p>'
        + "".join(
            f"<p>{html.escape(charts.sentence(outcome.table, a, output))}</p>"
            for a in outcome.assets
        )
    )
    return Section(title, intro, figures=figures)


def _what(asset: str, model: str) -> str:
    return f"{asset}, {charts.MODEL_LABELS.get(model, model)} model"


def _groups(table: pd.DataFrame, output: str) -> list[tuple[tuple[str, str], pd.DataFrame]]:
    rows = table[table["output"] == output]
    return [(key, group) for key, group in rows.groupby(["model", "asset"], sort=False)]


def _answer(outcome: SensitivityOutcome) -> Section:
    plan = outcome.plan
    output = plan.config.outputs[0]
    sentences = "".join(
        f"<p><b>{html.escape(charts.sentence(outcome.table, asset, output))}</b></p>"
        for asset in outcome.assets
    )
    ranges = pd.DataFrame(
        {
            "parameter": [charts.label(p.key) for p in plan.parameters],
            "key": [f"[{p.section}] {p.key}" for p in plan.parameters],
            "low": [p.low for p in plan.parameters],
            "high": [p.high for p in plan.parameters],
            "scale": ["whole numbers" if p.integer else p.scale for p in plan.parameters],
            "study value": list(plan.study_values),
        }
    )
    intro = (
        f"<p>Which of the assumptions moves the answer, and by how much? "
        f"{html.escape(METHOD_TEXT[plan.config.method])} Each impact model "
        f"({html.escape(', '.join(plan.models))}) is analysed on its own over the same samples; "
        "outputs are medians over the bootstrap paths, which are the same for every sample.</p>"
        + sentences
        + share_of_box_note(outcome.samples)
    )
    others = [o for o in plan.config.outputs if o != output]
    more = "".join(
        f'<p class="note">{html.escape(charts.sentence(outcome.table, a, o))}</p>'
        for o in others
        for a in outcome.assets
    )
    return Section(
        "What drives the answer",
        intro,
        tables=[("The ranges analysed (sources in the README).", ranges)],
        outro_html=more,
    )


def _asset_section(outcome: SensitivityOutcome, asset: str, source: str) -> Section:
    plan = outcome.plan
    output = plan.config.outputs[0]
    table = outcome.table
    samples = outcome.samples
    figures = []
    for model in plan.models:
        rows = table[
            (table["asset"] == asset) & (table["model"] == model) & (table["output"] == output)
        ]
        what = _what(asset, model)
        if plan.config.method != "oat":
            figures.append(
                charts.indices_chart(rows, f"{what}: {charts.output_label(output)}", source=source)
            )
        figures.append(charts.tornado_chart(rows, f"{what}: one at a time", source=source))
        lead = charts.ranking(rows)["parameter"].iloc[0]
        points = samples[
            (samples["asset"] == asset)
            & (samples["model"] == model)
            & (samples["design"] == plan.config.method)
        ]
        scale = {p.key: p.scale for p in plan.parameters}
        figures.append(
            charts.scatter_chart(
                points,
                lead,
                output,
                f"{what}: {charts.output_label(output)} against {charts.label(lead)}",
                source=source,
                log_x=scale.get(lead) == "log",
            )
        )
    shown = (
        ["model", "output", "parameter", "low", "high"]
        + {
            "sobol": ["S1", "S1_conf", "ST", "ST_conf"],
            "morris": ["mu_star", "mu_star_conf", "sigma"],
            "oat": [],
        }[plan.config.method]
        + ["output_at_low", "output_at_high", "output_at_study"]
    )
    rows = table.loc[table["asset"] == asset, shown]
    return Section(
        asset,
        "<p>Per impact model: the ranked indices, the tornado (one at a time) and every sample's "
        "output against the most influential parameter (up to "
        f"{charts.MAX_SCATTER_POINTS:,} points shown).</p>",
        figures=figures,
        tables=[(f"{asset}: every index (all of them are in sensitivity.csv).", rows)],
    )


def _method(outcome: SensitivityOutcome, manifest: Mapping[str, Any]) -> Section:
    config = html.escape(json.dumps(manifest["config"], indent=2, default=str))
    versions_text = ", ".join(f"{k} {v}" for k, v in manifest["versions"].items())
    data = pd.DataFrame(manifest["data"])
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in manifest["seconds_by_step"].items())
    text = (
        "<p>Sampling and indices: SALib (Herman & Usher 2017, J. Open Source Software 2(9); "
        "Iwanaga, Usher & Herman 2022, Socio-Environmental Systems Modelling 4). Sobol': "
        "Saltelli's scheme on a scrambled Sobol' sequence, N·(D+2) runs, estimators of Saltelli "
        "et al. (2010) and Jansen (1999). Morris: Campolongo et al. (2007). Every run is a "
        "scenario of the flowimpact engine: the parameters' values replace the study's, the "
        "inflow schedule is built from them and the impact model applied on the bootstrap "
        "paths.</p>"
    )
    outro = (
        f"<h3>Resolved study</h3><pre>{config}</pre>"
        f'<p class="note">Versions: {html.escape(versions_text)}. Time taken: '
        f"{manifest['seconds_total']:.1f} s ({html.escape(steps)}).</p>"
    )
    return Section(
        "Method, data and versions",
        text,
        tables=[("Data used (sha256 of close and volume).", data)],
        outro_html=outro,
    )


def _source(manifest: Mapping[str, Any]) -> str:
    parts = [
        f"{d['exchange']} {d['symbol']} {d['timeframe']} {d['first'][:10]}..{d['last'][:10]}"
        for d in manifest["data"]
    ]
    return "; ".join(parts) + "; bootstrap paths; flowimpact engine; SALib"


__all__ = ["tornado_section", "write_page"]
