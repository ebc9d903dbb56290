"""The files of ``flowimpact sensitivity``: sensitivity.csv, the samples, run.json, report.html.

``sensitivity.csv`` has one row per model, asset, output and parameter (columns of
``backtest.study.sensitivity.analysis``); ``sensitivity_samples.csv`` one row per design point,
model and asset. ``run.json`` is built like the run's: the config as the analysis ran it, the
data fingerprints, versions (SALib's too), timings, and a ``run_id`` from the config and the
data. Every file goes through the run's one CSV writer and atomic writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from backtest.report.files import fingerprints, flows_fingerprints, versions, write_tables
from backtest.report.sensitivity.page import write_page
from backtest.sim.baseline import BaselinePaths
from backtest.study.config import Study
from backtest.study.flow_tables import ExtraFlows
from backtest.study.sensitivity.analysis import SensitivityOutcome
from feeds.prices import PriceSource
from flowimpact.atomic import atomic_write_text
from flowimpact.config import config_id, jsonable


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
) -> dict[str, Path]:
    """Every file atomically; ``run.json`` and then ``report.html`` come last."""
    files = write_tables(
        out_dir,
        {"sensitivity.csv": outcome.table, "sensitivity_samples.csv": outcome.samples},
    )
    manifest = sensitivity_manifest(
        outcome,
        study,
        prices,
        baseline,
        [*files, "run.json", "report.html"],
        started_utc,
        timings_s,
        extra_flows,
        price_sources,
    )
    files["run.json"] = out_dir / "run.json"
    atomic_write_text(files["run.json"], json.dumps(manifest, indent=2, default=str) + "\n")
    files["report.html"] = write_page(outcome, out_dir / "report.html", manifest)
    return files


def resolved_config(outcome: SensitivityOutcome, study: Study) -> dict[str, Any]:
    """The study as the analysis ran it: one value per key, ``model`` the list analysed."""
    resolved = study.resolved()
    plan = outcome.plan
    resolved["inflow"] = jsonable(plan.inflow)
    resolved["impact"] = {**jsonable(plan.impact), "model": list(plan.models)}
    resolved["paths"] = {**resolved["paths"], "n_paths": plan.config.n_paths}
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
) -> dict[str, Any]:
    resolved = resolved_config(outcome, study)
    # the prices and the [flows] tables every sample carries (the calibration does not run)
    data = fingerprints(study.data, prices, {}, price_sources) + flows_fingerprints(extra_flows)
    finished = datetime.now(UTC)
    return {
        "run_id": config_id(resolved, data, length=12),
        "study": study.source,
        "started_utc": started_utc.isoformat(),
        "finished_utc": finished.isoformat(),
        "seconds_total": round((finished - started_utc).total_seconds(), 3),
        "seconds_by_step": dict(timings_s),
        "method": outcome.plan.config.method,
        "models": list(outcome.plan.models),
        "parameters": [p.key for p in outcome.plan.parameters],
        "runs": outcome.n_runs,
        "paths": baseline.n_paths,
        "assets": list(baseline.assets),
        "window": {
            "first_day": baseline.days[0].date().isoformat(),
            "last_day": baseline.days[-1].date().isoformat(),
            "last_history_day": baseline.last_history_day.date().isoformat(),
        },
        "data": data,
        "versions": versions(extra=("SALib",)),
        "config": resolved,
        "files": sorted(files),
    }


__all__ = ["resolved_config", "sensitivity_manifest", "write_sensitivity_outputs"]
