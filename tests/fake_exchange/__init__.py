"""Fake exchanges on 127.0.0.1 for the real ccxt code path (see ``server`` for the use).

Binance, Bitstamp and Coinbase Exchange answer in their real API shapes, each in its own
module; faults are injected per request.
"""

from tests.fake_exchange.candles import make_candles
from tests.fake_exchange.server import (
    CLIENT_TIMEOUT_MS,
    FAULT_KINDS,
    FakeExchangeServer,
    serve_fake_exchange,
)

__all__ = [
    "CLIENT_TIMEOUT_MS",
    "FAULT_KINDS",
    "FakeExchangeServer",
    "make_candles",
    "serve_fake_exchange",
]
