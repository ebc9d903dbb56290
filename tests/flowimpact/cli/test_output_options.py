"""One command-line convention: the help without arguments, the same output flags everywhere."""

from __future__ import annotations

import logging
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
