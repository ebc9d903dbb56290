"""Market data in: ccxt download, CSV import, the Parquet store and data-quality checks.

The notebook path is the command line's: ``update_store`` (``flowimpact fetch``),
``import_csv`` (``flowimpact import``), ``CandleStore.entries`` (``flowimpact data list``), and
``load_prices`` for the engine (``daily_from_intraday`` turns intraday candles into days).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from feeds.config import DataConfig
from feeds.csv_import import ImportResult, import_csv, read_candles
from feeds.etf_flows import (
    EtfFlowEntry,
    etf_flow_entries,
    etf_flows_path,
    read_etf_flows,
    read_stored_etf_flows,
    write_etf_flows,
)
from feeds.quality import Gap, QualityReport, check_candles
from feeds.resample import daily_from_intraday
from feeds.schema import OHLCV_COLUMNS, empty_candles, to_candles
from feeds.store import CandleStore, MergeResult, StoreEntry
from flowimpact.errors import DataUnavailableError

if TYPE_CHECKING:
    from feeds.ccxt_feed import FetchReport, build_exchange, check_exchange, update_store
    from feeds.errors import (
        ExchangeRefusedError,
        FeedError,
        PermanentFeedError,
        TemporaryFeedError,
    )
    from feeds.retry import RetryPolicy

# ccxt takes about a second to import: its names load on first use, so reading the store (a
# study, `flowimpact data list`) never pays for it.
_LAZY = {
    "FetchReport": "feeds.ccxt_feed",
    "build_exchange": "feeds.ccxt_feed",
    "check_exchange": "feeds.ccxt_feed",
    "update_store": "feeds.ccxt_feed",
    "ExchangeRefusedError": "feeds.errors",
    "FeedError": "feeds.errors",
    "PermanentFeedError": "feeds.errors",
    "TemporaryFeedError": "feeds.errors",
    "RetryPolicy": "feeds.retry",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'feeds' has no attribute {name!r}")


def load_prices(root: Path, data: DataConfig) -> dict[str, pd.DataFrame]:
    """Stored candles of every ``data.symbols`` keyed by asset (base currency, e.g. ``"BTC"``).

    Each frame has the UTC ``timestamp`` index and float64 ``open high low close volume``
    (volume in base units). Raises ``DataUnavailableError`` (exit 3) naming the commands that
    fill the store when a symbol has nothing stored.
    """
    store = CandleStore(root)
    prices = {}
    for asset, symbol in zip(data.assets, data.symbols, strict=True):
        frame = store.read(data.exchange, symbol, data.timeframe)
        if frame.empty:
            raise DataUnavailableError(
                f"no {data.exchange} {symbol} {data.timeframe} candles in {root}: run "
                "`flowimpact fetch` or `flowimpact import path/to/binance_BTCUSDT_1d.csv ...`"
            )
        prices[asset] = frame[list(OHLCV_COLUMNS)]
    return prices


__all__ = [
    "OHLCV_COLUMNS",
    "CandleStore",
    "DataConfig",
    "EtfFlowEntry",
    "ExchangeRefusedError",
    "FeedError",
    "FetchReport",
    "Gap",
    "ImportResult",
    "MergeResult",
    "PermanentFeedError",
    "QualityReport",
    "RetryPolicy",
    "StoreEntry",
    "TemporaryFeedError",
    "build_exchange",
    "check_candles",
    "check_exchange",
    "daily_from_intraday",
    "empty_candles",
    "etf_flow_entries",
    "etf_flows_path",
    "import_csv",
    "load_prices",
    "read_candles",
    "read_etf_flows",
    "read_stored_etf_flows",
    "to_candles",
    "update_store",
    "write_etf_flows",
]
