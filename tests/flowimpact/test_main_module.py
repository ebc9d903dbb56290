"""``python -m flowimpact`` runs the command line with its exit codes."""

from __future__ import annotations

import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowimpact", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_the_commands() -> None:
    result = _run("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    for command in ("run", "fetch", "import", "sensitivity"):
        assert f"\n  {command} " in result.stdout


def test_unknown_command_is_bad_input() -> None:
    result = _run("no-such-command")
    assert result.returncode == 2
    assert "no-such-command" in result.stderr
