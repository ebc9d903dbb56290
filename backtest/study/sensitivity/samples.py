"""A sensitivity analysis's samples through the run's own chunk path, schedules built per chunk.

``evaluate_samples(inflows, impacts, baseline)`` gives the metrics of scenarios.csv for every
sample (one inflow config and one impact config each) and asset. The samples are scenarios of
``backtest.study.chunks``: planned by its one columns-per-chunk rule (``[compute]
chunk_columns``), run by its ``run_chunk`` through the run's executor
(``backtest.study.executors.map_chunks``, in this process or on Dask as the one
``ComputeConfig`` says) and put in order by its ``combine``. Only their flows differ from the
run's: ``SampleFlows`` builds a chunk's distinct schedules together when the chunk runs
(``strategies.inflow_batch``), so peak memory is one chunk's, whatever the number of samples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtest.sim.baseline import BaselinePaths
from backtest.sim.evaluate_config import EvaluateConfig
from backtest.sim.impact import ImpactConfig
from backtest.study.chunks import (
    SharedInputs,
    chunk_plan,
    combine,
    run_chunk,
    scenarios_per_chunk,
)
from backtest.study.compute import ComputeConfig
from backtest.study.executors import map_chunks
from backtest.study.flow_tables import ExtraFlows
from backtest.study.once_per_run import precompute
from backtest.study.scenario_inputs import ChunkFlows, announcement_index, sleeve_arrays
from strategies.inflow_batch import schedule_batch
from strategies.inflow_config import InflowConfig


@dataclass(frozen=True, eq=False)
class SampleFlows:
    """The samples' flows, built chunk by chunk (``backtest.study.chunks.FlowRows``).

    ``extra_flow_usd[day, asset]`` (the ``[flows]`` tables) is added to every sample's direct
    flows, as the run adds them to every scenario.
    """

    inflows: tuple[InflowConfig, ...]
    days: pd.DatetimeIndex
    assets: tuple[str, ...]
    market_caps_usd: Mapping[str, float] | None = None
    extra_flow_usd: np.ndarray | None = None

    def chunk_flows(self, rows: slice) -> ChunkFlows:
        chunk = self.inflows[rows]
        # samples that share an inflow share its config object (SensitivityPlan.configs): one
        # schedule per object, found by identity, which costs no hashing of every field
        by_id = {id(config): config for config in chunk}
        distinct = list(by_id.values())
        row_of = {key: row for row, key in enumerate(by_id)}
        rows_ = np.array([row_of[id(config)] for config in chunk])
        caps = [self.market_caps_usd if c.split == "market_cap" else None for c in distinct]
        batch = schedule_batch(distinct, self.days, self.assets, caps)
        flows = batch.net_flow_usd()[rows_]
        if self.extra_flow_usd is not None:
            flows = flows + self.extra_flow_usd[None]
        return ChunkFlows(
            direct_flow_usd=flows,
            sleeve=sleeve_arrays(batch, rows_),
            # per distinct config: its dates are calendar arithmetic (DateOffset), slow per row
            first_flow_day=np.array([_index(self.days, c.first_flow_day) for c in distinct])[rows_],
            ramp_end_day=np.array([_index(self.days, c.ramp_end_day) for c in distinct])[rows_],
            pay_day=batch.pay_day()[rows_],
        )


@dataclass(frozen=True, eq=False)
class SampleMetrics:
    """The metrics of every sample and asset, and how many chunks computed them."""

    table: pd.DataFrame
    n_chunks: int
    scenarios_per_chunk: int


def evaluate_samples(
    inflows: Sequence[InflowConfig],
    impacts: Sequence[ImpactConfig],
    baseline: BaselinePaths,
    *,
    market_caps_usd: Mapping[str, float] | None = None,
    evaluate: EvaluateConfig | None = None,
    extra_flow_usd: np.ndarray | None = None,
    compute: ComputeConfig | None = None,
    progress: bool = False,
    metrics: Sequence[str] | None = None,
) -> SampleMetrics:
    """The metrics of every sample and asset, rows in sample order then asset order.

    The table has the impact metrics of ``backtest.sim.metrics`` (and with ``evaluate`` the
    portfolio metrics of ``backtest.sim.evaluate``) and a (``scenario_index``,
    ``asset_index``) index. ``compute`` (default ``ComputeConfig()``) cuts the chunks and
    chooses the executor, as for the run; no setting of it changes a number. ``metrics``
    (default: all) names the impact metrics the caller reads: when all of them read the last
    day alone (``backtest.sim.metrics.HORIZON_METRICS``) and nothing is evaluated, the engine
    runs its horizon mode and the table has only those impact columns, with the same numbers.
    """
    if len(inflows) != len(impacts):
        raise ValueError(f"{len(inflows)} inflow configs for {len(impacts)} impact configs")
    if not inflows:
        raise ValueError("evaluate_samples needs at least one scenario")
    compute = compute or ComputeConfig()
    days = baseline.days
    flows = SampleFlows(
        inflows=tuple(inflows),
        days=days,
        assets=tuple(baseline.assets),
        market_caps_usd=market_caps_usd,
        extra_flow_usd=extra_flow_usd,
    )
    shared = SharedInputs(
        baseline=baseline,
        flows=flows,
        impacts=tuple(impacts),
        announcement_day=announcement_index([c.announcement_day for c in inflows], days),
        evaluate=evaluate,
        # the windows once for all samples (when they fit); the baseline metrics stay per chunk:
        # they need every sample's pay days, which exist only as each chunk builds its schedules
        precomputed=precompute(baseline, tuple(impacts), None, evaluate),
        metrics=None if metrics is None else tuple(metrics),
    )
    specs = chunk_plan(len(inflows), compute, baseline)
    mapped = map_chunks(run_chunk, specs, shared, compute, progress=progress, desc="samples")
    combined = combine((result for _, result in mapped), len(baseline.assets))
    per_chunk = scenarios_per_chunk(compute.chunk_columns, baseline.n_paths, len(baseline.assets))
    return SampleMetrics(combined.metrics(), len(specs), per_chunk)


def extra_flow_usd(extra: ExtraFlows | None, baseline: BaselinePaths) -> np.ndarray | None:
    """The ``[flows]`` tables as ``[day, asset]`` USD on the baseline's days, as the run adds
    them to every scenario (``scenario_inputs.build``); None without ``[flows]``."""
    if extra is None:
        return None
    total = extra.total_usd.reindex(index=baseline.days, columns=list(baseline.assets))
    return np.ascontiguousarray(total.fillna(0.0).to_numpy(), dtype=np.float64)


def _index(days: pd.DatetimeIndex, day: pd.Timestamp) -> int:
    """Row of ``day`` in ``days``, clipped to one past the end when it lies beyond the window."""
    return int(min(days.searchsorted(pd.Timestamp(day)), len(days)))


__all__ = [
    "SampleFlows",
    "SampleMetrics",
    "evaluate_samples",
    "extra_flow_usd",
]
