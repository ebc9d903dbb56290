from __future__ import annotations

import subprocess
import sys
import threading
import time

import filelock
import pytest

from scheduler.lock import LockBusyError, lock_path, process_lock
from tests.scheduler.helpers import REPO_ROOT, subprocess_env


def test_the_lock_is_reentrant_within_one_process(tmp_path):
    with process_lock(tmp_path, timeout_seconds=0):
        with process_lock(tmp_path, timeout_seconds=0):
            assert lock_path(tmp_path).exists()
        # still held by the outer block: another (non-shared) handle cannot take it
        with pytest.raises(filelock.Timeout):
            filelock.FileLock(lock_path(tmp_path)).acquire(timeout=0)
    with filelock.FileLock(lock_path(tmp_path)).acquire(timeout=0):
        pass  # released after the outer block


def test_a_second_process_waits_then_gets_one_clear_line(other_process_holding_lock):
    data_dir = other_process_holding_lock
    started = time.monotonic()
    with pytest.raises(LockBusyError) as caught, process_lock(data_dir, timeout_seconds=0.3):
        pytest.fail("took a lock another process holds")
    waited = time.monotonic() - started
    message = str(caught.value)
    assert "\n" not in message
    assert str(lock_path(data_dir)) in message and "0.3 s" in message
    assert 0.25 <= waited < 5.0
    assert caught.value.exit_code == 1


def test_a_waiting_process_gets_the_lock_when_the_holder_lets_go(tmp_path):
    data_dir = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.scheduler.lock_holder", str(data_dir)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO_ROOT, env=subprocess_env(),
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    release = threading.Timer(0.3, holder.stdin.close)
    release.start()
    try:
        started = time.monotonic()
        with process_lock(data_dir, timeout_seconds=20.0):
            waited = time.monotonic() - started
    finally:
        release.join()
        holder.wait(timeout=20)
        holder.stdout.close()
    assert 0.25 <= waited < 20.0


def test_a_negative_timeout_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError, match="timeout_seconds"), process_lock(tmp_path, -1):
        pass
