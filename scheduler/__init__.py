"""The daily update service (APScheduler 3.x): fetch, run the study, publish a dated report.

``run_once(now, steps=..., ...)`` is one update with the clock injected (what
``flowimpact schedule --once`` runs); ``serve(DailyJob(...))`` is the long-running service
(``flowimpact schedule``). See ``scheduler.service`` for the job store and catch-up rules and
``scheduler.publish`` for the layout of the output folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowimpact.lazy import lazy_exports

if TYPE_CHECKING:
    from scheduler.config import ScheduleConfig
    from scheduler.job import UpdateCancelledError, UpdateFailedError, UpdateOutcome, run_once
    from scheduler.lock import LockBusyError, process_lock
    from scheduler.publish import dated_reports, latest_report, prune_reports, publish_report
    from scheduler.runlog import RunRecord, read_runs, run_log_path
    from scheduler.service import (
        JOB_ID,
        DailyJob,
        create_scheduler,
        ensure_daily_job,
        jobstore_path,
        scheduled_update,
        serve,
    )
    from scheduler.steps import StepReport, StepsFactory, UpdateSteps

# APScheduler and SQLAlchemy take about a second to import: only the service needs them, so
# the names load on first use and reading a study's [schedule] section stays light.
_LAZY = {
    "ScheduleConfig": "scheduler.config",
    **dict.fromkeys(
        ("UpdateCancelledError", "UpdateFailedError", "UpdateOutcome", "run_once"), "scheduler.job"
    ),
    **dict.fromkeys(("LockBusyError", "process_lock"), "scheduler.lock"),
    **dict.fromkeys(
        ("dated_reports", "latest_report", "prune_reports", "publish_report"), "scheduler.publish"
    ),
    **dict.fromkeys(("RunRecord", "read_runs", "run_log_path"), "scheduler.runlog"),
    **dict.fromkeys(
        (
            "JOB_ID",
            "DailyJob",
            "create_scheduler",
            "ensure_daily_job",
            "jobstore_path",
            "scheduled_update",
            "serve",
        ),
        "scheduler.service",
    ),
    **dict.fromkeys(("StepReport", "StepsFactory", "UpdateSteps"), "scheduler.steps"),
}


__getattr__ = lazy_exports("scheduler", _LAZY)


__all__ = [
    "JOB_ID",
    "DailyJob",
    "LockBusyError",
    "RunRecord",
    "ScheduleConfig",
    "StepReport",
    "StepsFactory",
    "UpdateCancelledError",
    "UpdateFailedError",
    "UpdateOutcome",
    "UpdateSteps",
    "create_scheduler",
    "dated_reports",
    "ensure_daily_job",
    "jobstore_path",
    "latest_report",
    "process_lock",
    "prune_reports",
    "publish_report",
    "read_runs",
    "run_log_path",
    "run_once",
    "scheduled_update",
    "serve",
]
