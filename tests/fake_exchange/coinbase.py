"""Coinbase Exchange (ccxt id ``coinbaseexchange``): ``/products``, ``/currencies`` and
``/products/<BASE-QUOTE>/candles``.

As the real API (docs.cdp.coinbase.com, "Get product candles"): ``granularity`` in seconds, one
of 60, 300, 900, 3600, 21600, 86400; ``start``/``end`` as ISO 8601; at most 300 candles per
window (a wider window is refused with HTTP 400); each candle is
``[time (s), low, high, open, close, volume]`` as numbers, NEWEST FIRST. Only candles inside
the window come back, so a window before the listing is an empty list.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tests.fake_exchange.candles import TIMEFRAME_SECONDS, select
from tests.fake_exchange.venue import Answer, CandleSource

MAX_CANDLES = 300
_GRANULARITIES = {60, 300, 900, 3600, 21600, 86400}


def route(source: CandleSource, path: str, query: dict[str, str]) -> Answer | None:
    if path == "/products":
        return 200, [_product(symbol) for symbol in source.symbols()]
    if path == "/currencies":
        codes = sorted({code for symbol in source.symbols() for code in symbol.split("/")})
        return 200, [_currency(code) for code in codes]
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "products" and parts[2] == "candles":
        return _candles(source, parts[1], query)
    return None


def _candles(source: CandleSource, product_id: str, query: dict[str, str]) -> Answer:
    symbol = next((s for s in source.symbols() if s.replace("/", "-") == product_id), None)
    if symbol is None:
        return 404, {"message": "NotFound"}
    granularity = int(query.get("granularity", "0"))
    if granularity not in _GRANULARITIES:
        return 400, {"message": "Unsupported granularity"}
    step_ms = granularity * 1000
    frame = source.candles_for(
        symbol, next((t for t, s in TIMEFRAME_SECONDS.items() if s == granularity), "")
    )
    if "start" in query and "end" in query:
        start_ms, end_ms = _ms(query["start"]), _ms(query["end"])
        if (end_ms - start_ms) // step_ms + 1 > MAX_CANDLES:
            return 400, {"message": "granularity too small for the requested time range. "
                         "Count of aggregations requested exceeds 300"}
        rows = select(frame, start_ms, end_ms, MAX_CANDLES)
    else:  # no window: the newest 300
        rows = select(frame, None, None, 10**9)[-MAX_CANDLES:]
    return 200, [[ms // 1000, low, h, o, c, v] for ms, o, h, low, c, v in reversed(rows)]


def _ms(iso: str) -> int:
    return int(pd.Timestamp(iso).tz_convert("UTC").value // 1_000_000)


def _product(symbol: str) -> dict[str, Any]:
    base, quote = symbol.split("/")
    return {
        "id": f"{base}-{quote}", "base_currency": base, "quote_currency": quote,
        "quote_increment": "0.01", "base_increment": "0.00000001", "display_name": symbol,
        "min_market_funds": "1", "margin_enabled": False, "post_only": False,
        "limit_only": False, "cancel_only": False, "status": "online", "status_message": "",
        "trading_disabled": False, "auction_mode": False,
    }


def _currency(code: str) -> dict[str, Any]:
    fiat = code in ("USD", "EUR", "GBP")
    return {
        "id": code, "name": code, "min_size": "0.01" if fiat else "0.00000001",
        "status": "online", "message": "", "max_precision": "0.01" if fiat else "0.00000001",
        "convertible_to": [], "details": {"type": "fiat" if fiat else "crypto"},
        "supported_networks": [],
    }


__all__ = ["MAX_CANDLES", "route"]
