"""``flowimpact data drop``: remove stored candles of one series, by span.

The repair for bad rows an older version or another tool stored (``flowimpact data list``
names them and prints the command); ``flowimpact import --replace FILE`` then puts the right
candles back. The store's file is replaced atomically (``feeds.CandleStore.drop``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from feeds.names import to_ccxt_symbol
from flowimpact.cli._app import data_dir_option
from flowimpact.cli.data_cmds import data_group, group_data_dir
from flowimpact.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

# pandas and the store are imported inside the command: this module loads with `flowimpact
# data` (the group's extension), which lists the store without them.

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@data_group.command("drop")
@click.option("--exchange", required=True, help="Exchange of the series, e.g. binance.")
@click.option("--symbol", required=True, help="Symbol of the series, e.g. BTC/USDT.")
@click.option("--timeframe", required=True, help="Timeframe of the series, e.g. 1d.")
@click.option("--since", help="First open time dropped (UTC): YYYY-MM-DD or 'YYYY-MM-DD HH:MM'.")
@click.option("--until", help="Last open time dropped (UTC); a bare day means the whole day.")
@data_dir_option
@click.pass_context
def drop_command(
    ctx: click.Context,
    exchange: str,
    symbol: str,
    timeframe: str,
    since: str | None,
    until: str | None,
    data_dir: Path,
) -> None:
    """Drop the stored candles opening from --since to --until (both inclusive; none: all)."""
    from feeds import CandleStore
    from feeds.quality import when

    store = CandleStore(group_data_dir(ctx, data_dir))
    key = (exchange.strip().lower(), to_ccxt_symbol(symbol), timeframe.strip())
    result = store.drop(*key, since=_bound(since, "--since", end=False),
                        until=_bound(until, "--until", end=True))
    series = " ".join(key)
    if since is None and until is None:
        click.echo(f"{series}: dropped {result.rows_dropped} candle(s), the whole series (its "
                   "file is removed)")
    elif result.first_dropped is None or result.last_dropped is None:
        click.echo(f"{series}: dropped 0 candle(s): none opens in that span; "
                   f"{result.rows_after} stored")
    else:
        click.echo(f"{series}: dropped {result.rows_dropped} candle(s) from "
                   f"{when(result.first_dropped)} to {when(result.last_dropped)}; "
                   f"{result.rows_after} stored")


def _bound(text: str | None, option: str, *, end: bool) -> pd.Timestamp | None:
    """UTC time from ``YYYY-MM-DD[ HH:MM[:SS]]``; a bare day as ``--until``: its last instant."""
    import pandas as pd

    if text is None:
        return None
    value = text.strip()
    try:
        stamp = pd.to_datetime(value, format="ISO8601", utc=True)
    except ValueError:
        raise ConfigError(
            f"{option} {text!r} is not a date: write YYYY-MM-DD or 'YYYY-MM-DD HH:MM' (UTC)"
        ) from None
    if end and _DAY.match(value):
        return stamp + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return stamp


__all__ = ["drop_command"]
