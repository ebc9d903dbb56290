"""One chunk ``Workspace`` per Dask worker thread, living as long as one ``map_chunks``.

Why a worker plugin: a task on Dask gets only its pickled arguments, so a workspace cannot be
passed in from the client (it would be copied, and empty, with every task); it has to live on
the worker, between tasks. distributed's own place for state that a worker keeps between
tasks is a ``WorkerPlugin`` (``worker.plugins[name]``), which the client registers on every
worker, the ones that join later or restart included, and unregisters when the map ends: its
``teardown`` drops the buffers, so a long-lived cluster does not hold them after the run, as a
module-level cache in the worker processes would. Each worker thread gets its own workspace
(``threading.local``): a worker with several threads runs several chunks at once, and two
chunks must never share one.

``call_with_workspace`` is the task ``backtest.study.executors`` submits: it finds the
plugin of its map on the worker it runs on and calls the chunk function with that thread's
workspace; where the plugin is missing (not on a worker, or not registered yet) it lends a
fresh one, which changes nothing but the page faults.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from distributed import WorkerPlugin, get_worker

from backtest.sim.workspace import Workspace

Task = TypeVar("Task")
Shared = TypeVar("Shared")
Result = TypeVar("Result")


class WorkspacePlugin(WorkerPlugin):
    """A ``Workspace`` per worker thread, dropped when the plugin is unregistered."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name}  # the buffers and the thread-local stay where they are

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.name = state["name"]
        self._local = threading.local()

    def setup(self, worker: Any) -> None:
        self._local = threading.local()

    def teardown(self, worker: Any) -> None:
        self._local = threading.local()  # the old one, and every thread's buffers, are freed

    def workspace(self) -> Workspace:
        """This thread's workspace, made on its first chunk."""
        found = getattr(self._local, "workspace", None)
        if found is None:
            found = self._local.workspace = Workspace()
        return found


def call_with_workspace(
    function: Callable[[Task, Shared, Workspace], Result], name: str, task: Task, shared: Shared
) -> Result:
    """``function(task, shared, workspace)`` with this worker thread's workspace of plugin
    ``name`` (a fresh one when the plugin is not there)."""
    try:
        plugin = get_worker().plugins.get(name)
    except ValueError:  # not running on a worker
        plugin = None
    workspace = plugin.workspace() if isinstance(plugin, WorkspacePlugin) else Workspace()
    return function(task, shared, workspace)


__all__ = ["WorkspacePlugin", "call_with_workspace"]
