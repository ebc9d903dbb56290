"""The files of ``flowimpact sensitivity``: sensitivity.csv, the samples, run.json, report.html.

``sensitivity.csv`` has one row per model, asset, output and parameter (columns of
``backtest.study.sensitivity.analysis``); ``sensitivity_samples.csv`` one row per design point,
model and asset. ``run.json`` comes from the one manifest builder every command uses
(``backtest.report.manifest``): the study as the analysis ran it (its ``[paths] n_paths`` is
``[sensitivity] n_paths``, set before the baseline was built), the data fingerprints, versions
(SALib's too), timings, the chunks that ran, warnings and a ``run_id`` from the study less
``[compute]`` and the data. Every file goes through the run's one CSV writer, atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from backtest.report.files import fingerprints, flows_fingerprints, write_tables
from backtest.report.manifest import manifest, write_manifest
from backtest.report.sensitivity.page import write_page
from backtest.sim.baseline import BaselinePaths
from backtest.study.config import Study
from backtest.study.flow_tables import ExtraFlows
from backtest.study.sensitivity.analysis import SensitivityOutcome
from feeds.prices import PriceSource
from flowimpact.config import jsonable


def write_sensitivity_outputs(
    outcome: SensitivityOutcome,
    study: Study,
    prices: Mapping[str, pd.DataFrame],
    baseline: BaselinePaths,
    out_dir: Path,
    *,
    started_utc: datetime,
    timings_s: Mapping[str, float],
    extra_flows: ExtraFlows | None = None,
    price_sources: Mapping[str, PriceSource] | None = None,
    warnings: Sequence[str] = (),
) -> dict[str, Path]:
    """Every file atomically; ``run.json`` and then ``report.html`` come last.

    ``study`` is the study as the analysis ran it (``[paths] n_paths`` its own); ``warnings``
    (stale data) go into run.json and onto the page.
    """
    files = write_tables(
        out_dir,
        {"sensitivity.csv": outcome.table, "sensitivity_samples.csv": outcome.samples},
    )
    built = sensitivity_manifest(
        outcome,
        study,
        prices,
        baseline,
        [*files, "run.json", "report.html"],
        started_utc,
        timings_s,
        extra_flows,
        price_sources,
        warnings,
    )
    files["run.json"] = write_manifest(out_dir / "run.json", built)
    files["report.html"] = write_page(outcome, out_dir / "report.html", built)
    return files


def resolved_config(outcome: SensitivityOutcome, study: Study) -> dict[str, Any]:
    """The study as the analysis ran it: one value per key, ``model`` the list analysed."""
    resolved = study.resolved()
    plan = outcome.plan
    resolved["inflow"] = jsonable(plan.inflow)
    resolved["impact"] = {**jsonable(plan.impact), "model": list(plan.models)}
    return resolved


def sensitivity_manifest(
    outcome: SensitivityOutcome,
    study: Study,
    prices: Mapping[str, pd.DataFrame],
    baseline: BaselinePaths,
    files: list[str],
    started_utc: datetime,
    timings_s: Mapping[str, float],
    extra_flows: ExtraFlows | None = None,
    price_sources: Mapping[str, PriceSource] | None = None,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """run.json of the analysis, through the one ``manifest`` builder."""
    # the prices and the [flows] tables every sample carries (the calibration does not run)
    data = fingerprints(study.data, prices, {}, price_sources) + flows_fingerprints(extra_flows)
    return manifest(
        study,
        data,
        started=started_utc,
        timings_s=timings_s,
        files=files,
        warnings=warnings,
        compute=outcome.compute,
        config=resolved_config(outcome, study),
        extra_versions=("SALib",),
        method=outcome.plan.config.method,
        models=list(outcome.plan.models),
        parameters=[p.key for p in outcome.plan.parameters],
        runs=outcome.n_runs,
        paths=baseline.n_paths,
        assets=list(baseline.assets),
        window={
            "first_day": baseline.days[0].date().isoformat(),
            "last_day": baseline.days[-1].date().isoformat(),
            "last_history_day": baseline.last_history_day.date().isoformat(),
        },
    )


__all__ = ["resolved_config", "sensitivity_manifest", "write_sensitivity_outputs"]
