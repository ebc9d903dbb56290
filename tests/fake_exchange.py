"""A fake exchange on 127.0.0.1 for the real ccxt code path, with faults injected per request.

One threaded HTTP server speaks two API shapes that ccxt knows:

- Binance spot: ``GET /api/v3/exchangeInfo`` and ``GET /api/v3/klines`` (candles as arrays of
  strings, millisecond open times, ``startTime``/``endTime``/``limit``);
- Bitstamp: ``GET /api/v2/markets/`` and ``GET /api/v2/ohlc/<pair>/`` (candles as objects,
  second timestamps, ``start``/``end``/``step``/``limit``).

Use::

    with serve_fake_exchange() as server:
        server.set_candles("BTC/USDT", "1d", make_candles("2024-01-01", 30, "1d"))
        server.add_fault("429", path="/api/v3/klines")
        exchange = ccxt.binance(server.ccxt_config("binance"))
        ...
        server.requests          # every request path (with query) in arrival order

Faults (``add_fault(kind, path=..., times=1, skip=0)``), applied to requests whose path starts
with ``path``, after letting ``skip`` matching requests through, ``times`` times (None: always):
``"429"`` (rate limited), ``"500"``, ``"503"`` (unavailable), ``"timeout"`` (answers after
the client gave up), ``"drop"`` (the connection closes in the middle of the body),
``"bad_json"`` (HTTP 200 with a truncated JSON body).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd

FAULT_KINDS = ("429", "500", "503", "timeout", "drop", "bad_json")
CLIENT_TIMEOUT_MS = 400  # the ccxt timeout ccxt_config() sets; "timeout" faults outlast it
_TIMEFRAME_SECONDS = {"1m": 60, "1h": 3600, "4h": 14400, "1d": 86400}
_BINANCE_INTERVALS = {"1m": "1m", "1h": "1h", "4h": "4h", "1d": "1d"}


def make_candles(start: str, periods: int, timeframe: str = "1d", *, seed: int = 0) -> pd.DataFrame:
    """Deterministic, OHLC-consistent candles (UTC open times) for tests."""
    rng = np.random.default_rng(seed)
    step = pd.Timedelta(seconds=_TIMEFRAME_SECONDS[timeframe])
    first = pd.Timestamp(start, tz="UTC")
    index = pd.date_range(first, periods=periods, freq=step, name="timestamp")
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, periods)))
    open_ = np.r_[100.0, close[:-1]]
    spread = np.abs(rng.normal(0.0, 0.01, periods)) * close
    return pd.DataFrame(
        {
            "open": open_.round(2),
            "high": (np.maximum(open_, close) + spread).round(2),
            "low": (np.minimum(open_, close) - spread).round(2),
            "close": close.round(2),
            "volume": rng.uniform(10.0, 1000.0, periods).round(6),
        },
        index=index,
    )


@dataclass
class _Fault:
    kind: str
    path: str
    times: int | None
    skip: int


class FakeExchangeServer:
    """The server; see the module docstring. Thread-safe: handlers run in server threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._candles: dict[tuple[str, str], pd.DataFrame] = {}
        self._faults: list[_Fault] = []
        self.requests: list[str] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeExchangeServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def set_candles(self, symbol: str, timeframe: str, frame: pd.DataFrame) -> None:
        """Serve ``frame`` (UTC index of open times, ohlcv columns) for symbol and timeframe."""
        with self._lock:
            self._candles[(symbol, timeframe)] = frame.copy()

    def add_fault(
        self, kind: str, *, path: str = "/", times: int | None = 1, skip: int = 0
    ) -> None:
        """Inject ``kind`` on requests whose path starts with ``path`` (see module docstring)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {kind!r}: choose one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(_Fault(kind=kind, path=path, times=times, skip=skip))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def count(self, prefix: str) -> int:
        """How many requests so far had a path starting with ``prefix``."""
        with self._lock:
            return sum(1 for request in self.requests if request.startswith(prefix))

    def ccxt_config(self, exchange: str = "binance", **extra: Any) -> dict[str, Any]:
        """Constructor config pointing every API URL of ``exchange`` at this server."""
        import ccxt  # here, so that importing this module stays cheap

        api = getattr(ccxt, exchange)().urls["api"]
        urls = {key: self.url + urlsplit(value).path for key, value in api.items()}
        config: dict[str, Any] = {
            "urls": {"api": urls},
            "timeout": CLIENT_TIMEOUT_MS,
            "enableRateLimit": True,
            "rateLimit": 1,  # milliseconds between requests: the throttle stays on, but fast
        }
        if exchange == "binance":
            config["options"] = {"fetchMarkets": {"types": ["spot"]}}
        config.update(extra)
        return config

    # --- request handling (called from server threads) ---

    def _record_and_pick_fault(self, path: str) -> str | None:
        with self._lock:
            self.requests.append(path)
            for fault in self._faults:
                if not path.startswith(fault.path) or fault.times == 0:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.times is not None:
                    fault.times -= 1
                return fault.kind
        return None

    def _candles_for(self, symbol: str, timeframe: str) -> pd.DataFrame | None:
        with self._lock:
            return self._candles.get((symbol, timeframe))

    def _symbols(self) -> list[str]:
        with self._lock:
            known = {symbol for symbol, _ in self._candles}
        return sorted(known | {"BTC/USDT", "ETH/USDT"})

    def _route(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/api/v3/exchangeInfo":
            return 200, _binance_exchange_info(self._symbols())
        if path == "/api/v3/klines":
            return self._binance_klines(query)
        if path == "/api/v2/markets/":
            return 200, [_bitstamp_market(symbol) for symbol in self._symbols()]
        if path.startswith("/api/v2/ohlc/"):
            return self._bitstamp_ohlc(path.split("/")[4], query)
        return 404, {"code": -1, "msg": f"fake exchange: no route {path}"}

    def _binance_klines(self, query: dict[str, str]) -> tuple[int, Any]:
        market_id, interval = query.get("symbol"), query.get("interval")
        symbol = next((s for s in self._symbols() if s.replace("/", "") == market_id), None)
        timeframe = next((t for t, i in _BINANCE_INTERVALS.items() if i == interval), None)
        if symbol is None:
            return 400, {"code": -1121, "msg": "Invalid symbol."}
        frame = self._candles_for(symbol, timeframe or "")
        rows = _select(frame, query, "startTime", "endTime", 1_000, default_limit=500)
        step_ms = _TIMEFRAME_SECONDS.get(timeframe or "1d", 86_400) * 1000
        return 200, [
            [ms, str(o), str(h), str(low), str(c), str(v), ms + step_ms - 1, "0", 1, "0", "0", "0"]
            for ms, o, h, low, c, v in rows
        ]

    def _bitstamp_ohlc(self, pair: str, query: dict[str, str]) -> tuple[int, Any]:
        symbol = next((s for s in self._symbols() if s.replace("/", "").lower() == pair), None)
        if symbol is None:
            return 404, {"status": "error", "reason": "Invalid pair", "code": "API0005"}
        step_seconds = int(query.get("step", "86400"))
        timeframe = next((t for t, s in _TIMEFRAME_SECONDS.items() if s == step_seconds), "")
        seconds_query = {
            key: str(int(value) * 1000) for key, value in query.items() if key in ("start", "end")
        }
        seconds_query["limit"] = query.get("limit", "1000")
        rows = _select(self._candles_for(symbol, timeframe), seconds_query, "start", "end", 1_000)
        ohlc = [
            {"timestamp": str(ms // 1000), "open": str(o), "high": str(h), "low": str(low),
             "close": str(c), "volume": str(v)}
            for ms, o, h, low, c, v in rows
        ]
        return 200, {"data": {"pair": symbol, "ohlc": ohlc}}


def _select(
    frame: pd.DataFrame | None,
    query: dict[str, str],
    start_key: str,
    end_key: str,
    max_limit: int,
    default_limit: int = 1_000,
) -> list[tuple[int, float, float, float, float, float]]:
    """Candles with start <= open time (ms) <= end, the first ``limit`` of them."""
    if frame is None or frame.empty:
        return []
    ms = frame.index.as_unit("ms").asi8
    keep = np.ones(len(frame), dtype=bool)
    if start_key in query:
        keep &= ms >= int(query[start_key])
    if end_key in query:
        keep &= ms <= int(query[end_key])
    limit = min(int(query.get("limit", default_limit)), max_limit)
    values = frame[["open", "high", "low", "close", "volume"]].to_numpy()[keep][:limit]
    return [(int(t), *map(float, row)) for t, row in zip(ms[keep][:limit], values, strict=True)]


def _binance_exchange_info(symbols: list[str]) -> dict[str, Any]:
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


def _bitstamp_market(symbol: str) -> dict[str, Any]:
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


def _make_handler(server: FakeExchangeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read ``server.requests`` instead."""

        def do_GET(self) -> None:
            fault = server._record_and_pick_fault(self.path)
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            if fault == "timeout":
                time.sleep(CLIENT_TIMEOUT_MS / 1000 * 2.5)
            if fault == "drop":
                self._drop_mid_body()
                return
            if fault in ("429", "500", "503"):
                self._send(int(fault), b'{"code": -1003, "msg": "fake fault"}')
                return
            status, payload = server._route(parts.path, query)
            body = json.dumps(payload).encode()
            if fault == "bad_json":
                body = body[: max(1, len(body) // 2)]
            self._send(status, body)

        def _send(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (a "timeout" fault)

        def _drop_mid_body(self) -> None:
            """Promise a body, send part of it, and close the connection."""
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b'[[1704067200000, "1.0", ')
            self.wfile.flush()
            self.close_connection = True

    return Handler


@contextlib.contextmanager
def serve_fake_exchange() -> Iterator[FakeExchangeServer]:
    """Start a fake exchange on a free port of 127.0.0.1; stop it on exit."""
    server = FakeExchangeServer().start()
    try:
        yield server
    finally:
        server.close()


__all__ = ["FAULT_KINDS", "FakeExchangeServer", "make_candles", "serve_fake_exchange"]
