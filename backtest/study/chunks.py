"""Every grid in chunks of whole scenarios: plan, run one chunk, combine.

The one chunk path of flowimpact: the run's scenarios, its tornado's and a sensitivity
analysis's samples are all scenarios here, planned by ``chunk_plan`` (the one
columns-per-chunk rule, ``[compute] chunk_columns``), run by ``run_chunk`` and put back in
order by ``combine``. Only where a chunk's flows come from differs (``FlowRows``): the run
slices arrays built once (``ScenarioInputs``), the analysis builds each chunk's schedules as
it runs (``backtest.study.sensitivity.samples.SampleFlows``), since thousands of samples'
schedules would not fit in memory at once.

Columns are scenario × path × asset. A chunk holds whole scenarios (every path of each), so the
quantiles over paths of ``scenarios.csv`` are computed exactly as in one piece; and since the
engine and vectorbt treat every column on its own, any cut gives the same numbers. Memory is
a fixed part (``SharedInputs``: the baseline paths, the scenarios' schedules, and what
depends on the baseline alone, built once per run instead of once per chunk: the trailing σ
and volume windows and the baseline's strategy metrics, ``backtest.study.once_per_run``)
plus one chunk per process; a chunk returns only what the outputs need: its rows of metrics
and the fan-chart bands of the drawn scenarios it holds (which those are is decided from the
grid alone, before computing: ``backtest.study.drawn.drawn_scenarios``).

``run_chunk(spec, shared, workspace)`` is a pure function of ``spec`` and ``shared``, so an
executor (``backtest.study.executors``) may run it anywhere, or twice, with the same result;
the workspace (``backtest.sim.workspace``, one per worker) only lends the engine its output
arrays, which the result never keeps: the next chunk of the worker writes into the same pages
instead of faulting fresh ones in.
``scenario_paths(run, index)`` reruns the engine for chosen scenarios when a notebook wants
their full paths, which the run itself does not keep.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from backtest.sim.baseline import BaselinePaths
from backtest.sim.engine import EngineResult, run_engine
from backtest.sim.evaluate_config import EvaluateConfig
from backtest.sim.impact import ImpactConfig, coverage_table
from backtest.sim.metrics import HORIZON_METRICS, horizon_metrics, impact_metrics
from backtest.sim.percentiles import percentiles_over_first_axis
from backtest.sim.workspace import Workspace
from backtest.study.compute import ComputeConfig
from backtest.study.config import Scenario
from backtest.study.once_per_run import KeyDays, Precomputed, column_batches, precompute
from backtest.study.scenario_inputs import ChunkFlows, ScenarioInputs

#: percentiles of a fan chart's band: 5th, median, 95th over paths
BAND_PERCENTILES = (5, 50, 95)


@dataclass(frozen=True)
class ChunkSpec:
    """Scenarios ``start`` .. ``stop - 1`` (grid order); ``drawn`` those of them in fan charts."""

    index: int
    start: int
    stop: int
    drawn: tuple[int, ...] = ()

    @property
    def n_scenarios(self) -> int:
        return self.stop - self.start


class FlowRows(Protocol):
    """Where a chunk's flows come from: the scenarios at ``rows`` as the engine takes them."""

    def chunk_flows(self, rows: slice) -> ChunkFlows: ...


@dataclass(frozen=True, eq=False)
class SharedInputs:
    """What every chunk reads: sent once to each worker, sliced by scenario inside a chunk.

    ``flows`` gives each chunk its flows (``FlowRows``), ``impacts`` has one ImpactConfig per
    scenario; ``evaluate`` None skips the vectorbt evaluation (a sensitivity analysis of impact
    outputs only), so vectorbt is not even imported. ``precomputed`` holds what depends on the
    baseline alone, built once per run rather than once per chunk
    (``backtest.study.once_per_run``: the engine's trailing σ and volume windows, the
    evaluation's baseline columns); a part left None is computed by each chunk, with the same
    numbers. ``metrics`` names the impact metrics the caller reads, when it reads only some: a
    chunk without drawn scenarios whose metrics all read the last day alone runs the engine's
    horizon mode (``backtest.sim.kernels``: the same last-day numbers, most of the engine's time
    saved) and returns only those columns.
    """

    baseline: BaselinePaths
    flows: FlowRows
    impacts: tuple[ImpactConfig, ...]
    announcement_day: int
    evaluate: EvaluateConfig | None
    precomputed: Precomputed = field(default_factory=Precomputed)
    # the impact metrics the caller reads (None: every one of ``IMPACT_METRICS``)
    metrics: tuple[str, ...] | None = None

    @property
    def horizon_only(self) -> bool:
        """Whether the chunks need the last day alone: no evaluation, and only metrics of
        ``HORIZON_METRICS`` (``run_chunk`` then runs the engine's horizon mode)."""
        return (
            self.evaluate is None
            and self.metrics is not None
            and set(self.metrics) <= set(HORIZON_METRICS)
        )

    @classmethod
    def build(
        cls,
        baseline: BaselinePaths,
        inputs: ScenarioInputs,
        scenarios: Sequence[Scenario],
        evaluate_config: EvaluateConfig | None,
    ) -> SharedInputs:
        """The run's grid: flows sliced from ``inputs``, built once for every scenario, and the
        windows and baseline metrics of the whole grid, built once (``once_per_run``)."""
        impacts = tuple(s.impact for s in scenarios)
        key_days = KeyDays(
            announcement_day=inputs.announcement_day,
            first_flow_day=inputs.first_flow_day,
            ramp_end_day=inputs.ramp_end_day,
            pay_day=inputs.pay_day,
        )
        return cls(
            baseline=baseline,
            flows=inputs,
            impacts=impacts,
            announcement_day=inputs.announcement_day,
            evaluate=evaluate_config,
            precomputed=precompute(baseline, impacts, key_days, evaluate_config),
        )


@dataclass(frozen=True, eq=False)
class ChunkResult:
    """One chunk's share of the outputs.

    ``impacts`` and ``evaluation``: one row per (scenario, asset) of the chunk, in order, the
    columns of ``backtest.sim.metrics`` and ``backtest.sim.evaluate`` (None without
    ``SharedInputs.evaluate``); ``bands``: drawn
    scenario index → impacted close ``[5th/50th/95th percentile, day, asset]`` over paths;
    ``seconds``: time spent in each step of the chunk.
    """

    spec: ChunkSpec
    impacts: pd.DataFrame
    evaluation: pd.DataFrame | None
    bands: dict[int, np.ndarray] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Combined:
    """Every chunk's rows in scenario order, the drawn bands, and the summed step times."""

    impacts: pd.DataFrame
    evaluation: pd.DataFrame | None
    bands: dict[int, np.ndarray]
    seconds: dict[str, float]
    n_chunks: int = 1

    def metrics(self) -> pd.DataFrame:
        """The impact figures and (if evaluated) the portfolio metrics side by side."""
        if self.evaluation is None:
            return self.impacts
        return pd.concat([self.impacts, self.evaluation], axis=1)


def _flow_on_every_path(engine: EngineResult, flows: ChunkFlows, n_paths: int) -> np.ndarray:
    """The flow ``[scenario, path, day, asset]`` the engine stepped: its own output with a
    sleeve, else the direct flows seen on every path (a read-only view, no copy: at 2,000
    paths the engine's array was 94 MB per 8,000-column chunk, written and read again). The
    same numbers either way: without a sleeve the engine's flow is the direct flow plus 0."""
    if engine.flow_usd is not None:
        return engine.flow_usd
    direct = flows.direct_flow_usd
    return np.broadcast_to(direct[:, None], (direct.shape[0], n_paths, *direct.shape[1:]))


def scenarios_per_chunk(chunk_columns: int, n_paths: int, n_assets: int) -> int:
    """Whole scenarios in ``chunk_columns`` columns; at least one."""
    return max(1, chunk_columns // (n_paths * n_assets))


def plan_chunks(
    n_scenarios: int, per_chunk: int, drawn: Iterable[int] = ()
) -> list[ChunkSpec]:
    """Consecutive runs of ``per_chunk`` scenarios covering ``range(n_scenarios)``."""
    per_chunk = max(int(per_chunk), 1)
    drawn = sorted(set(drawn))
    specs = []
    for index, start in enumerate(range(0, n_scenarios, per_chunk)):
        stop = min(start + per_chunk, n_scenarios)
        specs.append(
            ChunkSpec(index, start, stop, tuple(i for i in drawn if start <= i < stop))
        )
    return specs


def chunk_plan(
    n_scenarios: int, compute: ComputeConfig, baseline: BaselinePaths, drawn: Iterable[int] = ()
) -> list[ChunkSpec]:
    """The chunks of ``n_scenarios`` on ``baseline`` under ``compute`` (the one rule)."""
    per_chunk = scenarios_per_chunk(compute.chunk_columns, baseline.n_paths, len(baseline.assets))
    return plan_chunks(n_scenarios, per_chunk, drawn)


def run_chunk(
    spec: ChunkSpec, shared: SharedInputs, workspace: Workspace | None = None
) -> ChunkResult:
    """Engine, impact figures, evaluation and fan bands of one chunk's scenarios.

    The engine's flow and impact arrays are reduced to their figures before the evaluation
    starts. With a ``workspace`` the engine writes into its buffers (the same numbers) and the
    result holds nothing of them: figures, bands and metric tables are new arrays, so a later
    chunk on the same workspace changes no earlier result. Without one every output is fresh
    and the flow and impact arrays are freed before vectorbt runs; with one they stay in its
    buffers, for the next chunk, while vectorbt runs: measured at 8,000-column chunks with two
    Dask workers, the largest process peaked 62 MB (7 %) higher for 57,000 fewer page faults
    and 2.8 s less system time.

    vectorbt evaluates the chunk's scenarios in batches of at most ``EVALUATE_COLUMNS``
    columns (``backtest.study.once_per_run``), not all at once: its transient arrays (order
    records, positions and cash per order day) come on top of the workspace's buffers, and at
    2,000 paths one call over a whole 8,000-column chunk held about 71 MiB of them at the
    run's peak. Every row depends on its own scenario's columns alone, so the table is the
    same whatever the batches.
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    rows = slice(spec.start, spec.stop)
    impacts = shared.impacts[rows]
    flows = shared.flows.chunk_flows(rows)
    keep_close = shared.evaluate is not None or bool(spec.drawn)
    horizon = shared.horizon_only and not spec.drawn
    metrics = shared.metrics or ()
    if horizon:  # the last day alone: no [scenario, path, day, asset] array at all
        outputs: tuple[str, ...] = ("log_impact_at_horizon",)
        if "permanent_log_impact_at_horizon_bps" in metrics:
            outputs += ("permanent_log_impact_at_horizon",)
    else:
        outputs = ("log_impact", "permanent_log_impact_at_horizon")
        outputs += ("close_usd",) if keep_close else ()
        # the engine's flow is the direct flow on every path unless a sleeve trades at the
        # path's prices: only then is it a [scenario, path, day, asset] array of its own
        outputs += ("flow_usd",) if flows.sleeve is not None else ()
    engine = run_engine(
        shared.baseline,
        flows.direct_flow_usd,
        impacts,
        flows.sleeve,
        shared.announcement_day,
        outputs=outputs,
        windows=shared.precomputed.windows,
        workspace=workspace,
    )
    seconds["engine"] = time.perf_counter() - started
    started = time.perf_counter()
    if horizon:
        figures = horizon_metrics(
            engine.array("log_impact_at_horizon"),
            engine.permanent_log_impact_at_horizon,
            metrics,
        ).reset_index(drop=True)
    else:
        figures = impact_metrics(
            _flow_on_every_path(engine, flows, shared.baseline.n_paths),
            engine.array("log_impact"),
            shared.baseline.volume_usd,
            coverage_table(impacts, shared.baseline.assets, shared.baseline.venues)[0],
            engine.array("permanent_log_impact_at_horizon"),
        ).reset_index(drop=True)
    close = engine.array("close_usd") if keep_close else None
    del engine  # frees fresh flow and impact arrays before the evaluation (a workspace keeps its)
    # the same numbers as np.percentile(..., axis=0), a quarter of its time
    bands = {
        i: percentiles_over_first_axis(close[i - spec.start], BAND_PERCENTILES)
        for i in spec.drawn
        if close is not None
    }
    seconds["metrics"] = time.perf_counter() - started
    if shared.evaluate is None or close is None:
        return ChunkResult(spec, figures, None, bands, seconds)
    # imported here: vectorbt costs seconds to load, and an impact-only analysis never needs it
    from backtest.sim.evaluate import EvaluationInput, evaluate

    started = time.perf_counter()
    per_scenario = shared.baseline.n_paths * len(shared.baseline.assets)
    evaluation = pd.concat(
        [
            evaluate(
                EvaluationInput(
                    days=shared.baseline.days,
                    impacted_close_usd=close[batch],
                    baseline_close_usd=shared.baseline.close_usd,
                    announcement_day=shared.announcement_day,
                    first_flow_day=flows.first_flow_day[batch],
                    ramp_end_day=flows.ramp_end_day[batch],
                    pay_day=flows.pay_day[batch],
                ),
                shared.evaluate,
                baseline=shared.precomputed.baseline_metrics,
            )
            for batch in column_batches(spec.n_scenarios, per_scenario)
        ],
        ignore_index=True,
    )
    seconds["evaluate"] = time.perf_counter() - started
    return ChunkResult(spec, figures, evaluation, bands, seconds)


def combine(results: Iterable[ChunkResult], n_assets: int) -> Combined:
    """The chunks' rows in scenario order (whatever order they finished in), indexed as one run.

    The index is (scenario_index, asset_index), as ``impact_metrics`` and ``evaluate`` give it
    for a whole grid in one call.
    """
    ordered = sorted(results, key=lambda result: result.spec.start)
    expected = 0
    for result in ordered:
        if result.spec.start != expected:
            raise RuntimeError(f"chunks do not cover the grid: scenario {expected} is missing")
        expected = result.spec.stop
    n_scenarios = expected
    index = pd.MultiIndex.from_product(
        [range(n_scenarios), range(n_assets)], names=["scenario_index", "asset_index"]
    )
    impacts = pd.concat([r.impacts for r in ordered], ignore_index=True).set_axis(index)
    evaluated = [r.evaluation for r in ordered if r.evaluation is not None]
    evaluation = None
    if evaluated:
        evaluation = pd.concat(evaluated, ignore_index=True).set_axis(index)
    bands = {i: band for result in ordered for i, band in result.bands.items()}
    seconds: dict[str, float] = {}
    for result in ordered:
        for step, value in result.seconds.items():
            seconds[step] = seconds.get(step, 0.0) + value
    rounded = {k: round(v, 3) for k, v in seconds.items()}
    return Combined(impacts, evaluation, bands, rounded, n_chunks=len(ordered))


def scenario_paths(
    baseline: BaselinePaths,
    inputs: ScenarioInputs,
    scenarios: Sequence[Scenario],
    indices: int | Sequence[int],
) -> EngineResult:
    """Full engine arrays ``[chosen scenario, path, day, asset]`` for chosen scenarios.

    The run keeps only figures and bands; this reruns the engine on the same inputs for the
    scenarios at ``indices`` (grid order), with the same numbers the run's chunks computed
    (every column is simulated on its own). For a finished run::

        paths = scenario_paths(run.baseline, run.inputs, run.scenarios, 3)
        paths.close_usd[0]          # [path, day, asset] of scenario 3
    """
    chosen = [indices] if isinstance(indices, int) else list(indices)
    if not chosen or any(not 0 <= i < len(scenarios) for i in chosen):
        raise IndexError(f"scenario indices {chosen} outside 0..{len(scenarios) - 1}")
    flows = inputs.chunk_flows(np.asarray(chosen))
    return run_engine(
        baseline,
        flows.direct_flow_usd,
        [scenarios[i].impact for i in chosen],
        flows.sleeve,
        inputs.announcement_day,
    )


__all__ = [
    "BAND_PERCENTILES",
    "ChunkResult",
    "ChunkSpec",
    "Combined",
    "FlowRows",
    "SharedInputs",
    "chunk_plan",
    "combine",
    "plan_chunks",
    "run_chunk",
    "scenario_paths",
    "scenarios_per_chunk",
]
