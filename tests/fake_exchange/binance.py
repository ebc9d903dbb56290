"""Binance spot: ``GET /api/v3/exchangeInfo`` and ``GET /api/v3/klines``.

Klines are arrays of strings with millisecond open times; ``startTime``/``endTime``/``limit``
(default 500, at most 1000). Binance answers the next candles after ``startTime`` whatever the
gap, so it never returns an empty page while later candles exist.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fake_exchange.candles import TIMEFRAME_SECONDS, select
from tests.fake_exchange.venue import Answer, CandleSource

# The body Binance sends with HTTP 451 to US (and other restricted) addresses; ccxt issue #16044.
RESTRICTED_LOCATION_BODY = {
    "code": 0,
    "msg": "Service unavailable from a restricted location according to 'b. Eligibility' in "
    "https://www.binance.com/en/terms. Please contact customer service if you believe you "
    "received this message in error.",
}


def route(source: CandleSource, path: str, query: dict[str, str]) -> Answer | None:
    if path == "/api/v3/exchangeInfo":
        return 200, _exchange_info(source.symbols())
    if path == "/api/v3/klines":
        return _klines(source, query)
    return None


def _klines(source: CandleSource, query: dict[str, str]) -> Answer:
    market_id, interval = query.get("symbol"), query.get("interval", "")
    symbol = next((s for s in source.symbols() if s.replace("/", "") == market_id), None)
    if symbol is None:
        return 400, {"code": -1121, "msg": "Invalid symbol."}
    if interval not in TIMEFRAME_SECONDS:
        return 400, {"code": -1120, "msg": "Invalid interval."}
    start, end = query.get("startTime"), query.get("endTime")
    limit = min(int(query.get("limit", 500)), 1_000)
    rows = select(source.candles_for(symbol, interval), _int(start), _int(end), limit)
    step_ms = TIMEFRAME_SECONDS[interval] * 1000
    return 200, [
        [ms, str(o), str(h), str(low), str(c), str(v), ms + step_ms - 1, "0", 1, "0", "0", "0"]
        for ms, o, h, low, c, v in rows
    ]


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def _exchange_info(symbols: list[str]) -> dict[str, Any]:
    entries = []
    for symbol in symbols:
        base, quote = symbol.split("/")
        entries.append(
            {
                "symbol": base + quote,
                "status": "TRADING",
                "baseAsset": base,
                "baseAssetPrecision": 8,
                "quoteAsset": quote,
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "orderTypes": ["LIMIT", "MARKET"],
                "icebergAllowed": True,
                "ocoAllowed": True,
                "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000.00",
                     "tickSize": "0.01"},
                    {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000.0",
                     "stepSize": "0.00001"},
                ],
                "permissions": [],
                "permissionSets": [["SPOT"]],
            }
        )
    return {"timezone": "UTC", "serverTime": int(time.time() * 1000), "rateLimits": [],
            "exchangeFilters": [], "symbols": entries}


__all__ = ["RESTRICTED_LOCATION_BODY", "route"]
