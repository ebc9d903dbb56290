"""The service in a real second process, stopped by a real signal."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.executors.debug import DebugExecutor

import scheduler.service as service
from scheduler.publish import dated_reports
from scheduler.runlog import read_runs, run_log_path
from tests.scheduler import fakes
from tests.scheduler.fakes import ManualScheduler
from tests.scheduler.helpers import REPO_ROOT, subprocess_env


def _spawn(tmp_path):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.scheduler.serve_runner", str(tmp_path / "data"),
         str(tmp_path / "reports")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT, env=subprocess_env(),
        text=True,
    )


def _wait_for(path, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"{path.name} did not appear within {seconds} s")
        time.sleep(0.02)


def _store_a_due_job(tmp_path, monkeypatch):
    """A job store whose daily job fell due a little while ago (the service was down)."""
    clock = fakes.FakeClock(datetime.now(UTC) - timedelta(days=1))
    monkeypatch.setattr("apscheduler.schedulers.base.datetime", clock.datetime_class)
    scheduler = service.create_scheduler(
        tmp_path / "data", scheduler_cls=ManualScheduler, executor=DebugExecutor()
    )
    scheduler.start()
    job = service.DailyJob(
        data_dir=tmp_path / "data", out_dir=tmp_path / "reports", steps_factory=fakes.STEPS_REF
    )
    due = service.ensure_daily_job(scheduler, job).next_run_time
    scheduler.shutdown()
    monkeypatch.undo()
    assert due <= datetime.now(UTC)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_service_between_steps_and_publishes_nothing(
    tmp_path, monkeypatch, signum
):
    _store_a_due_job(tmp_path, monkeypatch)
    data_dir = tmp_path / "data"
    (data_dir / fakes.HOLD_FETCH).touch()
    child = _spawn(tmp_path)
    try:
        assert child.stdout.readline().strip() == "started"
        _wait_for(data_dir / fakes.FETCH_STARTED)  # the caught-up run is inside its fetch
        child.send_signal(signum)
        time.sleep(0.2)  # let the handler run before the fetch may finish
        (data_dir / fakes.RELEASE).touch()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    assert out.strip() == "stopped"
    assert len(fakes.fetch_calls(data_dir)) == 1  # the step in flight finished ...
    [record] = read_runs(run_log_path(data_dir))
    assert (record.status, record.failed_step) == ("cancelled", "fetch")  # ... the next did not
    assert dated_reports(tmp_path / "reports") == []
    assert service.jobstore_path(data_dir).is_file()


def test_an_idle_service_stops_at_once_and_keeps_its_job_store(tmp_path):
    child = _spawn(tmp_path)
    try:
        assert child.stdout.readline().strip() == "started"
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    assert out.strip() == "stopped"
    assert fakes.fetch_calls(tmp_path / "data") == []  # next run is tomorrow, not now
    scheduler = service.create_scheduler(tmp_path / "data", scheduler_cls=ManualScheduler)
    scheduler.start(paused=True)
    assert scheduler.get_job(service.JOB_ID) is not None
    scheduler.shutdown()
