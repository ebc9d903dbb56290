"""The package's public surface and load_prices."""

from __future__ import annotations

from pathlib import Path

import pytest

import feeds
from feeds import CandleStore, DataConfig, load_prices
from flowimpact.errors import DataUnavailableError
from tests.feeds.helpers import candles


def test_all_names_exist() -> None:
    assert all(hasattr(feeds, name) for name in feeds.__all__)


def test_load_prices_keys_by_asset_and_drops_source(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    store.merge("binance", "BTC/USDT", "1d", candles(["2024-01-01"], [42_000.0]))
    prices = load_prices(tmp_path, DataConfig(symbols=("BTC/USDT",)))
    assert list(prices) == ["BTC"]
    assert list(prices["BTC"].columns) == ["open", "high", "low", "close", "volume"]
    assert prices["BTC"]["close"].iloc[0] == 42_000.0


def test_missing_symbol_tells_how_to_fill_the_store(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    store.merge("binance", "BTC/USDT", "1d", candles(["2024-01-01"], [1.0]))
    with pytest.raises(DataUnavailableError, match=r"ETH/USDT.*fetch.*flowimpact import"):
        load_prices(tmp_path, DataConfig())
