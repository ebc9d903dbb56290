"""The ``[compute]`` section: how a study's grid is cut into chunks and where they run.

None of these settings changes a number of the results (``run_id`` leaves the section out):
chunks hold whole scenarios, so every quantile over paths is computed as in one piece, and
every chunk is a pure task that gives the same result wherever it runs. The run, its tornado
and the sensitivity analysis all take one ``ComputeConfig``, settled once per command by
``ComputeConfig.with_flags``: a flag given on the command line always wins over the study's
``[compute]``; ``--workers N`` without ``--scheduler`` also sets the study's scheduler aside
(a scheduler would win over it), so ``--workers 0`` always means this process.

The run-time estimate printed before a run, and checked against ``[study] max_minutes``, is
columns × ``SECONDS_PER_1000_COLUMNS`` / 1,000 divided by the number of worker processes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from flowimpact.config import choice, number, whole
from flowimpact.errors import ConfigError

WriteFlows = Literal["auto", "all", "drawn", "headline"]
#: ``[compute] write_flows`` values: "all" for ``run --out`` and "headline" in the scheduler's
#: dated folders ("auto"), every distinct inflow, those the report draws, or the headline's.
WRITE_FLOWS: tuple[str, ...] = get_args(WriteFlows)

#: In-process seconds per 1,000 columns (scenario × path × asset) over the default window of
#: 1,461 days, measured with ``benchmarks/bench_scale.py`` on the project's 2-core machine
#: (2026-12-01): 0.24 to 0.33 s from 76,800 to 1,000,000 columns, 0.62 s at the default
#: study's 19,200 (where start-up and the report weigh more); rounded up to 0.4. The
#: estimate scales it by the window's length. Measure again when the evaluation changes.
SECONDS_PER_1000_COLUMNS = 0.4
DEFAULT_WINDOW_DAYS = 1461


@dataclass(frozen=True, kw_only=True)
class ComputeConfig:
    """The ``[compute]`` section.

    ``chunk_columns`` (default 8,000): scenario × path × asset columns per chunk, rounded
    down to whole scenarios (a scenario larger than that is one chunk on its own). A chunk
    holds the engine's three outputs ``[scenario, path, day, asset]`` (8,000 columns × 1,461
    days × 8 bytes × 3 = 0.28 GB over the default window) while the evaluation runs over them
    in place, strategy by strategy: measured, a 1,000,000-column study in 125 such chunks
    peaked at 1.1 GiB for the whole process, the fixed part (imports, baseline paths,
    schedules) included; so one chunk is about half a GiB, well under 2 GiB. The default
    study's 48 scenarios of 400 columns run in three chunks (20 + 20 + 8). Far smaller chunks
    cost time: each one evaluates its own baseline columns and steps its own trailing windows.

    ``workers`` (default 0): 0 runs the chunks in this process; N starts a local Dask cluster
    of N worker processes, one thread each. ``scheduler`` (default ""): the address of an
    existing Dask cluster (``tcp://host:8786``); it wins over ``workers``.

    ``write_flows`` (default "auto"): ``flows.csv`` holds every distinct inflow schedule
    ("all"), or only those the report draws ("drawn", for grids of thousands of schedules),
    or the report draws and writes only the headline's schedules, one per allocation
    ("headline": 3 of the default study's 24, 0.5 of its 3.95 MB). "auto" is "all" for
    ``flowimpact run`` and "headline" in the scheduler's dated folders, so that 30 kept days
    stay small (``for_archive``).

    ``connect_timeout_seconds`` (default 10, an assumption: a scheduler on a reachable host
    answers in well under a second): the bound on reaching ``scheduler`` and on its Dask
    handshake; past it the command ends with exit 3 naming the address.
    """

    chunk_columns: int = 8_000
    workers: int = 0
    scheduler: str = ""
    write_flows: WriteFlows = "auto"
    connect_timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        whole("compute", "chunk_columns", self.chunk_columns, low=1)
        whole("compute", "workers", self.workers, low=0)
        timeout = self.connect_timeout_seconds
        number("compute", "connect_timeout_seconds", timeout, low=0.0, low_open=True, high=600.0)
        if not isinstance(self.scheduler, str) or (
            self.scheduler and "://" not in self.scheduler
        ):
            raise ConfigError(
                f"[compute] scheduler: {self.scheduler!r} must be a Dask scheduler address "
                'such as "tcp://host:8786", or "" for none'
            )
        choice("compute", "write_flows", self.write_flows, WRITE_FLOWS)

    @property
    def flows_written(self) -> str:
        """What ``write_flows`` means for ``flowimpact run``: "auto" is "all"."""
        return "all" if self.write_flows == "auto" else self.write_flows

    def for_archive(self) -> ComputeConfig:
        """The config of a scheduled update's dated folder: "auto" becomes "headline"."""
        if self.write_flows != "auto":
            return self
        return replace(self, write_flows="headline")

    @property
    def parallel(self) -> bool:
        """True when the chunks go to Dask (a local cluster or an existing one)."""
        return bool(self.scheduler) or self.workers > 0

    def describe(self) -> str:
        """Where the chunks run, for the line printed before a run."""
        if self.scheduler:
            return f"on the Dask cluster at {self.scheduler}"
        if self.workers:
            return f"on a local Dask cluster of {self.workers} worker processes"
        return "in this process"

    def with_flags(
        self, *, workers: int | None = None, scheduler: str | None = None
    ) -> ComputeConfig:
        """This config with the command line's flags over it, by the one rule of the module
        docstring (None: the flag was not given)."""
        changes: dict[str, Any] = {}
        if workers is not None:
            changes["workers"] = workers
            changes["scheduler"] = ""  # a flag wins: the study's scheduler would win over it
        if scheduler is not None:
            changes["scheduler"] = scheduler
        return replace(self, **changes)

    def capped(self, cores: int | None = None) -> tuple[ComputeConfig, str | None]:
        """``workers`` at most the machine's cores, and the message saying so when it was more.

        More local worker processes than cores only share the same cores (and 1,000 of them
        never finish starting); a remote scheduler's workers are not bounded here.
        """
        cores = cores or os.cpu_count() or 1
        if self.scheduler or self.workers <= cores:
            return self, None
        message = (
            f"workers = {self.workers} is more than this machine's {cores} cores; running "
            f"{cores} worker processes (use --scheduler for a larger cluster)"
        )
        return replace(self, workers=cores), message

    def record(self, n_chunks: int, per_chunk: int) -> dict[str, Any]:
        """What ran, for run.json's ``compute`` key (every command that runs chunks)."""
        executor = "dask-scheduler" if self.scheduler else "dask-local" if self.workers else (
            "in-process"
        )
        return {
            "executor": executor,
            "workers": self.workers,
            "scheduler": self.scheduler,
            "chunk_columns": self.chunk_columns,
            "scenarios_per_chunk": per_chunk,
            "chunks": n_chunks,
        }


def duration_text(seconds: float) -> str:
    """``12 s``, ``17 min`` or ``2.5 h``: a duration as the run-time estimate prints it."""
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def estimated_seconds(n_columns: int, n_days: int, processes: int) -> float:
    """Columns × the measured seconds per 1,000 columns, scaled by window length, per process."""
    per_column = SECONDS_PER_1000_COLUMNS / 1000 * n_days / DEFAULT_WINDOW_DAYS
    return n_columns * per_column / max(processes, 1)


__all__ = [
    "SECONDS_PER_1000_COLUMNS",
    "WRITE_FLOWS",
    "ComputeConfig",
    "duration_text",
    "estimated_seconds",
]
