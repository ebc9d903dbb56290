"""Market data in: ccxt download, CSV import, the Parquet store and data-quality checks.

The notebook path is the command line's: ``update_store`` (``flowimpact fetch``),
``import_csv`` (``flowimpact import``), ``CandleStore.entries`` (``flowimpact data list``), and
``load_price_set`` / ``load_prices`` for the engine (``daily_from_intraday`` turns intraday
candles into days); ``PriceSet.sources`` names the venue each asset's prices came from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowimpact.lazy import lazy_exports

if TYPE_CHECKING:
    from feeds.ccxt_feed import FetchReport, build_exchange, check_exchange, update_store
    from feeds.config import DataConfig, Venue
    from feeds.csv_import import ImportResult, import_csv, read_candles
    from feeds.errors import (
        ExchangeRefusedError,
        FeedError,
        LocationRefusedError,
        PermanentFeedError,
        TemporaryFeedError,
    )
    from feeds.etf_flows import (
        EtfFlowEntry,
        etf_flow_entries,
        etf_flows_path,
        read_etf_flows,
        read_stored_etf_flows,
        write_etf_flows,
    )
    from feeds.prices import PriceSet, PriceSource, load_price_set, load_prices
    from feeds.quality import Gap, QualityReport, check_candles
    from feeds.resample import daily_from_intraday
    from feeds.retry import RetryPolicy
    from feeds.schema import OHLCV_COLUMNS, empty_candles, to_candles
    from feeds.store import CandleStore, MergeResult, StoreEntry

# Every name loads on first use: ccxt takes about a second to import and pandas with pyarrow
# another, so `import feeds` (or a stdlib-only module inside it, ``feeds.listing`` for
# `flowimpact data list`) pays for neither until a name that needs them is used.
_LAZY = {
    "DataConfig": "feeds.config",
    "Venue": "feeds.config",
    "ImportResult": "feeds.csv_import",
    "import_csv": "feeds.csv_import",
    "read_candles": "feeds.csv_import",
    "EtfFlowEntry": "feeds.etf_flows",
    "etf_flow_entries": "feeds.etf_flows",
    "etf_flows_path": "feeds.etf_flows",
    "read_etf_flows": "feeds.etf_flows",
    "read_stored_etf_flows": "feeds.etf_flows",
    "write_etf_flows": "feeds.etf_flows",
    "PriceSet": "feeds.prices",
    "PriceSource": "feeds.prices",
    "load_price_set": "feeds.prices",
    "load_prices": "feeds.prices",
    "Gap": "feeds.quality",
    "QualityReport": "feeds.quality",
    "check_candles": "feeds.quality",
    "daily_from_intraday": "feeds.resample",
    "OHLCV_COLUMNS": "feeds.schema",
    "empty_candles": "feeds.schema",
    "to_candles": "feeds.schema",
    "CandleStore": "feeds.store",
    "MergeResult": "feeds.store",
    "StoreEntry": "feeds.store",
    "FetchReport": "feeds.ccxt_feed",
    "build_exchange": "feeds.ccxt_feed",
    "check_exchange": "feeds.ccxt_feed",
    "update_store": "feeds.ccxt_feed",
    "ExchangeRefusedError": "feeds.errors",
    "FeedError": "feeds.errors",
    "LocationRefusedError": "feeds.errors",
    "PermanentFeedError": "feeds.errors",
    "TemporaryFeedError": "feeds.errors",
    "RetryPolicy": "feeds.retry",
}


__getattr__ = lazy_exports("feeds", _LAZY)



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
    "LocationRefusedError",
    "MergeResult",
    "PermanentFeedError",
    "PriceSet",
    "PriceSource",
    "QualityReport",
    "RetryPolicy",
    "StoreEntry",
    "TemporaryFeedError",
    "Venue",
    "build_exchange",
    "check_candles",
    "check_exchange",
    "daily_from_intraday",
    "empty_candles",
    "etf_flow_entries",
    "etf_flows_path",
    "import_csv",
    "load_price_set",
    "load_prices",
    "read_candles",
    "read_etf_flows",
    "read_stored_etf_flows",
    "to_candles",
    "update_store",
    "write_etf_flows",
]
