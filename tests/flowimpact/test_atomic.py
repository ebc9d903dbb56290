"""flowimpact.atomic: a failed write names the path and leaves the previous file whole."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from flowimpact import atomic
from flowimpact.atomic import WriteError, atomic_write_text


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system")],
)
def test_a_full_or_read_only_disk_names_the_path_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    path = tmp_path / "report.html"
    path.write_text("previous", encoding="utf-8")

    def failing_fsync(_fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic.os, "fsync", failing_fsync)
    with pytest.raises(WriteError) as caught:
        atomic_write_text(path, "new")
    assert str(path) in str(caught.value) and reason in str(caught.value)
    assert caught.value.exit_code == 1
    assert path.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


def test_a_write_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b.csv"
    atomic_write_text(path, "x,y\n")
    assert path.read_text(encoding="utf-8") == "x,y\n"
