"""Results that show themselves in a notebook: tables, the report's figures, ``_repr_html_``.

Each view reads only what its result already holds and calls the report's own functions
(``study_page``, ``hindcast_sections``, ``sensitivity_figures``), so a notebook shows the same
table and the same plotly figure the report draws, and ``write(out_dir)`` writes the files
through the report's own writers::

    result = run_study(study, data_dir)
    result.answer()             # the answer table as the report shows it (a DataFrame)
    result.table                # scenarios.csv as a DataFrame
    result.plot.answer()        # the uplift by allocation (plotly Figure)
    result.plot.fan()           # the fan chart of the first asset; fan(scenario_id, asset=...)
    result.plot.flows()         # the inflow schedules
    result                      # in a notebook: the headline and the answer table

``StudyViews``, ``HindcastViews`` and ``SensitivityViews`` are mixins for the result classes of
``backtest.run`` (each needs one attribute: ``run`` or ``outcome``); ``StudyResult`` is the
study run's result with its views.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from backtest.report import files as outputs
from backtest.report import headline as headline_rule
from backtest.report import hindcast_sections, study_page
from backtest.report.html import table_html
from backtest.report.sensitivity import figures as charts
from backtest.study.chunks import BAND_PERCENTILES, scenario_paths
from backtest.study.results import HindcastRun, RunResult, StudyRun
from backtest.study.sensitivity.analysis import SensitivityOutcome
from flowimpact.errors import ConfigError
from flowimpact.headline import headline_text

#: the sensitivity figures' source line in a notebook (the page's also lists the data's span)
SENSITIVITY_SOURCE = "flowimpact engine on bootstrap paths; SALib"


def _asset(assets: list[str] | tuple[str, ...], asset: str | None) -> str:
    """``asset`` if the result has it, else the first; a wrong name is a one-line error."""
    if asset is None:
        return assets[0]
    if asset not in assets:
        raise ConfigError(f"no asset {asset!r} in this result; choose one of {', '.join(assets)}")
    return asset


class StudyPlots:
    """``result.plot``: the study report's figures, each a plotly ``Figure``."""

    def __init__(self, run: StudyRun) -> None:
        self._run = run

    @property
    def source(self) -> str:
        """The figures' source line, from the run's data as run.json records it."""
        return study_page.figure_source({"data": outputs.data_fingerprints(self._run)})

    def answer(self) -> go.Figure:
        """The median uplift at the horizon by allocation, a line per model (the answer's)."""
        return study_page.answer_figure(self._run, self.source)

    def fan(self, scenario_id: str | None = None, *, asset: str | None = None) -> go.Figure:
        """Baseline vs impacted price of one asset (default: the first), 5-95 % of paths.

        Without ``scenario_id`` it is the report's chart: every drawn scenario, the other grid
        values in menus. With one (a ``scenario_id`` of ``result.table``) it is that scenario
        alone against the baseline; a scenario the report did not draw is run again through
        the engine on the run's inputs (``backtest.study.chunks.scenario_paths``), with the same
        numbers.
        """
        run = self._run
        assets = list(run.baseline.assets)
        index = assets.index(_asset(assets, asset))
        if scenario_id is None:
            return study_page.fan_figures(run, self.source)[index]
        chosen = self._index(scenario_id)
        band = run.fans.impacted.get(chosen)
        if band is None:
            paths = scenario_paths(run.baseline, run.inputs, run.scenarios, chosen)
            close = paths.array("close_usd")[0]
            band = np.percentile(close, BAND_PERCENTILES, axis=0)
        return study_page.fan_figures(run, self.source, {chosen: band})[index]

    def flows(self) -> go.Figure:
        """Cumulative USD flows of every drawn inflow schedule (the report's flow chart)."""
        return study_page.flow_figure(self._run)

    def _index(self, scenario_id: str) -> int:
        for index, scenario in enumerate(self._run.scenarios):
            if scenario.scenario_id == scenario_id:
                return index
        raise ConfigError(
            f"no scenario {scenario_id!r} in this run; its ids are in "
            "result.table['scenario_id']"
        )


class StudyViews:
    """Mixin of a study run's result: needs ``run`` (the ``StudyRun``)."""

    run: StudyRun

    @property
    def table(self) -> pd.DataFrame:
        """``scenarios.csv`` as a frame: one row per scenario and asset."""
        return self.run.table

    @property
    def headline(self) -> dict[str, Any]:
        """The headline object of run.json (``backtest.report.headline``): one scenario's
        median uplift at the horizon and its 5-95 % path band, the USD behind it."""
        return headline_rule.headline(self.run)

    def answer(self) -> pd.DataFrame:
        """The answer table as the report shows it: median uplift [5th, 95th] by allocation."""
        return study_page.answer_table(self.run)

    @property
    def plot(self) -> StudyPlots:
        """The report's figures: ``plot.answer()``, ``plot.fan(...)``, ``plot.flows()``."""
        return StudyPlots(self.run)


    def _repr_html_(self) -> str:
        run = self.run
        horizon = run.baseline.days[-1].date()
        title = (
            f"<p><b>{html.escape(run.study.study.name)}</b>: {len(run.scenarios)} scenarios × "
            f"{run.baseline.n_paths} paths, prices to {run.last_candle_day}. Median price "
            f"uplift by {horizon} [5th, 95th percentile]:</p>"
        )
        lead = f"<p><b>{html.escape(headline_text(self.headline))}.</b></p>"
        warnings = "".join(
            f"<p><b>Warning: {html.escape(warning)}</b></p>" for warning in run.warnings
        )
        more = (
            "<p><code>.answer()</code>, <code>.table</code> (scenarios.csv), <code>.plot.answer()"
            "</code>, <code>.plot.fan()</code>, <code>.plot.flows()</code>, <code>.write(out_dir)"
            "</code></p>"
        )
        return lead + warnings + title + table_html(self.answer()) + more


class StudyResult(StudyViews, RunResult):
    """A study run's result (``RunResult``: the run and where its files went) with its views."""

    def __repr__(self) -> str:
        run = self.run
        written = f", written to {self.out_dir}" if self.files else ""
        return (
            f"StudyResult({run.study.source!r}: {len(run.scenarios)} scenarios x "
            f"{run.baseline.n_paths} paths{written}; .answer(), .table, .plot)"
        )


class HindcastPlots:
    """``result.plot`` of a hindcast: the realized close against the implied no-ETF paths."""

    def __init__(self, run: HindcastRun) -> None:
        self._run = run

    def paths(self, asset: str | None = None) -> go.Figure:
        """One asset's realized close and each model's implied path (the report's figure)."""
        result = self._run.hindcast
        assets = list(dict.fromkeys(result.table["asset"]))
        data = outputs.fingerprints(self._run.study.data, self._run.prices, {})
        source = hindcast_sections.price_source({"data": data})
        return hindcast_sections.asset_figure(result, _asset(assets, asset), source)


class HindcastViews:
    """Mixin of a hindcast's result: needs ``run`` (the ``HindcastRun``)."""

    run: HindcastRun

    @property
    def table(self) -> pd.DataFrame:
        """``hindcast.csv``: per asset, model and parameter value, what the flows did."""
        return self.run.hindcast.table

    @property
    def plot(self) -> HindcastPlots:
        return HindcastPlots(self.run)


    def _repr_html_(self) -> str:
        result = self.run.hindcast
        paragraphs = "".join(
            f"<p>{html.escape(text)}</p>" for text in hindcast_sections.asset_paragraphs(result)
        )
        return (
            f"<p><b>{html.escape(hindcast_sections.TITLE)}</b></p>"
            + paragraphs
            + table_html(result.table, float_format="{:,.4g}")
        )


class SensitivityPlots:
    """``result.plot`` of a sensitivity analysis: the page's indices and tornado charts."""

    def __init__(self, outcome: SensitivityOutcome) -> None:
        self._outcome = outcome

    def indices(self, asset: str | None = None, model: str | None = None) -> go.Figure:
        """The ranked indices (Sobol' S1/ST or Morris mu*) of one asset and model."""
        if self._outcome.plan.config.method == "oat":
            raise ConfigError(
                "a one-at-a-time analysis has no indices; use plot.tornado(), or "
                '[sensitivity] method = "sobol" or "morris"'
            )
        rows, title = self._rows(asset, model)
        output = charts.output_label(self._output)
        return charts.indices_chart(rows, f"{title}: {output}", source=SENSITIVITY_SOURCE)

    def tornado(self, asset: str | None = None, model: str | None = None) -> go.Figure:
        """Each parameter at the low and high end of its range, the others at the study's."""
        rows, title = self._rows(asset, model)
        return charts.tornado_chart(rows, f"{title}: one at a time", source=SENSITIVITY_SOURCE)

    @property
    def _output(self) -> str:
        return self._outcome.plan.config.outputs[0]

    def _rows(self, asset: str | None, model: str | None) -> tuple[pd.DataFrame, str]:
        outcome = self._outcome
        chosen = _asset(outcome.assets, asset)
        models = list(outcome.plan.models)
        if model is None:
            model = models[0]
        elif model not in models:
            raise ConfigError(f"no model {model!r} in this analysis; choose one of "
                              f"{', '.join(models)}")
        table = outcome.table
        rows = table[
            (table["asset"] == chosen) & (table["model"] == model)
            & (table["output"] == self._output)
        ]
        return rows, f"{chosen}, {charts.MODEL_LABELS.get(model, model)} model"


class SensitivityViews:
    """Mixin of a sensitivity analysis's result: needs ``outcome`` (``SensitivityOutcome``)."""

    outcome: SensitivityOutcome

    @property
    def table(self) -> pd.DataFrame:
        """``sensitivity.csv``: one row per model, asset, output and parameter."""
        return self.outcome.table

    @property
    def plot(self) -> SensitivityPlots:
        return SensitivityPlots(self.outcome)

    def answer(self) -> Mapping[str, str]:
        """The plain answer per asset: which parameters drive the first output."""
        output = self.outcome.plan.config.outputs[0]
        return {
            asset: charts.sentence(self.outcome.table, asset, output)
            for asset in self.outcome.assets
        }

    def _repr_html_(self) -> str:
        sentences = "".join(f"<p>{html.escape(text)}</p>" for text in self.answer().values())
        return "<p><b>What drives the answer</b></p>" + sentences


__all__ = [
    "HindcastPlots",
    "HindcastViews",
    "SensitivityPlots",
    "SensitivityViews",
    "StudyPlots",
    "StudyResult",
    "StudyViews",
]
