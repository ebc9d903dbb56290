"""One command-line convention: the help without arguments, the same output flags everywhere."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest

from flowimpact.cli import main

LOGGER_NAME = "flowimpact"  # the logger every command logs through

LONG_COMMANDS = ("run", "sensitivity", "hindcast", "analogs", "calibrate", "flows", "fetch",
                 "schedule")


def test_no_arguments_prints_the_normal_help_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("Usage: flowimpact [OPTIONS] COMMAND")
    assert "\nCommands:\n" in captured.out and "  sensitivity " in captured.out
    assert main(["--help"]) == 0
    assert capsys.readouterr().out == captured.out  # the same page as --help


@pytest.mark.parametrize("command", LONG_COMMANDS)
def test_every_long_command_has_the_same_output_flags(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0
    page = " ".join(capsys.readouterr().out.split())  # click wraps the help to the width
    for flag in ("--progress / --no-progress", "-q, --quiet", "-v, --verbose"):
        assert flag in page, (command, flag)
    assert "when stderr is a terminal" in page
    assert ("--log-file" in page) == (command == "schedule")


def test_q_and_v_together_are_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "-q", "-v"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "-q and -v" in line


def test_the_log_handlers_do_not_pile_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = list(logging.getLogger(LOGGER_NAME).handlers)
    for _ in range(3):
        main(["flows", "--out", str(tmp_path / "flows"), "-v"])
    capsys.readouterr()
    assert logging.getLogger(LOGGER_NAME).handlers == before


def test_a_read_only_out_is_exit_2_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_mkdir = os.mkdir

    def read_only(path: object, *args: object, **kwargs: object) -> None:
        if Path(str(path)).is_relative_to(tmp_path / "out"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]

    (tmp_path / "out").mkdir()
    monkeypatch.setattr(os, "mkdir", read_only)
    assert main(["flows", "--out", str(tmp_path / "out")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "unexpected" not in line and str(tmp_path / "out") in line and "Read-only" in line


def test_a_full_out_is_exit_1_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)  # where a full disk shows up: the data hits it
    assert main(["flows", "--out", str(tmp_path / "out")]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "unexpected" not in line and f"--out {tmp_path / 'out'} is full (" in line
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing half-written stays
