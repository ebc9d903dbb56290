"""The scheduler object itself, on a SQLite job store in tmp_path, with a controlled clock.

``fakes.ManualScheduler`` never starts a thread: the test calls ``_process_jobs()`` (APScheduler 3's
own "run what is due now" step) after moving the fake clock, and the ``DebugExecutor`` runs
the job in the test's thread. The clock is APScheduler's and our job's ``datetime.now``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from apscheduler.executors.debug import DebugExecutor

import scheduler.service as service
from scheduler.config import ScheduleConfig
from scheduler.publish import dated_reports, latest_report
from scheduler.runlog import read_runs, run_log_path
from tests.scheduler import fakes
from tests.scheduler.fakes import ManualScheduler


@pytest.fixture
def clock(monkeypatch):
    fake = fakes.FakeClock(datetime(2025, 1, 10, 10, 0, tzinfo=UTC))
    modules = ("apscheduler.schedulers.base", "apscheduler.executors.base", "scheduler.service")
    for module in modules:
        monkeypatch.setattr(f"{module}.datetime", fake.datetime_class)
    return fake


def _job(tmp_path, **schedule):
    return service.DailyJob(
        data_dir=tmp_path / "data",
        out_dir=tmp_path / "reports",
        schedule=ScheduleConfig(**schedule),
        steps_factory=fakes.STEPS_REF,
    )


def _start(job):
    scheduler = service.create_scheduler(
        job.data_dir, scheduler_cls=ManualScheduler, executor=DebugExecutor()
    )
    scheduler.start()
    return scheduler, service.ensure_daily_job(scheduler, job)


def test_the_trigger_fires_daily_at_the_configured_utc_time():
    job = service.DailyJob(
        data_dir=".",
        out_dir=".",
        schedule=ScheduleConfig(at="00:15"),
        steps_factory=fakes.STEPS_REF,
    )
    trigger = job.trigger()
    now = datetime(2025, 1, 10, 0, 20, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, now)
    assert first == datetime(2025, 1, 11, 0, 15, tzinfo=UTC)
    assert trigger.get_next_fire_time(first, first) == datetime(2025, 1, 12, 0, 15, tzinfo=UTC)
    before = datetime(2025, 1, 10, 0, 10, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, before) == datetime(2025, 1, 10, 0, 15, tzinfo=UTC)


def test_a_due_job_runs_the_update_and_schedules_the_next_day(tmp_path, clock):
    scheduler, job = _start(_job(tmp_path))
    assert job.next_run_time == datetime(2025, 1, 11, 0, 15, tzinfo=UTC)
    scheduler._process_jobs()  # 10:00 on the 10th: nothing due
    assert fakes.fetch_calls(tmp_path / "data") == []

    clock.set(datetime(2025, 1, 11, 0, 15, 2, tzinfo=UTC))
    scheduler._process_jobs()
    assert fakes.fetch_calls(tmp_path / "data") == [clock.current]
    assert latest_report(tmp_path / "reports") == tmp_path / "reports" / "2025-01-11"
    assert scheduler.get_job(service.JOB_ID).next_run_time == datetime(
        2025, 1, 12, 0, 15, tzinfo=UTC
    )
    scheduler.shutdown()


def test_a_restart_keeps_the_job_and_its_next_run_time(tmp_path, clock):
    scheduler, job = _start(_job(tmp_path))
    kept_next = job.next_run_time
    scheduler.shutdown()
    assert service.jobstore_path(tmp_path / "data").is_file()

    clock.set(datetime(2025, 1, 10, 18, 0, tzinfo=UTC))  # restarted later the same day
    restarted = service.create_scheduler(
        tmp_path / "data", scheduler_cls=ManualScheduler, executor=DebugExecutor()
    )
    restarted.start()
    stored = restarted.get_job(service.JOB_ID)
    assert stored is not None
    assert stored.next_run_time == kept_next
    assert stored.kwargs["out_dir"] == str((tmp_path / "reports").resolve())
    assert (stored.coalesce, stored.max_instances, stored.misfire_grace_time) == (True, 1, 86_400)
    assert service.ensure_daily_job(restarted, _job(tmp_path)).next_run_time == kept_next
    assert len(restarted.get_jobs()) == 1
    restarted.shutdown()


def test_missed_days_are_caught_up_once_after_a_restart(tmp_path, clock):
    scheduler, _ = _start(_job(tmp_path))
    scheduler.shutdown()  # down from the 10th at 10:00 ...
    clock.set(datetime(2025, 1, 14, 9, 0, tzinfo=UTC))  # ... to the 14th at 09:00: four fire times
    scheduler, job = _start(_job(tmp_path))
    assert job.next_run_time == datetime(2025, 1, 11, 0, 15, tzinfo=UTC)  # still due
    scheduler._process_jobs()
    scheduler._process_jobs()  # a second pass finds nothing more due
    assert fakes.fetch_calls(tmp_path / "data") == [clock.current]
    assert [p.name for p in dated_reports(tmp_path / "reports")] == ["2025-01-14"]
    assert scheduler.get_job(service.JOB_ID).next_run_time == datetime(
        2025, 1, 15, 0, 15, tzinfo=UTC
    )
    assert [r.status for r in read_runs(run_log_path(tmp_path / "data"))] == ["published"]
    scheduler.shutdown()


def test_a_restart_later_than_the_grace_time_skips_the_catch_up_and_logs_it(tmp_path, clock):
    scheduler, _ = _start(_job(tmp_path, misfire_grace_seconds=3_600))
    scheduler.shutdown()
    clock.set(datetime(2025, 1, 11, 9, 0, tzinfo=UTC))  # 8 h 45 after the fire time
    scheduler, _ = _start(_job(tmp_path, misfire_grace_seconds=3_600))
    scheduler._process_jobs()
    assert fakes.fetch_calls(tmp_path / "data") == []
    [record] = read_runs(run_log_path(tmp_path / "data"))
    assert (record.status, record.day) == ("missed", "2025-01-11")
    assert scheduler.get_job(service.JOB_ID).next_run_time == datetime(
        2025, 1, 12, 0, 15, tzinfo=UTC
    )
    scheduler.shutdown()


def test_a_new_time_of_day_reschedules_and_new_settings_keep_the_next_run(tmp_path, clock):
    scheduler, job = _start(_job(tmp_path))
    kept = job.next_run_time
    updated = service.ensure_daily_job(scheduler, _job(tmp_path, keep_days=5))
    assert updated.next_run_time == kept
    assert updated.kwargs["keep_days"] == 5
    moved = service.ensure_daily_job(scheduler, _job(tmp_path, keep_days=5, at="06:30"))
    assert moved.next_run_time == datetime(2025, 1, 11, 6, 30, tzinfo=UTC)
    scheduler.shutdown()


def test_a_failing_day_does_not_stop_the_schedule_and_the_next_day_recovers(tmp_path, clock):
    scheduler, _ = _start(_job(tmp_path))
    clock.set(datetime(2025, 1, 11, 0, 15, 1, tzinfo=UTC))
    scheduler._process_jobs()
    (tmp_path / "data" / fakes.EXCHANGE_DOWN).touch()
    clock.set(datetime(2025, 1, 12, 0, 15, 1, tzinfo=UTC))
    scheduler._process_jobs()
    assert latest_report(tmp_path / "reports") == tmp_path / "reports" / "2025-01-11"
    (tmp_path / "data" / fakes.EXCHANGE_DOWN).unlink()
    clock.set(datetime(2025, 1, 13, 0, 15, 1, tzinfo=UTC))
    scheduler._process_jobs()
    runs = read_runs(run_log_path(tmp_path / "data"))
    assert [(r.day, r.status) for r in runs] == [
        ("2025-01-11", "published"), ("2025-01-12", "failed"), ("2025-01-13", "published")
    ]
    assert latest_report(tmp_path / "reports") == tmp_path / "reports" / "2025-01-13"
    scheduler.shutdown()


def test_an_invalid_study_file_fails_the_day_with_a_record_not_an_exception(tmp_path, clock):
    outcome = service.scheduled_update(
        data_dir=str(tmp_path), out_dir=str(tmp_path / "out"), config_path=None, keep_days=3,
        lock_timeout_seconds=0.0, steps_factory="tests.scheduler.test_service:_broken_factory",
    )
    assert outcome == "failed"
    [record] = read_runs(run_log_path(tmp_path))
    assert (record.status, record.failed_step) == ("failed", "setup")
    assert record.error == "[inflow] allocation: expected a number, got 'x'"


def _broken_factory(data_dir, config_path):
    from flowimpact.errors import ConfigError

    raise ConfigError("[inflow] allocation: expected a number, got 'x'")
