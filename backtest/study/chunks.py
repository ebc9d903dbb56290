"""A study's grid in chunks of whole scenarios: plan, run one chunk, combine.

Columns are scenario × path × asset. A chunk holds whole scenarios (every path of each), so the
quantiles over paths of ``scenarios.csv`` are computed exactly as in one piece; and since the
engine and vectorbt treat every column on its own, any cut gives the same numbers. Memory is
a fixed part (the baseline paths and the scenarios' schedules, ``SharedInputs``) plus one
chunk per process; a chunk returns only what the outputs need: its rows of metrics and the
fan-chart bands of the drawn scenarios it holds (which those are, the report decides from the
grid alone: ``backtest.report.study_page.drawn_scenarios``).

``run_chunk(spec, shared)`` is a pure function of its arguments, so an executor
(``backtest.study.executors``) may run it anywhere, or twice, with the same result.
``scenario_paths(run, index)`` reruns the engine for chosen scenarios when a notebook wants
their full paths, which the run itself does not keep.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from backtest.sim.baseline import BaselinePaths
from backtest.sim.engine import EngineResult, SleeveArrays, run_engine
from backtest.sim.evaluate import EvaluationInput, evaluate
from backtest.sim.evaluate_config import EvaluateConfig
from backtest.sim.impact import ImpactConfig, coverage_table
from backtest.sim.metrics import impact_metrics
from backtest.study.config import Scenario
from backtest.study.scenario_inputs import ScenarioInputs

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


@dataclass(frozen=True, eq=False)
class SharedInputs:
    """What every chunk reads: sent once to each worker, sliced by scenario inside a chunk.

    Arrays are per scenario (``[scenario, day(, asset)]``) or the baseline's ``[path, day,
    asset]``; ``impacts`` one ImpactConfig per scenario.
    """

    baseline: BaselinePaths
    direct_flow_usd: np.ndarray
    sleeve: SleeveArrays | None
    announcement_day: int
    first_flow_day: np.ndarray
    ramp_end_day: np.ndarray
    pay_day: np.ndarray
    impacts: tuple[ImpactConfig, ...]
    evaluate: EvaluateConfig

    @classmethod
    def build(
        cls,
        baseline: BaselinePaths,
        inputs: ScenarioInputs,
        scenarios: Sequence[Scenario],
        evaluate_config: EvaluateConfig,
    ) -> SharedInputs:
        return cls(
            baseline=baseline,
            direct_flow_usd=inputs.direct_flow_usd,
            sleeve=inputs.sleeve,
            announcement_day=inputs.announcement_day,
            first_flow_day=inputs.first_flow_day,
            ramp_end_day=inputs.ramp_end_day,
            pay_day=inputs.pay_day,
            impacts=tuple(s.impact for s in scenarios),
            evaluate=evaluate_config,
        )


@dataclass(frozen=True, eq=False)
class ChunkResult:
    """One chunk's share of the outputs.

    ``impacts`` and ``evaluation``: one row per (scenario, asset) of the chunk, in order, the
    columns of ``backtest.sim.metrics`` and ``backtest.sim.evaluate``; ``bands``: drawn
    scenario index → impacted close ``[5th/50th/95th percentile, day, asset]`` over paths;
    ``seconds``: time spent in each step of the chunk.
    """

    spec: ChunkSpec
    impacts: pd.DataFrame
    evaluation: pd.DataFrame
    bands: dict[int, np.ndarray] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Combined:
    """Every chunk's rows in scenario order, the drawn bands, and the summed step times."""

    impacts: pd.DataFrame
    evaluation: pd.DataFrame
    bands: dict[int, np.ndarray]
    seconds: dict[str, float]


def scenarios_per_chunk(chunk_columns: int, n_paths: int, n_assets: int) -> int:
    """Whole scenarios in ``chunk_columns`` columns; at least one."""
    return max(1, chunk_columns // (n_paths * n_assets))


def plan_chunks(
    n_scenarios: int, per_chunk: int, drawn: Iterable[int] = ()
) -> list[ChunkSpec]:
    """Consecutive runs of ``per_chunk`` scenarios covering ``range(n_scenarios)``."""
    drawn = sorted(set(drawn))
    specs = []
    for index, start in enumerate(range(0, n_scenarios, per_chunk)):
        stop = min(start + per_chunk, n_scenarios)
        specs.append(
            ChunkSpec(index, start, stop, tuple(i for i in drawn if start <= i < stop))
        )
    return specs


def run_chunk(spec: ChunkSpec, shared: SharedInputs) -> ChunkResult:
    """Engine, impact figures, evaluation and fan bands of one chunk's scenarios.

    The engine's flow and impact arrays are reduced to their figures before the evaluation
    starts, so only the impacted closes stay alive while vectorbt runs.
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    rows = slice(spec.start, spec.stop)
    impacts = shared.impacts[rows]
    engine = run_engine(
        shared.baseline,
        shared.direct_flow_usd[rows],
        impacts,
        _sleeve_rows(shared.sleeve, rows),
        shared.announcement_day,
    )
    seconds["engine"] = time.perf_counter() - started
    started = time.perf_counter()
    figures = impact_metrics(
        engine.array("flow_usd"),
        engine.array("log_impact"),
        shared.baseline.volume_usd,
        coverage_table(impacts, shared.baseline.assets, shared.baseline.venues)[0],
    ).reset_index(drop=True)
    close = engine.array("close_usd")
    del engine  # frees the flow and impact arrays before the evaluation
    bands = {
        i: np.percentile(close[i - spec.start], BAND_PERCENTILES, axis=0) for i in spec.drawn
    }
    seconds["metrics"] = time.perf_counter() - started
    started = time.perf_counter()
    evaluation = evaluate(
        EvaluationInput(
            days=shared.baseline.days,
            impacted_close_usd=close,
            baseline_close_usd=shared.baseline.close_usd,
            announcement_day=shared.announcement_day,
            first_flow_day=shared.first_flow_day[rows],
            ramp_end_day=shared.ramp_end_day[rows],
            pay_day=shared.pay_day[rows],
        ),
        shared.evaluate,
    ).reset_index(drop=True)
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
    evaluation = pd.concat([r.evaluation for r in ordered], ignore_index=True).set_axis(index)
    bands = {i: band for result in ordered for i, band in result.bands.items()}
    seconds: dict[str, float] = {}
    for result in ordered:
        for step, value in result.seconds.items():
            seconds[step] = seconds.get(step, 0.0) + value
    return Combined(impacts, evaluation, bands, {k: round(v, 3) for k, v in seconds.items()})


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
    rows = np.asarray(chosen)
    sleeve = inputs.sleeve
    return run_engine(
        baseline,
        inputs.direct_flow_usd[rows],
        [scenarios[i].impact for i in chosen],
        None if sleeve is None else _sleeve_rows(sleeve, rows),
        inputs.announcement_day,
    )


def _sleeve_rows(sleeve: SleeveArrays | None, rows: slice | np.ndarray) -> SleeveArrays | None:
    if sleeve is None:
        return None
    return SleeveArrays(
        target_weight=sleeve.target_weight[rows],
        initial_fund_usd=sleeve.initial_fund_usd[rows],
        contribution_usd=sleeve.contribution_usd[rows],
        rebalance_day=sleeve.rebalance_day[rows],
        drift_band=sleeve.drift_band[rows],
        start_day_index=sleeve.start_day_index[rows],
    )


__all__ = [
    "BAND_PERCENTILES",
    "ChunkResult",
    "ChunkSpec",
    "Combined",
    "SharedInputs",
    "combine",
    "plan_chunks",
    "run_chunk",
    "scenario_paths",
    "scenarios_per_chunk",
]
