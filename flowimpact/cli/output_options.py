"""One convention for what a command says besides its results: progress bars and log lines.

Every long command takes ``--progress/--no-progress`` (default: a bar only when stderr is a
terminal, so a redirected log gets no ``\\r`` or cursor escapes) and ``-q``/``-v``. The lines
that say what a command is doing go through the standard ``logging`` module, logger
``flowimpact`` (and its children, e.g. ``flowimpact.scheduler``), onto stderr: INFO by default,
only warnings and errors with ``-q``, DEBUG too with ``-v``. Results stay on stdout.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import click

F = TypeVar("F", bound=Callable[..., Any])

LOGGER_NAME = "flowimpact"
_OURS = "_flowimpact_cli"  # marks the handlers this module installed
log = logging.getLogger(f"{LOGGER_NAME}.cli")


def log_level(quiet: bool, verbose: bool) -> int:
    """``-q``: WARNING, ``-v``: DEBUG, neither: INFO; both at once is refused."""
    if quiet and verbose:
        raise click.UsageError("-q and -v contradict each other; give one of them")
    return logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO


def output_options(func: F) -> F:
    """``--progress/--no-progress``, ``-q`` and ``-v`` on a command.

    The command receives ``progress`` as a plain bool (resolved against stderr being a
    terminal) and runs with the ``flowimpact`` logger writing to stderr at the chosen level.
    """

    @functools.wraps(func)
    def wrapper(
        *args: Any, quiet: bool, verbose: bool, progress: bool | None, **kwargs: Any
    ) -> Any:
        with logging_to_stderr(log_level(quiet, verbose)):
            return func(*args, progress=resolve_progress(progress), **kwargs)

    decorated: Any = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return cast(F, decorated)


def resolve_progress(progress: bool | None) -> bool:
    """The flag if given, else a bar only when stderr is a terminal."""
    return sys.stderr.isatty() if progress is None else progress


@contextlib.contextmanager
def logging_to_stderr(
    level: int, *, timestamps: bool = False, log_file: Path | None = None
) -> Iterator[logging.Handler]:
    """Log lines of ``flowimpact.*`` on stderr (and into ``log_file``) while the block runs.

    Yields the stderr handler. Times are UTC. A nested block replaces the outer one's handlers
    until it ends, and every handler is removed afterwards, so one process can run many
    commands (the tests, a notebook) without doubling its lines.
    """
    logger = logging.getLogger(LOGGER_NAME)
    outer = [handler for handler in logger.handlers if getattr(handler, _OURS, False)]
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    handlers[0].setFormatter(_formatter(timestamps))
    if log_file is not None:
        try:
            file_handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            from flowimpact.errors import ConfigError

            raise ConfigError(
                f"--log-file {log_file} cannot be written ({exc.strerror or exc}); give a file "
                "in a folder you can write"
            ) from None
        file_handler.setFormatter(_formatter(True))
        handlers.append(file_handler)
    previous = logger.level, logger.propagate
    for handler in outer:
        logger.removeHandler(handler)
    for handler in handlers:
        setattr(handler, _OURS, True)
        handler.setLevel(level)
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # the root logger (a notebook's, pytest's) does not print them again
    try:
        yield handlers[0]
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        for handler in outer:
            logger.addHandler(handler)
        logger.setLevel(previous[0])
        logger.propagate = previous[1]


def _formatter(timestamps: bool) -> logging.Formatter:
    if not timestamps:
        return logging.Formatter("%(message)s")
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime  # log times in UTC, like everything else
    return formatter


_OPTIONS: list[Callable[[Any], Any]] = [
    click.option(
        "--progress/--no-progress",
        default=None,
        help="Progress bar on stderr [default: when stderr is a terminal].",
    ),
    click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr."),
    click.option("-v", "--verbose", is_flag=True, help="Also debugging lines on stderr."),
]


__all__ = [
    "LOGGER_NAME",
    "log",
    "log_level",
    "logging_to_stderr",
    "output_options",
    "resolve_progress",
]
