"""``--workers N`` and ``--scheduler ADDRESS``: where a command's chunks run (run, sensitivity).

Both override the study's ``[compute]`` section for one invocation, by the one rule of
``backtest.study.compute`` (a flag given always wins; ``--workers 0``: this process); neither
changes a result.
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
    """The study's ``[compute]`` with the command line's flags over it, workers capped to the
    machine's cores (saying so on stderr)."""
    from flowimpact.errors import ConfigError

    if scheduler and "://" not in scheduler:
        raise ConfigError(
            f"--scheduler {scheduler!r} is not a Dask scheduler address; give one such as "
            "tcp://host:8786"
        )
    compute, message = base.with_flags(workers=workers, scheduler=scheduler).capped()
    if message:
        click.echo(f"flowimpact: {message}", err=True)
    return compute


__all__ = ["compute_config", "scheduler_option", "workers_option"]
