"""Import of the real reference files (../shared/data): the facts stated in SOURCES.md."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feeds import CandleStore, DataConfig, import_csv, load_prices, read_etf_flows

CLOSES = {  # SOURCES.md
    "BTC": {"2024-01-11": 46_339.16, "2024-07-23": 65_936.01, "2025-08-07": 117_472.01,
            "2025-11-30": 90_360.00},
    "ETH": {"2024-01-11": 2_618.01, "2024-07-23": 3_482.51, "2025-08-07": 3_910.31,
            "2025-11-30": 2_991.26},
}


@pytest.fixture(scope="module")
def imported(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> CandleStore:
    store = CandleStore(tmp_path_factory.mktemp("real"))
    for path in sorted((shared_data / "prices").glob("*.csv")):
        import_csv(path, store)
    for path in sorted((shared_data / "etf_flows").glob("*.csv")):
        import_csv(path, store)
    return store


def test_row_counts_spans_and_gaps(imported: CandleStore) -> None:
    entries = {(e.symbol, e.timeframe): e for e in imported.entries()}
    for symbol in ("BTC/USDT", "ETH/USDT"):
        daily, four_hour = entries[(symbol, "1d")], entries[(symbol, "4h")]
        assert (daily.rows, daily.missing_bars) == (3064, 0)
        assert daily.first == pd.Timestamp("2017-08-17", tz="UTC")
        assert daily.last == pd.Timestamp("2026-01-05", tz="UTC")
        assert (four_hour.rows, four_hour.missing_bars) == (18367, 16)
        assert four_hour.first == pd.Timestamp("2017-08-17 04:00", tz="UTC")
        assert four_hour.last == pd.Timestamp("2026-01-05 20:00", tz="UTC")


def test_known_outage_gap_of_2018_02_08(shared_data: Path, tmp_path: Path) -> None:
    result = import_csv(shared_data / "prices" / "binance_BTCUSDT_4h.csv", CandleStore(tmp_path))
    spans = {(g.first_missing, g.missing_bars) for g in result.quality.gaps}
    assert (pd.Timestamp("2018-02-08 04:00", tz="UTC"), 7) in spans
    assert result.quality.clean  # no duplicates, OHLC consistent


def test_known_closes_through_load_prices(imported: CandleStore) -> None:
    prices = load_prices(imported.root, DataConfig())
    assert set(prices) == {"BTC", "ETH"}
    for asset, closes in CLOSES.items():
        assert list(prices[asset].columns) == ["open", "high", "low", "close", "volume"]
        for day, close in closes.items():
            assert prices[asset].loc[pd.Timestamp(day, tz="UTC"), "close"] == close


def test_four_hour_candles_resampled_to_days_equal_the_daily_file(imported: CandleStore) -> None:
    four = imported.read("binance", "BTC/USDT", "4h")
    daily = imported.read("binance", "BTC/USDT", "1d")
    days = four.resample("1D").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    pd.testing.assert_frame_equal(
        days[["open", "high", "low", "close"]], daily[["open", "high", "low", "close"]],
        check_freq=False,
    )


def test_farside_checks(imported: CandleStore) -> None:
    btc = read_etf_flows(imported.root, "BTC")
    eth = read_etf_flows(imported.root, "ETH")
    assert (len(btc), len(eth)) == (601, 403)
    day = btc.loc[pd.Timestamp("2024-01-11", tz="UTC")]
    assert day["total_usd"] == pytest.approx(655.3e6)
    assert (day["ibit_usd"], day["fbtc_usd"], day["gbtc_usd"]) == pytest.approx(
        (111.7e6, 227.0e6, -95.1e6)
    )
    assert btc["total_usd"].sum() == pytest.approx(54_550e6, rel=1e-3)
    eth_day = eth.loc[pd.Timestamp("2024-07-23", tz="UTC")]
    assert (eth_day["total_usd"], eth_day["etha_usd"], eth_day["ethe_usd"]) == pytest.approx(
        (106.6e6, 266.5e6, -484.1e6)
    )
