"""Where a report's numbers came from, in words, for figure captions and the sources section."""

from __future__ import annotations

from collections.abc import Mapping

from feeds.config import DataConfig
from feeds.prices import PriceSource


def price_source(data: DataConfig, sources: Mapping[str, PriceSource] | None = None) -> str:
    """The venue, symbols and timeframe of the prices, e.g. "binance BTC/USDT, ETH/USDT 1d".

    With ``sources`` (the series each asset was read from), assets served by another venue
    than ``[data] exchange`` (a fallback) are named with theirs.
    """
    if not sources:
        return f"{data.exchange} {', '.join(data.symbols)} {data.timeframe}"
    by_venue: dict[str, list[str]] = {}
    for source in sources.values():
        by_venue.setdefault(source.exchange, []).append(source.symbol)
    parts = [f"{venue} {', '.join(symbols)}" for venue, symbols in by_venue.items()]
    fallback = any(s.fallback for s in sources.values())
    note = f" (fallback for {data.exchange})" if fallback else ""
    return f"{'; '.join(parts)} {data.timeframe}{note}"


__all__ = ["price_source"]
