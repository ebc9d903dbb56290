"""The data directory's lock: reentrant in a process; another process is told who holds it."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowimpact.errors import ConfigError
from flowimpact.locking import (
    LockBusyError,
    data_dir_lock,
    describe_holder,
    holder_path,
    lock_path,
)
from tests.scheduler.helpers import REPO_ROOT, subprocess_env


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``tmp_path/data``'s lock while 'fetching binance BTC/USDT 1d'."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.flowimpact.lock_holder", str(tmp_path / "data"),
         "fetching binance BTC/USDT 1d"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO_ROOT, env=subprocess_env(),
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        yield child
    finally:
        if child.stdin is not None and not child.stdin.closed:
            child.stdin.close()
        child.wait(timeout=20)
        if child.stdout is not None:
            child.stdout.close()


def test_the_outermost_holder_leaves_a_note_and_removes_it(tmp_path: Path) -> None:
    with data_dir_lock(tmp_path, 0, purpose="the daily update", notify=None):
        note = json.loads(holder_path(tmp_path).read_text())
        with data_dir_lock(tmp_path, 0, purpose="writing binance BTC/USDT 1d", notify=None):
            assert json.loads(holder_path(tmp_path).read_text()) == note  # reentrant, unchanged
        assert holder_path(tmp_path).exists()
    assert not holder_path(tmp_path).exists() and lock_path(tmp_path).exists()
    assert note["pid"] == os.getpid() and note["doing"] == "the daily update"
    assert set(note) == {"pid", "host", "command", "doing", "started"}
    assert note["started"].endswith(" UTC")


def test_a_busy_lock_names_its_holder_while_waiting_and_when_giving_up(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    data_dir = tmp_path / "data"
    lines: list[str] = []
    started = time.monotonic()
    with pytest.raises(LockBusyError) as caught, data_dir_lock(
        data_dir, 0.5, purpose="x", notify=lines.append, remind_every_seconds=0.2
    ):
        pytest.fail("took a lock another process holds")
    assert 0.45 <= time.monotonic() - started < 5.0
    who = f"pid {holder.pid} on "
    assert lines[0].startswith(f"{lock_path(data_dir)} is held by {who}")
    assert "lock_holder" in lines[0] and "fetching binance BTC/USDT 1d, since " in lines[0]
    assert lines[0].endswith("; waiting up to 0.5 s")
    assert len(lines) >= 2 and lines[1].startswith(f"still waiting for {lock_path(data_dir)}")
    message = str(caught.value)
    assert "\n" not in message and who in message and "still held after 0.5 s" in message
    assert caught.value.exit_code == 1
    assert holder_path(data_dir).exists()  # the holder's note stays: it still holds the lock


def test_a_waiter_gets_the_lock_once_the_holder_lets_go(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    data_dir = tmp_path / "data"
    assert holder.stdin is not None
    release = threading.Timer(0.3, holder.stdin.close)
    release.start()
    lines: list[str] = []
    try:
        with data_dir_lock(data_dir, 20.0, purpose="the daily update", notify=lines.append):
            assert json.loads(holder_path(data_dir).read_text())["pid"] == os.getpid()
    finally:
        release.join()
    assert len(lines) == 1 and "waiting up to 20 s" in lines[0]


def test_a_note_left_by_a_killed_process_is_not_believed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    import socket

    holder_path(tmp_path).write_text(json.dumps({
        "pid": int(dead.stdout), "host": socket.gethostname(), "command": "flowimpact fetch",
        "doing": "x", "started": "2026-01-01 00:00:00 UTC"}))
    assert describe_holder(tmp_path) == "a process that left no note of who it is"


def test_a_data_directory_whose_lock_cannot_be_made_is_exit_2_naming_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    lock_path(data_dir).mkdir(parents=True)  # the lock file cannot be opened (even by root)
    with pytest.raises(ConfigError) as caught, data_dir_lock(data_dir, 0, purpose="writing"):
        pytest.fail("the body must not run")
    assert caught.value.exit_code == 2
    assert str(data_dir) in str(caught.value) and str(lock_path(data_dir)) in str(caught.value)


def test_a_read_only_data_directory_is_exit_2_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def read_only(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith(".flowimpact.lock"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(ConfigError, match="Read-only file system"), data_dir_lock(
        tmp_path, 0, purpose="writing"
    ):
        pytest.fail("the body must not run")
