"""Walking a series window by window to the newest closed candle, against the fake venues.

Venues that answer a start/end window (Coinbase, Bitstamp) return an empty page for a window
before the listing or inside an outage; the download must walk past it, and still stop, at
the newest closed candle, on a venue that never returns anything.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feeds.ccxt_feed import update_store
from feeds.config import DataConfig
from feeds.errors import PermanentFeedError
from feeds.retry import RetryPolicy
from feeds.store import CandleStore
from tests.fake_exchange import FakeExchangeServer, make_candles

FAST_RETRY = RetryPolicy(max_attempts=2, sleep=lambda _seconds: None)


def _fetch(
    server: FakeExchangeServer,
    store: CandleStore,
    exchange: str,
    symbol: str,
    *,
    timeframe: str = "1d",
    since: str,
    now: pd.Timestamp,
    page_limit: int | None = None,
) -> list:
    data = DataConfig(exchange=exchange, symbols=(symbol,), timeframe=timeframe, since=since,
                      ccxt=server.ccxt_config(exchange))
    return update_store(store, data, now=now, progress=False, retry=FAST_RETRY,
                        page_limit=page_limit)


def _same_candles(stored: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(stored.drop(columns="source"), expected, check_freq=False,
                                  check_index_type=False)


def test_coinbase_since_before_the_listing_walks_to_the_first_candle(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    # Coinbase lists BTC-USD from 2015-07-20; a study since 2014 first meets empty windows
    served = make_candles("2015-07-20", 700, "1d")
    fake_exchange.set_candles("BTC/USD", "1d", served)
    now = served.index[-1] + pd.Timedelta(hours=36)  # every served candle is closed
    store = CandleStore(tmp_path)
    [report] = _fetch(fake_exchange, store, "coinbaseexchange", "BTC/USD", since="2014-01-01",
                      now=now)
    assert report.candles_fetched == report.rows_added == 700
    _same_candles(store.read("coinbaseexchange", "BTC/USD", "1d"), served)
    windows = fake_exchange.count("/products/BTC-USD/candles")
    assert windows == report.requests == 5  # 300-day windows from 2014-01-01 past the last day


def test_bitstamp_4h_outage_longer_than_a_page_is_walked_past(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    # 2018-02-01 .. 02-28 in 4h bars with 28 hours missing after 2018-02-08 00:00 (7 bars):
    # 161 bars, 43 of them before the outage; pages of 5 bars span 20 hours
    every = make_candles("2018-02-01", 168, "4h")
    outage = (every.index > "2018-02-08 00:00") & (every.index < "2018-02-09 08:00")
    served = every[~outage]
    assert (len(served), int((served.index <= "2018-02-08").sum())) == (161, 43)
    fake_exchange.set_candles("BTC/USD", "4h", served)
    now = pd.Timestamp("2018-03-01", tz="UTC")
    store = CandleStore(tmp_path)
    [report] = _fetch(fake_exchange, store, "bitstamp", "BTC/USD", timeframe="4h",
                      since="2018-02-01", now=now, page_limit=5)
    assert report.rows_added == 161
    _same_candles(store.read("bitstamp", "BTC/USD", "4h"), served)


def test_a_store_that_stopped_before_an_outage_completes_on_the_next_run(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    every = make_candles("2018-02-01", 168, "4h")
    served = every[(every.index <= "2018-02-08 00:00") | (every.index >= "2018-02-09 08:00")]
    fake_exchange.set_candles("BTC/USD", "4h", served)
    store = CandleStore(tmp_path)
    # what an earlier version left behind: the 43 bars up to the outage
    _fetch(fake_exchange, store, "bitstamp", "BTC/USD", timeframe="4h", since="2018-02-01",
           now=pd.Timestamp("2018-02-08 06:00", tz="UTC"), page_limit=5)
    assert len(store.read("bitstamp", "BTC/USD", "4h")) == 43
    [report] = _fetch(fake_exchange, store, "bitstamp", "BTC/USD", timeframe="4h",
                      since="2018-02-01", now=pd.Timestamp("2018-03-01", tz="UTC"), page_limit=5)
    assert report.rows_added == 118
    _same_candles(store.read("bitstamp", "BTC/USD", "4h"), served)


@pytest.mark.parametrize("exchange", ["bitstamp", "binance"])
def test_a_venue_that_never_returns_candles_stops_at_now(
    fake_exchange: FakeExchangeServer, tmp_path: Path, exchange: str
) -> None:
    # no candles at all: the walk jumps a page's span (10 days) per request and stops once the
    # cursor passes the newest closed candle: 01-01, 01-11, ... 02-20 is 6 requests
    [report] = _fetch(fake_exchange, CandleStore(tmp_path), exchange, "BTC/USDT",
                      since="2024-01-01", now=pd.Timestamp("2024-03-01", tz="UTC"), page_limit=10)
    assert (report.requests, report.candles_fetched, report.last_stored) == (6, 0, None)
    path = "/api/v2/ohlc/" if exchange == "bitstamp" else "/api/v3/klines"
    assert fake_exchange.count(path) == 6


def test_the_walk_asks_every_window_once_without_gaps_or_overlap(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    fake_exchange.set_candles("BTC/USD", "1d", make_candles("2024-03-01", 10, "1d"))
    _fetch(fake_exchange, CandleStore(tmp_path), "bitstamp", "BTC/USD", since="2024-01-01",
           now=pd.Timestamp("2024-03-11", tz="UTC"), page_limit=20)
    starts = [int(r.split("start=")[1].split("&")[0]) for r in fake_exchange.requests
              if r.startswith("/api/v2/ohlc/")]
    day = 86_400
    first = int(pd.Timestamp("2024-01-01", tz="UTC").timestamp())
    assert starts == [first, first + 20 * day, first + 40 * day, first + 60 * day]


@pytest.mark.parametrize(
    ("timeframe", "served", "wanted"),
    [
        ("4h", make_candles("2024-01-01", 30, "1d"), "86400 s apart but timeframe 4h"),
        ("1d", make_candles("2024-01-01 13:37", 30, "1d"), "off the 1d grid"),
    ],
    ids=["daily-rows-for-4h", "daily-rows-at-13:37"],
)
def test_candles_that_contradict_the_timeframe_are_refused_and_nothing_is_stored(
    fake_exchange: FakeExchangeServer, tmp_path: Path, timeframe: str, served: pd.DataFrame,
    wanted: str,
) -> None:
    fake_exchange.set_candles("BTC/USDT", timeframe, served)
    store = CandleStore(tmp_path)
    with pytest.raises(PermanentFeedError, match=wanted) as caught:
        _fetch(fake_exchange, store, "binance", "BTC/USDT", timeframe=timeframe,
               since="2024-01-01", now=pd.Timestamp("2024-03-01", tz="UTC"))
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "candles").exists()
