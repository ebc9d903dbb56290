"""A venue that cannot serve (HTTP 451 from a restricted location, or unreachable after the
retries) hands over to the ``[data] fallbacks``, in order; the report names who served."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feeds.ccxt_feed import update_store
from feeds.config import DataConfig, Venue
from feeds.errors import LocationRefusedError, TemporaryFeedError
from feeds.retry import RetryPolicy
from feeds.store import CandleStore
from tests.fake_exchange import FakeExchangeServer, make_candles

NOW = pd.Timestamp("2024-01-30 12:00", tz="UTC")
SERVED = make_candles("2024-01-01", 30, "1d")
SLEEPS: list[float] = []
RETRY = RetryPolicy(max_attempts=3, sleep=SLEEPS.append)


def _data(server: FakeExchangeServer, *fallbacks: Venue, symbols=("BTC/USDT",)) -> DataConfig:
    return DataConfig(exchange="binance", symbols=symbols, since="2024-01-01",
                      ccxt=server.ccxt_config("binance"), fallbacks=fallbacks)


def _coinbase(server: FakeExchangeServer, symbols=("BTC/USD",)) -> Venue:
    return Venue(exchange="coinbaseexchange", symbols=symbols,
                 ccxt=server.ccxt_config("coinbaseexchange"))


def test_451_is_said_in_one_line_naming_what_to_do_and_is_not_retried(
    fake_exchange: FakeExchangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_exchange.add_fault("451", times=None)
    SLEEPS.clear()
    with pytest.raises(LocationRefusedError) as caught:
        update_store(CandleStore(tmp_path), _data(fake_exchange, symbols=("BTC/USDT", "ETH/USDT")),
                     now=NOW, progress=False, retry=RETRY)
    message = str(caught.value)
    assert "\n" not in message and caught.value.exit_code == 3
    assert "binance refuses requests from this location (HTTP 451" in message
    assert ('[data] fallbacks = [{ exchange = "coinbaseexchange", symbols = ["BTC/USD", '
            '"ETH/USD"] }]') in message
    assert "flowimpact import" in message
    assert len(fake_exchange.requests) == 1 and SLEEPS == []  # asked once, never retried
    assert capsys.readouterr().err == ""


def test_a_refused_venue_hands_over_to_the_first_fallback_that_serves(
    fake_exchange: FakeExchangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_exchange.set_candles("BTC/USD", "1d", SERVED)
    fake_exchange.add_fault("451", path="/api/v3/", times=None)
    store = CandleStore(tmp_path)
    [report] = update_store(store, _data(fake_exchange, _coinbase(fake_exchange)), now=NOW,
                            progress=False, retry=RETRY)
    assert (report.exchange, report.symbol, report.asset) == ("coinbaseexchange", "BTC/USD", "BTC")
    assert report.rows_added == 29 and "binance refuses requests from this location" in (
        report.fallback_reason or "")
    assert len(store.read("coinbaseexchange", "BTC/USD", "1d")) == 29
    assert store.read("binance", "BTC/USDT", "1d").empty
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("flowimpact: binance cannot serve BTC/USDT: ")
    assert line.endswith("; trying coinbaseexchange (BTC/USD)")


def test_an_unreachable_venue_hands_over_after_its_retries_and_each_serves_what_it_can(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    # binance serves BTC, then its klines go down for ETH: ETH comes from the fallback
    fake_exchange.set_candles("BTC/USDT", "1d", SERVED)
    fake_exchange.set_candles("ETH/USD", "1d", SERVED)
    fake_exchange.add_fault("503", path="/api/v3/klines", contains="symbol=ETHUSDT", times=None)
    store = CandleStore(tmp_path)
    reports = update_store(
        store,
        _data(fake_exchange, _coinbase(fake_exchange, ("ETH/USD", "BTC/USD")),
              symbols=("BTC/USDT", "ETH/USDT")),
        now=NOW, progress=False, retry=RETRY,
    )
    assert [(r.asset, r.exchange, r.symbol, r.rows_added) for r in reports] == [
        ("BTC", "binance", "BTC/USDT", 29), ("ETH", "coinbaseexchange", "ETH/USD", 29)]
    assert reports[0].fallback_reason is None
    assert "gave up after 3 attempt" in (reports[1].fallback_reason or "")
    assert sum("symbol=ETHUSDT" in r for r in fake_exchange.requests) == 3


def test_when_no_venue_can_serve_the_error_names_each(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    fake_exchange.add_fault("451", path="/api/v3/", times=None)
    fake_exchange.add_fault("503", path="/products", times=None)
    with pytest.raises(TemporaryFeedError) as caught:
        update_store(CandleStore(tmp_path), _data(fake_exchange, _coinbase(fake_exchange)),
                     now=NOW, progress=False, retry=RETRY)
    message = str(caught.value)
    assert message.startswith("no venue could serve BTC: binance load_markets: binance refuses "
                              "requests from this location")
    assert "; coinbaseexchange load_markets: " in message and "gave up after 3 attempt" in message
    assert caught.value.exit_code == 3


def test_a_venue_that_serves_keeps_the_fallbacks_untouched(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    fake_exchange.set_candles("BTC/USDT", "1d", SERVED)
    [report] = update_store(CandleStore(tmp_path), _data(fake_exchange, _coinbase(fake_exchange)),
                            now=NOW, progress=False, retry=RETRY)
    assert report.exchange == "binance" and report.fallback_reason is None
    assert fake_exchange.count("/products") == 0
