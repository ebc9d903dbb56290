"""Where chunks run: in this process, or on a Dask cluster (local or existing), same results.

``map_chunks(function, tasks, shared, compute)`` calls ``function(task, shared, workspace)``
for every task and yields ``(position, result)`` pairs as the tasks finish, with a progress bar
over tasks. ``function`` must be pure in ``task`` and ``shared`` (same arguments, same result)
and importable by the workers (a module-level function of an installed package): a task lost
with its worker is then simply computed again, by Dask, with the same result. ``workspace``
(``backtest.sim.workspace``) is scratch memory the tasks run one after another on: one for the
loop in this process, one per Dask worker thread (``backtest.study.worker_workspace``), both
dropped when the map ends; the next task writes its grid-sized arrays into the pages the last
one faulted in, rather than into fresh ones. A result must not keep a view of it.

- ``[compute] workers = 0`` and no scheduler: a plain loop in this process.
- ``workers = N``: a ``distributed.LocalCluster`` of N worker processes, one thread each, no
  dashboard, closed when the map ends; numba's parallel engine gets the machine's cores
  shared out between the workers (``NUMBA_NUM_THREADS``), rather than every core each.
- ``scheduler = "tcp://host:8786"``: an existing cluster (``dask scheduler`` / ``dask worker``,
  Kubernetes, SLURM through dask-jobqueue, a cloud deployment); the workers need flowimpact
  installed, nothing else: they get their inputs from the client and never read the store.
  The address is checked first (``check_scheduler``) with a bounded connect and a look at the
  first bytes the scheduler sends (a Dask scheduler sends its handshake at once), so a refused
  port, a black hole, an HTTP server or an unknown scheme each end within
  ``[compute] connect_timeout_seconds`` in one line naming the address (exit 3), not in a hang
  or in Dask reading an HTTP reply as a 3 EiB frame.

``shared`` is scattered once to every worker (``broadcast=True``), so a worker that dies does
not take the only copy with it; should every copy be lost, the remaining tasks are sent again
with a fresh copy. Dask, not this module, reruns the tasks of a worker that dies.
"""

from __future__ import annotations

import os
import socket
import struct
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from tqdm.auto import tqdm

from backtest.sim.workspace import Workspace
from backtest.study.compute import ComputeConfig
from flowimpact.errors import DataUnavailableError, FlowImpactError

if TYPE_CHECKING:
    from distributed import Client

Task = TypeVar("Task")
Shared = TypeVar("Shared")
Result = TypeVar("Result")

#: how often the remaining tasks are sent again after every copy of ``shared`` was lost
RESEND_ATTEMPTS = 3
#: schemes a remote scheduler address may have; tls gets the connect check only (its handshake
#: comes after TLS's own, which the client then does under the same timeout)
SCHEMES = ("tcp", "tls")
#: a Dask handshake is a few hundred bytes; a first frame announced larger is not Dask's
MAX_HANDSHAKE_BYTES = 1 << 20
#: no dashboard, and the scheduler's small HTTP server (health, metrics) on a free port rather
#: than 8787, which another cluster on the machine may hold
NO_HTTP_PORT = {"dashboard_address": ":0"}


def map_chunks(
    function: Callable[[Task, Shared, Workspace], Result],
    tasks: Sequence[Task],
    shared: Shared,
    compute: ComputeConfig,
    *,
    progress: bool = True,
    desc: str = "chunks",
) -> Iterator[tuple[int, Result]]:
    """``(position in tasks, function(task, shared, workspace))`` for every task, in completion
    order."""
    with tqdm(total=len(tasks), desc=desc, unit="chunk", disable=not progress, leave=False) as bar:
        if not compute.parallel:
            workspace = Workspace()  # this loop's, dropped with it
            for position, task in enumerate(tasks):
                result = function(task, shared, workspace)
                bar.update(1)
                yield position, result
            return
        with dask_client(compute) as client:
            for position, result in _on_dask(client, function, tasks, shared):
                bar.update(1)
                yield position, result


@contextmanager
def dask_client(compute: ComputeConfig) -> Iterator[Client]:
    """A client of the cluster ``compute`` names; a local cluster lives as long as the block."""
    from distributed import Client, LocalCluster

    if compute.scheduler:
        timeout = compute.connect_timeout_seconds
        check_scheduler(compute.scheduler, timeout)
        try:
            client = Client(compute.scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise SchedulerUnreachableError(
                f"cannot reach the Dask scheduler at {compute.scheduler} ({exc}); {_HOW}"
            ) from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=compute.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs=NO_HTTP_PORT,
            env={"NUMBA_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // compute.workers))},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


class SchedulerUnreachableError(DataUnavailableError):
    """The Dask scheduler of ``--scheduler`` / ``[compute] scheduler`` cannot be used (exit 3)."""


_HOW = (
    "start one with `dask scheduler` and workers with `dask worker ADDRESS`, or fix "
    "--scheduler / [compute] scheduler"
)


def check_scheduler(address: str, timeout_s: float) -> None:
    """Return when ``address`` accepts a connection and sends what starts a Dask handshake.

    Within ``timeout_s`` in all; otherwise SchedulerUnreachableError naming the address and
    what it did (refused, never answered, answered HTTP or something else, unknown scheme).
    """
    scheme, _, rest = address.partition("://")
    if scheme not in SCHEMES:
        raise SchedulerUnreachableError(
            f"the Dask scheduler address {address!r} has the scheme {scheme!r}; give "
            f"{' or '.join(s + '://HOST:PORT' for s in SCHEMES)}"
        )
    host, port = _host_port(address, rest)
    deadline = time.monotonic() + timeout_s
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except ConnectionRefusedError:
        raise SchedulerUnreachableError(
            f"the Dask scheduler at {address} refused the connection (nothing listens on port "
            f"{port}); {_HOW}"
        ) from None
    except TimeoutError:
        raise SchedulerUnreachableError(
            f"the Dask scheduler at {address} did not accept a connection within {timeout_s:g} s "
            "([compute] connect_timeout_seconds); check the address and the firewall"
        ) from None
    except OSError as exc:
        raise SchedulerUnreachableError(
            f"cannot connect to the Dask scheduler at {address} ({exc.strerror or exc}); {_HOW}"
        ) from None
    with sock:
        if scheme == "tls":
            return
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            head = _read(sock, 8)
        except TimeoutError:
            raise SchedulerUnreachableError(
                f"{address} accepted the connection but sent no Dask handshake within "
                f"{timeout_s:g} s ([compute] connect_timeout_seconds): not a Dask scheduler, "
                "or a firewall that swallows the traffic; check the address and port (8786 by "
                "default)"
            ) from None
        except OSError as exc:
            raise SchedulerUnreachableError(
                f"{address} dropped the connection before a Dask handshake ({exc}); {_HOW}"
            ) from None
    (announced,) = struct.unpack("<Q", head) if len(head) == 8 else (None,)
    if head.startswith(b"HTTP"):
        what = "answered in HTTP (a web server, or a Dask dashboard: the scheduler is 8786)"
    elif announced is None:
        what = "closed the connection without a Dask handshake"
    elif not 0 < announced <= MAX_HANDSHAKE_BYTES:
        what = "answered with something other than the Dask protocol"
    else:
        return
    raise SchedulerUnreachableError(f"{address} is not a Dask scheduler: it {what}; {_HOW}")


def _host_port(address: str, rest: str) -> tuple[str, int]:
    host, _, port = rest.rstrip("/").rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SchedulerUnreachableError(
            f"the Dask scheduler address {address!r} needs a host and a port, such as "
            "tcp://host:8786"
        )
    return host, int(port)


def _read(sock: socket.socket, n_bytes: int) -> bytes:
    """Up to ``n_bytes`` (fewer only when the peer closes first)."""
    data = b""
    while len(data) < n_bytes:
        chunk = sock.recv(n_bytes - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _on_dask(
    client: Client,
    function: Callable[[Task, Shared, Workspace], Result],
    tasks: Sequence[Task],
    shared: Shared,
) -> Iterator[tuple[int, Result]]:
    from backtest.study.worker_workspace import WorkspacePlugin

    run = f"{getattr(function, '__name__', 'task')}-{uuid.uuid4().hex[:8]}"
    plugin = f"flowimpact-workspace-{run}"  # this map's own: another client's map keeps its
    client.register_plugin(WorkspacePlugin(plugin))
    try:
        yield from _submitted(client, function, tasks, shared, run, plugin)
    finally:
        client.unregister_worker_plugin(plugin)  # every worker drops its buffers


def _submitted(
    client: Client,
    function: Callable[[Task, Shared, Workspace], Result],
    tasks: Sequence[Task],
    shared: Shared,
    run: str,
    plugin: str,
) -> Iterator[tuple[int, Result]]:
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    from backtest.study.worker_workspace import call_with_workspace

    pending = dict(enumerate(tasks))
    for attempt in range(RESEND_ATTEMPTS + 1):
        shared_future = client.scatter(shared, broadcast=True, hash=False)
        futures = {
            client.submit(
                call_with_workspace,
                function,
                plugin,
                task,
                shared_future,
                key=f"{run}-{attempt}-{pos}",
            ): pos
            for pos, task in pending.items()
        }
        try:
            for future in as_completed(futures):
                position = futures[future]
                result: Any = future.result()
                future.release()
                del pending[position]
                yield position, result
            return
        except CancelledError:
            # every copy of ``shared`` went with its workers: send it and the rest again
            if attempt == RESEND_ATTEMPTS:
                raise FlowImpactError(
                    f"the Dask cluster lost the study's inputs {RESEND_ATTEMPTS + 1} times; "
                    "check that its workers stay up"
                ) from None
        except KilledWorker as exc:
            raise FlowImpactError(
                f"a chunk killed its Dask worker repeatedly ({exc}); most likely it ran out of "
                "memory: lower [compute] chunk_columns or give the workers more memory"
            ) from None
        finally:
            for future in futures:
                future.release()


__all__ = ["SchedulerUnreachableError", "check_scheduler", "dask_client", "map_chunks"]
