"""CSV files into the store, the format detected from the file itself.

Formats (detected in this order from the first line):

1. Binance public dump (``data.binance.vision``): no header, 12 columns, open time in epoch
   milliseconds (microseconds in spot dumps since 2025; both detected by size).
2. Farside ETF-flow table: ``Date``, fund tickers, ``Total`` (US$ millions; see
   ``feeds.farside``): stored as a flow table in dollars (``feeds.etf_flows``).
3. OHLCV with a header, column names case-insensitive: a time column (``timestamp``, ``date``,
   ``time``, ``datetime``, ``open_time``) and ``open high low close volume``; other columns
   ignored. This covers the Binance kline CSVs of the reference data (prices/)
   (``timestamp,open,high,low,close,volume``) and Binance dumps with a header row.

Candle times are candle OPEN times in UTC. A file is imported whole or not at all: an
unparseable number or time, a missing price, a non-positive price, high below low, negative
volume, conflicting duplicate times, or a spacing that contradicts the timeframe refuse the
file with its name and first bad line. Gaps (real outages) are reported, not refused.

The one exception to "whole": candles that are still open at import time (opened at t, so open
while ``now < t + timeframe``; a dump downloaded mid-day ends with one) are left out and listed
in ``ImportResult.still_open``. Stored, such a candle would never be corrected, because
``flowimpact fetch`` resumes after the last stored candle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from feeds._csv_rows import numbers, read_table, refuse, timestamps
from feeds.etf_flows import write_etf_flows
from feeds.farside import farside_asset, is_farside_header, read_farside
from feeds.names import SeriesKey, series_key
from feeds.quality import QualityReport, check_candles
from feeds.schema import OHLCV_COLUMNS, PRICE_COLUMNS, to_candles
from feeds.store import CandleStore, MergeResult
from feeds.timeframes import timeframe_delta, timeframe_seconds
from flowimpact.errors import DataFormatError, InputError

TIME_COLUMNS = ("timestamp", "date", "time", "datetime", "open_time", "open time")
_DUMP_COLUMNS = 12  # open_time, o, h, l, c, volume, close_time, quote volume, trades, 3 more


@dataclass(frozen=True, kw_only=True)
class ImportResult:
    """What ``import_csv`` stored from one file."""

    path: Path
    format: str  # "binance-dump", "ohlcv-csv" or "farside-etf-flows"
    rows: int  # rows of the file (candles: including any still open, which are not stored)
    merge: MergeResult
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
) -> ImportResult:
    """Import one CSV file (format detected) into ``store`` (candles) or its flow tables.

    Exchange, symbol and timeframe come from the arguments, else from the file name
    (``binance_BTCUSDT_1d.csv``, ``BTCUSDT-1d-2024-01.csv``), else ``InputError``. For a
    Farside table ``symbol`` may name the asset (``"BTC"``). Candles not closed at ``now``
    (UTC; default the clock, naive taken as UTC) are not stored (``ImportResult.still_open``).
    """
    now_utc = pd.Timestamp.now(tz="UTC") if now is None else _utc(now)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    first = _first_line(path)
    columns = [c.strip().strip('"') for c in first.split(",")]
    if len(columns) == _DUMP_COLUMNS and columns[0].isdigit():
        return _import_candles(path, store, "binance-dump", exchange, symbol, timeframe, now_utc)
    if is_farside_header(columns):
        asset = farside_asset(path, columns[1:], symbol)
        frame = read_farside(path)
        merge = write_etf_flows(store.root, asset, frame)
        return ImportResult(path=path, format="farside-etf-flows", rows=len(frame), merge=merge,
                            asset=asset)
    lowered = {c.lower() for c in columns}
    if lowered & set(TIME_COLUMNS) and set(OHLCV_COLUMNS) <= lowered:
        return _import_candles(path, store, "ohlcv-csv", exchange, symbol, timeframe, now_utc)
    raise DataFormatError(
        f"{path.name}: unknown format (columns {', '.join(columns[:8])}); expected a header "
        "timestamp,open,high,low,close,volume (time column may be date/time/open_time), a "
        "Binance dump (12 columns, no header), or a Farside table date,<tickers>,Total"
    )


def _import_candles(
    path: Path,
    store: CandleStore,
    fmt: str,
    exchange: str | None,
    symbol: str | None,
    timeframe: str | None,
    now: pd.Timestamp,
) -> ImportResult:
    key = series_key(path, exchange=exchange, symbol=symbol, timeframe=timeframe)
    store.path(key.exchange, key.symbol, key.timeframe)  # validates the key before any work
    frame = read_candles(path, dump=(fmt == "binance-dump"))
    _check_spacing(path, frame.index, key.timeframe)
    open_mask = frame.index + timeframe_delta(key.timeframe) > now
    closed = frame[~open_mask]
    merge = store.merge(key.exchange, key.symbol, key.timeframe, closed)
    return ImportResult(path=path, format=fmt, rows=len(frame), merge=merge, key=key,
                        quality=check_candles(closed, key.timeframe, now=now),
                        still_open=tuple(frame.index[open_mask]))


def read_candles(path: Path, *, dump: bool = False) -> pd.DataFrame:
    """A candle CSV (header or Binance dump) as a candle frame; bad rows refused by line."""
    table = read_table(path, header=not dump)
    if dump:
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
    _refuse_conflicting_duplicates(path, frame)
    frame = frame[~frame.index.duplicated(keep="first")]
    return to_candles(frame.drop(columns="line"), source=f"csv:{path.name}")


def _refuse_conflicting_duplicates(path: Path, frame: pd.DataFrame) -> None:
    """The same open time twice is fine when the rows agree, refused when they differ."""
    repeated = frame[frame.index.duplicated(keep=False)]
    if repeated.empty:
        return
    distinct = repeated.drop(columns="line").reset_index().drop_duplicates()
    conflicting = distinct[distinct["timestamp"].duplicated(keep=False)]
    if not conflicting.empty:
        when = conflicting["timestamp"].iloc[0]
        lines = repeated.loc[when, "line"].tolist()
        raise DataFormatError(
            f"{path.name} lines {', '.join(map(str, lines))}: two different candles for {when}; "
            "nothing was imported, keep one"
        )


def _check_spacing(path: Path, index: pd.DatetimeIndex, timeframe: str) -> None:
    """Refuse when the usual spacing of the file contradicts the timeframe (e.g. 4h as 1d)."""
    if len(index) < 3:
        return
    diffs_seconds = np.diff(index.asi8) // 1_000_000
    values, counts = np.unique(diffs_seconds, return_counts=True)
    usual = int(values[np.argmax(counts)])
    if usual != timeframe_seconds(timeframe):
        raise DataFormatError(
            f"{path.name}: candles are usually {usual} s apart but timeframe {timeframe} means "
            f"{timeframe_seconds(timeframe)} s; pass the right --timeframe"
        )


def _utc(value: pd.Timestamp | str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        for line in handle:
            if line.strip():
                return line.strip()
    raise DataFormatError(f"{path.name}: the file is empty")


__all__ = ["TIME_COLUMNS", "ImportResult", "import_csv", "read_candles"]
