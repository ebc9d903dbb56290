"""The root click group and the options every command shares."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click
import platformdirs

from flowimpact import __version__
from flowimpact.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])

DATA_DIR_ENV = "FLOWIMPACT_DATA_DIR"


def default_data_dir() -> Path:
    """``FLOWIMPACT_DATA_DIR`` if set, else the user's data directory (platformdirs)."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("flowimpact", appauthor=False))


def data_dir_option(func: F) -> F:
    """``--data-dir DIR`` on a command; the value reaches the command as a ``Path``."""
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"Where the store lives [default: ${DATA_DIR_ENV}, else {default_data_dir()}].",
        callback=_data_dir,
    )(func)


def _data_dir(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path:
    """``--data-dir`` or the default, refused at once when it names a file (every command)."""
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="flowimpact")
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
