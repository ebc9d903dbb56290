"""``run_once``: one daily update with the clock injected: lock, fetch, study, publish.

Order and guarantees:

1. take the data directory's process lock (``scheduler.lock``); busy after the timeout → the
   outcome says so and nothing else happens;
2. ``steps.import_files(now)`` when the steps have it (``[schedule] import_dir``): its
   failure is a warning, not the update's end; then ``steps.fetch(now)``: the store's own
   writes are atomic per series, so a failing fetch keeps every candle stored before it;
3. ``steps.study(staging, now)`` writes into a hidden staging folder in ``OUT``;
4. publish: rename the staging folder to ``OUT/YYYY-MM-DD`` (the UTC date of ``now``), point
   ``OUT/latest`` at it, prune dated folders older than ``keep_days``, and rewrite the archive
   ``OUT/index.html`` (``scheduler.archive``) from the folders left. Before the rename the
   pages load the archive's one plotly.js (``scheduler.shared_js``) instead of inlining it.
   The report is published before the archive is written, so an archive that cannot be
   written is logged and noted in the outcome's summaries, and the update still counts as
   published.

Any failure is logged with its cause (one line; the traceback at DEBUG) and recorded in the run
log, the staging folder is deleted, and yesterday's report and ``latest`` stay as they were.
``should_stop`` is polled between steps so a shutdown does not start the next step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from flowimpact.errors import FlowImpactError, InputError
from scheduler import archive, compact, publish, shared_js
from scheduler.lock import LockBusyError, process_lock
from scheduler.runlog import RunRecord, append_run, run_log_path
from scheduler.steps import StepReport, UpdateSteps

logger = logging.getLogger("flowimpact.scheduler")

STEP_NAMES = ("lock", "import", "fetch", "study", "publish")


class UpdateCancelledError(FlowImpactError):
    """A stop was requested between two steps (exit 130, like Ctrl-C)."""

    exit_code = 130


class UpdateFailedError(FlowImpactError):
    """An update did not publish; carries the exit code of its cause."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, kw_only=True)
class UpdateOutcome:
    """What one update did; ``ok`` when a new report was published."""

    day: date
    started_utc: datetime
    finished_utc: datetime
    status: str  # "published", "failed", "busy" or "cancelled"
    report_dir: Path | None = None
    failed_step: str | None = None
    error: str | None = None
    exit_code: int = 0
    summaries: dict[str, str] = field(default_factory=dict)
    pruned: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()  # went wrong without stopping the update

    @property
    def ok(self) -> bool:
        return self.status == "published"

    def describe(self) -> str:
        """One line for logs and the command line."""
        if self.ok:
            return f"published {self.report_dir} ({self.day.isoformat()})"
        if self.status == "busy":
            return f"update of {self.day.isoformat()} skipped: {self.error}"
        return f"update of {self.day.isoformat()} {self.status} at {self.failed_step}: {self.error}"

    def raise_for_failure(self) -> None:
        """Raise ``UpdateFailedError`` (with the cause's exit code) unless published."""
        if not self.ok:
            raise UpdateFailedError(self.describe(), self.exit_code)


def run_once(
    now: datetime,
    *,
    steps: UpdateSteps,
    data_dir: Path,
    out_dir: Path,
    keep_days: int,
    lock_timeout_seconds: float = 600.0,
    should_stop: Callable[[], bool] | None = None,
) -> UpdateOutcome:
    """Run one update as of ``now`` (timezone-aware; converted to UTC) and record it.

    Never raises for a failing step: the outcome carries the cause. ``KeyboardInterrupt`` and
    other ``BaseException`` s still propagate, after the staging folder is removed.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise InputError(f"run_once: now={now.isoformat()} has no timezone; pass a UTC time")
    if keep_days < 1:
        raise InputError(f"run_once: keep_days={keep_days} must be >= 1")
    now = now.astimezone(UTC)
    day = now.date()
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    summaries: dict[str, str] = {}
    warnings: list[str] = []
    current = "lock"
    staging: Path | None = None
    report_dir: Path | None = None
    pruned: list[Path] = []
    status, error, exit_code = "published", None, 0

    def checkpoint(next_step: str) -> None:
        nonlocal current
        if should_stop is not None and should_stop():
            raise UpdateCancelledError(f"stop requested before the {next_step} step")
        current = next_step

    try:
        with process_lock(data_dir, lock_timeout_seconds, purpose=f"the update of {day}"):
            if steps.import_files is not None:
                checkpoint("import")
                summaries["import"] = _import(steps.import_files, now, warnings)
            checkpoint("fetch")
            summaries["fetch"] = _summary(steps.fetch(now), warnings)
            checkpoint("study")
            publish.remove_stale_staging(out_dir)
            staging = publish.new_staging_dir(out_dir, day)
            summaries["study"] = _summary(steps.study(staging, now), warnings)
            checkpoint("publish")
            shared_js.share_plotly(staging, out_dir)  # one plotly.js beside the dated reports
            compact.compress_tables(staging)  # the dated folder's tables as .csv.gz
            report_dir = publish.publish_report(staging, out_dir, day)
            staging = None
            pruned = publish.prune_reports(out_dir, day, keep_days)
            summaries["archive"] = _write_archive(out_dir)
    except LockBusyError as exc:
        status, error, exit_code = "busy", str(exc), exc.exit_code
    except UpdateCancelledError as exc:
        status, error, exit_code = "cancelled", str(exc), exc.exit_code
    except Exception as exc:  # a failing step must not kill the service: record it, go on
        status, error = "failed", _one_line(exc)
        exit_code = exc.exit_code if isinstance(exc, FlowImpactError) else 1
        logger.debug("update of %s failed at %s", day, current, exc_info=True)
    finally:
        if staging is not None:
            publish.discard(staging)

    outcome = UpdateOutcome(
        day=day,
        started_utc=now,
        finished_utc=datetime.now(UTC),
        status=status,
        report_dir=report_dir,
        failed_step=None if status == "published" else current,
        error=error,
        exit_code=exit_code,
        summaries=summaries,
        pruned=tuple(pruned),
        warnings=tuple(warnings),
    )
    _record(data_dir, outcome)
    return outcome


def _import(step: Callable[[datetime], object], now: datetime, warnings: list[str]) -> str:
    """The optional import step: what it cannot do is a warning, and the update goes on."""
    try:
        return _summary(step(now), warnings)
    except Exception as exc:  # the store is as it was: run on what is stored
        logger.debug("the import step failed", exc_info=True)
        warnings.append(f"import: {_one_line(exc)}; the update used the data already stored")
        return "failed"


def _write_archive(out_dir: Path) -> str:
    try:
        path = archive.write_index(out_dir)
        return f"{path.name}: {len(publish.dated_reports(out_dir))} dated report(s)"
    except Exception as exc:  # the report is out already; the archive catches up next time
        logger.warning("could not write the archive %s: %s", out_dir / archive.INDEX_NAME, exc)
        logger.debug("archive failure", exc_info=True)
        return f"not written: {_one_line(exc)}"


def _record(data_dir: Path, outcome: UpdateOutcome) -> None:
    (logger.info if outcome.ok else logger.error)("%s", outcome.describe())
    for step, summary in outcome.summaries.items():
        logger.info("  %s: %s", step, summary)
    for warning in outcome.warnings:
        logger.warning("  warning: %s", warning)
    try:
        append_run(
            run_log_path(data_dir),
            RunRecord(
                started_utc=outcome.started_utc.isoformat(),
                finished_utc=outcome.finished_utc.isoformat(),
                day=outcome.day.isoformat(),
                status=outcome.status,
                failed_step=outcome.failed_step,
                error=outcome.error,
                report=str(outcome.report_dir) if outcome.report_dir else None,
                pruned=tuple(str(path) for path in outcome.pruned),
                warnings=outcome.warnings,
            ),
        )
    except OSError as exc:  # the log is a record, not the work: losing a line must not fail it
        logger.warning("could not append to the run log: %s", exc)


def _summary(value: object, warnings: list[str] | None = None) -> str:
    if isinstance(value, StepReport) and warnings is not None:
        warnings.extend(value.warnings)
    return "done" if value is None else _one_line(value)


def _one_line(value: object) -> str:
    text = str(value) if not isinstance(value, BaseException) else (
        str(value) if isinstance(value, FlowImpactError) else f"{type(value).__name__}: {value}"
    )
    return " ".join(text.split()) or type(value).__name__


__all__ = [
    "STEP_NAMES",
    "UpdateCancelledError",
    "UpdateFailedError",
    "UpdateOutcome",
    "run_once",
]
