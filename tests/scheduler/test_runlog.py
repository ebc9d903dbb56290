from __future__ import annotations

from scheduler.runlog import RunRecord, append_run, read_runs, run_log_path


def _record(day, status="published"):
    return RunRecord(
        started_utc=f"{day}T00:15:00+00:00", finished_utc=f"{day}T00:16:00+00:00",
        day=day, status=status, pruned=("old",),
    )


def test_records_are_appended_in_order_and_read_back(tmp_path):
    path = run_log_path(tmp_path)
    append_run(path, _record("2025-01-10"))
    append_run(path, _record("2025-01-11", "failed"))
    assert read_runs(path) == [_record("2025-01-10"), _record("2025-01-11", "failed")]


def test_a_torn_line_from_a_crash_is_skipped_and_later_lines_still_read(tmp_path):
    path = run_log_path(tmp_path)
    append_run(path, _record("2025-01-10"))
    with path.open("a", encoding="utf-8") as log:
        log.write('{"day": "2025-01-11", "sta')  # killed mid-write
        log.write("\n")
    append_run(path, _record("2025-01-12"))
    assert [r.day for r in read_runs(path)] == ["2025-01-10", "2025-01-12"]


def test_a_missing_log_is_an_empty_history(tmp_path):
    assert read_runs(run_log_path(tmp_path)) == []
