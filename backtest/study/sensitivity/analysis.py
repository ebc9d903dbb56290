"""The analysis of a plan: designs, every sample through the run's chunk path, SALib's indices.

``analyse(plan, baseline)`` runs the plan's design (Sobol', Morris or one at a time) and, for
Sobol' and Morris, the one-at-a-time design too (2·D + 1 more runs per model, so every analysis
has its tornado), for each impact model of the plan over the same samples, and gives
``sensitivity.csv`` (one row per method's model, asset, output and parameter) and
``sensitivity_samples.csv`` (one row per design point, model and asset: the parameter values
and the outputs) as frames. ``run_tornado`` is the one-at-a-time part alone, for the main
run's report when the study file has a ``[sensitivity]`` section.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from backtest.sim.baseline import BaselinePaths
from backtest.sim.impact import ImpactConfig
from backtest.study.compute import ComputeConfig
from backtest.study.config import Study
from backtest.study.flow_tables import ExtraFlows
from backtest.study.sensitivity.config import impact_metrics_read, output_columns
from backtest.study.sensitivity.designs import (
    INDEX_COLUMNS,
    Design,
    indices,
    morris_design,
    notes,
    oat_design,
    sobol_design,
)
from backtest.study.sensitivity.plan import SensitivityPlan, market_caps, sensitivity_plan
from backtest.study.sensitivity.samples import evaluate_samples, extra_flow_usd
from flowimpact.errors import ConfigError

IDENTITY = ("method", "model", "asset", "output", "parameter", "low", "high")


@dataclass(frozen=True, eq=False)
class SensitivityOutcome:
    """``table`` is sensitivity.csv, ``samples`` sensitivity_samples.csv; ``compute`` what
    ran them (``ComputeConfig.record``) for run.json. ``impacts``: per model, the impact
    config of each design point in the order of the samples' points (of every model and asset
    alike), so a later step (the implied φ) reads them instead of building them again."""

    plan: SensitivityPlan
    assets: tuple[str, ...]
    table: pd.DataFrame
    samples: pd.DataFrame
    n_runs: int
    timings_s: dict[str, float] = field(default_factory=dict)
    # one line per output that needs words: constant (NaN indices), or a ranking its
    # intervals cannot support (``backtest.study.sensitivity.notes``)
    notes: tuple[str, ...] = ()
    compute: dict[str, object] = field(default_factory=dict)
    impacts: Mapping[str, tuple[ImpactConfig, ...]] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class RunTornado:
    """The main run's one-at-a-time swings, or why there are none (the run goes on)."""

    outcome: SensitivityOutcome | None
    skipped: str | None = None


def analyse(
    plan: SensitivityPlan,
    baseline: BaselinePaths,
    *,
    market_caps_usd: Mapping[str, float] | None = None,
    extra_flows: ExtraFlows | None = None,
    compute: ComputeConfig | None = None,
    progress: bool = False,
    oat_only: bool = False,
) -> SensitivityOutcome:
    """The whole analysis of ``plan`` on ``baseline`` (see the module docstring).

    ``compute`` (default ``ComputeConfig()``): the chunks and where they run, as for the run;
    the numbers do not depend on it.
    """
    config = plan.config
    compute = compute or ComputeConfig()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    designs = [oat_design(plan.parameters, plan.study_values)]
    if not oat_only and config.method == "sobol":
        designs.insert(0, sobol_design(plan.parameters, config.samples, config.seed))
    elif not oat_only and config.method == "morris":
        designs.insert(
            0,
            morris_design(plan.parameters, config.samples, config.morris_levels, config.seed),
        )
    timings["sample"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    values = np.vstack([d.values for d in designs])
    inflows, impacts = plan.configs(values)
    # scenario order: sample-major (each sample's models side by side), so that a chunk holds
    # each inflow once per model and builds half (a third, ...) the schedules model-major would
    all_inflows = [c for c in inflows for _ in plan.models]
    all_impacts = [impacts[model][i] for i in range(len(inflows)) for model in plan.models]
    timings["scenarios"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    metrics = evaluate_samples(
        all_inflows,
        all_impacts,
        baseline,
        market_caps_usd=market_caps_usd,
        evaluate=plan.evaluate if config.evaluate else None,
        extra_flow_usd=extra_flow_usd(extra_flows, baseline),
        compute=compute,
        progress=progress,
        metrics=impact_metrics_read(config.outputs),
    )
    timings["engine"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    table_by_model = _model_major(metrics.table, len(plan.models), len(baseline.assets))
    samples = _samples_table(plan, designs, baseline.assets, table_by_model)
    table, said = _indices_table(plan, designs, samples, baseline.assets)
    timings["analyse"] = round(time.perf_counter() - started, 3)
    return SensitivityOutcome(
        plan=plan,
        assets=tuple(baseline.assets),
        table=table,
        samples=samples,
        n_runs=len(all_inflows),
        timings_s=timings,
        notes=tuple(said),
        compute=compute.record(metrics.n_chunks, metrics.scenarios_per_chunk),
        impacts={model: tuple(impacts[model]) for model in plan.models},
    )


def n_runs(plan: SensitivityPlan) -> int:
    """Engine scenarios the analysis runs: its design plus the one-at-a-time points, per model."""
    d, n = len(plan.parameters), plan.config.samples
    design = {"sobol": n * (d + 2), "morris": n * (d + 1), "oat": 0}[plan.config.method]
    return (design + 2 * d + 1) * len(plan.models)


def run_tornado(
    study: Study,
    baseline: BaselinePaths,
    prices: Mapping[str, pd.DataFrame],
    timings_s: dict[str, float],
    extra_flows: ExtraFlows | None = None,
    compute: ComputeConfig | None = None,
) -> RunTornado | None:
    """The one-at-a-time swings of the study's ranges on the run's paths, if it asks for them.

    None without a ``[sensitivity]`` section in the study file; a section the analysis would
    refuse (say, a grid axis over a ranged key, which the run itself is happy with) gives the
    reason instead, for the report. ``compute``: the run's, so the tornado's chunks run where
    the grid's do.
    """
    if not sensitivity_requested(study):
        return None
    started = time.perf_counter()
    try:
        plan = sensitivity_plan(study)
    except ConfigError as exc:
        return RunTornado(None, str(exc))
    caps = market_caps(plan, prices)
    outcome = analyse(
        plan,
        baseline,
        market_caps_usd=caps,
        extra_flows=extra_flows,
        compute=compute,
        oat_only=True,
    )
    timings_s["sensitivity"] = round(time.perf_counter() - started, 3)
    return RunTornado(outcome)


def sensitivity_requested(study: Study) -> bool:
    """True when the study file has a ``[sensitivity]`` section (the default study has none)."""
    return bool(study.raw.get("sensitivity"))


def _model_major(table: pd.DataFrame, n_models: int, n_assets: int) -> pd.DataFrame:
    """Rows (sample, model, asset) of the engine's sample-major order put model-major:
    (model, sample, asset), the order ``_samples_table`` reads each model's block in."""
    n_samples = len(table) // (n_models * n_assets)
    order = np.arange(len(table)).reshape(n_samples, n_models, n_assets).transpose(1, 0, 2)
    return table.iloc[order.ravel()]


def _samples_table(
    plan: SensitivityPlan,
    designs: list[Design],
    assets: tuple[str, ...],
    metrics: pd.DataFrame,
) -> pd.DataFrame:
    """One row per design point, model and asset: role, parameter values, outputs."""
    columns = output_columns(plan.config.outputs)
    points = pd.concat(
        [
            d.frame().assign(design=d.method, point=list(d.point), sample=np.arange(len(d)))
            for d in designs
        ],
        ignore_index=True,
    )
    n_points, n_assets = len(points), len(assets)
    frames = []
    for m, model in enumerate(plan.models):
        block = metrics.iloc[m * n_points * n_assets : (m + 1) * n_points * n_assets]
        for a, asset in enumerate(assets):
            rows = block.iloc[a::n_assets]
            frame = points.copy()
            frame.insert(0, "asset", asset)
            frame.insert(0, "model", model)
            for name, column in columns.items():
                frame[name] = rows[column].to_numpy()
            frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    keys = [p.key for p in plan.parameters]
    return table[["design", "sample", "point", "model", "asset", *keys, *columns]]


def _indices_table(
    plan: SensitivityPlan,
    designs: list[Design],
    samples: pd.DataFrame,
    assets: tuple[str, ...],
) -> tuple[pd.DataFrame, list[str]]:
    """sensitivity.csv: the main method's indices with the one-at-a-time swings beside them,
    and the notes on them (``backtest.study.sensitivity.notes``)."""
    config = plan.config
    main, oat = designs[0], designs[-1]
    rows = []
    said: list[str] = []
    for model in plan.models:
        for asset in assets:
            here = samples[(samples["model"] == model) & (samples["asset"] == asset)]
            for output in config.outputs:
                swings = indices(oat, here.loc[here["design"] == "oat", output].to_numpy())
                if main.method == "oat":
                    found = swings
                else:
                    y = here.loc[here["design"] == main.method, output].to_numpy()
                    found = indices(
                        main,
                        y,
                        resamples=config.resamples,
                        confidence=config.confidence,
                        seed=config.seed,
                    )
                    for column in ("output_at_low", "output_at_high", "output_at_study"):
                        found[column] = swings[column].to_numpy()
                    label = f"{output} ({asset}, {model})"
                    said += notes(main, y, found, config.samples, label)
                found.insert(0, "output", output)
                found.insert(0, "asset", asset)
                found.insert(0, "model", model)
                found.insert(0, "method", main.method)
                rows.append(found)
    table = pd.concat(rows, ignore_index=True)
    return table[[*IDENTITY, *INDEX_COLUMNS]], said


__all__ = [
    "IDENTITY",
    "RunTornado",
    "SensitivityOutcome",
    "analyse",
    "n_runs",
    "run_tornado",
    "sensitivity_requested",
]
