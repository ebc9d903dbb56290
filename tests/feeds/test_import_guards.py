"""import_csv refuses rows that would poison the store: off the grid, not finite, absurd, out
of order; the refusal names file and line and leaves the stored Parquet files byte-identical."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feeds.csv_import import import_csv
from feeds.store import CandleStore
from flowimpact.errors import DataFormatError
from tests.feeds.helpers import store_digest

HEADER = "timestamp,open,high,low,close,volume\n"
GOOD = "".join(f"2021-05-0{d},100,110,90,105,1.5\n" for d in range(1, 7))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def store(tmp_path: Path) -> CandleStore:
    store = CandleStore(tmp_path / "store")
    import_csv(_write(tmp_path, "binance_BTCUSDT_1d.csv", HEADER + GOOD), store)
    return store


def _rows(*lines: str) -> str:
    return HEADER + "".join(f"{line}\n" for line in lines)


REFUSED = {
    # one row at 13:37 in a daily file
    "off-grid row": (
        _rows(*(f"2021-05-{d:02d},100,110,90,105,1" for d in range(7, 12)),
              "2021-05-11 13:37:00,100,110,90,105,1", "2021-05-12,100,110,90,105,1"),
        r"line 7: open time 2021-05-11 13:37:00\+00:00 is off the 1d grid \(1d candles open "
        r"at 00:00 UTC\)",
    ),
    # local midnight in +02:00 is 22:00 UTC the day before
    "offset off the grid": (
        _rows(*(f"2021-05-{d:02d}T00:00:00+02:00,100,110,90,105,1" for d in range(7, 11))),
        r"line 2: open time 2021-05-06 22:00 UTC \(written with UTC offset "
        r"\+02:00\), off the 1d grid .*write the times in UTC",
    ),
    "inf high": (
        _rows("2021-05-07,100,inf,90,105,1"),
        r"line 2: high is not a finite number",
    ),
    "-inf close": (
        _rows("2021-05-07,100,110,90,-inf,1"),
        r"line 2: close is not a finite number",
    ),
    "inf volume": (
        _rows("2021-05-07,100,110,90,105,Infinity"),
        r"line 2: volume is not a finite number",
    ),
    "absurd price": (
        _rows("2021-05-07,100,2e9,90,105,1"),
        r"line 2: high 2e\+09 is above 1e\+09 USDT",
    ),
    "absurd volume": (
        _rows("2021-05-07,100,110,90,105,1e11"),
        r"line 2: close x volume 1.05e\+13 is above 1e\+12 USDT",
    ),
    "1970 in the middle of 2021": (
        _rows("2021-05-07,100,110,90,105,1", "2021-05-08,100,110,90,105,1",
              "1970-01-01,100,110,90,105,1", "2021-05-09,100,110,90,105,1"),
        r"line 4: open time 1970-01-01 00:00:00\+00:00 is far out of order",
    ),
    "2031 in the middle of 2021": (
        _rows("2021-05-07,100,110,90,105,1", "2031-05-08,100,110,90,105,1",
              "2021-05-08,100,110,90,105,1", "2021-05-09,100,110,90,105,1"),
        r"line 3: open time 2031-05-08 00:00:00\+00:00 is far out of order",
    ),
    "1970 appended at the end": (
        _rows("2021-05-07,100,110,90,105,1", "2021-05-08,100,110,90,105,1",
              "2021-05-09,100,110,90,105,1", "1970-01-01,100,110,90,105,1"),
        r"line 5: open time 1970-01-01 00:00:00\+00:00 is far out of order[^(]*; nothing",
    ),
    "2031 appended to a newest-first file": (
        _rows("2021-05-09,100,110,90,105,1", "2021-05-08,100,110,90,105,1",
              "2021-05-07,100,110,90,105,1", "2031-01-01,100,110,90,105,1"),
        r"line 5: open time 2031-01-01 00:00:00\+00:00 is far out of order: the file runs "
        r"newest first[^(]*; nothing",
    ),
    "2031 put first": (
        _rows("2031-05-07,100,110,90,105,1", "2021-05-08,100,110,90,105,1",
              "2021-05-09,100,110,90,105,1", "2021-05-10,100,110,90,105,1"),
        r"line 2: open time 2031-05-07 00:00:00\+00:00 is far out of order[^(]*; nothing",
    ),
}


@pytest.mark.parametrize(("text", "message"), list(REFUSED.values()), ids=list(REFUSED))
def test_poisonous_rows_are_refused_and_the_store_stays_byte_identical(
    tmp_path: Path, store: CandleStore, text: str, message: str
) -> None:
    before = store_digest(store.root)
    path = _write(tmp_path, "binance_BTCUSDT_1d.csv", text)
    with pytest.raises(DataFormatError, match=message) as caught:
        import_csv(path, store)
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith("binance_BTCUSDT_1d.csv line")
    assert store_digest(store.root) == before


def test_mixed_z_and_minus_five_offsets_get_the_offset_hint(
    tmp_path: Path, store: CandleStore
) -> None:
    stamps = ["2021-05-07T00:00:00Z", "2021-05-08T00:00:00-05:00", "2021-05-09T00:00:00Z",
              "2021-05-10T00:00:00-05:00", "2021-05-11T00:00:00Z"]
    text = _rows(*(f"{s},100,110,90,105,1" for s in stamps))
    before = store_digest(store.root)
    with pytest.raises(DataFormatError) as caught:
        import_csv(_write(tmp_path, "binance_BTCUSDT_1d.csv", text), store)
    message = str(caught.value)
    assert "line 3" in message and "-05:00" in message and "write the times in UTC" in message
    assert "--timeframe" not in message
    assert store_digest(store.root) == before


def test_intraday_times_with_changing_offsets_are_fine_when_on_the_grid(
    tmp_path: Path, store: CandleStore
) -> None:
    # New York local time across the 2024-03-10 DST switch: every row is on the 1h UTC grid
    stamps = ["2024-03-10T00:00:00-05:00", "2024-03-10T01:00:00-05:00",
              "2024-03-10T03:00:00-04:00", "2024-03-10T04:00:00-04:00"]
    text = _rows(*(f"{s},100,110,90,105,1" for s in stamps))
    import_csv(_write(tmp_path, "x.csv", text), store, exchange="kraken", symbol="BTC/USD",
               timeframe="1h")
    stored = store.read("kraken", "BTC/USD", "1h")
    assert stored.index.tolist() == list(
        pd.date_range("2024-03-10 05:00", periods=4, freq="1h", tz="UTC")
    )


def test_newest_first_and_overlapping_appends_are_in_order(
    tmp_path: Path, store: CandleStore
) -> None:
    newest_first = _rows(*(f"2021-05-{d:02d},100,110,90,105,1" for d in range(12, 6, -1)))
    import_csv(_write(tmp_path, "binance_BTCUSDT_1d.csv", newest_first), store)
    # an older download with a newer one appended: the overlap repeats rows
    appended = _rows(*(f"2021-05-{d:02d},100,110,90,105,1" for d in [*range(10, 15),
                                                                     *range(12, 18)]))
    result = import_csv(_write(tmp_path, "binance_BTCUSDT_1d.csv", appended), store)
    assert result.merge.rows_after == 17


def test_weekly_candles_open_on_monday(tmp_path: Path, store: CandleStore) -> None:
    mondays = pd.date_range("2024-01-01", periods=4, freq="7D")  # 2024-01-01 is a Monday
    text = _rows(*(f"{day:%Y-%m-%d},100,110,90,105,1" for day in mondays))
    import_csv(_write(tmp_path, "binance_BTCUSDT_1w.csv", text), store)
    assert store.read("binance", "BTC/USDT", "1w").index[0] == pd.Timestamp("2024-01-01",
                                                                             tz="UTC")
    thursdays = _rows(*(f"{day:%Y-%m-%d},100,110,90,105,1" for day in mondays + pd.Timedelta(
        days=3)))
    with pytest.raises(DataFormatError, match=r"line 2: .* off the 1w grid"):
        import_csv(_write(tmp_path, "binance_ETHUSDT_1w.csv", thursdays), store)


def test_a_quote_worth_far_less_than_a_dollar_gets_a_higher_ceiling(
    tmp_path: Path, store: CandleStore
) -> None:
    # BTC/IDR traded above 1.6e9 rupiah in 2025
    text = _rows("2025-01-01,1.6e9,1.7e9,1.5e9,1.65e9,10")
    import_csv(_write(tmp_path, "indodax_BTC-IDR_1d.csv", text), store)
    assert store.read("indodax", "BTC/IDR", "1d")["close"].tolist() == [1.65e9]


def test_a_1970_row_at_the_old_end_of_a_newest_first_file_is_refused(
    tmp_path: Path, store: CandleStore
) -> None:
    # in order, but no crypto candle is older than Bitcoin's genesis block (2009-01-03)
    text = _rows(*(f"2021-05-{d:02d},100,110,90,105,1" for d in range(10, 6, -1)),
                 "1970-01-01,100,110,90,105,1")
    before = store_digest(store.root)
    with pytest.raises(DataFormatError, match=r"line 6: open time 1970-01-01 00:00:00\+00:00 is "
                                              r"before 2009-01-03"):
        import_csv(_write(tmp_path, "binance_BTCUSDT_1d.csv", text), store)
    assert store_digest(store.root) == before
