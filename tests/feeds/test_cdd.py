"""CryptoDataDownload exports: a URL line, then a header with per-currency volume columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feeds.csv_import import import_csv
from feeds.store import CandleStore
from flowimpact.errors import DataFormatError


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def store(tmp_path: Path) -> CandleStore:
    return CandleStore(tmp_path / "store")


def test_binance_daily_export_with_unix_column_newest_first(
    tmp_path: Path, store: CandleStore
) -> None:
    text = (
        "https://www.CryptoDataDownload.com\n"
        "Unix,Date,Symbol,Open,High,Low,Close,Volume BTC,Volume USDT,tradecount\n"
        "1704240000000,2024-01-03 00:00:00,BTCUSDT,45000,45500,40800,42800,80000,3.4e9,2000\n"
        "1704153600000,2024-01-02 00:00:00,BTCUSDT,44100,45900,44000,45000,60000,2.7e9,1900\n"
        "1704067200000,2024-01-01 00:00:00,BTCUSDT,42300,44200,42200,44100,20000,8.6e8,1500\n"
    )
    result = import_csv(_write(tmp_path, "Binance_BTCUSDT_d.csv", text), store)
    assert result.format == "cryptodatadownload"
    assert (result.key.exchange, result.key.symbol, result.key.timeframe) == (
        "binance", "BTC/USDT", "1d",
    )
    stored = store.read("binance", "BTC/USDT", "1d")
    assert stored.index.tolist() == list(pd.date_range("2024-01-01", periods=3, tz="UTC"))
    assert stored["close"].tolist() == [44100.0, 45000.0, 42800.0]
    assert stored["volume"].tolist() == [20000.0, 60000.0, 80000.0]  # base units, not USDT


BINANCE_EXPORT = (
    "Unix,Date,Symbol,Open,High,Low,Close,Volume BTC,Volume USDT,tradecount\n"
    "1704240000000,2024-01-03 00:00:00,BTCUSDT,45000,45500,40800,42800,80000,3.4e9,2000\n"
    "1704153600000,2024-01-02 00:00:00,BTCUSDT,44100,45900,44000,45000,60000,2.7e9,1900\n"
    "1704067200000,2024-01-01 00:00:00,BTCUSDT,42300,44200,42200,44100,20000,8.6e8,1500\n"
)


def test_an_export_without_its_url_line_imports_the_same_candles(tmp_path: Path) -> None:
    with_line = CandleStore(tmp_path / "with")
    without = CandleStore(tmp_path / "without")
    url = "https://www.CryptoDataDownload.com\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    import_csv(_write(tmp_path / "a", "Binance_BTCUSDT_d.csv", url + BINANCE_EXPORT), with_line)
    result = import_csv(_write(tmp_path / "b", "Binance_BTCUSDT_d.csv", BINANCE_EXPORT), without)
    assert result.format == "cryptodatadownload"
    pd.testing.assert_frame_equal(
        without.read("binance", "BTC/USDT", "1d").drop(columns="source"),
        with_line.read("binance", "BTC/USDT", "1d").drop(columns="source"),
    )
    assert without.read("binance", "BTC/USDT", "1d")["volume"].tolist() == [2e4, 6e4, 8e4]


def test_a_bad_row_of_an_export_without_its_url_line_names_its_own_line(
    tmp_path: Path, store: CandleStore
) -> None:
    text = BINANCE_EXPORT.replace(",45000,60000,", ",oops,60000,")
    with pytest.raises(DataFormatError, match=r"Binance_BTCUSDT_d.csv line 3: close is not a"):
        import_csv(_write(tmp_path, "Binance_BTCUSDT_d.csv", text), store)


def test_coinbase_hourly_export_without_unix_column(tmp_path: Path, store: CandleStore) -> None:
    text = (
        "https://www.CryptoDataDownload.com\n"
        "Date,Symbol,Open,High,Low,Close,Volume BTC,Volume USD\n"
        "2024-01-01 02:00:00,BTC/USD,42600,42700,42500,42650,30.5,1300000\n"
        "2024-01-01 01:00:00,BTC/USD,42500,42650,42450,42600,20.5,873000\n"
        "2024-01-01 00:00:00,BTC/USD,42400,42550,42300,42500,10.5,446000\n"
    )
    result = import_csv(_write(tmp_path, "Coinbase_BTCUSD_1h.csv", text), store)
    assert (result.key.exchange, result.key.symbol, result.key.timeframe) == (
        "coinbase", "BTC/USD", "1h",
    )
    stored = store.read("coinbase", "BTC/USD", "1h")
    assert stored["volume"].tolist() == [10.5, 20.5, 30.5]
    assert stored.index[-1] == pd.Timestamp("2024-01-01 02:00", tz="UTC")


def test_bad_row_names_its_line_in_the_file(tmp_path: Path, store: CandleStore) -> None:
    text = (
        "https://www.CryptoDataDownload.com\n"
        "unix,date,symbol,open,high,low,close,Volume ETH,Volume USDT\n"
        "1704153600,2024-01-02,ETH/USDT,2350,2400,2300,x,100,235000\n"
        "1704067200,2024-01-01,ETH/USDT,2280,2360,2270,2350,100,235000\n"
    )
    with pytest.raises(DataFormatError, match=r"Binance_ETHUSDT_d.csv line 3: close is not a nu"):
        import_csv(_write(tmp_path, "Binance_ETHUSDT_d.csv", text), store)


def test_export_without_a_base_volume_column_is_refused(
    tmp_path: Path, store: CandleStore
) -> None:
    text = (
        "https://www.CryptoDataDownload.com\n"
        "unix,date,symbol,open,high,low,close,Volume USD\n"
        "1704067200,2024-01-01,BTC/USD,100,110,90,105,1000\n"
    )
    with pytest.raises(DataFormatError, match=r"no 'Volume BTC' column"):
        import_csv(_write(tmp_path, "Gemini_BTCUSD_d.csv", text), store)
