"""``flowimpact schedule``: the daily update service, or one update with ``--once``.

The ``[schedule]`` settings come from the study (default study merged with ``--config``);
``--at`` overrides the time of day. ``--once`` is for cron, systemd timers or a Kubernetes
CronJob: one update now (fetch, study, publish ``OUT/YYYY-MM-DD`` and ``OUT/latest``), exit 0
when published, else one line and the exit code of the cause (1 when another process holds
the lock). Without ``--once`` the command runs until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import click

from flowimpact.cli import update_steps
from flowimpact.cli._app import cli, config_option, data_dir_option, out_option
from flowimpact.errors import ConfigError
from scheduler import service
from scheduler.config import ScheduleConfig
from scheduler.job import run_once

_LOGGER_NAME = "flowimpact.scheduler"


def resolve_schedule(config_path: Path | None, at: str | None) -> ScheduleConfig:
    """The study's ``[schedule]`` (validating the whole study now), ``--at`` on top."""
    from backtest.study.config import load_study  # here: the study pulls in every section's module

    schedule: ScheduleConfig = load_study(config_path).schedule
    if at is None:
        return schedule
    try:
        return dataclasses.replace(schedule, at=at.strip())
    except ConfigError:
        raise ConfigError(
            f"--at {at!r} is not a time of day; write HH:MM in UTC, e.g. --at 00:15"
        ) from None


@cli.command("schedule")
@click.option("--at", "at", default=None,
              help="Time of day of the update, HH:MM UTC [default: the study's, 00:15].")
@click.option("--once", is_flag=True, help="Run one update now, then exit (for cron/systemd).")
@config_option
@out_option("reports")
@data_dir_option
def schedule_command(
    at: str | None, once: bool, config_path: Path | None, out_dir: Path, data_dir: Path
) -> None:
    """Fetch new candles, rerun the study and publish OUT/YYYY-MM-DD and OUT/latest, daily."""
    schedule = resolve_schedule(config_path, at)
    if once:
        _run_once(schedule, config_path, out_dir, data_dir)
        return
    job = service.DailyJob(
        data_dir=data_dir,
        out_dir=out_dir,
        config_path=config_path,
        schedule=schedule,
        steps_factory=update_steps.STEPS_REF,
    )

    def announce(daily: object) -> None:
        click.echo(
            f"flowimpact schedule: daily update at {schedule.at} UTC into {out_dir} "
            f"(job store {service.jobstore_path(data_dir)}); next run "
            f"{getattr(daily, 'next_run_time', None)}; SIGTERM or Ctrl-C stops it",
            err=True,
        )

    with _log_to_stderr(timestamps=True):
        service.serve(job, on_started=announce)


def _run_once(
    schedule: ScheduleConfig, config_path: Path | None, out_dir: Path, data_dir: Path
) -> None:
    steps = update_steps.default_steps(data_dir, config_path, progress=sys.stderr.isatty())
    with _log_to_stderr(timestamps=False), service.stop_on_signals():
        outcome = run_once(
            datetime.now(UTC),
            steps=steps,
            data_dir=data_dir,
            out_dir=out_dir,
            keep_days=schedule.keep_days,
            lock_timeout_seconds=schedule.lock_timeout_seconds,
            should_stop=service.stop_requested,
        )
    outcome.raise_for_failure()  # one line and the cause's exit code, via run_cli
    click.echo(outcome.describe())


@contextlib.contextmanager
def _log_to_stderr(*, timestamps: bool) -> Iterator[None]:
    """Scheduler log lines on stderr while the command runs.

    With ``--once`` only the step summaries at INFO go to stderr; the failure itself is the
    one error line the command line prints, so it is not logged twice.
    """
    logger = logging.getLogger(_LOGGER_NAME)
    handler = logging.StreamHandler(sys.stderr)
    if timestamps:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S")
        formatter.converter = time.gmtime  # log times in UTC, like everything else
        handler.setFormatter(formatter)
    else:
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.addFilter(lambda record: record.levelno < logging.ERROR)
    previous_level, previous_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
        logger.propagate = previous_propagate


__all__ = ["resolve_schedule", "schedule_command"]
