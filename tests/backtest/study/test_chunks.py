"""Chunks of whole scenarios: the plan, and the same outputs whatever the chunk size.

The study is ``conftest.GRID`` (12 scenarios with a sleeve, 8 columns each). It runs with 1
scenario per chunk, 5 per chunk (uneven: 5, 5, 2) and all 12 in one (the ``reference``); every
output must be the same. Chunks of 5, 2, 1, 4 and 5 scenarios in sequence on one reused
workspace give the results they give on fresh arrays, bit for bit, and no result keeps a view
of the workspace (a later chunk changes no earlier result).
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest.run import RunResult
from backtest.sim.engine import run_engine
from backtest.sim.impact import coverage_table
from backtest.sim.metrics import impact_metrics
from backtest.sim.workspace import Workspace
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


#: chunks of different sizes in sequence: a smaller chunk after a larger one writes into a
#: view of the front of the workspace's buffers, a larger one after it grows them
REUSE_SPECS = (
    ChunkSpec(0, 0, 5, (0, 4)),
    ChunkSpec(1, 5, 7, (6,)),
    ChunkSpec(2, 7, 8, ()),
    ChunkSpec(3, 8, 12, (11,)),
    ChunkSpec(4, 0, 5, (0, 4)),
)


def _assert_same_result(found: ChunkResult, expected: ChunkResult) -> None:
    pd.testing.assert_frame_equal(found.impacts, expected.impacts, check_exact=True)
    assert found.evaluation is not None and expected.evaluation is not None
    pd.testing.assert_frame_equal(found.evaluation, expected.evaluation, check_exact=True)
    assert found.impacts.to_numpy().tobytes() == expected.impacts.to_numpy().tobytes()
    assert found.evaluation.to_numpy().tobytes() == expected.evaluation.to_numpy().tobytes()
    assert set(found.bands) == set(expected.bands)
    for i, band in expected.bands.items():
        assert found.bands[i].tobytes() == band.tobytes()


def _arrays(result: ChunkResult) -> list[np.ndarray]:
    frames = [result.impacts] + ([result.evaluation] if result.evaluation is not None else [])
    columns = [frame[name].to_numpy() for frame in frames for name in frame.columns]
    return columns + list(result.bands.values())


def test_chunks_on_one_workspace_give_the_results_of_fresh_arrays_bit_for_bit(
    reference: RunResult,
) -> None:
    run = reference.run
    shared = SharedInputs.build(run.baseline, run.inputs, run.scenarios, run.study.evaluate)
    workspace = Workspace()
    fresh = [run_chunk(spec, shared) for spec in REUSE_SPECS]
    reused = [run_chunk(spec, shared, workspace) for spec in REUSE_SPECS]
    for found, expected in zip(reused, fresh, strict=True):
        _assert_same_result(found, expected)
    # bounded: one buffer per engine output the chunk needs, as large as the largest chunk's
    n_paths, n_days, n_assets = run.baseline.close_usd.shape
    cube = 5 * n_paths * n_days * n_assets
    assert workspace.nbytes == 8 * (3 * cube + 5 * n_paths * n_assets)


def test_a_chunk_result_keeps_nothing_of_the_workspace(reference: RunResult) -> None:
    run = reference.run
    shared = SharedInputs.build(run.baseline, run.inputs, run.scenarios, run.study.evaluate)
    workspace = Workspace()
    earlier = run_chunk(REUSE_SPECS[0], shared, workspace)
    kept = copy.deepcopy(earlier)
    assert workspace.nbytes > 0
    assert not any(workspace.holds(values) for values in _arrays(earlier))
    for spec in REUSE_SPECS[1:]:  # later chunks overwrite every buffer, in part or in full
        later = run_chunk(spec, shared, workspace)
        assert not any(workspace.holds(values) for values in _arrays(later))
    _assert_same_result(earlier, kept)


def test_without_a_sleeve_the_figures_read_the_direct_flows_on_every_path(
    reference: RunResult,
) -> None:
    # no [scenario, path, day, asset] flow array then: the chunk's figures are those of the
    # engine's own flow output, bit for bit, and the workspace holds no buffer for it
    run = reference.run
    inputs = dataclasses.replace(run.inputs, sleeve=None)
    shared = SharedInputs.build(run.baseline, inputs, run.scenarios, run.study.evaluate)
    workspace = Workspace()
    found = run_chunk(ChunkSpec(0, 0, 5, ()), shared, workspace)
    impacts = [s.impact for s in run.scenarios[:5]]
    engine = run_engine(
        run.baseline,
        inputs.direct_flow_usd[:5],
        impacts,
        None,
        inputs.announcement_day,
        outputs=("flow_usd", "log_impact", "permanent_log_impact_at_horizon"),
    )
    expected = impact_metrics(
        engine.array("flow_usd"),
        engine.array("log_impact"),
        run.baseline.volume_usd,
        coverage_table(impacts, run.baseline.assets, run.baseline.venues)[0],
        engine.array("permanent_log_impact_at_horizon"),
    )
    assert found.impacts.to_numpy().tobytes() == expected.to_numpy().tobytes()
    assert expected["cum_flow_usd_p50"].abs().max() > 0.0
    n_paths, n_days, n_assets = run.baseline.close_usd.shape
    cube = 5 * n_paths * n_days * n_assets
    assert workspace.nbytes == 8 * (2 * cube + 5 * n_paths * n_assets)  # log impact, close
