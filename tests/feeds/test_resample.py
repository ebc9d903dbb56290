"""daily_from_intraday: real 4h files equal the daily ones; unfinished last day dropped only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feeds import daily_from_intraday, read_candles
from flowimpact.errors import ConfigError, DataFormatError


def four_hour(start: str, days: int, *, missing: tuple[str, ...] = ()) -> pd.DataFrame:
    """4h candles over ``days`` UTC days, minus the open times ``missing``; close = bar number."""
    index = pd.date_range(start, periods=6 * days, freq="4h", tz="UTC", name="timestamp")
    n = np.arange(len(index), dtype="float64")
    frame = pd.DataFrame(
        {"open": n + 0.5, "high": n + 2, "low": n, "close": n + 1, "volume": np.ones(len(n))},
        index=index,
    )
    return frame.drop(index=pd.DatetimeIndex(pd.to_datetime(list(missing), utc=True)))


@pytest.mark.parametrize("asset", ["BTC", "ETH"])
def test_real_four_hour_files_equal_the_daily_files(shared_data: Path, asset: str) -> None:
    prices = shared_data / "prices"
    intraday = read_candles(prices / f"binance_{asset}USDT_4h.csv")
    daily = read_candles(prices / f"binance_{asset}USDT_1d.csv")
    resampled = daily_from_intraday(intraday, "4h")
    # outage days (2018-02-08 has 1 bar of 6) are kept: the same 3064 days as the daily file
    assert resampled.index.equals(daily.index)
    pd.testing.assert_series_equal(resampled["close"], daily["close"])
    np.testing.assert_allclose(resampled["volume"], daily["volume"], rtol=1e-6)
    assert resampled.loc["2018-02-08", "close"].item() == daily.loc["2018-02-08", "close"].item()

    cut = daily_from_intraday(intraday.iloc[:-4], "4h")  # a fetch at 2026-01-05 08:00
    assert cut.index[-1] == pd.Timestamp("2026-01-04", tz="UTC")
    pd.testing.assert_frame_equal(cut, resampled.iloc[:-1])


def test_days_are_first_open_max_high_min_low_last_close_summed_volume() -> None:
    daily = daily_from_intraday(four_hour("2024-01-01", 2), "4h")
    assert daily.index.tolist() == list(pd.date_range("2024-01-01", periods=2, tz="UTC"))
    assert daily.index.name == "timestamp"
    assert daily["open"].tolist() == [0.5, 6.5]
    assert daily["high"].tolist() == [7.0, 13.0]
    assert daily["low"].tolist() == [0.0, 6.0]
    assert daily["close"].tolist() == [6.0, 12.0]
    assert daily["volume"].tolist() == [6.0, 6.0]


def test_earlier_short_days_are_kept_and_empty_days_not_invented() -> None:
    # day 2 lost three bars to an outage, day 3 lost all six: day 2 stays (a gap would stop
    # the baseline bootstrap), day 3 is absent, not filled
    day3 = [f"2024-01-03 {h:02d}:00" for h in range(0, 24, 4)]
    frame = four_hour("2024-01-01", 4, missing=("2024-01-02 04:00", "2024-01-02 08:00",
                                                "2024-01-02 12:00", *day3))
    daily = daily_from_intraday(frame, "4h")
    assert daily.index.strftime("%m-%d").tolist() == ["01-01", "01-02", "01-04"]
    assert daily.loc["2024-01-02", "volume"].item() == 3.0
    assert daily.loc["2024-01-02", "close"].item() == 12.0


def test_unfinished_last_day_is_dropped() -> None:
    frame = four_hour("2024-01-01", 3).iloc[:-4]  # the last day ends with its 04:00 bar
    assert daily_from_intraday(frame, "4h").index[-1] == pd.Timestamp("2024-01-02", tz="UTC")
    only_day = four_hour("2024-01-01", 1).iloc[:-1]
    assert daily_from_intraday(only_day, "4h").empty


def test_last_day_with_an_outage_but_its_closing_bar_is_kept() -> None:
    # the 20:00 bar is there, so the day is over even though 04:00 is missing
    frame = four_hour("2024-01-01", 2, missing=("2024-01-02 04:00",))
    daily = daily_from_intraday(frame, "4h")
    assert daily.index[-1] == pd.Timestamp("2024-01-02", tz="UTC")
    assert daily["volume"].tolist() == [6.0, 5.0]


def test_bars_per_day_count_equals_the_timeframe_name() -> None:
    frame = four_hour("2024-01-01", 3).iloc[:-1]
    pd.testing.assert_frame_equal(daily_from_intraday(frame, 6), daily_from_intraday(frame, "4h"))


def test_daily_candles_and_extra_columns() -> None:
    daily = four_hour("2024-01-01", 1).resample("1D").last()
    daily["source"] = "test"
    out = daily_from_intraday(daily, "1d")
    assert list(out.columns) == ["open", "high", "low", "close", "volume"]
    pd.testing.assert_frame_equal(out, daily.drop(columns="source"))
    close_only = daily_from_intraday(four_hour("2024-01-01", 1)[["close"]], "4h")
    assert list(close_only.columns) == ["close"] and close_only["close"].tolist() == [6.0]


def test_unsorted_input_is_sorted_first() -> None:
    frame = four_hour("2024-01-01", 2)
    pd.testing.assert_frame_equal(
        daily_from_intraday(frame.iloc[::-1], "4h"), daily_from_intraday(frame, "4h")
    )


@pytest.mark.parametrize("timeframe", ["1w", "7h", "2d", 0, 7, -6, True, 4.0])
def test_timeframes_that_do_not_tile_a_day_are_refused(timeframe: object) -> None:
    with pytest.raises(ConfigError, match="daily resampling"):
        daily_from_intraday(four_hour("2024-01-01", 1), timeframe)  # type: ignore[arg-type]


def test_frames_without_close_or_time_index_are_refused() -> None:
    with pytest.raises(DataFormatError, match="no close column"):
        daily_from_intraday(four_hour("2024-01-01", 1).drop(columns="close"), "4h")
    with pytest.raises(DataFormatError, match="not a DatetimeIndex"):
        daily_from_intraday(four_hour("2024-01-01", 1).reset_index(drop=True), "4h")
