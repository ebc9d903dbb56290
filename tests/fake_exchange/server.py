"""The fake exchange server on 127.0.0.1: one threaded HTTP server, three venues, faults.

Use::

    with serve_fake_exchange() as server:
        server.set_candles("BTC/USDT", "1d", make_candles("2024-01-01", 30, "1d"))
        server.add_fault("429", path="/api/v3/klines")
        exchange = ccxt.binance(server.ccxt_config("binance"))
        ...
        server.requests          # every request path (with query) in arrival order

The venues (``binance``, ``bitstamp``, ``coinbase`` modules) answer in their real shapes; the
server asks each in turn. Faults (``add_fault(kind, path=..., times=1, skip=0)``) apply to
requests whose path starts with ``path``, after letting ``skip`` matching requests through,
``times`` times (None: always): ``"429"`` (rate limited), ``"500"``, ``"503"`` (unavailable),
``"451"`` (Binance's "Service unavailable from a restricted location"), ``"timeout"`` (answers
after the client gave up), ``"hang"`` (accepts and never answers, until the server closes),
``"drop"`` (the connection closes in the middle of the body), ``"bad_json"`` (HTTP 200 with a
truncated JSON body).
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

import pandas as pd

from tests.fake_exchange import binance, bitstamp, coinbase
from tests.fake_exchange.venue import Answer

FAULT_KINDS = ("429", "500", "503", "451", "timeout", "hang", "drop", "bad_json")
CLIENT_TIMEOUT_MS = 400  # the ccxt timeout ccxt_config() sets; "timeout" faults outlast it
_VENUES = (binance.route, bitstamp.route, coinbase.route)


@dataclass
class _Fault:
    kind: str
    path: str
    times: int | None
    skip: int
    contains: str


class FakeExchangeServer:
    """The server; see the module docstring. Thread-safe: handlers run in server threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._candles: dict[tuple[str, str], pd.DataFrame] = {}
        self._faults: list[_Fault] = []
        self._closing = threading.Event()  # releases "hang" faults
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
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def set_candles(self, symbol: str, timeframe: str, frame: pd.DataFrame) -> None:
        """Serve ``frame`` (UTC index of open times, ohlcv columns) for symbol and timeframe."""
        with self._lock:
            self._candles[(symbol, timeframe)] = frame.copy()

    def add_fault(
        self,
        kind: str,
        *,
        path: str = "/",
        times: int | None = 1,
        skip: int = 0,
        contains: str = "",
    ) -> None:
        """Inject ``kind`` on requests whose path starts with ``path`` and holds ``contains``
        (e.g. ``"symbol=ETHUSDT"``, as ccxt orders query parameters its own way)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {kind!r}: choose one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(
                _Fault(kind=kind, path=path, times=times, skip=skip, contains=contains)
            )

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

    # --- what the venues read (called from server threads) ---

    def candles_for(self, symbol: str, timeframe: str) -> pd.DataFrame | None:
        with self._lock:
            return self._candles.get((symbol, timeframe))

    def symbols(self) -> list[str]:
        with self._lock:
            known = {symbol for symbol, _ in self._candles}
        return sorted(known | {"BTC/USDT", "ETH/USDT"})

    # --- request handling (called from server threads) ---

    def _record_and_pick_fault(self, path: str) -> str | None:
        with self._lock:
            self.requests.append(path)
            for fault in self._faults:
                if not path.startswith(fault.path) or fault.contains not in path:
                    continue
                if fault.times == 0:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.times is not None:
                    fault.times -= 1
                return fault.kind
        return None

    def _route(self, path: str, query: dict[str, str]) -> Answer:
        for venue in _VENUES:
            answer = venue(self, path, query)
            if answer is not None:
                return answer
        return 404, {"code": -1, "msg": f"fake exchange: no route {path}"}


def _make_handler(server: FakeExchangeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read ``server.requests`` instead."""

        def do_GET(self) -> None:
            fault = server._record_and_pick_fault(self.path)
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            if fault == "hang":
                server._closing.wait(timeout=120)
                self.close_connection = True
                return
            if fault == "timeout":
                time.sleep(CLIENT_TIMEOUT_MS / 1000 * 2.5)
            if fault == "drop":
                self._drop_mid_body()
                return
            if fault in ("429", "500", "503"):
                self._send(int(fault), b'{"code": -1003, "msg": "fake fault"}')
                return
            if fault == "451":
                self._send(451, json.dumps(binance.RESTRICTED_LOCATION_BODY).encode())
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


__all__ = ["CLIENT_TIMEOUT_MS", "FAULT_KINDS", "FakeExchangeServer", "serve_fake_exchange"]
