"""The root click group and the options every command shares.

The group is lazy: ``COMMANDS`` names each command's module and the first sentence of its help,
so ``flowimpact --help`` lists every command without importing any of them (their modules pull
in pandas, vectorbt, ccxt, APScheduler: seconds of start-up), and ``flowimpact run`` imports only
``study_cmds``. A module registers its commands on ``cli`` when imported, as before;
tests/flowimpact/cli/test_startup.py checks that the table matches the commands.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from flowimpact.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])

def default_data_dir() -> Path:
    """``FLOWIMPACT_DATA_DIR`` if set, else the user's data directory (``flowimpact.data_dir``,
    imported here so that ``--help`` loads none of it)."""
    from flowimpact.data_dir import default_data_dir as rule

    return rule()


def data_dir_option(func: F) -> F:
    """``--data-dir DIR`` on a command; the value reaches the command as a ``Path``."""
    from flowimpact.data_dir import DATA_DIR_ENV  # the rule's one home (see default_data_dir)

    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"Where the store lives [default: ${DATA_DIR_ENV}, else {default_data_dir()}].",
        callback=_data_dir,
    )(func)


def _data_dir(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path:
    """``--data-dir`` or the default, refused at once when it names a file (every command)."""
    from flowimpact.data_dir import DATA_DIR_ENV

    path = value if value is not None else default_data_dir()
    if path.exists() and not path.is_dir():
        where = "--data-dir" if value is not None else f"${DATA_DIR_ENV}"
        raise ConfigError(
            f"{where} {path} is a file, not a folder; point it at the folder of the store"
        )
    return path


def config_option(func: F) -> F:
    """``--config FILE``: a study file holding only what differs from the default study."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        default=None,
        help="Study file (TOML); only what differs from the default study.",
    )(func)


def out_option(default: str) -> Callable[[F], F]:
    """``--out DIR`` with a per-command default."""

    def decorate(func: F) -> F:
        return click.option(
            "--out",
            "out_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path(default),
            show_default=True,
            help="Output directory.",
        )(func)

    return decorate


#: command name -> (module that defines it, first sentence of its help), for ``LazyGroup``
COMMANDS: dict[str, tuple[str, str]] = {
    "analogs": (
        "flowimpact.cli.analogs_cmds",
        "The event study of the ETF launches and the 401(k) order, and the flow comparison.",
    ),
    "calibrate": (
        "flowimpact.cli.analogs_cmds",
        "Impact parameters (M, Y, λ) from the stored ETF flows: calibration.csv.",
    ),
    "data": (
        "flowimpact.cli.data_cmds",
        "What the store holds; `flowimpact data` alone is `flowimpact data list`.",
    ),
    "fetch": (
        "flowimpact.cli.data_cmds",
        "Download candles through ccxt into the store, continuing after the last stored one.",
    ),
    "flows": (
        "flowimpact.cli.study_cmds",
        "The 401(k) inflow schedule of each scenario: flows.csv and a short summary.",
    ),
    "hindcast": (
        "flowimpact.cli.hindcast_cmds",
        "What the spot-ETF flows did, under each impact model of the study (hindcast.csv).",
    ),
    "import": (
        "flowimpact.cli.data_cmds",
        "Import CSV files (Binance klines or dumps, CryptoDataDownload, OHLCV with a header, "
        "Farside ETF flows).",
    ),
    "run": (
        "flowimpact.cli.study_cmds",
        "The main job: the whole study and its report (report.html, scenarios.csv, ...).",
    ),
    "schedule": (
        "flowimpact.cli.schedule_cmds",
        "Fetch new candles, rerun the study and publish OUT/YYYY-MM-DD and OUT/latest, daily.",
    ),
    "sensitivity": (
        "flowimpact.cli.sensitivity_cmds",
        "Global sensitivity of the outputs to the [sensitivity.ranges] of the assumptions.",
    ),
}
#: modules that add subcommands to another module's group (``data repair``)
EXTENSIONS: dict[str, tuple[str, ...]] = {"data": ("flowimpact.cli.repair_cmds",)}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (see the module docstring)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name][0])  # registers it on ``cli``
        # also when the group's own module was imported directly (a test, a notebook)
        for module in EXTENSIONS.get(cmd_name, ()):
            importlib.import_module(module)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, from ``COMMANDS`` for those not imported (same text as click's)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None:
                text = click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)
            elif command.hidden:
                continue
            else:
                text = command.get_short_help_str(limit)
            rows.append((name, text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: the version is read only when asked (importlib.metadata is slow)."""
    if not value or ctx.resilient_parsing:
        return
    from flowimpact import __version__

    click.echo(f"flowimpact, version {__version__}")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
    help="Show the version and exit.",
)  # fmt: skip
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """flowimpact: the price impact of steady 401(k) inflows on BTC and ETH."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def echo_warnings(warnings: Iterable[str]) -> None:
    """Each warning (stale prices or ETF tables, ...) as its own ``flowimpact: warning:``
    line on stderr, as the contract says."""
    for warning in warnings:
        click.echo(f"flowimpact: warning: {warning}", err=True)
