"""``flowimpact schedule``: the daily update service, or one update with ``--once``.

The ``[schedule]`` settings come from the study (default study merged with ``--config``);
``--at`` overrides the time of day. ``--once`` is for cron, systemd timers or a Kubernetes
CronJob: one update now (fetch, study, publish ``OUT/YYYY-MM-DD`` and ``OUT/latest``), exit 0
when published, else one line and the exit code of the cause (1 when another process holds
the lock). Without ``--once`` the command runs until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from pathlib import Path

import click

from flowimpact.cli import update_steps
from flowimpact.cli._app import cli, config_option, data_dir_option, out_option
from flowimpact.cli.output_options import LOGGER_NAME, log, logging_to_stderr, output_options
from flowimpact.errors import ConfigError
from scheduler import service
from scheduler.config import ScheduleConfig
from scheduler.job import run_once


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
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also append the log lines (with UTC times) to this file.")
@config_option
@out_option("reports")
@data_dir_option
@output_options
def schedule_command(
    at: str | None,
    once: bool,
    log_file: Path | None,
    config_path: Path | None,
    out_dir: Path,
    data_dir: Path,
    progress: bool,
) -> None:
    """Fetch new candles, rerun the study and publish OUT/YYYY-MM-DD and OUT/latest, daily."""
    schedule = resolve_schedule(config_path, at)
    level = logging.getLogger(LOGGER_NAME).level  # as -q/-v set it (output_options)
    if once:
        with logging_to_stderr(level, log_file=log_file) as stderr:
            # the failure is the one error line the command line prints: not logged twice
            stderr.addFilter(lambda record: record.levelno < logging.ERROR)
            _run_once(schedule, config_path, out_dir, data_dir, progress)
        return
    job = service.DailyJob(
        data_dir=data_dir,
        out_dir=out_dir,
        config_path=config_path,
        schedule=schedule,
        steps_factory=update_steps.STEPS_REF,
    )

    def announce(daily: object) -> None:
        log.info(
            "flowimpact schedule: daily update at %s UTC into %s (job store %s); next run %s; "
            "SIGTERM or Ctrl-C stops it",
            schedule.at, out_dir, service.jobstore_path(data_dir),
            getattr(daily, "next_run_time", None),
        )

    with logging_to_stderr(level, log_file=log_file, timestamps=True):
        service.serve(job, on_started=announce)


def _run_once(
    schedule: ScheduleConfig,
    config_path: Path | None,
    out_dir: Path,
    data_dir: Path,
    progress: bool,
) -> None:
    log.info("schedule --once: one update into %s (data in %s)", out_dir, data_dir)
    steps = update_steps.default_steps(data_dir, config_path, progress=progress)
    with service.stop_on_signals():
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


__all__ = ["resolve_schedule", "schedule_command"]
