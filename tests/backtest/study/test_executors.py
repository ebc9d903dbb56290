"""Chunks in this process and on Dask: the same outputs, even when a worker dies mid-run.

The Dask tests start local clusters of two worker processes (one thread each, no dashboard,
dask's temporary directory under the test's tmp_path) and check that none of their processes
outlives the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cloudpickle
import dask
import psutil
import pytest
from distributed import Client, LocalCluster

from backtest.run import RunResult
from backtest.sim.workspace import Workspace
from backtest.study import executors
from backtest.study.compute import ComputeConfig
from backtest.study.config import Study
from flowimpact.errors import FlowImpactError
from tests.backtest.study import dask_helpers
from tests.backtest.study.grid_helpers import (
    COLUMNS_PER_SCENARIO,
    assert_same_outputs,
    chunked,
    run_with,
)

pytestmark = [pytest.mark.dask, pytest.mark.slow]

cloudpickle.register_pickle_by_value(dask_helpers)


def square_plus(task: int, shared: int, workspace: Workspace) -> int:
    return task * task + shared


def _children() -> set[int]:
    """Child processes, less multiprocessing's resource tracker: one per parent process,
    started with the first spawned child and ending with the parent, whatever the test does."""
    return {
        p.pid
        for p in psutil.Process().children(recursive=True)
        if "multiprocessing.resource_tracker" not in " ".join(_cmdline(p))
    }


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


@pytest.fixture
def dask_tmp(tmp_path: Path) -> Iterator[Path]:
    """Dask's scratch space under tmp_path; fails the test if a process is left behind."""
    before = _children()
    with dask.config.set({"temporary-directory": str(tmp_path / "dask")}):
        yield tmp_path
    left = _children() - before
    if left:  # give closing processes a moment to be reaped before calling them leftovers
        _, alive = psutil.wait_procs([psutil.Process(pid) for pid in left], timeout=10)
        assert not alive, f"processes left behind: {[p.pid for p in alive]}"


def test_in_process_map_yields_every_task_in_order() -> None:
    found = list(executors.map_chunks(square_plus, [3, 1, 2], 10, ComputeConfig(), progress=False))
    assert found == [(0, 19), (1, 11), (2, 14)]


def test_a_local_cluster_of_two_workers_gives_the_same_outputs(
    grid_study: tuple[Study, Path], reference: RunResult, dask_tmp: Path
) -> None:
    study, root = grid_study
    compute = chunked(study, workers=2, chunk_columns=3 * COLUMNS_PER_SCENARIO)
    result = run_with(study, root, "workers2", compute)
    assert result.run.n_chunks == 4
    assert_same_outputs(result, reference)
    assert (dask_tmp / "dask").is_dir()  # the workers' scratch space went where we said


def test_a_worker_killed_mid_run_leaves_the_outputs_unchanged(
    grid_study: tuple[Study, Path], reference: RunResult, dask_tmp: Path
) -> None:
    study, root = grid_study
    marker = dask_tmp / "killed.pid"
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs=executors.NO_HTTP_PORT,
        ) as cluster,
        Client(cluster) as client,
    ):
        first_pids = set(client.run(os.getpid).values())
        client.register_plugin(dask_helpers.KillOnSecondChunk(str(marker)))
        compute = chunked(
            study, scheduler=cluster.scheduler_address, chunk_columns=2 * COLUMNS_PER_SCENARIO
        )
        result = run_with(study, root, "killed", compute)
    assert marker.exists(), "no worker was killed: the test proved nothing"
    killed = int(marker.read_text())
    assert killed in first_pids
    assert not psutil.pid_exists(killed) or psutil.Process(killed).status() == "zombie"
    assert result.run.n_chunks == 6
    assert_same_outputs(result, reference)


def test_a_worker_thread_reuses_one_workspace_and_drops_it_when_the_map_ends(
    dask_tmp: Path,
) -> None:
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs=executors.NO_HTTP_PORT,
        ) as cluster,
        Client(cluster) as client,
    ):
        compute = ComputeConfig(scheduler=cluster.scheduler_address)
        mapped = executors.map_chunks(
            dask_helpers.workspace_probe, list(range(12)), 0, compute, progress=False
        )
        found = [probe for _, probe in mapped]
        left = client.run(lambda dask_worker: sorted(dask_worker.plugins))
    by_thread: dict[tuple[int, int], list[int]] = {}
    for pid, thread, held in found:
        by_thread.setdefault((pid, thread), []).append(held)
    assert len(found) == 12
    for held in by_thread.values():  # the first task of a thread made it, the others reused it
        assert sorted(held) == [0] + [8] * (len(held) - 1)
    assert len(by_thread) < 12  # some thread ran more than one task: reuse was tested
    (plugins,) = left.values()
    assert not [name for name in plugins if name.startswith("flowimpact-workspace")]


def test_an_unreachable_scheduler_is_one_clear_error(dask_tmp: Path) -> None:
    compute = ComputeConfig(scheduler="tcp://127.0.0.1:1", connect_timeout_seconds=1)
    with pytest.raises(FlowImpactError, match=r"scheduler at tcp://127.0.0.1:1 refused") as caught:
        list(executors.map_chunks(square_plus, [1], 0, compute, progress=False))
    assert caught.value.exit_code == 3
