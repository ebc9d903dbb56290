"""flowimpact.staging: a run's output folder is replaced as one set, or not at all."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from flowimpact.atomic import WriteError
from flowimpact.errors import ConfigError
from flowimpact.staging import RECORD, OutputError, remove_leftovers, staged_directory


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
    left = [p for p in target.iterdir() if p.name.startswith(".flowimpact-staging-")]
    assert len(left) == 1  # the killed run's staging folder...
    assert {p.name: p.read_bytes() for p in target.iterdir() if p not in left} == before
    with staged_directory(target) as staging:  # ...is removed by the next run into the folder
        (staging / "scenarios.csv").write_text("next\n")
    assert not left[0].exists()
    assert not [p for p in target.iterdir() if p.name.startswith(".flowimpact-staging-")]
    assert (target / "scenarios.csv").read_text() == "next\n"


def test_a_staging_folder_of_a_live_process_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    live = target / f".flowimpact-staging-{os.getpid()}-abcd"  # this process: still writing
    live.mkdir()
    assert remove_leftovers(target) == []
    assert live.is_dir()


def test_the_current_folder_is_a_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `--out .` (and a mount point): the folder itself is never renamed, only its files
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text("mine\n")
    inode = os.stat(tmp_path).st_ino
    with staged_directory(Path(".")) as staging:
        (staging / "report.html").write_text("new\n")
    assert (tmp_path / "report.html").read_text() == "new\n"
    assert (tmp_path / "mine.txt").read_text() == "mine\n"
    assert os.stat(tmp_path).st_ino == inode
    assert sorted(p.name for p in tmp_path.iterdir()) == [RECORD, "mine.txt", "report.html"]


def test_a_symlink_target_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "mine.txt").write_text("mine\n")
    link = tmp_path / "out"
    link.symlink_to(real, target_is_directory=True)
    with staged_directory(link) as staging:
        (staging / "report.html").write_text("new\n")
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (real / "report.html").read_text() == "new\n"
    assert (real / "mine.txt").read_text() == "mine\n"  # the user's file stayed where it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "real"]


def test_commands_share_a_folder_without_removing_each_others_files(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with staged_directory(target, command="run") as staging:
        (staging / "report.html").write_text("run\n")
        (staging / "old_table.csv").write_text("run\n")
    with staged_directory(target, command="calibrate") as staging:
        (staging / "calibration_only.csv").write_text("calibrate\n")
    with staged_directory(target, command="run") as staging:  # run again: a smaller set
        (staging / "report.html").write_text("run 2\n")
    assert (target / "calibration_only.csv").read_text() == "calibrate\n"  # the other's: kept
    assert (target / "report.html").read_text() == "run 2\n"
    assert not (target / "old_table.csv").exists()  # its own stale output: gone
    record = json.loads((target / RECORD).read_text())
    assert record == {"run": ["report.html"], "calibrate": ["calibration_only.csv"]}


def test_another_commands_file_is_never_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with staged_directory(target, command="run") as staging:
        (staging / "report.html").write_text("run\n")
    with pytest.raises(ConfigError, match=r"flowimpact run.*report\.html"), staged_directory(
        target, command="hindcast", claims=("report.html",)
    ):
        pytest.fail("refused before any work")
    with pytest.raises(ConfigError, match=r"report\.html"), staged_directory(
        target, command="hindcast"
    ) as staging:  # not claimed up front: refused before any rename
        (staging / "report.html").write_text("hindcast\n")
    assert (target / "report.html").read_text() == "run\n"
    assert not [p for p in target.iterdir() if p.name.startswith(".flowimpact-staging-")]


def test_a_legacy_folder_is_read_from_its_run_json(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _previous_set(target)  # written before the record existed: its run.json names its files
    with pytest.raises(ConfigError, match=r"scenarios\.csv"), staged_directory(
        target, command="analogs", claims=("scenarios.csv",)
    ):
        pytest.fail("refused before any work")


def test_an_unwritable_target_is_exit_2_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    real_mkdir = Path.mkdir

    def read_only(self: Path, *args: object, **kwargs: object) -> None:
        if self.name.startswith(".flowimpact-staging-"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(ConfigError) as caught, staged_directory(target):
        pytest.fail("refused before any work")
    assert caught.value.exit_code == 2
    assert str(target) in str(caught.value) and "Read-only" in str(caught.value)


def test_a_full_target_is_exit_1_naming_it(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(OutputError) as caught, staged_directory(target) as staging:
        (staging / "half.csv").write_text("x")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(staging / "report.html"))
    assert caught.value.exit_code == 1
    assert f"--out {target} is full (" in str(caught.value)
    assert not (target / "half.csv").exists()


def test_a_full_target_through_the_atomic_writer(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(OutputError, match="out is full"), staged_directory(target) as staging:
        cause = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        raise WriteError(staging / "report.html", cause) from cause


def test_leftovers_of_the_earlier_scheme_beside_the_target_are_folded_in(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _previous_set(target)
    killed = tmp_path / ".out.staging-0123abcd"  # a killed run of an earlier version, mid-write
    killed.mkdir()
    (killed / "scenarios.csv").write_text("half\n")
    caught = tmp_path / ".out.replaced-89abcdef"  # killed between its two renames
    caught.mkdir()
    (caught / "my_other_notes.txt").write_text("mine too\n")
    other = tmp_path / ".elsewhere.staging-0123abcd"  # another folder's: not this target's
    other.mkdir()
    with staged_directory(target) as staging:
        (staging / "scenarios.csv").write_text("new\n")
    assert not killed.exists() and not caught.exists() and other.is_dir()
    assert (target / "scenarios.csv").read_text() == "new\n"
    assert (target / "my_other_notes.txt").read_text() == "mine too\n"  # nothing lost
