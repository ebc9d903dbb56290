"""load_price_set: per asset, the stored series of the venue that serves it, and its name."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feeds import CandleStore, DataConfig, PriceSource, Venue, load_price_set, load_prices
from flowimpact.errors import DataUnavailableError
from tests.feeds.helpers import candles

COINBASE = Venue(exchange="coinbaseexchange", symbols=("ETH/USD", "BTC/USD"))
DATA = DataConfig(exchange="binance", symbols=("BTC/USDT", "ETH/USDT"), fallbacks=(COINBASE,))


def _days(first: str, count: int) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in pd.date_range(first, periods=count, freq="D")]


def test_an_asset_is_read_from_the_fallback_that_served_it(tmp_path: Path) -> None:
    # the usual US case: binance refused, so only coinbase holds BTC; binance still has ETH
    store = CandleStore(tmp_path)
    store.merge("coinbaseexchange", "BTC/USD", "1d", candles(_days("2024-01-01", 3), [1, 2, 3]))
    store.merge("binance", "ETH/USDT", "1d", candles(_days("2024-01-01", 3), [7, 8, 9]))
    price_set = load_price_set(tmp_path, DATA)
    assert list(price_set.prices) == list(price_set.sources) == ["BTC", "ETH"]
    assert price_set.prices["BTC"]["close"].tolist() == [1, 2, 3]
    assert price_set.sources["BTC"] == PriceSource(
        asset="BTC", exchange="coinbaseexchange", symbol="BTC/USD", timeframe="1d",
        first=pd.Timestamp("2024-01-01", tz="UTC"), last=pd.Timestamp("2024-01-03", tz="UTC"),
        rows=3, fallback=True,
    )
    assert price_set.sources["BTC"].label == "coinbaseexchange BTC/USD 1d"
    assert (price_set.sources["ETH"].exchange, price_set.sources["ETH"].fallback) == (
        "binance", False)
    assert load_prices(tmp_path, DATA)["BTC"].equals(price_set.prices["BTC"])


def test_the_venue_with_the_newest_candles_wins_and_a_tie_goes_to_the_earlier(
    tmp_path: Path,
) -> None:
    store = CandleStore(tmp_path)
    # binance imported from old CSV files, coinbase fetched up to today: coinbase is read
    store.merge("binance", "BTC/USDT", "1d", candles(_days("2020-01-01", 5), [1] * 5))
    store.merge("coinbaseexchange", "BTC/USD", "1d", candles(_days("2024-01-01", 2), [2, 2]))
    one = DataConfig(exchange="binance", symbols=("BTC/USDT",),
                     fallbacks=(Venue(exchange="coinbaseexchange", symbols=("BTC/USD",)),))
    assert load_price_set(tmp_path, one).sources["BTC"].exchange == "coinbaseexchange"
    # binance serves again and catches up: equal last candle, binance (first in order) is read
    store.merge("binance", "BTC/USDT", "1d", candles(_days("2024-01-01", 2), [3, 3]))
    assert load_price_set(tmp_path, one).sources["BTC"].exchange == "binance"


def test_nothing_stored_under_any_venue_names_every_series_looked_for(tmp_path: Path) -> None:
    CandleStore(tmp_path).merge("binance", "BTC/USDT", "1d", candles(["2024-01-01"], [1]))
    with pytest.raises(DataUnavailableError) as caught:
        load_price_set(tmp_path, DATA)
    assert str(caught.value).startswith(
        f"no binance ETH/USDT or coinbaseexchange ETH/USD 1d candles in {tmp_path}: run "
        "`flowimpact fetch`")
