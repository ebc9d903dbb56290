"""flowimpact.staging: a run's output folder is replaced as one set, or not at all."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from flowimpact.errors import ConfigError
from flowimpact.staging import staged_directory


def _previous_set(target: Path) -> None:
    target.mkdir()
    (target / "scenarios.csv").write_text("old\n")
    (target / "calibration.csv").write_text("old\n")
    (target / "run.json").write_text(json.dumps({"run_id": "old", "files": ["scenarios.csv",
                                                 "calibration.csv", "run.json"]}))
    (target / "my_notes.txt").write_text("mine\n")


def test_success_replaces_the_set_keeps_the_users_files_and_drops_stale_outputs(
    tmp_path: Path,
) -> None:
    target = tmp_path / "out"
    _previous_set(target)
    with staged_directory(target) as staging:
        (staging / "scenarios.csv").write_text("new\n")
        (staging / "run.json").write_text(json.dumps({"run_id": "new", "files": []}))
    assert (target / "scenarios.csv").read_text() == "new\n"
    assert json.loads((target / "run.json").read_text())["run_id"] == "new"
    assert (target / "my_notes.txt").read_text() == "mine\n"  # not ours: kept
    assert not (target / "calibration.csv").exists()  # ours, from the previous run: not mixed in
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


def test_a_failure_leaves_the_previous_set_untouched(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _previous_set(target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    with pytest.raises(RuntimeError), staged_directory(target) as staging:
        (staging / "scenarios.csv").write_text("half\n")
        raise RuntimeError("disk full")
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_under_a_file_is_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    under_a_file = tmp_path / "a_file" / "out"
    with pytest.raises(ConfigError, match="is a file"), staged_directory(under_a_file):
        pytest.fail("the body must not run")


def test_a_killed_writer_leaves_the_previous_set(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _previous_set(target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from flowimpact.staging import staged_directory
        with staged_directory(Path({str(target)!r})) as staging:
            (staging / "scenarios.csv").write_text("new\\n")
            print("writing", flush=True)
            time.sleep(60)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    time.sleep(0.05)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
