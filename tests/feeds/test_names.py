"""Series keys from file names and flags; ccxt symbols from exchange symbols."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.names import series_key, to_ccxt_symbol
from flowimpact.errors import InputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [("BTCUSDT", "BTC/USDT"), ("ethusdt", "ETH/USDT"), ("BTC-USD", "BTC/USD"),
     ("BTC/USDT", "BTC/USDT"), ("ETHBTC", "ETH/BTC"), ("BTCFDUSD", "BTC/FDUSD"),
     ("XBTUSD", "XBT/USD"), ("BTCTUSD", "BTC/TUSD"), ("OPUSDT", "OP/USDT")],
)
def test_symbols_become_ccxt_symbols(text: str, expected: str) -> None:
    assert to_ccxt_symbol(text) == expected


def test_unsplittable_symbol_is_refused() -> None:
    with pytest.raises(InputError, match="BASE/QUOTE"):
        to_ccxt_symbol("XYZ")


def test_key_from_exchange_symbol_timeframe_name() -> None:
    key = series_key(Path("binance_BTCUSDT_4h.csv"))
    assert (key.exchange, key.symbol, key.timeframe) == ("binance", "BTC/USDT", "4h")


def test_key_from_binance_dump_name() -> None:
    key = series_key(Path("ETHUSDT-1d-2024-01.csv"))
    assert (key.exchange, key.symbol, key.timeframe) == ("binance", "ETH/USDT", "1d")
    assert series_key(Path("BTCUSDT-1h-2024-01-15.csv")).timeframe == "1h"


def test_flags_override_the_name() -> None:
    key = series_key(Path("binance_BTCUSDT_1d.csv"), exchange="kraken", symbol="BTC/USD")
    assert (key.exchange, key.symbol, key.timeframe) == ("kraken", "BTC/USD", "1d")


def test_unknown_name_without_flags_asks_for_the_missing_ones() -> None:
    with pytest.raises(InputError, match="pass --exchange --timeframe") as caught:
        series_key(Path("prices.csv"), symbol="BTC/USDT")
    assert caught.value.exit_code == 2
