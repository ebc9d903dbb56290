"""Every stored file as ``flowimpact data list`` shows it, from the summaries beside them.

A file with a valid summary (``feeds.listing``) is listed from it without pandas or pyarrow. A
file without one, or whose bytes no longer match it (written by an older version or another
tool), is read whole through ``feeds.store`` and ``feeds.etf_flows`` and summarized as a write
would: the listing says the same either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from feeds.listing import (
    FlowListing,
    SeriesListing,
    flow_listing,
    flow_summary,
    read_summary,
    series_listing,
    series_summary,
)


def store_listing(root: Path) -> tuple[list[SeriesListing], list[FlowListing]]:
    """Every stored candle series (sorted by exchange, symbol and timeframe) and ETF-flow
    table (sorted by asset) under the data directory ``root``."""
    series = [series_listing(read_summary(path) or _read_series(path))
              for path in sorted((Path(root) / "candles").glob("*/*/*.parquet"))]
    flows = [flow_listing(read_summary(path) or _read_flow(path))
             for path in sorted((Path(root) / "etf_flows").glob("*.parquet"))]
    series.sort(key=lambda s: (s.exchange, s.symbol, s.timeframe_seconds))
    return series, flows


def _read_series(path: Path) -> dict[str, Any]:
    """A file without a valid summary: read whole (pandas) and summarized as a write would."""
    # imported here: only a file without a valid summary needs pandas and pyarrow
    from feeds.store import series_entry
    from feeds.timeframes import timeframe_seconds

    entry = series_entry(path)
    return series_summary(entry, timeframe_seconds(entry.timeframe))


def _read_flow(path: Path) -> dict[str, Any]:
    from feeds.etf_flows import flow_entry

    return flow_summary(flow_entry(path))


__all__ = ["store_listing"]
