"""Chunks of whole scenarios: the plan, and the same outputs whatever the chunk size.

The study is ``conftest.GRID`` (12 scenarios with a sleeve, 8 columns each). It runs with 1
scenario per chunk, 5 per chunk (uneven: 5, 5, 2) and all 12 in one (the ``reference``); every
output must be the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest.run import RunResult
from backtest.study.chunks import (
    ChunkResult,
    ChunkSpec,
    SharedInputs,
    combine,
    plan_chunks,
    run_chunk,
    scenario_paths,
    scenarios_per_chunk,
)
from backtest.study.config import Study
from tests.backtest.study.grid_helpers import (
    COLUMNS_PER_SCENARIO,
    assert_same_outputs,
    chunked,
    run_with,
)

pytestmark = pytest.mark.slow


def test_the_plan_covers_the_grid_in_whole_scenarios() -> None:
    assert scenarios_per_chunk(8_000, 200, 2) == 20
    assert scenarios_per_chunk(100, 200, 2) == 1  # a scenario bigger than a chunk is one chunk
    specs = plan_chunks(12, 5, drawn=[0, 6, 11])
    assert [(s.start, s.stop) for s in specs] == [(0, 5), (5, 10), (10, 12)]
    assert [s.drawn for s in specs] == [(0,), (6,), (11,)]
    assert [s.index for s in specs] == [0, 1, 2]
    assert plan_chunks(3, 10) == [ChunkSpec(0, 0, 3, ())]


def test_combine_puts_chunks_back_in_grid_order_and_refuses_a_gap() -> None:
    def part(start: int, stop: int) -> ChunkResult:
        rows = pd.DataFrame({"x": np.arange(start, stop, 0.5)})  # 2 assets per scenario
        return ChunkResult(ChunkSpec(start, start, stop), rows, rows * 10, {}, {"engine": 1.0})

    combined = combine([part(2, 3), part(0, 2)], n_assets=2)
    np.testing.assert_array_equal(combined.impacts["x"], np.arange(0, 3, 0.5))
    assert list(combined.impacts.index) == [(s, a) for s in range(3) for a in range(2)]
    assert combined.seconds == {"engine": 2.0}
    with pytest.raises(RuntimeError, match="scenario 2 is missing"):
        combine([part(0, 2), part(3, 4)], n_assets=2)


@pytest.mark.parametrize("per_chunk", [1, 5])
def test_any_chunk_size_gives_the_same_outputs(
    grid_study: tuple[Study, Path], reference: RunResult, per_chunk: int
) -> None:
    study, root = grid_study
    compute = chunked(study, chunk_columns=per_chunk * COLUMNS_PER_SCENARIO)
    result = run_with(study, root, f"per_chunk_{per_chunk}", compute)
    assert result.run.n_chunks == -(-len(result.run.scenarios) // per_chunk)
    assert reference.run.n_chunks == 1
    assert_same_outputs(result, reference)


def test_a_chunk_is_a_pure_function_of_its_inputs(
    grid_study: tuple[Study, Path], reference: RunResult
) -> None:
    run = reference.run
    shared = SharedInputs.build(run.baseline, run.inputs, run.scenarios, run.study.evaluate)
    spec = ChunkSpec(0, 3, 7, (3,))
    first, again = run_chunk(spec, shared), run_chunk(spec, shared)
    pd.testing.assert_frame_equal(first.impacts, again.impacts, check_exact=True)
    pd.testing.assert_frame_equal(first.evaluation, again.evaluation, check_exact=True)
    np.testing.assert_array_equal(first.bands[3], again.bands[3])
    # and it is the run's own rows 3..6 (two assets each)
    rows = reference.run.table.iloc[3 * 2 : 7 * 2].reset_index(drop=True)
    np.testing.assert_array_equal(
        first.impacts["price_uplift_at_horizon_pct_p50"], rows["price_uplift_at_horizon_pct_p50"]
    )
    assert set(first.bands) == {3}


def test_scenario_paths_refuses_an_index_outside_the_grid(reference: RunResult) -> None:
    run = reference.run
    with pytest.raises(IndexError, match=r"outside 0\.\.11"):
        scenario_paths(run.baseline, run.inputs, run.scenarios, [0, 12])
