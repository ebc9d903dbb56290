"""The data directory's lock: one flowimpact process writes a store at a time, and says who.

One home for the lock that the candle store takes around each write (``feeds._files``) and the
scheduler holds for a whole update (``scheduler.lock``): ``DATA_DIR/.flowimpact.lock``. So a
scheduled update keeps a manual ``flowimpact fetch`` out for its whole length, and the other
way round.

Within one process the lock is reentrant: ``filelock`` hands out one shared instance per lock
file (``is_singleton=True``) that counts nested acquisitions, so the update can hold the lock
while the store it calls takes it again. The outermost holder writes a note beside the lock,
``DATA_DIR/.flowimpact.lock.json`` (pid, host, command, what it is doing, since when), and
removes it on release. A second *process* that finds the lock taken says on stderr who holds it
and how long it will wait, reminds every ``remind_every_seconds``, and after
``timeout_seconds`` gets ``LockBusyError`` naming the holder.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import filelock

from flowimpact.atomic import atomic_write_text
from flowimpact.errors import ConfigError, FlowImpactError
from flowimpact.notify import Notify, to_stderr

LOCK_FILE_NAME = ".flowimpact.lock"
HOLDER_FILE_NAME = ".flowimpact.lock.json"
_COMMAND_CHARS = 200


class LockBusyError(FlowImpactError):
    """Another process holds the data directory's lock (exit 1: try again later)."""


def lock_path(data_dir: Path) -> Path:
    """Where the data directory's lock file lives."""
    return Path(data_dir) / LOCK_FILE_NAME


def holder_path(data_dir: Path) -> Path:
    """Where the note naming the lock's current holder lives."""
    return Path(data_dir) / HOLDER_FILE_NAME


@contextlib.contextmanager
def data_dir_lock(
    data_dir: Path,
    timeout_seconds: float,
    *,
    purpose: str,
    notify: Notify | None = to_stderr,
    remind_every_seconds: float = 30.0,
) -> Iterator[Path]:
    """Hold ``DATA_DIR/.flowimpact.lock`` for the block; yields the lock file's path.

    ``purpose`` (e.g. ``"writing binance BTC/USDT 1d"``) goes into the holder note. Waits up to
    ``timeout_seconds`` (0: do not wait) for another process, telling ``notify`` who holds it,
    then raises ``LockBusyError``. Nested use in the same thread does not block.
    """
    if timeout_seconds < 0:
        raise ValueError("timeout_seconds must be >= 0")
    data_dir = Path(data_dir)
    path = lock_path(data_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The timeout goes to acquire(), not the constructor: a singleton must be built with the
        # same arguments by every caller, and callers differ in how long they wait.
        lock = filelock.FileLock(path, is_singleton=True)
        _acquire(lock, data_dir, timeout_seconds, notify, remind_every_seconds)
    except OSError as exc:  # read-only or not ours: the store cannot be written, say where
        raise ConfigError(
            f"the data directory {data_dir} cannot be written (its lock file {path}: "
            f"{exc.strerror or exc}); give --data-dir (or $FLOWIMPACT_DATA_DIR) a folder you "
            "can write"
        ) from None
    outermost = lock.lock_counter == 1
    try:
        if outermost:
            _write_note(data_dir, purpose)
        yield path
    finally:
        if outermost:
            _remove_own_note(data_dir)
        lock.release()


def describe_holder(data_dir: Path) -> str:
    """Who holds the lock, from its note: ``pid 123 on host (command: doing, since ...)``."""
    note = _read_note(data_dir)
    if note is None:
        return "a process that left no note of who it is"
    since = note.get("started", "?")
    return (
        f"pid {note.get('pid', '?')} on {note.get('host', '?')} ({note.get('command', '?')}: "
        f"{note.get('doing', '?')}, since {since})"
    )


def _acquire(
    lock: filelock.FileLock,
    data_dir: Path,
    timeout_seconds: float,
    notify: Notify | None,
    remind_every_seconds: float,
) -> None:
    try:
        lock.acquire(timeout=0)
        return
    except filelock.Timeout:
        pass
    path = lock_path(data_dir)
    holder = describe_holder(data_dir)
    if timeout_seconds > 0 and notify is not None:
        notify(f"{path} is held by {holder}; waiting up to {timeout_seconds:g} s")
    started = time.monotonic()
    while True:
        waited = time.monotonic() - started
        remaining = timeout_seconds - waited
        if remaining <= 0:
            break
        try:
            lock.acquire(timeout=min(remaining, remind_every_seconds))
            return
        except filelock.Timeout:
            waited = time.monotonic() - started
            if notify is not None and waited < timeout_seconds:
                notify(f"still waiting for {path} ({waited:.0f} s of {timeout_seconds:g} s)")
    raise LockBusyError(
        f"another flowimpact process is writing {data_dir}: {describe_holder(data_dir)}; lock "
        f"{path} still held after {timeout_seconds:g} s: wait for it to finish, then run again"
    )


def _write_note(data_dir: Path, purpose: str) -> None:
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"
    note = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command[:_COMMAND_CHARS],
        "doing": purpose,
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    with contextlib.suppress(OSError):  # the note helps people; the lock works without it
        atomic_write_text(holder_path(data_dir), json.dumps(note))


def _read_note(data_dir: Path) -> dict[str, Any] | None:
    try:
        note = json.loads(holder_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(note, dict):
        return None
    if note.get("host") == socket.gethostname() and not _alive(note.get("pid")):
        return None  # left behind by a process that is gone (killed before it could remove it)
    return note


def _remove_own_note(data_dir: Path) -> None:
    note_path = holder_path(data_dir)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if json.loads(note_path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            note_path.unlink()


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


__all__ = [
    "HOLDER_FILE_NAME",
    "LOCK_FILE_NAME",
    "LockBusyError",
    "data_dir_lock",
    "describe_holder",
    "holder_path",
    "lock_path",
]
