"""The reused output buffers: the engine gives the same numbers in them, whatever they held.

A workspace's buffers keep whatever the last run left, so the engine must write every cell
of each output it fills; these tests fill the buffers with NaN and sentinels first, then
compare with a run on fresh arrays bit for bit, for a grid that grows, shrinks to a view of
the front of a buffer and grows again.
"""

from __future__ import annotations

import numpy as np
import pytest

from backtest.sim.engine import ALL_OUTPUTS, run_engine
from backtest.sim.workspace import Workspace
from tests.backtest.sim.reference_engine import synthetic_baseline
from tests.backtest.sim.test_engine import ALL_MODELS, buy_flows, sleeve_for


def test_an_array_is_the_front_of_one_buffer_per_name_grown_only_when_needed() -> None:
    workspace = Workspace()
    big = workspace.array("a", (4, 5))
    assert big.shape == (4, 5) and big.dtype == np.float64 and big.flags.c_contiguous
    small = workspace.array("a", (2, 3))
    assert np.shares_memory(big, small) and small.flags.c_contiguous
    assert workspace.nbytes == 20 * 8
    other = workspace.array("b", (3,))
    assert not np.shares_memory(other, big)
    assert workspace.nbytes == 23 * 8
    grown = workspace.array("a", (5, 5))
    assert not np.shares_memory(grown, big)  # a new buffer replaces the old one
    assert workspace.nbytes == 28 * 8
    assert workspace.holds(grown[1:]) and not workspace.holds(big)
    workspace.clear()
    assert workspace.nbytes == 0 and not workspace.holds(grown)


def test_memory_stays_at_the_largest_request_however_many_are_made() -> None:
    workspace = Workspace()
    rng = np.random.default_rng(0)
    for _ in range(200):
        workspace.array("x", (int(rng.integers(1, 50)), 7))
    assert workspace.nbytes <= 49 * 7 * 8


def _dirty(workspace: Workspace) -> None:
    """Every buffer's cells set to NaN or a sentinel, as a bad kernel would leave them."""
    for name, buffer in list(workspace._buffers.items()):
        buffer[::2] = np.nan
        buffer[1::2] = -1e300 if "close" in name else 7.0


@pytest.mark.parametrize("with_sleeve", [False, True])
def test_the_engine_gives_the_same_numbers_in_a_reused_workspace(with_sleeve: bool) -> None:
    baseline = synthetic_baseline(21)
    n_models = len(ALL_MODELS)
    flows = buy_flows(22, n_models)
    workspace = Workspace()
    # all four scenarios, then the first one (a view of the front), then all again
    for rows in (slice(0, n_models), slice(0, 1), slice(1, 3), slice(0, n_models)):
        part = sleeve_for(rows.stop - rows.start) if with_sleeve else None
        fresh = run_engine(baseline, flows[rows], ALL_MODELS[rows], part, 3, outputs=ALL_OUTPUTS)
        _dirty(workspace)
        reused = run_engine(
            baseline, flows[rows], ALL_MODELS[rows], part, 3, outputs=ALL_OUTPUTS,
            workspace=workspace,
        )  # fmt: skip
        for name in ALL_OUTPUTS:
            expected, found = fresh.array(name), reused.array(name)
            assert workspace.holds(found), name
            assert found.shape == expected.shape
            np.testing.assert_array_equal(found, expected, strict=True, err_msg=name)
            assert found.tobytes() == expected.tobytes(), name  # bit for bit, NaN included
    # one buffer per output, as large as the largest run: four scenarios
    cube = n_models * baseline.n_paths * baseline.n_days * len(baseline.assets)
    assert workspace.nbytes == 8 * (5 * cube + cube // baseline.n_days)


def test_an_output_left_out_takes_no_buffer() -> None:
    baseline = synthetic_baseline(23)
    workspace = Workspace()
    result = run_engine(
        baseline, buy_flows(24, 1), ALL_MODELS[:1], None, 3, outputs=("close_usd",),
        workspace=workspace,
    )  # fmt: skip
    assert result.flow_usd is None and result.log_impact is None
    assert workspace.nbytes == result.array("close_usd").nbytes
