"""A sensitivity analysis's scenarios through the engine, in chunks of bounded memory.

``evaluate_samples(inflows, impacts, baseline)`` gives the metrics of scenarios.csv for every
scenario (one inflow config and one impact config each) and asset. The scenarios are cut into
chunks of at most ``chunk_columns`` scenario × path × asset columns (whole scenarios), and each
chunk is one pure task, ``evaluate_chunk(chunk, shared)``: its distinct inflow schedules built
together (``strategies.inflow_batch``), the engine, the impact metrics (and, when asked, the
vectorbt evaluation). Peak memory is one chunk's engine arrays, whatever the number of samples.

The chunks go through the run's own executor (``backtest.study.executors.map_chunks``): in this
process, on a local Dask cluster (``workers``) or on an existing one (``scheduler``), with the
same numbers whichever runs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtest.sim.baseline import BaselinePaths
from backtest.sim.engine import SleeveArrays, run_engine
from backtest.sim.evaluate_config import EvaluateConfig
from backtest.sim.impact import ImpactConfig, coverage_table
from backtest.sim.metrics import impact_metrics
from backtest.study.compute import ComputeConfig
from backtest.study.executors import map_chunks
from backtest.study.flow_tables import ExtraFlows
from flowimpact.errors import ConfigError
from strategies.inflow_batch import ScheduleBatch, schedule_batch
from strategies.inflow_config import InflowConfig

#: scenario × path × asset columns per chunk: about 60 kB per column over the default window
#: (the engine's flow and impact arrays, then the metrics' volume arrays), so about 0.5 GB a
#: chunk; the [compute] chunk_columns default of the chunked executor
CHUNK_COLUMNS = 8_000



@dataclass(frozen=True, eq=False)
class SharedInputs:
    """What every chunk reads: the baseline paths, the caps of a market-cap split, and so on."""

    baseline: BaselinePaths
    announcement_day: int
    market_caps_usd: Mapping[str, float] | None = None
    evaluate: EvaluateConfig | None = None
    extra_flow_usd: np.ndarray | None = None  # [day, asset]: the [flows] tables, every sample


@dataclass(frozen=True)
class SampleChunk:
    """Whole scenarios: the inflow and the impact config of each."""

    inflows: tuple[InflowConfig, ...]
    impacts: tuple[ImpactConfig, ...]


def evaluate_samples(
    inflows: Sequence[InflowConfig],
    impacts: Sequence[ImpactConfig],
    baseline: BaselinePaths,
    *,
    market_caps_usd: Mapping[str, float] | None = None,
    evaluate: EvaluateConfig | None = None,
    extra_flow_usd: np.ndarray | None = None,
    chunk_columns: int = CHUNK_COLUMNS,
    workers: int = 0,
    scheduler: str = "",
    progress: bool = False,
) -> pd.DataFrame:
    """The metrics of every scenario and asset, rows in scenario order then asset order.

    The frame has the impact metrics of ``backtest.sim.metrics`` (and with ``evaluate`` the
    portfolio metrics of ``backtest.sim.evaluate``) and a (``scenario_index``,
    ``asset_index``) index. ``extra_flow_usd[day, asset]`` (the ``[flows]`` tables) is added to
    every scenario's direct flows, as the run does. ``workers`` and ``scheduler`` choose the
    executor as ``[compute]`` does for the run.
    """
    if len(inflows) != len(impacts):
        raise ValueError(f"{len(inflows)} inflow configs for {len(impacts)} impact configs")
    if not inflows:
        raise ValueError("evaluate_samples needs at least one scenario")
    shared = SharedInputs(
        baseline=baseline,
        announcement_day=_announcement_day(inflows, baseline),
        market_caps_usd=market_caps_usd,
        evaluate=evaluate,
        extra_flow_usd=extra_flow_usd,
    )
    per_chunk = max(int(chunk_columns) // (baseline.n_paths * len(baseline.assets)), 1)
    tasks = [
        SampleChunk(tuple(inflows[i : i + per_chunk]), tuple(impacts[i : i + per_chunk]))
        for i in range(0, len(inflows), per_chunk)
    ]
    frames: list[pd.DataFrame | None] = [None] * len(tasks)
    compute = ComputeConfig(chunk_columns=max(int(chunk_columns), 1), workers=workers,
                            scheduler=scheduler)
    mapped = map_chunks(evaluate_chunk, tasks, shared, compute, progress=progress, desc="samples")
    for position, frame in mapped:
        frames[position] = frame
    table = pd.concat(frames, ignore_index=True)
    table.index = pd.MultiIndex.from_product(
        [range(len(inflows)), range(len(baseline.assets))],
        names=["scenario_index", "asset_index"],
    )
    return table


def evaluate_chunk(chunk: SampleChunk, shared: SharedInputs) -> pd.DataFrame:
    """The metrics of one chunk's scenarios (a pure function: same chunk, same numbers)."""
    baseline = shared.baseline
    # samples that share an inflow share its config object (SensitivityPlan.configs): one
    # schedule per object, found by identity, which costs no hashing of every field
    by_id = {id(config): config for config in chunk.inflows}
    distinct = list(by_id.values())
    row_of = {key: row for row, key in enumerate(by_id)}
    rows = np.array([row_of[id(config)] for config in chunk.inflows])
    caps = [shared.market_caps_usd if config.split == "market_cap" else None for config in distinct]
    batch = schedule_batch(distinct, baseline.days, baseline.assets, caps)
    outputs = ("flow_usd", "log_impact") + (("close_usd",) if shared.evaluate else ())
    flows = batch.net_flow_usd()[rows]
    if shared.extra_flow_usd is not None:
        flows = flows + shared.extra_flow_usd[None]
    engine = run_engine(
        baseline,
        flows,
        list(chunk.impacts),
        _sleeve_arrays(batch, rows),
        shared.announcement_day,
        outputs=outputs,
    )
    table = impact_metrics(
        engine.array("flow_usd"),
        engine.array("log_impact"),
        baseline.volume_usd,
        coverage_table(chunk.impacts, baseline.assets, baseline.venues)[0],
    )
    if shared.evaluate is None:
        return table.reset_index(drop=True)
    # imported here: vectorbt costs seconds to load, and only evaluate = true needs it
    from backtest.sim.evaluate import EvaluationInput, evaluate

    days = baseline.days
    evaluation = evaluate(
        EvaluationInput(
            days=days,
            impacted_close_usd=engine.array("close_usd"),
            baseline_close_usd=baseline.close_usd,
            announcement_day=shared.announcement_day,
            first_flow_day=np.array([_index(days, c.first_flow_day) for c in chunk.inflows]),
            ramp_end_day=np.array([_index(days, c.ramp_end_day) for c in chunk.inflows]),
            pay_day=batch.pay_day()[rows],
        ),
        shared.evaluate,
    )
    return pd.concat([table, evaluation], axis=1).reset_index(drop=True)


def extra_flow_usd(extra: ExtraFlows | None, baseline: BaselinePaths) -> np.ndarray | None:
    """The ``[flows]`` tables as ``[day, asset]`` USD on the baseline's days, as the run adds
    them to every scenario (``scenario_inputs.build``); None without ``[flows]``."""
    if extra is None:
        return None
    total = extra.total_usd.reindex(index=baseline.days, columns=list(baseline.assets))
    return np.ascontiguousarray(total.fillna(0.0).to_numpy(), dtype=np.float64)


def _sleeve_arrays(batch: ScheduleBatch, rows: np.ndarray) -> SleeveArrays | None:
    sleeve = batch.sleeve
    if sleeve is None or not sleeve.has_sleeve[rows].any():
        return None
    n_days = len(batch.days)
    start = np.minimum(batch.days.searchsorted(sleeve.start_day), n_days)
    return SleeveArrays(
        target_weight=sleeve.target_weight[rows],
        initial_fund_usd=np.zeros(len(rows)),
        contribution_usd=sleeve.contribution_usd[rows],
        rebalance_day=sleeve.rebalance_day[rows],
        drift_band=sleeve.drift_band[rows],
        start_day_index=np.where(sleeve.has_sleeve, start, n_days)[rows].astype(np.int64),
    )


def _announcement_day(inflows: Sequence[InflowConfig], baseline: BaselinePaths) -> int:
    dates = {config.announcement for config in inflows}
    if len(dates) != 1:
        raise ConfigError(
            "[inflow] announcement: one analysis has one announcement date; run one per date"
        )
    day = pd.Timestamp(inflows[0].announcement_day)
    index = int(baseline.days.searchsorted(day))
    if index >= len(baseline.days) or baseline.days[index] != day:
        raise ConfigError(
            f"[inflow] announcement {day.date()} is outside the study window "
            f"{baseline.days[0].date()}..{baseline.days[-1].date()}; move [study] start or "
            "[paths] horizon_end"
        )
    return index


def _index(days: pd.DatetimeIndex, day: pd.Timestamp) -> int:
    """Row of ``day`` in ``days``, clipped to one past the end when it lies beyond the window."""
    return int(min(days.searchsorted(pd.Timestamp(day)), len(days)))


__all__ = [
    "CHUNK_COLUMNS",
    "SampleChunk",
    "SharedInputs",
    "evaluate_chunk",
    "evaluate_samples",
    "extra_flow_usd",
]
