"""Dask helpers for the tests: a worker plugin that kills its own worker process once, mid-run,
and a task that reports the workspace it was lent.

It lives in a module of its own so that it is sent to the workers by value (cloudpickle),
whatever the worker processes can import.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from distributed import WorkerPlugin


class KillOnSecondChunk(WorkerPlugin):
    """SIGKILL the worker's own process (by PID) when it starts its second chunk, once.

    ``marker`` is a file created atomically (O_EXCL) by the one worker that kills itself, with
    its PID in it; the restarted worker and the other one find it and do nothing.
    """

    name = "kill-on-second-chunk"

    def __init__(self, marker: str, prefix: str = "run_chunk-") -> None:
        self.marker = marker
        self.prefix = prefix
        self.started = 0

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish != "executing" or not str(key).startswith(self.prefix):
            return
        self.started += 1
        if self.started < 2:
            return
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


def workspace_probe(task: int, shared: int, workspace: Any) -> tuple[int, int, int]:
    """Where a task ran (process, thread) and the bytes its workspace held when it started:
    0 for the first task of a worker thread, the probe's 8 bytes for every later one."""
    import threading

    held = workspace.nbytes
    workspace.array("probe", (1,))[0] = task + shared
    return os.getpid(), threading.get_ident(), held
