"""import_csv: format detection, keys from names, and refusal of corrupt files by line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feeds.csv_import import import_csv
from feeds.etf_flows import read_etf_flows
from feeds.store import CandleStore
from flowimpact.errors import DataFormatError, InputError

KLINE_HEADER = "timestamp,open,high,low,close,volume\n"
GOOD_ROWS = (
    "2024-01-01,100,110,90,105,1.5\n"
    "2024-01-02,105,112,101,110,2.5\n"
    "2024-01-03,110,115,100,101,3.5\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def store(tmp_path: Path) -> CandleStore:
    return CandleStore(tmp_path / "store")


def test_binance_kline_csv_named_by_pattern(tmp_path: Path, store: CandleStore) -> None:
    path = _write(tmp_path, "binance_BTCUSDT_1d.csv", KLINE_HEADER + GOOD_ROWS)
    result = import_csv(path, store)
    assert result.format == "ohlcv-csv" and result.rows == 3
    assert (result.key.exchange, result.key.symbol, result.key.timeframe) == (
        "binance", "BTC/USDT", "1d",
    )
    stored = store.read("binance", "BTC/USDT", "1d")
    assert stored["close"].tolist() == [105.0, 110.0, 101.0]
    assert stored["volume"].tolist() == [1.5, 2.5, 3.5]
    assert set(stored["source"]) == {"csv:binance_BTCUSDT_1d.csv"}
    assert stored.index[0] == pd.Timestamp("2024-01-01", tz="UTC")


@pytest.mark.parametrize("unit_factor", [1_000, 1_000_000])  # ms dumps, µs dumps since 2025
def test_binance_dump_without_header(tmp_path: Path, store: CandleStore, unit_factor: int) -> None:
    rows = []
    for day, close in [(0, 105), (1, 110), (2, 101)]:
        open_s = 1704067200 + day * 86400
        rows.append(f"{open_s * unit_factor},100,120,90,{close},7.5,"
                    f"{(open_s + 86399) * unit_factor},1000,10,3,300,0")
    path = _write(tmp_path, "ETHUSDT-1d-2024-01.csv", "\n".join(rows) + "\n")
    result = import_csv(path, store)
    assert result.format == "binance-dump"
    stored = store.read("binance", "ETH/USDT", "1d")
    assert stored.index.tolist() == list(pd.date_range("2024-01-01", periods=3, tz="UTC"))
    assert stored["close"].tolist() == [105.0, 110.0, 101.0]


def test_generic_csv_with_other_names_and_flags(tmp_path: Path, store: CandleStore) -> None:
    text = ("Date,Open,High,Low,Close,Volume,Adj Close\n"
            "2024-01-01T00:00:00Z,1,2,0.5,1.5,10,1.4\n"
            "2024-01-01T04:00:00Z,1.5,2,1,1.8,11,1.7\n"
            "2024-01-01T08:00:00Z,1.8,2,1,1.9,12,1.8\n")
    path = _write(tmp_path, "my prices.csv", text)
    result = import_csv(path, store, exchange="kraken", symbol="XBTUSD", timeframe="4h")
    assert result.key.symbol == "XBT/USD"
    assert store.read("kraken", "XBT/USD", "4h")["close"].tolist() == [1.5, 1.8, 1.9]


def test_identical_reimport_adds_nothing(tmp_path: Path, store: CandleStore) -> None:
    path = _write(tmp_path, "binance_BTCUSDT_1d.csv", KLINE_HEADER + GOOD_ROWS)
    import_csv(path, store)
    again = import_csv(path, store)
    assert (again.merge.rows_added, again.merge.rows_replaced, again.merge.rows_after) == (0, 0, 3)


def test_gaps_are_reported_not_refused(tmp_path: Path, store: CandleStore) -> None:
    text = KLINE_HEADER + GOOD_ROWS + "2024-01-06,101,105,99,102,1\n"
    result = import_csv(_write(tmp_path, "binance_BTCUSDT_1d.csv", text), store)
    assert result.quality.missing_bars == 2 and result.rows == 4


def test_farside_table_is_stored_in_dollars(tmp_path: Path, store: CandleStore) -> None:
    text = ("Date,IBIT,GBTC,Total\n"
            "11 Jan 2024,111.7,(95.1),16.6\n"
            "2024-01-12,386.0,-484.1,-98.1\n"
            "2024-01-13,-,0.0,0.0\n"
            "Total,497.7,-579.2,-81.5\n")
    result = import_csv(_write(tmp_path, "flows.csv", text), store)
    assert (result.format, result.asset, result.rows) == ("farside-etf-flows", "BTC", 3)
    flows = read_etf_flows(store.root, "BTC")
    assert flows.loc["2024-01-11", "total_usd"] == pytest.approx(16.6e6)
    assert flows.loc["2024-01-11", "gbtc_usd"] == pytest.approx(-95.1e6)
    assert flows.loc["2024-01-13", "ibit_usd"] == 0.0


def test_farside_rows_that_do_not_add_up_are_refused(tmp_path: Path, store: CandleStore) -> None:
    text = "date,ETHA,ETHE,Total\n2024-07-23,266.5,-484.1,106.6\n"
    with pytest.raises(DataFormatError, match=r"eth_flows.csv line 2: the funds do not add up"):
        import_csv(_write(tmp_path, "eth_flows.csv", text), store)
    assert not (store.root / "etf_flows").exists()


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("2024-01-04,101,abc,99,100,1", r"line 5: high is not a number"),
        ("2024-01-04,101,105,99,,1", r"line 5: missing close"),
        ("2024-01-04,101,105,99", r"line 5: missing close"),
        ("2024-01-04,0,105,99,100,1", r"line 5: non-positive price"),
        ("2024-01-04,101,95,99,100,1", r"line 5: high is below low"),
        ("2024-01-04,101,105,99,100,-1", r"line 5: negative volume"),
        ("04/01/2024,101,105,99,100,1", r"line 5: timestamp cannot be read as a time"),
        ("2024-01-03,110,115,100,999,3.5", r"lines 4, 5: two different candles"),
    ],
)
def test_corrupt_rows_refuse_the_whole_file_naming_the_line(
    tmp_path: Path, store: CandleStore, bad_row: str, message: str
) -> None:
    import_csv(_write(tmp_path, "binance_BTCUSDT_1d.csv", KLINE_HEADER + GOOD_ROWS), store)
    before = store.read("binance", "BTC/USDT", "1d")
    path = _write(tmp_path, "binance_BTCUSDT_1d.csv", KLINE_HEADER + GOOD_ROWS + bad_row + "\n")
    with pytest.raises(DataFormatError, match=message) as caught:
        import_csv(path, store)
    assert caught.value.exit_code == 2
    assert "binance_BTCUSDT_1d.csv" in str(caught.value)
    pd.testing.assert_frame_equal(store.read("binance", "BTC/USDT", "1d"), before)


def test_blank_lines_keep_line_numbers_right(tmp_path: Path, store: CandleStore) -> None:
    text = KLINE_HEADER + GOOD_ROWS + "\n2024-01-04,1,x,1,1,1\n"
    with pytest.raises(DataFormatError, match="line 6:"):
        import_csv(_write(tmp_path, "binance_BTCUSDT_1d.csv", text), store)


def test_unknown_format_names_the_expected_columns(tmp_path: Path, store: CandleStore) -> None:
    path = _write(tmp_path, "binance_BTCUSDT_1d.csv", "when,price\n2024-01-01,5\n")
    with pytest.raises(DataFormatError, match="timestamp,open,high,low,close,volume"):
        import_csv(path, store)


def test_unknown_name_without_flags_asks_for_them(tmp_path: Path, store: CandleStore) -> None:
    path = _write(tmp_path, "prices.csv", KLINE_HEADER + GOOD_ROWS)
    with pytest.raises(InputError, match="--exchange --symbol --timeframe"):
        import_csv(path, store)
    assert store.entries() == []


def test_spacing_contradicting_the_timeframe_is_refused(tmp_path: Path, store: CandleStore) -> None:
    path = _write(tmp_path, "binance_BTCUSDT_4h.csv", KLINE_HEADER + GOOD_ROWS)
    with pytest.raises(DataFormatError, match="usually 86400 s apart but timeframe 4h"):
        import_csv(path, store)


def test_empty_file_is_refused(tmp_path: Path, store: CandleStore) -> None:
    with pytest.raises(DataFormatError, match="empty"):
        import_csv(_write(tmp_path, "binance_BTCUSDT_1d.csv", "\n"), store)


FOUR_HOUR_ROWS = (
    "2024-01-01 00:00:00,100,110,90,105,1.5\n"
    "2024-01-01 04:00:00,105,112,101,110,2.5\n"
    "2024-01-01 08:00:00,110,115,100,101,3.5\n"
)


def test_still_open_last_candle_is_not_stored_and_is_named(
    tmp_path: Path, store: CandleStore
) -> None:
    # 10:00: the 08:00 candle closes at 12:00, so it is still open
    path = _write(tmp_path, "binance_BTCUSDT_4h.csv", KLINE_HEADER + FOUR_HOUR_ROWS)
    result = import_csv(path, store, now=pd.Timestamp("2024-01-01 10:00", tz="UTC"))
    assert result.still_open == (pd.Timestamp("2024-01-01 08:00", tz="UTC"),)
    assert result.rows == 3 and result.merge.rows_added == 2 and result.merge.rows_after == 2
    stored = store.read("binance", "BTC/USDT", "4h")
    assert stored.index.tolist() == list(pd.date_range("2024-01-01", periods=2, freq="4h",
                                                       tz="UTC"))
    assert result.quality is not None and result.quality.last == stored.index[-1]
    assert not result.quality.partial_last


def test_last_candle_closed_exactly_now_is_kept(tmp_path: Path, store: CandleStore) -> None:
    path = _write(tmp_path, "binance_BTCUSDT_4h.csv", KLINE_HEADER + FOUR_HOUR_ROWS)
    result = import_csv(path, store, now=pd.Timestamp("2024-01-01 12:00", tz="UTC"))
    assert result.still_open == ()
    assert store.read("binance", "BTC/USDT", "4h")["close"].tolist() == [105.0, 110.0, 101.0]


def test_naive_now_is_utc(tmp_path: Path, store: CandleStore) -> None:
    path = _write(tmp_path, "binance_BTCUSDT_4h.csv", KLINE_HEADER + FOUR_HOUR_ROWS)
    result = import_csv(path, store, now=pd.Timestamp("2024-01-01 11:59"))
    assert len(result.still_open) == 1


def test_todays_daily_candle_is_left_out_by_the_clock(tmp_path: Path, store: CandleStore) -> None:
    # no `now`: the UTC clock decides; the file ends with today's (open) day
    today = pd.Timestamp.now(tz="UTC").floor("D")
    days = pd.date_range(end=today, periods=3, freq="D")
    rows = "".join(f"{day:%Y-%m-%d},100,110,90,{105 + i},1\n" for i, day in enumerate(days))
    path = _write(tmp_path, "binance_ETHUSDT_1d.csv", KLINE_HEADER + rows)
    result = import_csv(path, store)
    assert result.still_open == (today,)
    assert store.read("binance", "ETH/USDT", "1d").index.tolist() == list(days[:2])


def test_a_file_of_open_candles_only_stores_nothing(tmp_path: Path, store: CandleStore) -> None:
    path = _write(tmp_path, "binance_BTCUSDT_4h.csv", KLINE_HEADER + FOUR_HOUR_ROWS)
    result = import_csv(path, store, now=pd.Timestamp("2023-12-31", tz="UTC"))
    assert len(result.still_open) == 3 and result.merge.rows_after == 0
    assert not store.path("binance", "BTC/USDT", "4h").exists()
    assert store.read("binance", "BTC/USDT", "4h").empty


def test_reimport_after_the_candle_closed_stores_it(tmp_path: Path, store: CandleStore) -> None:
    path = _write(tmp_path, "binance_BTCUSDT_4h.csv", KLINE_HEADER + FOUR_HOUR_ROWS)
    import_csv(path, store, now=pd.Timestamp("2024-01-01 10:00", tz="UTC"))
    result = import_csv(path, store, now=pd.Timestamp("2024-01-01 12:00", tz="UTC"))
    assert result.merge.rows_added == 1 and result.merge.rows_after == 3


def test_replaced_counts_only_candles_whose_values_changed(
    tmp_path: Path, store: CandleStore
) -> None:
    import_csv(_write(tmp_path, "binance_BTCUSDT_1d.csv", KLINE_HEADER + GOOD_ROWS), store)
    copy = _write(tmp_path, "copy.csv", KLINE_HEADER + GOOD_ROWS)
    same = import_csv(copy, store, exchange="binance", symbol="BTC/USDT", timeframe="1d")
    assert (same.merge.rows_added, same.merge.rows_replaced) == (0, 0)
    revised = _write(tmp_path, "copy.csv", KLINE_HEADER + GOOD_ROWS.replace(",101,3.5", ",102,3.5"))
    changed = import_csv(revised, store, exchange="binance", symbol="BTC/USDT", timeframe="1d")
    assert (changed.merge.rows_added, changed.merge.rows_replaced) == (0, 1)


def test_farside_reimport_replaces_nothing(tmp_path: Path, store: CandleStore) -> None:
    text = "Date,IBIT,GBTC,Total\n2024-01-11,111.7,-95.1,16.6\n2024-01-12,386.0,-484.1,-98.1\n"
    path = _write(tmp_path, "farside_btc.csv", text)
    import_csv(path, store)
    again = import_csv(path, store)
    assert (again.merge.rows_added, again.merge.rows_replaced, again.merge.rows_after) == (0, 0, 2)
