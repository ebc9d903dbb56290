"""The process lock on the data directory: one flowimpact update writes a store at a time.

The lock itself lives in ``flowimpact.locking`` (one home for the store and the scheduler:
``DATA_DIR/.flowimpact.lock``, reentrant within a process, a note naming its holder); the
scheduler holds it for a whole update, so a manual ``flowimpact fetch`` waits for the update
and the other way round. A second *process* is told who holds it, waits up to
``timeout_seconds`` and then gets ``LockBusyError`` with one line naming the lock and holder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from flowimpact.locking import LOCK_FILE_NAME, LockBusyError, data_dir_lock, lock_path


@contextlib.contextmanager
def process_lock(
    data_dir: Path, timeout_seconds: float, *, purpose: str = "a scheduled update"
) -> Iterator[Path]:
    """Hold ``DATA_DIR/.flowimpact.lock`` for the block; yields the lock file's path.

    Waits up to ``timeout_seconds`` (0: do not wait) for another process to release it, then
    raises ``LockBusyError``. Nested use in the same thread does not block.
    """
    with data_dir_lock(data_dir, timeout_seconds, purpose=purpose) as path:
        yield path


__all__ = ["LOCK_FILE_NAME", "LockBusyError", "lock_path", "process_lock"]
