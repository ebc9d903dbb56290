"""The [compute] section: defaults, validation, the run-time estimate and its guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from backtest.report.manifest import run_id
from backtest.run import check_run_time
from backtest.study.compute import (
    DEFAULT_WINDOW_DAYS,
    SECONDS_PER_1000_COLUMNS,
    ComputeConfig,
    duration_text,
    estimated_seconds,
)
from backtest.study.config import load_study
from flowimpact.errors import ConfigError


def test_defaults_run_in_process_in_chunks_of_8000_columns() -> None:
    compute = load_study(None).compute
    assert compute == ComputeConfig(
        chunk_columns=8_000, workers=0, scheduler="", write_flows="auto"
    )
    assert not compute.parallel
    assert compute.describe() == "in this process"
    assert ComputeConfig(workers=3).parallel
    assert ComputeConfig(scheduler="tcp://10.0.0.1:8786").describe().endswith("tcp://10.0.0.1:8786")


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"chunk_columns": 0}, "chunk_columns"),
        ({"chunk_columns": True}, "chunk_columns"),
        ({"workers": -1}, "workers"),
        ({"scheduler": "host:8786"}, "scheduler"),
        ({"write_flows": "none"}, "write_flows"),
    ],
)
def test_bad_values_name_their_key(changes: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=rf"\[compute\] {key}"):
        ComputeConfig(**changes)


def test_the_section_loads_from_a_study_file(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text(
        "[compute]\nchunk_columns = 500\n"
        'scheduler = "tcp://127.0.0.1:8786"\nwrite_flows = "drawn"\n'
    )
    compute = load_study(path).compute
    assert (compute.chunk_columns, compute.scheduler, compute.write_flows) == (
        500,
        "tcp://127.0.0.1:8786",
        "drawn",
    )


def test_compute_settings_do_not_change_the_run_id(tmp_path: Path) -> None:
    plain, other = tmp_path / "plain.toml", tmp_path / "other.toml"
    plain.write_text("[paths]\nn_paths = 50\n")
    other.write_text("[paths]\nn_paths = 50\n[compute]\nchunk_columns = 7\nworkers = 4\n")
    fingerprints = [{"asset": "BTC", "sha256": "0" * 64}]
    first, second = (load_study(p).resolved() for p in (plain, other))
    assert first["compute"] != second["compute"]  # run.json still says how it ran
    assert run_id(first, fingerprints) == run_id(second, fingerprints)
    # while what the study computes does change it
    changed = load_study(None).resolved()
    assert run_id(changed, fingerprints) != run_id(first, fingerprints)


def test_durations_read_as_seconds_minutes_or_hours() -> None:
    assert [duration_text(s) for s in (0.2, 12, 17 * 60, 2.5 * 3600)] == [
        "1 s",
        "12 s",
        "17 min",
        "2.5 h",
    ]


def test_the_estimate_scales_with_columns_window_and_processes() -> None:
    one = estimated_seconds(1000, DEFAULT_WINDOW_DAYS, 1)
    assert one == pytest.approx(SECONDS_PER_1000_COLUMNS)
    assert estimated_seconds(4000, DEFAULT_WINDOW_DAYS, 1) == pytest.approx(4 * one)
    assert estimated_seconds(1000, 2 * DEFAULT_WINDOW_DAYS, 1) == pytest.approx(2 * one)
    assert estimated_seconds(1000, DEFAULT_WINDOW_DAYS, 2) == pytest.approx(one / 2)


def test_the_guard_is_on_time_not_on_memory(tmp_path: Path) -> None:
    study = load_study(None)  # the default grid: well inside the 30 min budget
    seconds = check_run_time(study, study.compute, allow_large_grid=False)
    assert 0 < seconds < 30 * 60
    columns = study.n_scenarios * study.paths.n_paths * len(study.data.symbols)
    path = tmp_path / "tight.toml"
    path.write_text("[study]\nmax_minutes = 0.01\n")
    tight, big = load_study(path), ComputeConfig()
    with pytest.raises(ConfigError, match=rf"{columns:,} columns, estimated .* max_minutes = 0.01"):
        check_run_time(tight, big, allow_large_grid=False)
    assert check_run_time(tight, big, allow_large_grid=True) == seconds
    # two workers halve the estimate
    assert check_run_time(tight, ComputeConfig(workers=2), True) == pytest.approx(seconds / 2)


def test_a_flag_always_wins_and_workers_0_means_this_process() -> None:
    study = ComputeConfig(workers=2, scheduler="tcp://10.0.0.1:8786", chunk_columns=300)
    assert study.with_flags() == study  # no flag: the study's [compute] as it is
    here = study.with_flags(workers=0)
    assert not here.parallel and here.describe() == "in this process"
    assert here.chunk_columns == 300  # what no flag names stays the study's
    assert study.with_flags(workers=3) == ComputeConfig(workers=3, chunk_columns=300)
    remote = ComputeConfig(workers=2).with_flags(scheduler="tcp://10.0.0.2:8786")
    assert remote.describe().endswith("10.0.0.2:8786")
    both = study.with_flags(workers=4, scheduler="tcp://10.0.0.3:8786")
    assert (both.workers, both.scheduler) == (4, "tcp://10.0.0.3:8786")


def test_workers_above_the_cores_are_capped_with_a_message() -> None:
    capped, message = ComputeConfig(workers=1000).capped(cores=2)
    assert capped.workers == 2
    assert message is not None and "1000" in message and "2 cores" in message
    assert ComputeConfig(workers=2).capped(cores=2) == (ComputeConfig(workers=2), None)
    remote = ComputeConfig(workers=64, scheduler="tcp://10.0.0.1:8786")
    assert remote.capped(cores=2) == (remote, None)  # a cluster's workers are its own


def test_the_record_says_what_ran() -> None:
    assert ComputeConfig(chunk_columns=300).record(10, 37) == {
        "executor": "in-process",
        "workers": 0,
        "scheduler": "",
        "chunk_columns": 300,
        "scenarios_per_chunk": 37,
        "chunks": 10,
    }
    assert ComputeConfig(workers=2).record(1, 1)["executor"] == "dask-local"
