"""Bitstamp: ``GET /api/v2/markets/`` and ``GET /api/v2/ohlc/<pair>/``.

Candles are objects with second timestamps under ``{"data": {"pair": ..., "ohlc": [...]}}``,
oldest first; ``step`` (seconds), ``limit`` (at most 1000), ``start``/``end`` (seconds). The
answer holds only candles inside ``[start, end]``: ccxt sends ``end = start + step * limit - 1``,
so a window that falls in an outage comes back empty although later candles exist.
"""

from __future__ import annotations

from typing import Any

from tests.fake_exchange.candles import TIMEFRAME_SECONDS, select
from tests.fake_exchange.venue import Answer, CandleSource


def route(source: CandleSource, path: str, query: dict[str, str]) -> Answer | None:
    if path == "/api/v2/markets/":
        return 200, [_market(symbol) for symbol in source.symbols()]
    if path.startswith("/api/v2/ohlc/"):
        return _ohlc(source, path.split("/")[4], query)
    return None


def _ohlc(source: CandleSource, pair: str, query: dict[str, str]) -> Answer:
    symbol = next((s for s in source.symbols() if s.replace("/", "").lower() == pair), None)
    if symbol is None:
        return 404, {"status": "error", "reason": "Invalid pair", "code": "API0005"}
    step_seconds = int(query.get("step", "86400"))
    timeframe = next((t for t, s in TIMEFRAME_SECONDS.items() if s == step_seconds), "")
    start_ms = int(query["start"]) * 1000 if "start" in query else None
    end_ms = int(query["end"]) * 1000 if "end" in query else None
    limit = min(int(query.get("limit", "1000")), 1_000)
    rows = select(source.candles_for(symbol, timeframe), start_ms, end_ms, limit)
    ohlc = [
        {"timestamp": str(ms // 1000), "open": str(o), "high": str(h), "low": str(low),
         "close": str(c), "volume": str(v)}
        for ms, o, h, low, c, v in rows
    ]
    return 200, {"data": {"pair": symbol, "ohlc": ohlc}}


def _market(symbol: str) -> dict[str, Any]:
    base, quote = symbol.split("/")
    return {
        "name": symbol,
        "market_symbol": (base + quote).lower(),
        "base_currency": base,
        "base_decimals": 8,
        "counter_currency": quote,
        "counter_decimals": 2,
        "minimum_order_value": "10",
        "trading": "Enabled",
        "instant_and_market_orders": "Enabled",
        "description": f"{base} / {quote}",
        "market_type": "SPOT",
    }


__all__ = ["route"]
