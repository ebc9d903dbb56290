"""The real ccxt code path against the fake exchange: pagination, incremental runs, faults.

After every fault: nothing stored is lost or duplicated, and a rerun completes the data with
only the missing requests (counted on the server).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import ccxt
import pandas as pd
import pytest

from feeds.ccxt_feed import build_exchange, update_store
from feeds.config import DataConfig
from feeds.errors import PermanentFeedError, TemporaryFeedError
from feeds.retry import RetryPolicy
from feeds.store import CandleStore
from tests.fake_exchange import FakeExchangeServer, make_candles

KLINES = "/api/v3/klines"
# 30 daily candles 2024-01-01 .. 2024-01-30; at NOW the one of 01-30 is still open
SERVED = make_candles("2024-01-01", 30, "1d")
NOW = pd.Timestamp("2024-01-30 12:00", tz="UTC")
CLOSED = SERVED.iloc[:29]


def _no_sleep(_seconds: float) -> None:
    """Retry sleeps are injected: the tests never wait for backoff."""


FAST_RETRY = RetryPolicy(max_attempts=3, sleep=_no_sleep)


def _run(
    server: FakeExchangeServer,
    store: CandleStore,
    exchange: str = "binance",
    *,
    retry: RetryPolicy = FAST_RETRY,
    symbols: tuple[str, ...] = ("BTC/USDT",),
    now: pd.Timestamp = NOW,
) -> list:
    data = DataConfig(exchange=exchange, symbols=symbols, since="2024-01-01",
                      ccxt=server.ccxt_config(exchange))
    return update_store(store, data, now=now, progress=False, retry=retry, page_limit=10)


def _assert_store_equals_closed(store: CandleStore, exchange: str = "binance") -> None:
    stored = store.read(exchange, "BTC/USDT", "1d")
    assert stored.index.is_unique
    pd.testing.assert_frame_equal(
        stored.drop(columns="source"), CLOSED, check_freq=False, check_index_type=False
    )
    assert set(stored["source"]) == {f"ccxt:{exchange}"}


@pytest.mark.parametrize("exchange", ["binance", "bitstamp"])
def test_download_paginates_to_the_newest_closed_candle(
    fake_exchange: FakeExchangeServer, tmp_path: Path, exchange: str
) -> None:
    fake_exchange.set_candles("BTC/USDT", "1d", SERVED)
    store = CandleStore(tmp_path)
    [report] = _run(fake_exchange, store, exchange)
    assert (report.requests, report.candles_fetched, report.rows_added) == (3, 29, 29)
    assert report.last_stored == pd.Timestamp("2024-01-29", tz="UTC")  # 01-30 still open
    _assert_store_equals_closed(store, exchange)


def test_a_mirror_given_as_urls_alone_serves_binance(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    # what the README suggests: [data.ccxt] urls = {...} and nothing else (no options)
    fake_exchange.set_candles("BTC/USDT", "1d", SERVED)
    urls = fake_exchange.ccxt_config("binance")["urls"]
    data = DataConfig(symbols=("BTC/USDT",), since="2024-01-01", ccxt={"urls": urls},
                      timeout_seconds=2.0)
    store = CandleStore(tmp_path)
    [report] = update_store(store, data, now=NOW, progress=False, retry=FAST_RETRY)
    assert report.rows_added == 29
    _assert_store_equals_closed(store)
    assert fake_exchange.count("/fapi") == fake_exchange.count("/dapi") == 0


def test_second_run_fetches_only_after_the_last_stored_candle(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    fake_exchange.set_candles("BTC/USDT", "1d", SERVED)
    store = CandleStore(tmp_path)
    _run(fake_exchange, store)
    before = fake_exchange.count(KLINES)
    [report] = _run(fake_exchange, store)  # same clock: nothing new has closed
    assert fake_exchange.count(KLINES) == before and report.requests == 0
    [report] = _run(fake_exchange, store, now=pd.Timestamp("2024-01-31 00:00", tz="UTC"))
    assert report.requests == 1 and report.rows_added == 1
    assert fake_exchange.requests[-1].endswith(f"startTime={1706572800000}")  # 2024-01-30
    assert len(store.read("binance", "BTC/USDT", "1d")) == 30


@pytest.mark.parametrize("kind", ["429", "503", "timeout", "bad_json", "drop"])
def test_a_passing_fault_is_retried_and_costs_one_request(
    fake_exchange: FakeExchangeServer, tmp_path: Path, kind: str
) -> None:
    fake_exchange.set_candles("BTC/USDT", "1d", SERVED)
    fake_exchange.add_fault(kind, path=KLINES, skip=1)  # on the second page
    sleeps: list[float] = []
    store = CandleStore(tmp_path)
    [report] = _run(fake_exchange, store, retry=RetryPolicy(max_attempts=3, sleep=sleeps.append))
    assert report.requests == 3 and fake_exchange.count(KLINES) == 4
    assert len(sleeps) == 1
    _assert_store_equals_closed(store)


def test_a_connection_dropped_mid_download_keeps_pages_and_rerun_completes(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    fake_exchange.set_candles("BTC/USDT", "1d", SERVED)
    fake_exchange.add_fault("drop", path=KLINES, skip=1, times=None)
    store = CandleStore(tmp_path)
    with pytest.raises(TemporaryFeedError, match="gave up after 3 attempt") as caught:
        _run(fake_exchange, store)
    assert caught.value.exit_code == 3
    kept = store.read("binance", "BTC/USDT", "1d")
    pd.testing.assert_frame_equal(kept.drop(columns="source"), CLOSED.iloc[:10],
                                  check_freq=False, check_index_type=False)
    fake_exchange.clear_faults()
    before = fake_exchange.count(KLINES)
    [report] = _run(fake_exchange, store)
    assert fake_exchange.count(KLINES) - before == 2 == report.requests  # pages 2 and 3 only
    assert report.rows_added == 19
    _assert_store_equals_closed(store)


def test_a_server_that_keeps_failing_loses_nothing_stored(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    fake_exchange.set_candles("BTC/USDT", "1d", SERVED)
    store = CandleStore(tmp_path)
    _run(fake_exchange, store, now=pd.Timestamp("2024-01-15", tz="UTC"))
    fake_exchange.add_fault("503", path=KLINES, times=None)
    with pytest.raises(TemporaryFeedError):
        _run(fake_exchange, store)
    assert len(store.read("binance", "BTC/USDT", "1d")) == 14
    fake_exchange.clear_faults()
    _run(fake_exchange, store)
    _assert_store_equals_closed(store)


def test_failing_market_load_is_temporary(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    fake_exchange.add_fault("500", path="/api/v3/exchangeInfo", times=None)
    with pytest.raises(TemporaryFeedError, match="load_markets"):
        _run(fake_exchange, CandleStore(tmp_path))
    assert fake_exchange.count("/api/v3/exchangeInfo") == 3


def test_unknown_symbol_fails_at_once_before_any_download(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    with pytest.raises(PermanentFeedError, match="does not list symbol 'DOGE/USDT'") as caught:
        _run(fake_exchange, CandleStore(tmp_path), symbols=("BTC/USDT", "DOGE/USDT"))
    assert caught.value.exit_code == 2
    assert fake_exchange.count(KLINES) == 0


def test_unsupported_timeframe_and_missing_ohlcv_fail_at_once(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    store = CandleStore(tmp_path)
    data = DataConfig(
        exchange="bitstamp", symbols=("BTC/USDT",), timeframe="2h", since="2024-01-01"
    )
    exchange = ccxt.bitstamp(fake_exchange.ccxt_config("bitstamp"))
    exchange.timeframes = {"1d": "86400"}
    with pytest.raises(PermanentFeedError, match="no '2h' candles; it offers 1d"):
        update_store(store, data, exchange=exchange, progress=False, retry=FAST_RETRY)
    exchange.has = {**exchange.has, "fetchOHLCV": False}
    with pytest.raises(PermanentFeedError, match="offers no candles"):
        update_store(store, data, exchange=exchange, progress=False, retry=FAST_RETRY)
    assert fake_exchange.requests == []


def test_a_ready_exchange_instance_is_used_as_given(
    fake_exchange: FakeExchangeServer, tmp_path: Path
) -> None:
    fake_exchange.set_candles("BTC/USDT", "1d", SERVED)
    exchange = ccxt.binance(fake_exchange.ccxt_config("binance"))
    data = DataConfig(exchange="binance", symbols=("BTC/USDT",), since="2024-01-01")
    store = CandleStore(tmp_path)
    update_store(store, data, exchange=exchange, now=NOW, progress=False, retry=FAST_RETRY)
    _assert_store_equals_closed(store)
    assert exchange.enableRateLimit  # left as given


def test_unknown_exchange_id_is_permanent_with_a_suggestion() -> None:
    with pytest.raises(PermanentFeedError, match="did you mean binance"):
        build_exchange("binanse", {})


def test_a_server_that_accepts_and_never_answers_costs_at_most_the_configured_budget(
    fake_exchange: FakeExchangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # no retry policy and no ccxt timeout given: both come from [data] retries / timeout_seconds
    fake_exchange.add_fault("hang", times=None)
    config = fake_exchange.ccxt_config("binance")
    del config["timeout"]
    data = DataConfig(exchange="binance", symbols=("BTC/USDT",), since="2024-01-01",
                      retries=1, timeout_seconds=0.3, ccxt=config)
    started = time.monotonic()
    with pytest.raises(TemporaryFeedError, match="gave up after 2 attempt") as caught:
        update_store(CandleStore(tmp_path), data, now=NOW, progress=False)
    elapsed = time.monotonic() - started
    # 2 attempts of 0.3 s and one backoff of at most 1 s (RetryPolicy's first delay)
    assert 0.6 <= elapsed < 2.6
    assert caught.value.exit_code == 3
    assert fake_exchange.count("/api/v3/exchangeInfo") == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("flowimpact: binance load_markets: RequestTimeout")
    assert re.search(r"\(attempt 1 of 2\); next try in (0\.[5-9]|1\.0) s$", line)
