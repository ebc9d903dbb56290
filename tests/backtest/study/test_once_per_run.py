"""Once per run, not once per chunk: the precomputed σ windows and baseline metrics.

The grid study of ``grid_helpers`` (12 scenarios, 4 paths x 2 assets, a sleeve) in chunks of
5 (5, 5, 2): with ``SharedInputs.precomputed`` every chunk gives the table it gives without,
bit for bit, and neither the windows nor the baseline's strategy metrics are computed again
in any chunk.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest.run import RunResult
from backtest.sim import engine, evaluate
from backtest.study import once_per_run
from backtest.study.chunks import Combined, SharedInputs, combine, plan_chunks, run_chunk
from backtest.study.compute import ComputeConfig
from backtest.study.config import Study
from backtest.study.once_per_run import KeyDays, Precomputed, distinct_timings, precompute
from backtest.study.sensitivity.samples import evaluate_samples

pytestmark = pytest.mark.slow


def _shared(reference: RunResult) -> SharedInputs:
    run = reference.run
    return SharedInputs.build(run.baseline, run.inputs, run.scenarios, run.study.evaluate)


def _chunked(shared: SharedInputs) -> Combined:
    n_scenarios = len(shared.impacts)
    specs = plan_chunks(n_scenarios, 5, drawn=[0, 6, 11])
    return combine([run_chunk(spec, shared) for spec in specs], len(shared.baseline.assets))


def _count(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[object]:
    calls: list[object] = []
    real = getattr(module, name)

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[1] if len(args) > 1 else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def test_chunks_with_the_precomputation_give_the_table_without_it(reference: RunResult) -> None:
    shared = _shared(reference)
    assert shared.precomputed.windows is not None
    assert shared.precomputed.baseline_metrics is not None
    bare = dataclasses.replace(shared, precomputed=Precomputed())
    with_it, without = _chunked(shared), _chunked(bare)
    pd.testing.assert_frame_equal(with_it.impacts, without.impacts, check_exact=True)
    assert with_it.evaluation is not None and without.evaluation is not None
    pd.testing.assert_frame_equal(with_it.evaluation, without.evaluation, check_exact=True)
    assert set(with_it.bands) == set(without.bands) == {0, 6, 11}
    for index, band in without.bands.items():
        np.testing.assert_array_equal(with_it.bands[index], band)
    # and the run's own table (computed in one chunk) to 1e-12
    metrics = with_it.metrics()
    table = reference.run.table[metrics.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        metrics.reset_index(drop=True), table, check_exact=False, rtol=1e-12, atol=0
    )


def test_the_windows_and_the_baseline_metrics_are_computed_once_per_run(
    reference: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    windows = _count(monkeypatch, engine, "_per_window")
    metrics = _count(monkeypatch, evaluate, "baseline_metrics")
    baseline_columns = _count(monkeypatch, evaluate, "_baseline_columns")
    both_columns = _count(monkeypatch, evaluate, "_both_columns")
    shared = _shared(reference)
    assert len(windows) == 2 and len(metrics) == 1  # σ and volume once; the metrics once
    n_strategies = len(reference.run.study.evaluate.strategies)
    assert len(baseline_columns) == n_strategies
    _chunked(shared)  # three chunks
    assert len(windows) == 2 and len(metrics) == 1
    assert len(baseline_columns) == n_strategies and both_columns == []  # none in a chunk
    # without the precomputation every chunk computes both again
    _chunked(dataclasses.replace(shared, precomputed=Precomputed()))
    assert len(windows) == 2 + 2 * 3
    assert len(both_columns) == 3 * n_strategies


def test_past_the_memory_bound_the_chunks_compute_their_own(reference: RunResult) -> None:
    run = reference.run
    impacts = [s.impact for s in run.scenarios]
    key_days = KeyDays(
        run.inputs.announcement_day, run.inputs.first_flow_day, run.inputs.ramp_end_day,
        run.inputs.pay_day,
    )  # fmt: skip
    none = precompute(run.baseline, impacts, key_days, run.study.evaluate, max_bytes=0)
    assert (none.windows, none.baseline_metrics, none.seconds) == (None, None, {})
    full = precompute(run.baseline, impacts, key_days, run.study.evaluate)
    assert set(full.seconds) == {"market_windows", "baseline_evaluate"}
    assert full.windows is not None and full.windows.nbytes <= once_per_run.MAX_SHARED_BYTES
    # impact only (no evaluation) or no key days: the windows alone
    alone = precompute(run.baseline, impacts, None, run.study.evaluate)
    assert alone.windows is not None and alone.baseline_metrics is None


def test_distinct_timings_cover_every_order_column() -> None:
    pay = np.zeros((5, 4), dtype=bool)
    pay[[0, 1, 3], 2] = True
    pay[4, 1] = True
    key_days = KeyDays(0, np.array([2, 2, 1, 2, 2]), np.array([3, 3, 3, 3, 3]), pay)
    # scenarios 1 and 3 repeat scenario 0; 2 differs in its first day, 4 in its pay days
    assert list(distinct_timings(key_days)) == [0, 2, 4]


def test_the_sensitivity_builds_its_windows_once_for_every_chunk(
    grid_study: tuple[Study, Path], reference: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = reference.run
    windows = _count(monkeypatch, engine, "_per_window")
    got = evaluate_samples(
        [s.inflow for s in run.scenarios],
        [s.impact for s in run.scenarios],
        run.baseline,
        compute=ComputeConfig(chunk_columns=5 * 4 * 2),
    )
    assert got.n_chunks == 3 and len(windows) == 2
    columns = list(got.table.columns)
    pd.testing.assert_frame_equal(
        got.table.reset_index(drop=True),
        run.table[columns].reset_index(drop=True),
        check_exact=False,
        rtol=1e-12,
        atol=0,
    )


def test_column_batches_hold_at_most_the_bound_and_cover_every_item(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(once_per_run, "EVALUATE_COLUMNS", 10)
    assert once_per_run.column_batches(7, 3) == [slice(0, 3), slice(3, 6), slice(6, 9)]
    # an item wider than the bound gets a batch of its own
    assert once_per_run.column_batches(2, 25) == [slice(0, 1), slice(1, 2)]
    assert once_per_run.column_batches(0, 3) == []


def test_the_evaluation_in_batches_gives_the_same_numbers_bit_for_bit(
    reference: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _shared(reference)
    whole_chunks = _chunked(whole)
    # 4 paths x 2 assets: one timing or scenario (8 columns) per vectorbt call
    monkeypatch.setattr(once_per_run, "EVALUATE_COLUMNS", 8)
    metrics = _count(monkeypatch, evaluate, "baseline_metrics")
    calls = _count(monkeypatch, evaluate, "evaluate")
    batched = _shared(reference)
    run = reference.run
    n_timings = len(distinct_timings(_shared_key_days(reference)))
    assert n_timings >= 2 and len(metrics) == n_timings
    assert whole.precomputed.baseline_metrics is not None
    assert batched.precomputed.baseline_metrics is not None
    by_whole = whole.precomputed.baseline_metrics.by_strategy
    by_batch = batched.precomputed.baseline_metrics.by_strategy
    assert by_whole.keys() == by_batch.keys()
    for name, found in by_whole.items():
        assert found.keys() == by_batch[name].keys()
        for key, values in found.items():
            np.testing.assert_array_equal(by_batch[name][key], values)
    batched_chunks = _chunked(batched)  # one call per scenario, not per chunk
    assert len(calls) == len(run.scenarios) == 12
    assert whole_chunks.evaluation is not None and batched_chunks.evaluation is not None
    pd.testing.assert_frame_equal(
        batched_chunks.evaluation, whole_chunks.evaluation, check_exact=True
    )
    assert len(run.scenarios) == len(batched_chunks.evaluation) // len(run.baseline.assets)


def _shared_key_days(reference: RunResult) -> KeyDays:
    inputs = reference.run.inputs
    return KeyDays(
        inputs.announcement_day, inputs.first_flow_day, inputs.ramp_end_day, inputs.pay_day
    )
