"""``flowimpact fetch``, ``flowimpact import`` and ``flowimpact data [list]``: the store's commands.

The ``[data]`` settings come from the study (``backtest.study.config.load_study``: the default
study, merged with ``--config FILE``); a command-line flag overrides the study's value.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from feeds.listing import FlowListing, SeriesListing
from feeds.names import to_ccxt_symbol
from feeds.store_listing import store_listing
from flowimpact.cli._app import cli, config_option, data_dir_option
from flowimpact.cli._store_notes import store_notes
from flowimpact.cli.output_options import output_options

if TYPE_CHECKING:
    from feeds import DataConfig, FetchReport, ImportResult
    from feeds.etf_flows import EtfMergeResult

# pandas, pyarrow and ccxt are imported inside the commands that need them: `flowimpact data
# list` reads the store's JSON summaries (feeds.store_listing) and loads none of them.

_EMPTY_STORE_HINT = (
    "run `flowimpact fetch` (online) or `flowimpact import path/to/binance_BTCUSDT_1d.csv ...` "
    "(offline)"
)


def resolve_data_config(
    config_path: Path | None,
    *,
    exchange: str | None = None,
    symbols: str | None = None,
    timeframe: str | None = None,
    since: str | None = None,
) -> DataConfig:
    """The study's ``[data]`` (default study merged with ``config_path``), flags on top; with
    ``exchange`` or ``symbols`` given, the fallbacks that do not fit them are left out."""
    from backtest.study.config import load_study  # here: the study pulls in every section's module

    data: DataConfig = load_study(config_path).data
    overrides: dict[str, Any] = {}
    if exchange:
        overrides["exchange"] = exchange.strip().lower()
    if symbols:
        overrides["symbols"] = tuple(to_ccxt_symbol(s) for s in symbols.split(",") if s.strip())
    if timeframe:
        overrides["timeframe"] = timeframe.strip()
    if since:
        overrides["since"] = since.strip()
    if exchange or symbols:  # flags name the venue: keep the fallbacks that still fit it
        overrides["fallbacks"] = data.fallbacks_for(
            overrides.get("exchange", data.exchange), overrides.get("symbols", data.symbols)
        )
    return dataclasses.replace(data, **overrides) if overrides else data


@cli.command("fetch")
@click.option("--exchange", help="ccxt exchange id [default: the study's, binance].")
@click.option("--symbols", help="Comma-separated symbols, e.g. BTC/USDT,ETH/USDT.")
@click.option("--timeframe", help="Candle length, e.g. 1d or 4h.")
@click.option("--since", help="First day (UTC, YYYY-MM-DD) when nothing is stored yet.")
@config_option
@data_dir_option
@output_options
def fetch_command(
    exchange: str | None,
    symbols: str | None,
    timeframe: str | None,
    since: str | None,
    config_path: Path | None,
    data_dir: Path,
    progress: bool,
) -> None:
    """Download candles through ccxt into the store, continuing after the last stored one.

    Venues that cannot serve (a restricted location, unreachable) hand over to [data] fallbacks.
    """
    from feeds import CandleStore, update_store

    data = resolve_data_config(
        config_path, exchange=exchange, symbols=symbols, timeframe=timeframe, since=since
    )
    reports = update_store(CandleStore(data_dir), data, progress=progress)
    for report in reports:
        click.echo(_fetch_line(report, data.exchange))


@cli.command("import")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--exchange", help="Exchange of the candles [default: from the file name].")
@click.option(
    "--symbol", help="Symbol, e.g. BTC/USDT; ETF flows: BTC or ETH [default: from the file name]."
)
@click.option("--timeframe", help="Candle length, e.g. 1d [default: from the file name].")
@click.option("--replace", is_flag=True,
              help="The file's rows replace the stored rows over the file's span (a repair).")
@config_option
@data_dir_option
def import_command(
    paths: tuple[Path, ...],
    exchange: str | None,
    symbol: str | None,
    timeframe: str | None,
    replace: bool,
    config_path: Path | None,
    data_dir: Path,
) -> None:
    """Import CSV files (Binance klines or dumps, CryptoDataDownload, OHLCV with a header,
    Farside ETF flows).

    Each file is imported whole or not at all; the first bad file stops the command.
    """
    from feeds import CandleStore, import_csv

    store = CandleStore(data_dir)
    for path in paths:
        result = import_csv(path, store, exchange=exchange, symbol=symbol, timeframe=timeframe,
                            replace=replace)
        click.echo(_import_line(result) + _gaps_effect(result, config_path))
        for problem in result.quality.problems() if result.quality else ():
            click.echo(f"  warning: {problem}", err=True)


@cli.group("data", invoke_without_command=True)
@data_dir_option
@click.pass_context
def data_group(ctx: click.Context, data_dir: Path) -> None:
    """What the store holds; `flowimpact data` alone is `flowimpact data list`."""
    ctx.ensure_object(dict)
    if ctx.get_parameter_source("data_dir") is not click.core.ParameterSource.DEFAULT:
        ctx.obj["data_dir"] = data_dir
    if ctx.invoked_subcommand is None:
        _print_store(data_dir)


def group_data_dir(ctx: click.Context, data_dir: Path) -> Path:
    """A subcommand's store: its own ``--data-dir`` if given, else that of ``data``."""
    explicit_here = ctx.get_parameter_source("data_dir") is not click.core.ParameterSource.DEFAULT
    parent_dir = (ctx.obj or {}).get("data_dir")
    return parent_dir if parent_dir is not None and not explicit_here else data_dir


@data_group.command("list")
@data_dir_option
@click.pass_context
def list_command(ctx: click.Context, data_dir: Path) -> None:
    """Stored series (exchange, symbol, timeframe, first, last, rows, gaps) and ETF flows,
    then any bad rows stored and the command that repairs them."""
    _print_store(group_data_dir(ctx, data_dir))


def _print_store(data_dir: Path) -> None:
    entries, flows = store_listing(data_dir)
    if not entries and not flows:
        click.echo(f"the store at {data_dir} is empty: {_EMPTY_STORE_HINT}")
        return
    click.echo(f"store: {data_dir}")
    if entries:
        click.echo(_table(
            ["exchange", "symbol", "timeframe", "first", "last", "rows", "gaps"],
            [_entry_row(entry) for entry in entries],
        ))
    if flows:
        click.echo("")
        click.echo(_table(
            ["etf flows", "first", "last", "days", "funds", "net flow USD"],
            [_flow_row(entry) for entry in flows],
        ))
    for line in store_notes(entries, flows):
        click.echo(line)


def _entry_row(entry: SeriesListing) -> list[str]:
    gaps = "0" if entry.gaps == 0 else f"{entry.gaps} ({entry.missing_bars} bars)"
    daily = entry.timeframe.endswith(("d", "w"))
    return [entry.exchange, entry.symbol, entry.timeframe, _when(entry.first, daily),
            _when(entry.last, daily), str(entry.rows), gaps]


def _flow_row(entry: FlowListing) -> list[str]:
    return [entry.asset, _when(entry.first, True), _when(entry.last, True), str(entry.rows),
            str(entry.funds), f"{entry.cumulative_usd:,.0f}"]


def _when(stamp: datetime | None, daily: bool) -> str:
    if stamp is None:
        return "-"
    return stamp.strftime("%Y-%m-%d" if daily else "%Y-%m-%d %H:%M")


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in [header, *rows]]
    return "\n".join(line.rstrip() for line in lines)


def _fetch_line(report: FetchReport, primary: str) -> str:
    series = f"{report.exchange} {report.symbol} {report.timeframe}"
    # the hand-over's reason went to stderr as it happened; stdout names the venue that served
    fallback = "" if report.exchange == primary else (
        f"; fallback for {primary}, which could not serve (see stderr)"
    )
    if report.candles_fetched == 0:
        last = _when(report.last_stored, False)
        return (f"{series}: up to date (last stored candle {last}; {report.requests} "
                f"request(s)){fallback}")
    return (
        f"{series}: {report.candles_fetched} candle(s) fetched in {report.requests} request(s), "
        f"{report.rows_added} new; stored up to {_when(report.last_stored, False)}{fallback}"
    )


def _import_line(result: ImportResult) -> str:
    merge = result.merge
    removed = f"{merge.rows_removed} removed, " if merge.rows_removed else ""
    counts = (f"{merge.rows_added} new, {merge.rows_replaced} replaced, {removed}"
              f"{merge.rows_after} stored")
    if result.key is None:
        from feeds.etf_flows import EtfMergeResult

        line = f"{result.path.name}: {result.rows} days of {result.asset} ETF flows (USD); {counts}"
        return line + (_flow_days(merge) if isinstance(merge, EtfMergeResult) else "")
    key, quality = result.key, result.quality
    gaps = "" if quality is None or not quality.gaps else (
        f"; {len(quality.gaps)} gap(s), {quality.missing_bars} missing bar(s), first "
        f"{quality.gaps[0]}"
    )
    still_open = "" if not result.still_open else (
        f"; {len(result.still_open)} still-open candle(s) not stored (from "
        f"{_when(result.still_open[0], False)} UTC; fetch or import them once closed)"
    )
    return (
        f"{result.path.name}: {result.rows} candles ({result.format}) -> {key.exchange} "
        f"{key.symbol} {key.timeframe}; {counts}{gaps}{still_open}"
    )


def _gaps_effect(result: ImportResult, config_path: Path | None) -> str:
    """Whether the gaps of an imported series matter to the study (``--config``, else the
    default study): only the series its ``[data]`` reads, at its timeframe, feed a run."""
    if result.key is None or result.quality is None or not result.quality.gaps:
        return ""
    data = resolve_data_config(config_path)  # here: only when there are gaps to judge
    key = result.key
    if data.reads(key.exchange, key.symbol, key.timeframe):
        return (f" (the study reads this series: these gaps reach its prices; fill them with "
                f"`flowimpact fetch` or an import of the missing {key.timeframe} candles)")
    if key.timeframe != data.timeframe:
        return (f" (the study reads {data.timeframe} candles, so these {key.timeframe} gaps do "
                "not affect it)")
    return (f" (the study reads {', '.join(v.exchange for v in data.venues())} "
            f"{', '.join(data.symbols)}, not this series: these gaps do not affect it)")


def _flow_days(merge: EtfMergeResult) -> str:
    """What a total-only table did to a per-fund one, and which days only have totals."""
    text = ""
    if merge.kept_fund_days:
        text += f"; {merge.kept_fund_days} day(s) kept their per-fund figures"
        if merge.total_mismatch_days:
            text += (f" ({len(merge.total_mismatch_days)} with another total in this file, "
                     f"first {_when(merge.total_mismatch_days[0], True)})")
    days = merge.total_only_days
    if days:
        text += (f"; {len(days)} day(s) have only a total ({_when(days[0], True)} .. "
                 f"{_when(days[-1], True)})")
    return text


__all__ = [
    "data_group",
    "fetch_command",
    "group_data_dir",
    "import_command",
    "list_command",
    "resolve_data_config",
]
