"""The long-running daily update service: APScheduler 3.x with a persistent SQLite job store.

One cron job (``JOB_ID``) fires every day at ``[schedule] at`` (UTC). Its settings live in
``DATA_DIR/scheduler.sqlite`` (``SQLAlchemyJobStore``), so a restart keeps the schedule and
the time of the next run: a day missed while the service was down is run once on restart
(``coalesce=True``) if it is less than ``misfire_grace_seconds`` late. ``max_instances=1`` and
the process lock keep one update at a time. Each run is also appended to the run log
(``scheduler.runlog``), missed runs included.

The job is the module-level ``scheduled_update``, referenced by its textual path, and all its
arguments are strings and numbers, because the job store pickles them. The steps are a textual
reference too (``steps_factory``), which is how tests inject fakes.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.util import ref_to_obj

from scheduler.config import ScheduleConfig
from scheduler.job import run_once
from scheduler.runlog import RunRecord, append_run, run_log_path

logger = logging.getLogger("flowimpact.scheduler")

JOB_ID = "flowimpact-daily-update"
JOBSTORE_NAME = "scheduler.sqlite"
# Job stores written before the command line owned the real steps hold this reference; a
# stored job is rewritten with the caller's reference on the next start (``ensure_daily_job``),
# and until then the old text still names the steps.
LEGACY_STEPS_REFS = {"scheduler.steps:default_steps": "flowimpact.cli.update_steps:default_steps"}

# A signal reaches the process, not a scheduler object, and the persisted job can carry only
# picklable arguments: this one process-wide flag is how a running job learns to stop between
# steps. Only ``serve`` sets and clears it.
_stop_requested = threading.Event()


def utc_now() -> datetime:
    """The wall clock in UTC: the `now` of every scheduled update."""
    return datetime.now(UTC)


def jobstore_path(data_dir: Path) -> Path:
    """Where the job store of ``data_dir`` lives."""
    return Path(data_dir) / JOBSTORE_NAME


@dataclass(frozen=True, kw_only=True)
class DailyJob:
    """Everything the daily job needs, as picklable values."""

    data_dir: Path
    out_dir: Path
    config_path: Path | None = None
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    steps_factory: str  # "module:callable" called as (data_dir, config_path)

    def trigger(self) -> CronTrigger:
        """Every day at ``schedule.at`` UTC."""
        return CronTrigger(hour=self.schedule.hour, minute=self.schedule.minute, timezone=UTC)

    def kwargs(self) -> dict[str, Any]:
        """The job's keyword arguments (stored in the job store)."""
        return {
            "data_dir": str(Path(self.data_dir).resolve()),
            "out_dir": str(Path(self.out_dir).resolve()),
            "config_path": str(Path(self.config_path).resolve()) if self.config_path else None,
            "keep_days": self.schedule.keep_days,
            "lock_timeout_seconds": float(self.schedule.lock_timeout_seconds),
            "steps_factory": self.steps_factory,
        }


def scheduled_update(
    *,
    data_dir: str,
    out_dir: str,
    config_path: str | None,
    keep_days: int,
    lock_timeout_seconds: float,
    steps_factory: str,
) -> str:
    """The job APScheduler runs: one ``run_once`` as of now (UTC); returns its status.

    A failure is logged and recorded by ``run_once`` and does not raise, so the schedule goes
    on and the next day runs as usual.
    """
    now = utc_now()
    factory = ref_to_obj(LEGACY_STEPS_REFS.get(steps_factory, steps_factory))
    try:
        steps = factory(Path(data_dir), Path(config_path) if config_path else None)
    except Exception as exc:  # e.g. the study file was edited into an invalid one
        logger.error("update not started: %s", exc)
        append_run(
            run_log_path(Path(data_dir)),
            RunRecord(
                started_utc=now.isoformat(), finished_utc=utc_now().isoformat(),
                day=now.astimezone(UTC).date().isoformat(), status="failed",
                failed_step="setup", error=" ".join(str(exc).split()),
            ),
        )
        return "failed"
    outcome = run_once(
        now,
        steps=steps,
        data_dir=Path(data_dir),
        out_dir=Path(out_dir),
        keep_days=keep_days,
        lock_timeout_seconds=lock_timeout_seconds,
        should_stop=stop_requested,
    )
    return outcome.status


def create_scheduler(
    data_dir: Path,
    *,
    scheduler_cls: Callable[..., BaseScheduler] = BackgroundScheduler,
    executor: BaseExecutor | None = None,
) -> BaseScheduler:
    """A scheduler (not started) with the SQLite job store in ``data_dir`` and UTC time."""
    path = jobstore_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    scheduler = scheduler_cls(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{path}")},
        executors={"default": executor or ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=UTC,
    )
    scheduler.add_listener(_listener(Path(data_dir)), EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    return scheduler


def ensure_daily_job(scheduler: BaseScheduler, job: DailyJob) -> Job:
    """Add the daily job to a started scheduler, or bring the stored one up to date.

    A stored job keeps its ``next_run_time`` (so a run missed while the service was down is
    still due) unless the time of day changed; changed arguments or grace time are updated in
    place. Replacing the job on every start would recompute the next run from now and silently
    drop the missed one.
    """
    trigger = job.trigger()
    kwargs = job.kwargs()
    grace = job.schedule.misfire_grace_seconds
    stored = scheduler.get_job(JOB_ID)
    if stored is None:
        return scheduler.add_job(
            "scheduler.service:scheduled_update",
            trigger=trigger,
            id=JOB_ID,
            name="flowimpact daily update",
            kwargs=kwargs,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=grace,
            replace_existing=True,
        )
    if stored.kwargs != kwargs or stored.misfire_grace_time != grace:
        stored = scheduler.modify_job(JOB_ID, kwargs=kwargs, misfire_grace_time=grace)
    if str(stored.trigger) != str(trigger) or str(stored.trigger.timezone) != str(UTC):
        stored = scheduler.reschedule_job(JOB_ID, trigger=trigger)
    return stored


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """While inside, SIGTERM and Ctrl-C ask running updates to stop between steps.

    Yields an event that is set on the first signal; a second signal raises
    ``KeyboardInterrupt`` at once for a user who does not want to wait. Main thread only.
    """
    wake = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        if _stop_requested.is_set():
            raise KeyboardInterrupt
        logger.warning("%s received: stopping after the current step", signal.Signals(signum).name)
        _stop_requested.set()
        wake.set()

    _stop_requested.clear()
    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield wake
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_requested.clear()


def stop_requested() -> bool:
    """True once ``stop_on_signals`` caught a signal (the ``should_stop`` of ``run_once``)."""
    return _stop_requested.is_set()


def serve(job: DailyJob, *, on_started: Callable[[Job], None] | None = None) -> None:
    """Run the service until SIGTERM or Ctrl-C, then stop cleanly.

    A stop request lets a running update finish its current step, skips the rest (nothing is
    published half-done), and waits for it (``shutdown(wait=True)``). Must run in the main
    thread (signal handlers).
    """
    scheduler = create_scheduler(job.data_dir)
    with stop_on_signals() as wake:
        try:
            scheduler.start(paused=True)
            daily = ensure_daily_job(scheduler, job)
            scheduler.resume()
            logger.info("daily update at %s UTC; next run %s", job.schedule.at, daily.next_run_time)
            if on_started is not None:
                on_started(daily)
            while not wake.wait(timeout=1.0):
                pass
        finally:
            if scheduler.running:
                scheduler.shutdown(wait=True)


def _listener(data_dir: Path) -> Callable[[JobExecutionEvent], None]:
    def on_event(event: JobExecutionEvent) -> None:
        when = event.scheduled_run_time
        if event.code == EVENT_JOB_MISSED:
            logger.warning("the update due %s was missed (later than the grace time)", when)
            append_run(
                run_log_path(data_dir),
                RunRecord(
                    started_utc=when.isoformat(), finished_utc=utc_now().isoformat(),
                    day=when.astimezone(UTC).date().isoformat(), status="missed",
                    error="later than misfire_grace_seconds when the scheduler got to it",
                ),
            )
        else:  # run_once records its own failures; this is a bug in the job wrapper itself
            logger.error("the update due %s raised %r", when, event.exception)

    return on_event


__all__ = [
    "JOB_ID",
    "LEGACY_STEPS_REFS",
    "DailyJob",
    "create_scheduler",
    "ensure_daily_job",
    "jobstore_path",
    "scheduled_update",
    "serve",
    "stop_on_signals",
    "stop_requested",
    "utc_now",
]
