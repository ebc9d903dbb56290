"""Where a report's numbers came from, in words, for figure captions and the sources section."""

from __future__ import annotations

from feeds.config import DataConfig


def price_source(data: DataConfig) -> str:
    """The exchange, symbols and timeframe of the prices, e.g. "binance BTC/USDT, ETH/USDT 1d"."""
    return f"{data.exchange} {', '.join(data.symbols)} {data.timeframe}"


__all__ = ["price_source"]
