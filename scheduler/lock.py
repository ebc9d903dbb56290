"""The process lock on the data directory: one flowimpact update writes a store at a time.

The lock is ``DATA_DIR/.flowimpact.lock``, the same file the candle store takes around each
write (``feeds._files.writer_lock``), so a scheduled update also keeps a manual
``flowimpact fetch`` out for its whole length, and the other way round.

Within one process the lock is reentrant: ``filelock`` hands out one shared instance per lock
file (``is_singleton=True``) that counts nested acquisitions per thread, so the update can hold
the lock while the store it calls takes it again. A second *process* waits up to
``timeout_seconds`` and then gets ``LockBusyError`` with one line naming the lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import filelock

from flowimpact.errors import FlowImpactError

LOCK_FILE_NAME = ".flowimpact.lock"  # must equal feeds._files.LOCK_FILE_NAME


class LockBusyError(FlowImpactError):
    """Another process holds the data directory's lock (exit 1: try again later)."""


def lock_path(data_dir: Path) -> Path:
    """Where the data directory's lock file lives."""
    return Path(data_dir) / LOCK_FILE_NAME


@contextlib.contextmanager
def process_lock(data_dir: Path, timeout_seconds: float) -> Iterator[Path]:
    """Hold ``DATA_DIR/.flowimpact.lock`` for the block; yields the lock file's path.

    Waits up to ``timeout_seconds`` (0: do not wait) for another process to release it, then
    raises ``LockBusyError``. Nested use in the same thread does not block.
    """
    if timeout_seconds < 0:
        raise ValueError("timeout_seconds must be >= 0")
    path = lock_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The timeout goes to acquire(), not the constructor: a singleton must be built with the same
    # arguments by every caller, and callers differ in how long they wait.
    lock = filelock.FileLock(path, is_singleton=True)
    try:
        lock.acquire(timeout=timeout_seconds)
    except filelock.Timeout:
        raise LockBusyError(
            f"another flowimpact process is writing {Path(data_dir)} (lock {path} still held "
            f"after {timeout_seconds:g} s); wait for it to finish, then run again"
        ) from None
    try:
        yield path
    finally:
        lock.release()


__all__ = ["LOCK_FILE_NAME", "LockBusyError", "lock_path", "process_lock"]
