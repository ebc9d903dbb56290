"""--workers and --scheduler on the command line: one rule, bounded checks, one-line errors."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowimpact.cli import main
from tests.backtest.fixtures import write_study


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"tcp://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("command", ["run", "sensitivity"])
def test_a_silent_scheduler_exits_3_in_one_line_within_the_timeout(
    command: str, black_hole: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(
        tmp_path / "study.toml",
        compute={"connect_timeout_seconds": 1},
        inflow={"allocation": 0.02},  # one value: the default analysis ranges the allocation
    )
    import distributed  # noqa: F401  (its import is not part of the bound)

    started = time.monotonic()
    code, _, err = _run(
        capsys, command, "--config", str(study), "--data-dir", str(tmp_path / "data"),
        "--out", str(tmp_path / "out"), "--scheduler", black_hole, "--no-progress",
    )  # fmt: skip
    assert time.monotonic() - started < 10
    assert code == 3, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flowimpact: error: "), err
    assert black_hole in lines[0] and "connect_timeout_seconds" in lines[0]
    assert not (tmp_path / "out").exists()  # refused before any work


def test_workers_above_the_cores_are_capped_and_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cores = os.cpu_count() or 1
    # a budget no grid meets: the command stops after printing its estimate
    study = write_study(tmp_path / "study.toml", study={"max_minutes": 1e-6})
    code, out, err = _run(
        capsys, "run", "--config", str(study), "--data-dir", str(tmp_path / "data"),
        "--out", str(tmp_path / "out"), "--workers", "1000", "--no-progress",
    )  # fmt: skip
    assert code == 2
    assert f"workers = 1000 is more than this machine's {cores} cores" in err
    assert f"local Dask cluster of {cores} worker processes" in out
