"""``CandleStore``: one Parquet file per exchange, symbol and timeframe.

Layout under the data directory::

    root/candles/<exchange>/<BASE-QUOTE>/<timeframe>.parquet
    e.g. root/candles/binance/BTC-USDT/1d.parquet

Each file holds one candle frame (see ``feeds.schema``). The ccxt symbol is stored in the
file's metadata, so symbols whose folder name is ambiguous (``BTC/USDT:USDT``) read back exact.

Merging is "newer source wins": a candle arriving for a timestamp already stored with other
values replaces the stored one (the same values from another source leave it as it is). That
lets a re-download correct a candle stored while the exchange was still revising it, and a
deliberate re-import correct a bad one. Nothing is dropped except by a merge with
``replace=True`` (the new rows replace every stored row over their span: ``flowimpact import
--replace``) or by ``drop`` (``flowimpact data drop``): the repairs for bad rows an older
version or another tool stored. Every write holds the store's lock file and goes through a
temporary file and ``os.replace`` (``feeds._files``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from feeds._files import read_parquet, write_parquet_atomic, writer_lock
from feeds.listing import remove_summary, series_summary, write_summary
from feeds.quality import Finding, check_candles
from feeds.schema import OHLCV_COLUMNS, empty_candles, to_candles
from feeds.timeframes import timeframe_delta, timeframe_seconds
from flowimpact.errors import ConfigError, InputError

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
    rows_removed: int = 0  # replace=True: stored open times of the span the new rows lack


@dataclass(frozen=True, kw_only=True)
class DropResult:
    """What one ``CandleStore.drop`` did (counts in candles)."""

    path: Path
    rows_before: int
    rows_dropped: int
    rows_after: int
    first_dropped: pd.Timestamp | None = None
    last_dropped: pd.Timestamp | None = None


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
    findings: tuple[Finding, ...] = ()  # bad rows stored (an older version or another tool)

    @property
    def problems(self) -> tuple[str, ...]:
        """One line per kind of bad row stored."""
        return tuple(str(finding) for finding in self.findings)


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
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        frame: pd.DataFrame,
        *,
        replace: bool = False,
    ) -> MergeResult:
        """Merge ``frame`` (candle schema, with ``source``) into the stored series.

        Duplicate timestamps inside ``frame`` keep their last row; a timestamp already stored
        takes the incoming row when its values differ (newer source wins). With ``replace``,
        every stored candle opening in the span of ``frame`` (its first open time up to the
        close of its last candle) that ``frame`` lacks is removed. The file is replaced
        atomically, and not written at all when nothing changes.
        """
        path = self.path(exchange, symbol, timeframe)
        incoming = to_candles(frame)
        incoming = incoming[~incoming.index.duplicated(keep="last")]
        with writer_lock(self.root, self.lock_timeout_seconds,
                         purpose=f"writing {exchange} {symbol} {timeframe}"):
            stored = self.read(exchange, symbol, timeframe)
            removed = stored.index[:0]
            if replace and len(incoming):
                span_end = incoming.index[-1] + timeframe_delta(timeframe)
                in_span = (stored.index >= incoming.index[0]) & (stored.index < span_end)
                removed = stored.index[in_span].difference(incoming.index)
            overlap = stored.index.intersection(incoming.index)
            changed = _changed(stored.loc[overlap], incoming.loc[overlap])
            kept = stored.drop(index=overlap[changed].append(removed))
            merged = pd.concat([kept, incoming.drop(index=overlap[~changed])])
            merged = merged.sort_index(kind="stable")
            if len(incoming) and (len(overlap) < len(incoming) or changed.any() or len(removed)):
                self._write(merged, path, exchange, symbol, timeframe)
        return MergeResult(
            path=path,
            rows_before=len(stored),
            rows_added=len(incoming) - len(overlap),
            rows_replaced=int(changed.sum()),
            rows_after=len(merged),
            rows_removed=len(removed),
        )

    def drop(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        *,
        since: pd.Timestamp | None = None,
        until: pd.Timestamp | None = None,
    ) -> DropResult:
        """Remove the stored candles opening in [``since``, ``until``] (UTC, both inclusive).

        Without bounds the whole series goes (its file is deleted). ``InputError`` when the
        series is not stored. The file is replaced atomically.
        """
        path = self.path(exchange, symbol, timeframe)
        with writer_lock(self.root, self.lock_timeout_seconds):
            if not path.exists():
                raise InputError(
                    f"no {exchange} {symbol} {timeframe} candles stored in {self.root}; "
                    "`flowimpact data list` shows what is"
                )
            stored = self.read(exchange, symbol, timeframe)
            mask = np.ones(len(stored), dtype=bool)
            if since is not None:
                mask &= stored.index >= since
            if until is not None:
                mask &= stored.index <= until
            dropped = stored.index[mask]
            if since is None and until is None:
                path.unlink()
                remove_summary(path)
            elif len(dropped):
                self._write(stored[~mask], path, exchange, symbol, timeframe)
        return DropResult(
            path=path,
            rows_before=len(stored),
            rows_dropped=len(dropped),
            rows_after=len(stored) - len(dropped),
            first_dropped=dropped[0] if len(dropped) else None,
            last_dropped=dropped[-1] if len(dropped) else None,
        )

    def _write(
        self, frame: pd.DataFrame, path: Path, exchange: str, symbol: str, timeframe: str
    ) -> None:
        write_parquet_atomic(
            frame, path, {"exchange": exchange, "symbol": symbol, "timeframe": timeframe}
        )
        # what `flowimpact data list` shows of it, readable without pandas (feeds.listing)
        write_summary(path, series_summary(series_entry(path), timeframe_seconds(timeframe)))

    def entries(self) -> list[StoreEntry]:
        """Every stored series, sorted by exchange, symbol and timeframe."""
        found = [series_entry(path)
                 for path in sorted((self.root / "candles").glob("*/*/*.parquet"))]
        return sorted(found, key=lambda e: (e.exchange, e.symbol, timeframe_seconds(e.timeframe)))


def series_entry(path: Path) -> StoreEntry:
    """The stored series at ``path``, read whole and checked (``flowimpact data list``'s row)."""
    frame, meta = read_parquet(path)
    exchange = meta.get("exchange", path.parent.parent.name)
    symbol = meta.get("symbol", path.parent.name.replace("-", "/", 1))
    timeframe = meta.get("timeframe", path.stem)
    report = check_candles(frame, timeframe, quote=_quote(symbol))
    return StoreEntry(
        exchange=exchange,
        symbol=symbol,
        timeframe=timeframe,
        first=report.first,
        last=report.last,
        rows=report.rows,
        gaps=len(report.gaps),
        missing_bars=report.missing_bars,
        path=path,
        findings=tuple(report.findings()),
    )


def _changed(stored: pd.DataFrame, incoming: pd.DataFrame) -> np.ndarray:
    """Per aligned row: does an OHLCV value differ (NaN equals NaN)? The source is no value."""
    old = stored[list(OHLCV_COLUMNS)].to_numpy()
    new = incoming.loc[stored.index, list(OHLCV_COLUMNS)].to_numpy()
    return ~((old == new) | (np.isnan(old) & np.isnan(new))).all(axis=1)


def _quote(symbol: str) -> str:
    """``"BTC/USDT:USDT"`` → ``"USDT"``."""
    return symbol.partition("/")[2].partition(":")[0]


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


__all__ = ["CandleStore", "DropResult", "MergeResult", "StoreEntry", "series_entry"]
