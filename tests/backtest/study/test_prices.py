"""load_daily_prices: a 4h study gets the daily history, without an unfinished last day; with
nothing stored, a fetch that falls back to another venue, and the venue said."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w

from backtest.study.config import Study, load_study
from backtest.study.prices import load_daily_price_set, load_daily_prices
from feeds import CandleStore, import_csv, read_candles
from feeds.schema import to_candles
from flowimpact.errors import DataUnavailableError
from tests.fake_exchange import FakeExchangeServer, make_candles, serve_fake_exchange


def four_hour_study(tmp_path: Path, symbols: tuple[str, ...]) -> Study:
    path = tmp_path / "study.toml"
    listed = ", ".join(f'"{symbol}"' for symbol in symbols)
    path.write_text(f'[data]\nexchange = "binance"\nsymbols = [{listed}]\ntimeframe = "4h"\n')
    return load_study(path)


@pytest.mark.parametrize("bars_cut", [0, 4])
def test_four_hour_store_gives_the_daily_files_closes(
    shared_data: Path, tmp_path: Path, bars_cut: int
) -> None:
    """Full files: every day of the daily file; a fetch stopped at 08:00: 2026-01-05 dropped."""
    store = CandleStore(tmp_path / "store")
    for asset in ("BTC", "ETH"):
        source = shared_data / "prices" / f"binance_{asset}USDT_4h.csv"
        lines = source.read_text().splitlines(keepends=True)
        copy = tmp_path / source.name
        copy.write_text("".join(lines[: len(lines) - bars_cut]))
        import_csv(copy, store, now=pd.Timestamp("2026-02-01", tz="UTC"))
    prices = load_daily_prices(four_hour_study(tmp_path, ("BTC/USDT", "ETH/USDT")),
                               tmp_path / "store", progress=False)
    last_day = pd.Timestamp("2026-01-05" if bars_cut == 0 else "2026-01-04", tz="UTC")
    for asset in ("BTC", "ETH"):
        daily = read_candles(shared_data / "prices" / f"binance_{asset}USDT_1d.csv")
        daily = daily.loc[:last_day]
        got = prices[asset]
        assert got.index[-1] == last_day
        assert got.index.equals(daily.index)
        pd.testing.assert_series_equal(got["close"], daily["close"])
        np.testing.assert_allclose(got["volume"], daily["volume"], rtol=1e-6)


def test_outage_day_is_kept_and_the_unfinished_last_day_dropped(tmp_path: Path) -> None:
    index = pd.date_range("2024-01-01", periods=18, freq="4h", tz="UTC", name="timestamp")
    close = np.arange(1.0, 19.0)
    frame = pd.DataFrame(
        {"open": close, "high": close + 1, "low": close - 0.5, "close": close,
         "volume": np.ones(18)},
        index=index,
    )
    # day 2 misses 04:00-12:00 (an outage); day 3 stops after 08:00 (fetched mid-day)
    frame = frame.drop(index=index[[7, 8, 9, 15, 16, 17]])
    store = CandleStore(tmp_path / "store")
    store.merge("binance", "BTC/USDT", "4h", to_candles(frame, source="test"))
    prices = load_daily_prices(four_hour_study(tmp_path, ("BTC/USDT",)), tmp_path / "store",
                               progress=False)
    btc = prices["BTC"]
    assert btc.index.tolist() == list(pd.date_range("2024-01-01", periods=2, tz="UTC"))
    assert btc["close"].tolist() == [6.0, 12.0]
    assert btc["volume"].tolist() == [6.0, 3.0]
    assert btc["open"].tolist() == [1.0, 7.0]


def _venue_study(tmp_path: Path, server: FakeExchangeServer, *, fallback: bool) -> Study:
    data: dict[str, object] = {"exchange": "binance", "symbols": ["BTC/USDT"],
                               "since": "2024-01-01", "ccxt": server.ccxt_config("binance")}
    if fallback:
        data["fallbacks"] = [{"exchange": "coinbaseexchange", "symbols": ["BTC/USD"],
                              "ccxt": server.ccxt_config("coinbaseexchange")}]
    path = tmp_path / "study.toml"
    path.write_text(tomli_w.dumps({"data": data}))
    return load_study(path)


def test_a_venue_refusing_this_location_is_said_once_with_what_to_do(tmp_path: Path) -> None:
    with serve_fake_exchange() as server:
        server.add_fault("451", times=None)
        study = _venue_study(tmp_path, server, fallback=False)
        with pytest.raises(DataUnavailableError) as caught:
            load_daily_prices(study, tmp_path / "store", progress=False)
        assert len(server.requests) == 1  # not retried
    message = str(caught.value)
    assert caught.value.exit_code == 3 and "\n" not in message
    assert message.startswith(f"no 1d prices of BTC/USDT stored in {tmp_path / 'store'}, and "
                              "binance load_markets: binance refuses requests from this location")
    assert '[data] fallbacks = [{ exchange = "coinbaseexchange", symbols = ["BTC/USD"] }]' in (
        message)
    assert "cannot be reached" not in message


def test_prices_come_from_the_fallback_and_the_run_is_told_which(tmp_path: Path) -> None:
    served = make_candles("2024-01-01", 30, "1d")
    with serve_fake_exchange() as server:
        server.add_fault("451", path="/api/v3/", times=None)
        server.set_candles("BTC/USD", "1d", served)
        study = _venue_study(tmp_path, server, fallback=True)
        price_set = load_daily_price_set(study, tmp_path / "store", progress=False)
        asked = len(server.requests)
        assert load_daily_prices(study, tmp_path / "store", progress=False)["BTC"].equals(
            price_set.prices["BTC"])
        assert len(server.requests) == asked  # read from the fallback's store: no new fetch
    source = price_set.sources["BTC"]
    assert (source.exchange, source.symbol, source.fallback, source.rows) == (
        "coinbaseexchange", "BTC/USD", True, 30)
    np.testing.assert_allclose(price_set.prices["BTC"]["close"], served["close"])
