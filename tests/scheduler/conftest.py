"""Fixtures of the scheduler tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scheduler.helpers import REPO_ROOT, subprocess_env


@pytest.fixture
def other_process_holding_lock(tmp_path: Path) -> Iterator[Path]:
    """A real second process holding ``tmp_path/data``'s lock; released at teardown."""
    data_dir = tmp_path / "data"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.scheduler.lock_holder", str(data_dir)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO_ROOT, env=subprocess_env(),
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        yield data_dir
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=20)
        if child.stdout is not None:
            child.stdout.close()
