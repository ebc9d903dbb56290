"""Turning errors into one line on stderr and the contract's exit codes."""

from __future__ import annotations

import sys
import traceback

import click

from flowimpact.errors import FlowImpactError


def run_cli(group: click.Group, argv: list[str] | None) -> int:
    """Run ``group`` and map every outcome to an exit code (0, 1, 2 or 3).

    ``--debug`` anywhere in ``argv`` prints the traceback too; without it the user sees one line.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:  # accepted anywhere on the line, not only before the command
        args = ["--debug", *(a for a in args if a != "--debug")]
    try:
        group.main(args=args, prog_name="flowimpact", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("flowimpact: interrupted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:  # `flowimpact` alone: the help, not an error
        click.echo(exc.ctx.get_help() if exc.ctx is not None else group.get_help(
            click.Context(group, info_name="flowimpact")))
        return 0
    except click.ClickException as exc:  # bad arguments: click's own usage errors, one line
        hint = " (see flowimpact --help)" if isinstance(exc, click.UsageError) else ""
        click.echo(f"flowimpact: error: {_one_line(exc.format_message())}{hint}", err=True)
        return 2 if exc.exit_code in (1, 2) else int(exc.exit_code)
    except FlowImpactError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"flowimpact: error: {_one_line(str(exc))}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("flowimpact: interrupted", err=True)
        return 130
    except Exception as exc:  # the last resort: still one line unless --debug
        if debug:
            traceback.print_exc()
        click.echo(
            f"flowimpact: unexpected error: {type(exc).__name__}: {_one_line(str(exc))} "
            "(rerun with --debug)",
            err=True,
        )
        return 1
    return 0


def _one_line(message: str) -> str:
    """Messages from libraries may span lines; the contract is one line on stderr."""
    return " ".join(message.split())
