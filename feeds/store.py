"""``CandleStore``: one Parquet file per exchange, symbol and timeframe.

Layout under the data directory::

    root/candles/<exchange>/<BASE-QUOTE>/<timeframe>.parquet
    e.g. root/candles/binance/BTC-USDT/1d.parquet

Each file holds one candle frame (see ``feeds.schema``). The ccxt symbol is stored in the
file's metadata, so symbols whose folder name is ambiguous (``BTC/USDT:USDT``) read back exact.

Merging is "newer source wins": a candle arriving for a timestamp already stored replaces the
stored one. That lets a re-download correct a candle stored while the exchange was still
revising it, and a deliberate re-import correct a bad one; nothing is ever dropped except a
candle replaced by one for the same open time. Every write holds the store's lock file and
goes through a temporary file and ``os.replace`` (``feeds._files``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from feeds._files import read_parquet, write_parquet_atomic, writer_lock
from feeds.quality import check_candles
from feeds.schema import OHLCV_COLUMNS, empty_candles, to_candles
from feeds.timeframes import timeframe_seconds
from flowimpact.errors import ConfigError

_EXCHANGE_ID = re.compile(r"^[a-z0-9_]+$")
_SYMBOL = re.compile(r"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)?$")


@dataclass(frozen=True, kw_only=True)
class MergeResult:
    """What one ``CandleStore.merge`` did (counts in candles)."""

    path: Path
    rows_before: int
    rows_added: int  # open times that were not stored before
    rows_replaced: int  # open times already stored whose values changed
    rows_after: int


@dataclass(frozen=True, kw_only=True)
class StoreEntry:
    """One stored series, as ``flowimpact data list`` shows it."""

    exchange: str
    symbol: str
    timeframe: str
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    rows: int
    gaps: int  # runs of missing candles inside [first, last]
    missing_bars: int  # candles missing in those runs
    path: Path


class CandleStore:
    """The local candle store under ``root`` (the data directory)."""

    def __init__(self, root: Path, *, lock_timeout_seconds: float = 60.0) -> None:
        self.root = Path(root)
        self.lock_timeout_seconds = lock_timeout_seconds

    def __repr__(self) -> str:
        return f"CandleStore({str(self.root)!r})"

    def path(self, exchange: str, symbol: str, timeframe: str) -> Path:
        """Where the series lives (whether or not it exists yet)."""
        _check_key(exchange, symbol, timeframe)
        folder = symbol.replace("/", "-").replace(":", "_")
        return self.root / "candles" / exchange / folder / f"{timeframe}.parquet"

    def read(self, exchange: str, symbol: str, timeframe: str) -> pd.DataFrame:
        """The stored candles, sorted by time; an empty frame with the schema if none."""
        path = self.path(exchange, symbol, timeframe)
        if not path.exists():
            return empty_candles()
        frame, _ = read_parquet(path)
        return to_candles(frame)

    def last_timestamp(self, exchange: str, symbol: str, timeframe: str) -> pd.Timestamp | None:
        """Open time of the newest stored candle, or None when nothing is stored."""
        frame = self.read(exchange, symbol, timeframe)
        return None if frame.empty else frame.index[-1]

    def merge(
        self, exchange: str, symbol: str, timeframe: str, frame: pd.DataFrame
    ) -> MergeResult:
        """Merge ``frame`` (candle schema, with ``source``) into the stored series.

        Duplicate timestamps inside ``frame`` keep their last row; a timestamp already stored
        takes the incoming row (newer source wins). The file is replaced atomically.
        """
        path = self.path(exchange, symbol, timeframe)
        incoming = to_candles(frame)
        incoming = incoming[~incoming.index.duplicated(keep="last")]
        with writer_lock(self.root, self.lock_timeout_seconds,
                         purpose=f"writing {exchange} {symbol} {timeframe}"):
            stored = self.read(exchange, symbol, timeframe)
            overlap = stored.index.intersection(incoming.index)
            changed = _rows_differ(stored.loc[overlap], incoming.loc[overlap])
            merged = pd.concat([stored.drop(index=overlap), incoming]).sort_index(kind="stable")
            if len(incoming) and (len(overlap) < len(incoming) or changed):
                write_parquet_atomic(
                    merged,
                    path,
                    {"exchange": exchange, "symbol": symbol, "timeframe": timeframe},
                )
        return MergeResult(
            path=path,
            rows_before=len(stored),
            rows_added=len(incoming) - len(overlap),
            rows_replaced=changed,
            rows_after=len(merged),
        )

    def entries(self) -> list[StoreEntry]:
        """Every stored series, sorted by exchange, symbol and timeframe."""
        found = []
        for path in sorted((self.root / "candles").glob("*/*/*.parquet")):
            frame, meta = read_parquet(path)
            exchange = meta.get("exchange", path.parent.parent.name)
            symbol = meta.get("symbol", path.parent.name.replace("-", "/", 1))
            timeframe = meta.get("timeframe", path.stem)
            report = check_candles(frame, timeframe)
            found.append(
                StoreEntry(
                    exchange=exchange,
                    symbol=symbol,
                    timeframe=timeframe,
                    first=report.first,
                    last=report.last,
                    rows=report.rows,
                    gaps=len(report.gaps),
                    missing_bars=report.missing_bars,
                    path=path,
                )
            )
        return sorted(found, key=lambda e: (e.exchange, e.symbol, timeframe_seconds(e.timeframe)))


def _rows_differ(stored: pd.DataFrame, incoming: pd.DataFrame) -> int:
    """How many aligned rows differ in any value (NaN equal to NaN)."""
    if stored.empty:
        return 0
    old = stored[list(OHLCV_COLUMNS)].to_numpy()
    new = incoming.loc[stored.index, list(OHLCV_COLUMNS)].to_numpy()
    same_numbers = ((old == new) | (pd.isna(old) & pd.isna(new))).all(axis=1)
    same_source = stored["source"].to_numpy() == incoming.loc[stored.index, "source"].to_numpy()
    return int((~(same_numbers & same_source)).sum())


def _check_key(exchange: str, symbol: str, timeframe: str) -> None:
    """Refuse keys that would make odd paths (``..``, separators) or unknown timeframes."""
    if not _EXCHANGE_ID.match(exchange or ""):
        raise ConfigError(
            f"exchange {exchange!r} is not a ccxt exchange id: lowercase letters and digits, "
            "e.g. 'binance'"
        )
    if not _SYMBOL.match(symbol or "") or ".." in symbol:
        raise ConfigError(
            f"symbol {symbol!r} is not a ccxt symbol: write BASE/QUOTE, e.g. BTC/USDT"
        )
    timeframe_seconds(timeframe)


__all__ = ["CandleStore", "MergeResult", "StoreEntry"]
