from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flowimpact.errors import InputError
from scheduler.job import UpdateFailedError, run_once
from scheduler.publish import dated_reports, latest_report
from scheduler.runlog import read_runs, run_log_path
from scheduler.shared_js import plotly_file_name
from scheduler.steps import UpdateSteps
from tests.scheduler import fakes

DAY1 = datetime(2025, 1, 10, 0, 15, tzinfo=UTC)


def _run(tmp_path: Path, now: datetime, **kwargs):
    data_dir, out_dir = tmp_path / "data", tmp_path / "reports"
    data_dir.mkdir(exist_ok=True)
    options = {"keep_days": 30, "lock_timeout_seconds": 0.0, **kwargs}
    return run_once(
        now, steps=fakes.file_steps(data_dir, None), data_dir=data_dir, out_dir=out_dir, **options
    )


def test_an_update_fetches_runs_the_study_and_publishes_the_utc_day(tmp_path):
    outcome = _run(tmp_path, DAY1)
    assert outcome.ok, outcome.describe()
    assert outcome.report_dir == tmp_path / "reports" / "2025-01-10"
    assert (outcome.report_dir / "report.html").read_text() == f"<p>{DAY1.isoformat()}</p>"
    assert latest_report(tmp_path / "reports") == outcome.report_dir
    assert fakes.fetch_calls(tmp_path / "data") == [DAY1]
    assert outcome.summaries == {
        "fetch": "1 new candle(s) over 1 series",
        "study": "report.html",
        "archive": "index.html: 1 dated report(s)",
    }
    [record] = read_runs(run_log_path(tmp_path / "data"))
    assert (record.status, record.day, record.report) == (
        "published", "2025-01-10", str(outcome.report_dir)
    )


def test_the_day_is_the_utc_date_of_now_whatever_its_timezone(tmp_path):
    new_york = datetime(2025, 1, 9, 20, 30, tzinfo=UTC).astimezone(
        ZoneInfo("America/New_York")
    )  # 15:30 on the 9th in New York is 20:30 UTC on the 9th
    assert _run(tmp_path, new_york).day.isoformat() == "2025-01-09"
    # 20:00 on the 9th in New York is already the 10th in UTC
    late = datetime(2025, 1, 10, 1, 0, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    assert _run(tmp_path, late).day.isoformat() == "2025-01-10"


def test_an_outage_keeps_yesterdays_report_and_latest_and_the_next_run_recovers(tmp_path):
    data_dir = tmp_path / "data"
    assert _run(tmp_path, DAY1).ok
    yesterday = tmp_path / "reports" / "2025-01-10"
    before = (yesterday / "report.html").read_text()

    (data_dir / fakes.EXCHANGE_DOWN).touch()
    failed = _run(tmp_path, DAY1 + timedelta(days=1))
    assert (failed.status, failed.failed_step, failed.exit_code) == ("failed", "fetch", 3)
    assert "fake exchange unreachable" in failed.error
    assert [p.name for p in dated_reports(tmp_path / "reports")] == ["2025-01-10"]
    assert latest_report(tmp_path / "reports") == yesterday
    assert (yesterday / "report.html").read_text() == before
    with pytest.raises(UpdateFailedError, match="failed at fetch: fake exchange") as caught:
        failed.raise_for_failure()
    assert caught.value.exit_code == 3

    (data_dir / fakes.EXCHANGE_DOWN).unlink()
    recovered = _run(tmp_path, DAY1 + timedelta(days=2))
    assert recovered.ok
    assert latest_report(tmp_path / "reports") == tmp_path / "reports" / "2025-01-12"
    statuses = [(r.day, r.status, r.failed_step) for r in read_runs(run_log_path(data_dir))]
    assert statuses == [
        ("2025-01-10", "published", None),
        ("2025-01-11", "failed", "fetch"),
        ("2025-01-12", "published", None),
    ]


def test_a_study_failing_halfway_publishes_nothing_and_leaves_no_half_folder(tmp_path):
    assert _run(tmp_path, DAY1).ok
    (tmp_path / "data" / fakes.STUDY_FAILS).touch()
    failed = _run(tmp_path, DAY1 + timedelta(days=1))
    assert (failed.status, failed.failed_step, failed.exit_code) == ("failed", "study", 1)
    assert failed.error == "RuntimeError: engine ran out of memory"
    out = tmp_path / "reports"
    assert sorted(p.name for p in out.iterdir()) == [
        "2025-01-10", "LATEST", "index.html", "latest", plotly_file_name()  # the archive's one
    ]
    assert latest_report(out) == out / "2025-01-10"


def test_a_rerun_the_same_day_after_a_failed_study_keeps_the_mornings_report(tmp_path):
    assert _run(tmp_path, DAY1).ok
    (tmp_path / "data" / fakes.STUDY_FAILS).touch()
    assert not _run(tmp_path, DAY1 + timedelta(hours=6)).ok
    assert (tmp_path / "reports" / "2025-01-10" / "report.html").read_text() == (
        f"<p>{DAY1.isoformat()}</p>"
    )


def test_daily_runs_keep_exactly_keep_days_reports(tmp_path):
    for offset in range(6):
        outcome = _run(tmp_path, DAY1 + timedelta(days=offset), keep_days=3)
        assert outcome.ok
    assert [p.name for p in dated_reports(tmp_path / "reports")] == [
        "2025-01-13", "2025-01-14", "2025-01-15"
    ]
    assert [p.name for p in outcome.pruned] == ["2025-01-12"]


def test_a_stop_request_between_steps_publishes_nothing(tmp_path):
    calls = []

    def stop_after_fetch() -> bool:
        calls.append(1)
        return len(calls) > 1  # let the fetch start, stop before the study

    outcome = _run(tmp_path, DAY1, should_stop=stop_after_fetch)
    assert (outcome.status, outcome.failed_step, outcome.exit_code) == ("cancelled", "fetch", 130)
    assert fakes.fetch_calls(tmp_path / "data") == [DAY1]
    assert dated_reports(tmp_path / "reports") == []


def test_busy_lock_skips_the_update_with_one_line(other_process_holding_lock, tmp_path):
    outcome = _run(tmp_path, DAY1, lock_timeout_seconds=0.2)
    assert (outcome.status, outcome.failed_step, outcome.exit_code) == ("busy", "lock", 1)
    assert "another flowimpact process" in outcome.error and "\n" not in outcome.describe()
    assert fakes.fetch_calls(tmp_path / "data") == []
    assert read_runs(run_log_path(tmp_path / "data"))[-1].status == "busy"


def test_a_keyboard_interrupt_propagates_and_removes_the_staging_folder(tmp_path):
    def interrupted(out_dir: Path, now: datetime) -> None:
        (out_dir / "half.csv").write_text("a,b\n")
        raise KeyboardInterrupt

    steps = UpdateSteps(fetch=lambda now: None, study=interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_once(DAY1, steps=steps, data_dir=tmp_path / "d", out_dir=tmp_path / "o", keep_days=1)
    assert list((tmp_path / "o").iterdir()) == []


def test_a_naive_now_is_refused(tmp_path):
    with pytest.raises(InputError, match="no timezone"):
        _run(tmp_path, datetime(2025, 1, 10, 0, 15))


# --- the optional import step --------------------------------------------------------------


def _with_import(tmp_path: Path, import_files) -> UpdateSteps:
    base = fakes.file_steps(tmp_path / "data", None)
    return UpdateSteps(fetch=base.fetch, study=base.study, import_files=import_files)


def test_the_import_step_runs_first_and_its_warnings_reach_the_run_log(tmp_path):
    from scheduler.steps import StepReport

    order: list[str] = []

    def import_files(now: datetime) -> StepReport:
        order.append("import")
        assert fakes.fetch_calls(tmp_path / "data") == []  # before the fetch
        return StepReport(summary="inbox: 1 file(s) imported, 1 not imported",
                          warnings=("bad.csv not imported: line 3: not a number",))

    (tmp_path / "data").mkdir()
    outcome = run_once(DAY1, steps=_with_import(tmp_path, import_files),
                       data_dir=tmp_path / "data", out_dir=tmp_path / "reports",
                       keep_days=3, lock_timeout_seconds=0.0)
    assert outcome.ok and order == ["import"]
    assert outcome.summaries["import"] == "inbox: 1 file(s) imported, 1 not imported"
    assert outcome.warnings == ("bad.csv not imported: line 3: not a number",)
    [record] = read_runs(run_log_path(tmp_path / "data"))
    assert record.warnings == ("bad.csv not imported: line 3: not a number",)


def test_an_import_step_that_fails_does_not_stop_the_update(tmp_path):
    def import_files(now: datetime) -> None:
        raise PermissionError(13, "Permission denied", "/srv/inbox")

    (tmp_path / "data").mkdir()
    outcome = run_once(DAY1, steps=_with_import(tmp_path, import_files),
                       data_dir=tmp_path / "data", out_dir=tmp_path / "reports",
                       keep_days=3, lock_timeout_seconds=0.0)
    assert outcome.ok, outcome.describe()
    assert outcome.summaries["import"] == "failed"
    assert len(outcome.warnings) == 1 and "Permission denied" in outcome.warnings[0]
    assert fakes.fetch_calls(tmp_path / "data") == [DAY1]  # the rest of the update ran
