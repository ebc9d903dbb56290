from __future__ import annotations

import os
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from flowimpact.errors import FlowImpactError
from scheduler import publish


def _stage(out_dir, day, text="report"):
    staging = publish.new_staging_dir(out_dir, day)
    (staging / "report.html").write_text(text, encoding="utf-8")
    return staging


def test_publish_renames_the_staging_folder_and_points_latest_at_it(tmp_path):
    day = date(2025, 1, 10)
    folder = publish.publish_report(_stage(tmp_path, day), tmp_path, day)
    assert folder == tmp_path / "2025-01-10"
    assert (folder / "report.html").read_text() == "report"
    assert (tmp_path / "latest").is_symlink()
    assert os.readlink(tmp_path / "latest") == "2025-01-10"  # relative: the folder can move
    assert (tmp_path / "LATEST").read_text() == "2025-01-10\n"
    assert publish.latest_report(tmp_path) == folder
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_latest_moves_to_the_newest_day(tmp_path):
    for offset in range(3):
        day = date(2025, 1, 10) + timedelta(days=offset)
        publish.publish_report(_stage(tmp_path, day), tmp_path, day)
    assert publish.latest_report(tmp_path) == tmp_path / "2025-01-12"
    assert [p.name for p in publish.dated_reports(tmp_path)] == [
        "2025-01-10", "2025-01-11", "2025-01-12"
    ]


def test_rerun_on_the_same_day_replaces_that_days_report(tmp_path):
    day = date(2025, 1, 10)
    publish.publish_report(_stage(tmp_path, day, "morning"), tmp_path, day)
    publish.publish_report(_stage(tmp_path, day, "evening"), tmp_path, day)
    assert (tmp_path / "2025-01-10" / "report.html").read_text() == "evening"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025-01-10", "LATEST", "latest"]


def test_latest_file_is_the_pointer_where_symlinks_fail(tmp_path, monkeypatch):
    def no_symlinks(*_args, **_kwargs):
        raise OSError("symbolic links are not supported here")

    monkeypatch.setattr(type(tmp_path), "symlink_to", no_symlinks)
    day = date(2025, 1, 10)
    publish.publish_report(_stage(tmp_path, day), tmp_path, day)
    assert not (tmp_path / "latest").exists()
    assert publish.latest_report(tmp_path) == tmp_path / "2025-01-10"


def test_a_real_folder_named_latest_is_not_overwritten(tmp_path):
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "mine.txt").write_text("keep")
    day = date(2025, 1, 10)
    with pytest.raises(FlowImpactError, match="latest is a real file or folder"):
        publish.publish_report(_stage(tmp_path, day), tmp_path, day)
    assert (tmp_path / "latest" / "mine.txt").read_text() == "keep"


def test_pruning_keeps_exactly_keep_days_and_leaves_other_names(tmp_path):
    today = date(2025, 1, 20)
    for offset in range(10):
        day = today - timedelta(days=9 - offset)
        publish.publish_report(_stage(tmp_path, day), tmp_path, day)
    (tmp_path / "notes").mkdir()
    (tmp_path / "2024-13-99").mkdir()  # looks like a date, is not one: not ours to delete
    removed = publish.prune_reports(tmp_path, today, keep_days=3)
    assert [p.name for p in publish.dated_reports(tmp_path)] == [
        "2024-13-99", "2025-01-18", "2025-01-19", "2025-01-20"
    ]
    assert len(removed) == 7
    assert (tmp_path / "notes").is_dir()


def test_pruning_never_deletes_the_folder_latest_names(tmp_path):
    old = date(2025, 1, 1)
    publish.publish_report(_stage(tmp_path, old), tmp_path, old)
    removed = publish.prune_reports(tmp_path, date(2025, 3, 1), keep_days=1)
    assert removed == []
    assert publish.latest_report(tmp_path) == tmp_path / "2025-01-01"


def test_only_old_staging_leftovers_are_removed(tmp_path):
    fresh = publish.new_staging_dir(tmp_path, date(2025, 1, 10))
    stale = publish.new_staging_dir(tmp_path, date(2025, 1, 9))
    two_days_ago = time.time() - 2 * 86_400
    os.utime(stale, (two_days_ago, two_days_ago))
    publish.remove_stale_staging(tmp_path)
    assert fresh.is_dir()
    assert not stale.exists()


def test_a_failure_at_publish_publishes_nothing_and_keeps_the_same_day_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "reports"
    day = date(2026, 12, 1)
    first = publish.new_staging_dir(out, day)
    (first / "report.html").write_text("morning", encoding="utf-8")
    publish.publish_report(first, out, day)
    second = publish.new_staging_dir(out, day)
    (second / "report.html").write_text("evening", encoding="utf-8")

    def full_disk(_out: Path, _name: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish, "point_latest", full_disk)
    with pytest.raises(OSError):
        publish.publish_report(second, out, day)
    assert (out / day.isoformat() / "report.html").read_text(encoding="utf-8") == "morning"
    assert (out / "latest" / "report.html").read_text(encoding="utf-8") == "morning"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".staging-")) == [
        "2026-12-01", "LATEST", "latest",
    ]


def test_a_failure_at_the_first_publish_leaves_no_dated_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "reports"
    day = date(2026, 12, 1)
    staging = publish.new_staging_dir(out, day)
    (staging / "report.html").write_text("x", encoding="utf-8")

    def full_disk(_out: Path, _name: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish, "point_latest", full_disk)
    with pytest.raises(OSError):
        publish.publish_report(staging, out, day)
    assert not (out / day.isoformat()).exists()
