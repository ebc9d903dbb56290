"""What every chunk would compute again from the baseline alone: built once per run instead.

Two things in a chunk depend on the baseline and the grid's key days, not on the chunk's
impacted paths: the engine's trailing σ and venue volume (``backtest.sim.engine.MarketWindows``)
and the evaluation's baseline columns (``backtest.sim.evaluate.BaselineMetrics``: every
strategy on the baseline, once per distinct order column). ``precompute`` builds both for the
whole grid; ``backtest.study.chunks.SharedInputs`` carries them to every chunk (scattered once
to each Dask worker), and a chunk reads them with the same numbers it would have computed.

Memory stays bounded: each part is built only while it holds at most ``MAX_SHARED_BYTES``
(the windows: one ``[path, day, asset]`` array per distinct window; the baseline metrics:
``[metric, path, asset]`` per strategy and distinct order timing, a small fraction of the
baseline for any ordinary grid). Past that, or when its inputs are not known for the whole
grid up front (a sensitivity analysis builds its samples' schedules chunk by chunk, so their
pay days are not), a part is None and each chunk computes it as before.

The baseline metrics are evaluated in batches of at most ``EVALUATE_COLUMNS`` columns, the
size a chunk evaluates at a time (``backtest.study.chunks.run_chunk``), not all distinct
timings in one call: vectorbt's order records and per-order-day arrays of one call over the
whole grid's baseline columns (100,000 at 2,000 paths and 25 timings) are freed after it, but
glibc keeps most of those pages mapped for later allocations, and the run's peak rose by them
(measured at 2,000 paths: 87 MiB left resident after the precomputation, 0.07 GiB off the
run's peak in batches). Batches of a chunk's size leave behind only what the chunks then
reuse; each column is simulated on its own, so the numbers are the same bit for bit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from backtest.sim.baseline import BaselinePaths
from backtest.sim.engine import MarketWindows, market_windows, market_windows_nbytes
from backtest.sim.evaluate_config import METRICS, EvaluateConfig
from backtest.sim.impact import ImpactConfig

if TYPE_CHECKING:
    from backtest.sim.evaluate import BaselineMetrics

#: the most either precomputed part may hold; a larger one is left to the chunks
MAX_SHARED_BYTES = 256 * 2**20
#: the most columns one vectorbt evaluation call takes, here and in each chunk: its transient
#: arrays (order records, [order day, column] positions and cash) grow with it
EVALUATE_COLUMNS = 4_000


@dataclass(frozen=True, eq=False)
class KeyDays:
    """The grid's per-scenario days the order plans read: rows of the baseline's days."""

    announcement_day: int
    first_flow_day: np.ndarray  # [scenario]
    ramp_end_day: np.ndarray  # [scenario]
    pay_day: np.ndarray  # [scenario, day] bool


@dataclass(frozen=True, eq=False)
class Precomputed:
    """The once-per-run parts (None: left to each chunk) and the seconds each took."""

    windows: MarketWindows | None = None
    baseline_metrics: BaselineMetrics | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def precompute(
    baseline: BaselinePaths,
    impacts: Sequence[ImpactConfig],
    key_days: KeyDays | None,
    evaluate: EvaluateConfig | None,
    max_bytes: int = MAX_SHARED_BYTES,
) -> Precomputed:
    """The windows of every impact config and (with ``evaluate`` and ``key_days``) the
    baseline's metrics for every distinct order timing of the grid, each within ``max_bytes``."""
    seconds: dict[str, float] = {}
    windows = None
    if market_windows_nbytes(baseline, impacts) <= max_bytes:
        started = time.perf_counter()
        windows = market_windows(baseline, impacts)
        seconds["market_windows"] = round(time.perf_counter() - started, 3)
    metrics = None
    if evaluate is not None and key_days is not None:
        distinct = distinct_timings(key_days)
        if baseline_metrics_nbytes(baseline, evaluate, len(distinct)) <= max_bytes:
            started = time.perf_counter()
            metrics = _baseline_metrics(baseline, key_days, distinct, evaluate)
            seconds["baseline_evaluate"] = round(time.perf_counter() - started, 3)
    return Precomputed(windows, metrics, seconds)


def distinct_timings(key_days: KeyDays) -> np.ndarray:
    """Rows of the scenarios with distinct (first flow day, ramp end day, pay days): the
    order plans read nothing else of a scenario, so these cover every order column."""
    rows = np.column_stack(
        [key_days.first_flow_day, key_days.ramp_end_day, key_days.pay_day]
    ).astype(np.int64)
    return np.sort(np.unique(rows, axis=0, return_index=True)[1])


def baseline_metrics_nbytes(
    baseline: BaselinePaths, evaluate: EvaluateConfig, n_timings: int
) -> int:
    """At most what the baseline metrics of ``n_timings`` distinct timings hold, in bytes."""
    per_column = len(METRICS) * baseline.n_paths * len(baseline.assets) * 8
    return len(evaluate.strategies) * n_timings * per_column


def column_batches(n_items: int, columns_per_item: int) -> list[slice]:
    """Consecutive slices of ``range(n_items)`` (timings, scenarios) of at most
    ``EVALUATE_COLUMNS`` columns each, at least one item per slice."""
    per_batch = max(1, EVALUATE_COLUMNS // max(columns_per_item, 1))
    return [slice(i, i + per_batch) for i in range(0, n_items, per_batch)]


def _baseline_metrics(
    baseline: BaselinePaths, key_days: KeyDays, rows: np.ndarray, evaluate: EvaluateConfig
) -> BaselineMetrics:
    # imported here: vectorbt takes seconds to import, and an impact-only run never needs it
    from backtest.sim.evaluate import BaselineMetrics, baseline_metrics

    by_strategy: dict[str, dict[bytes, np.ndarray]] = {}
    for batch in column_batches(len(rows), baseline.n_paths * len(baseline.assets)):
        part = baseline_metrics(
            baseline.close_usd,
            key_days.announcement_day,
            key_days.first_flow_day[rows[batch]],
            key_days.ramp_end_day[rows[batch]],
            key_days.pay_day[rows[batch]],
            evaluate,
        )
        for name, found in part.by_strategy.items():
            by_strategy.setdefault(name, {}).update(found)
    return BaselineMetrics(by_strategy)


__all__ = [
    "EVALUATE_COLUMNS",
    "MAX_SHARED_BYTES",
    "KeyDays",
    "Precomputed",
    "baseline_metrics_nbytes",
    "column_batches",
    "distinct_timings",
    "precompute",
]
