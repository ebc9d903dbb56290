"""``--workers N`` and ``--scheduler ADDRESS``: where a command's chunks run (run, sensitivity).

Both override the study's ``[compute]`` section for one invocation; neither changes a result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from backtest.study.compute import ComputeConfig

F = TypeVar("F", bound=Callable[..., Any])


def workers_option(func: F) -> F:
    return click.option(
        "--workers",
        type=click.IntRange(min=0),
        default=None,
        help="Run the chunks on a local Dask cluster of N worker processes (0: in this "
        "process) [default: [compute] workers].",
    )(func)


def scheduler_option(func: F) -> F:
    return click.option(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="Run the chunks on an existing Dask cluster, e.g. tcp://host:8786 "
        "[default: [compute] scheduler].",
    )(func)


def compute_config(
    base: ComputeConfig, workers: int | None, scheduler: str | None
) -> ComputeConfig:
    """The study's ``[compute]`` with the command line's flags over it (validated again)."""
    from dataclasses import replace

    changes: dict[str, Any] = {}
    if workers is not None:
        changes["workers"] = workers
    if scheduler is not None:
        changes["scheduler"] = scheduler
    return replace(base, **changes)


__all__ = ["compute_config", "scheduler_option", "workers_option"]
