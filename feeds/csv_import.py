"""CSV files into the store, the format detected from the file itself.

Formats (detected in this order from the first line):

1. Binance public dump (``data.binance.vision``): no header, 12 columns, open time in epoch
   milliseconds (microseconds in spot dumps since 2025; both detected by size).
2. CryptoDataDownload export: a line naming the site (or not: it is often dropped), then
   ``Unix,Date,Symbol,Open,High,Low,Close,Volume BTC,Volume USDT,...`` newest first (see
   ``feeds.cdd``).
3. Farside ETF-flow table: ``Date``, fund tickers (or none: the "All Data" export), ``Total``
   (US$ millions; see ``feeds.farside``): stored as a flow table in dollars
   (``feeds.etf_flows``).
4. OHLCV with a header, column names case-insensitive: a time column (``timestamp``, ``date``,
   ``time``, ``datetime``, ``open_time``) and ``open high low close volume``; other columns
   ignored. This covers the Binance kline CSVs of the reference data (prices/)
   (``timestamp,open,high,low,close,volume``) and Binance dumps with a header row.

Candle times are candle OPEN times in UTC. A file is imported whole or not at all: an
unparseable, infinite or absurd number (``feeds.limits``), an unparseable time, a missing
price, a non-positive price, high below low, negative volume, conflicting duplicate times, a
row far out of order or older than crypto (2009), a time off the timeframe's grid, or a
spacing that contradicts the timeframe refuse the file with its name and first bad line
(``feeds._candle_rows``), and the store is left as it was, byte for byte. Gaps (real
outages) are reported, not refused.

The one exception to "whole": candles that are still open at import time (opened at t, so open
while ``now < t + timeframe``; a dump downloaded mid-day ends with one) are left out and listed
in ``ImportResult.still_open``. Stored, such a candle would never be corrected, because
``flowimpact fetch`` resumes after the last stored candle.

``replace=True`` (``flowimpact import --replace``) makes the file's rows replace the stored
rows over the file's span: the repair for a series that holds bad rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from feeds._candle_rows import (
    check_era,
    check_grid,
    check_order,
    check_spacing,
    check_values,
)
from feeds._csv_rows import numbers, read_table, refuse, timestamps
from feeds.cdd import is_cdd_header, is_cdd_preamble, read_cdd_table
from feeds.etf_flows import write_etf_flows
from feeds.farside import farside_asset, is_farside_header, read_farside
from feeds.names import SeriesKey, series_key
from feeds.quality import QualityReport, check_candles
from feeds.schema import OHLCV_COLUMNS, PRICE_COLUMNS, to_candles
from feeds.store import CandleStore, MergeResult
from feeds.timeframes import timeframe_delta
from flowimpact.errors import DataFormatError, InputError

TIME_COLUMNS = ("timestamp", "date", "time", "datetime", "open_time", "open time")
_DUMP_COLUMNS = 12  # open_time, o, h, l, c, volume, close_time, quote volume, trades, 3 more
_DUMP, _CDD, _OHLCV = "binance-dump", "cryptodatadownload", "ohlcv-csv"
_CDD_BARE = "cryptodatadownload-bare"  # an export without its site line (stored as _CDD)


@dataclass(frozen=True, kw_only=True)
class ImportResult:
    """What ``import_csv`` stored from one file."""

    path: Path
    format: str  # "binance-dump", "cryptodatadownload", "ohlcv-csv" or "farside-etf-flows"
    rows: int  # rows of the file (candles: including any still open, which are not stored)
    merge: MergeResult  # ETF flows: an ``EtfMergeResult``
    key: SeriesKey | None = None  # candles: the series written
    asset: str | None = None  # ETF flows: the asset of the table
    quality: QualityReport | None = None  # candles: gaps and other findings of those stored
    still_open: tuple[pd.Timestamp, ...] = ()  # candles: open times left out, not closed yet


def import_csv(
    path: Path,
    store: CandleStore,
    *,
    exchange: str | None = None,
    symbol: str | None = None,
    timeframe: str | None = None,
    now: pd.Timestamp | None = None,
    replace: bool = False,
) -> ImportResult:
    """Import one CSV file (format detected) into ``store`` (candles) or its flow tables.

    Exchange, symbol and timeframe come from the arguments, else from the file name
    (``binance_BTCUSDT_1d.csv``, ``BTCUSDT-1d-2024-01.csv``, ``Binance_BTCUSDT_d.csv``), else
    ``InputError``. For a Farside table ``symbol`` may name the asset (``"BTC"``); it must
    agree with the fund tickers. Candles not closed at ``now`` (UTC; default the clock, naive
    taken as UTC) are not stored (``ImportResult.still_open``). ``replace``: the file's rows
    replace the stored ones over the file's span.
    """
    now_utc = pd.Timestamp.now(tz="UTC") if now is None else _utc(now)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    first = _first_line(path)
    columns = [c.strip().strip('"') for c in first.split(",")]
    key_flags = {"exchange": exchange, "symbol": symbol, "timeframe": timeframe}
    if len(columns) == _DUMP_COLUMNS and columns[0].isdigit():
        return _import_candles(path, store, _DUMP, key_flags, now_utc, replace)
    if is_cdd_preamble(first):
        return _import_candles(path, store, _CDD, key_flags, now_utc, replace)
    if is_cdd_header(columns):
        return _import_candles(path, store, _CDD_BARE, key_flags, now_utc, replace)
    if is_farside_header(columns):
        asset = farside_asset(path, columns[1:], symbol)
        frame = read_farside(path)
        merge = write_etf_flows(store.root, asset, frame, replace=replace)
        return ImportResult(path=path, format="farside-etf-flows", rows=len(frame), merge=merge,
                            asset=asset)
    lowered = {c.lower() for c in columns}
    if lowered & set(TIME_COLUMNS) and set(OHLCV_COLUMNS) <= lowered:
        return _import_candles(path, store, _OHLCV, key_flags, now_utc, replace)
    # the header is not quoted: the message reaches logs and reports, the file may be private
    raise DataFormatError(
        f"{path.name} line 1: unknown format ({len(columns)} fields, not a known header); "
        "expected a header "
        "timestamp,open,high,low,close,volume (time column may be date/time/open_time), a "
        "Binance dump (12 columns, no header), a CryptoDataDownload export, or a Farside table "
        "date,<tickers>,Total"
    )


def _import_candles(
    path: Path,
    store: CandleStore,
    fmt: str,
    key_flags: dict[str, str | None],
    now: pd.Timestamp,
    replace: bool,
) -> ImportResult:
    key = series_key(path, **key_flags)
    store.path(key.exchange, key.symbol, key.timeframe)  # validates the key before any work
    rows, time_cells = _candle_rows(path, fmt, key.symbol)
    quote = key.symbol.partition("/")[2].partition(":")[0]
    check_values(path, rows, quote)
    check_order(path, rows)
    check_era(path, rows)
    check_grid(path, rows, time_cells, key.timeframe)
    frame = _deduplicated(path, rows)
    check_spacing(path, frame.index, key.timeframe)
    open_mask = frame.index + timeframe_delta(key.timeframe) > now
    closed = frame[~open_mask]
    merge = store.merge(key.exchange, key.symbol, key.timeframe, closed, replace=replace)
    return ImportResult(path=path, format=_CDD if fmt == _CDD_BARE else fmt, rows=len(frame),
                        merge=merge, key=key,
                        quality=check_candles(closed, key.timeframe, now=now, quote=quote),
                        still_open=tuple(frame.index[open_mask]))


def read_candles(path: Path, *, dump: bool = False, symbol: str | None = None) -> pd.DataFrame:
    """A candle CSV (header, Binance dump, CryptoDataDownload) as a candle frame, sorted.

    Bad rows are refused by line; the checks that need the series (grid, spacing, ceilings)
    are ``import_csv``'s. ``symbol`` (default: from the file name) picks a CryptoDataDownload
    export's base-volume column.
    """
    path = Path(path)
    fmt = _DUMP if dump else _format_of_header(_first_line(path))
    if fmt in (_CDD, _CDD_BARE) and symbol is None:
        symbol = series_key(path).symbol
    rows, _ = _candle_rows(path, fmt, symbol or "")
    return _deduplicated(path, rows)


def _candle_rows(path: Path, fmt: str, symbol: str) -> tuple[pd.DataFrame, pd.Series]:
    """The file's candles in FILE order (UTC open-time index, OHLCV, ``line``) and time cells."""
    if fmt in (_CDD, _CDD_BARE):
        table, time_column = read_cdd_table(path, symbol, preamble=fmt == _CDD)
    else:
        table = read_table(path, header=fmt != _DUMP)
        if fmt == _DUMP:
            table = table.iloc[:, :6].set_axis(["open_time", *OHLCV_COLUMNS], axis=1)
        table = table.rename(columns=lambda c: c.strip().lower())
        time_column = next(c for c in TIME_COLUMNS if c in table.columns)
    if table.empty:
        raise DataFormatError(f"{path.name}: no candle rows after the header")
    index = timestamps(path, table[time_column], time_column)
    values = {c: numbers(path, table[c], c).to_numpy() for c in OHLCV_COLUMNS}
    prices = np.column_stack([values[c] for c in PRICE_COLUMNS])
    lines = table.index
    refuse(path, lines[(prices <= 0).any(axis=1)], "non-positive price")
    refuse(path, lines[values["high"] < values["low"]], "high is below low")
    refuse(path, lines[values["volume"] < 0], "negative volume")
    frame = pd.DataFrame(values, index=index)
    frame["line"] = lines
    return frame, table[time_column]


def _deduplicated(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """One candle per open time, sorted; the same open time with other values is refused."""
    repeated = frame[frame.index.duplicated(keep=False)]
    if not repeated.empty:
        distinct = repeated.drop(columns="line").reset_index().drop_duplicates()
        conflicting = distinct[distinct["timestamp"].duplicated(keep=False)]
        if not conflicting.empty:
            when = conflicting["timestamp"].iloc[0]
            lines = repeated.loc[when, "line"].tolist()
            raise DataFormatError(
                f"{path.name} lines {', '.join(map(str, lines))}: two different candles for "
                f"{when}; nothing was imported, keep one"
            )
    frame = frame[~frame.index.duplicated(keep="first")]
    return to_candles(frame.drop(columns="line"), source=f"csv:{path.name}")


def _utc(value: pd.Timestamp | str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def _format_of_header(first: str) -> str:
    """A candle file's format (not a dump) from its first line."""
    if is_cdd_preamble(first):
        return _CDD
    return _CDD_BARE if is_cdd_header([c.strip().strip('"') for c in first.split(",")]) else _OHLCV


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        for line in handle:
            if line.strip():
                return line.strip()
    raise DataFormatError(f"{path.name}: the file is empty")


__all__ = ["TIME_COLUMNS", "ImportResult", "import_csv", "read_candles"]
