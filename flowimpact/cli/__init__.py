"""The ``flowimpact`` command line: one click group, one module per family of commands.

Every command takes ``--data-dir`` (default ``FLOWIMPACT_DATA_DIR``, else the user's data
directory) and the global ``--debug``. Errors become one line on stderr and the exit code of
the outside contract: 0 success, 2 bad input, 3 data unavailable, 1 anything else.
"""

from __future__ import annotations

import sys

import click

# The command modules are imported by ``cli`` on first use (``_app.LazyGroup``): a module
# registers its commands when imported; the modules stay small and separately owned.
from flowimpact.cli._app import cli
from flowimpact.cli._errors import run_cli


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    code = run_cli(cli, argv)
    sys.stdout.flush()
    return code


__all__ = ["cli", "click", "main"]
