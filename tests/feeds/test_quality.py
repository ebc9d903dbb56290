"""check_candles on hand-made frames: each defect found, with the candles it concerns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from feeds.quality import check_candles
from tests.feeds.helpers import candles

UTC = "UTC"


def test_clean_daily_frame_has_no_findings() -> None:
    report = check_candles(candles(["2024-01-01", "2024-01-02", "2024-01-03"], [1, 2, 3]), "1d")
    assert report.clean and report.gaps == () and report.rows == 3
    assert report.first == pd.Timestamp("2024-01-01", tz=UTC)
    assert report.last == pd.Timestamp("2024-01-03", tz=UTC)


def test_gaps_are_reported_with_their_spans() -> None:
    frame = candles(["2024-01-01", "2024-01-04", "2024-01-05", "2024-01-07"], [1, 2, 3, 4])
    report = check_candles(frame, "1d")
    assert [(g.first_missing, g.last_missing, g.missing_bars) for g in report.gaps] == [
        (pd.Timestamp("2024-01-02", tz=UTC), pd.Timestamp("2024-01-03", tz=UTC), 2),
        (pd.Timestamp("2024-01-06", tz=UTC), pd.Timestamp("2024-01-06", tz=UTC), 1),
    ]
    assert report.missing_bars == 3
    assert report.clean  # gaps are facts, not defects


def test_four_hour_gap() -> None:
    index = pd.DatetimeIndex(
        ["2024-01-01 00:00", "2024-01-01 04:00", "2024-01-01 16:00"], tz=UTC
    )
    frame = candles(["2024-01-01"] * 3, [1, 2, 3]).set_axis(index)
    report = check_candles(frame, "4h")
    assert [(g.first_missing.hour, g.last_missing.hour, g.missing_bars) for g in report.gaps] == [
        (8, 12, 2)
    ]


def test_duplicates_inconsistency_non_positive_and_missing_prices() -> None:
    frame = candles(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03", "2024-01-04"],
                    [1, 2, 2, 3, 4])
    frame.iloc[3, frame.columns.get_loc("high")] = 2.0  # high below close 3
    frame.iloc[4, frame.columns.get_loc("low")] = -1.0  # non-positive
    frame.iloc[0, frame.columns.get_loc("close")] = np.nan  # missing
    report = check_candles(frame, "1d")
    assert report.duplicates == (pd.Timestamp("2024-01-02", tz=UTC),)
    assert report.ohlc_inconsistent == (pd.Timestamp("2024-01-03", tz=UTC),)
    assert report.non_positive == (pd.Timestamp("2024-01-04", tz=UTC),)
    assert report.missing_prices == (pd.Timestamp("2024-01-01", tz=UTC),)
    assert not report.clean
    assert len(report.problems()) == 4


def test_partial_last_candle_depends_on_now() -> None:
    frame = candles(["2024-01-01", "2024-01-02"], [1, 2])
    open_now = pd.Timestamp("2024-01-02 23:59", tz=UTC)
    closed_now = pd.Timestamp("2024-01-03 00:00", tz=UTC)
    assert check_candles(frame, "1d", now=open_now).partial_last
    assert not check_candles(frame, "1d", now=closed_now).partial_last
    assert not check_candles(frame, "1d").partial_last


def test_off_grid_timestamps_are_reported() -> None:
    frame = candles(["2024-01-01", "2024-01-02 03:00"], [1, 2])
    report = check_candles(frame, "1d")
    assert report.misaligned == (pd.Timestamp("2024-01-02 03:00", tz=UTC),)


def test_empty_frame() -> None:
    report = check_candles(candles([], []), "1d")
    assert report.rows == 0 and report.first is None and report.clean


def test_non_finite_absurd_and_stray_candles_are_named() -> None:
    days = ["1970-01-01", *(f"2024-01-{d:02d}" for d in range(1, 21))]
    frame = candles(days, [5.0] * 21)
    frame.iloc[2, frame.columns.get_loc("volume")] = np.inf
    frame.iloc[3, frame.columns.get_loc("volume")] = 1e12  # 5e12 traded in one day
    report = check_candles(frame, "1d", quote="USDT")
    assert report.not_finite == (pd.Timestamp("2024-01-02", tz=UTC),)
    assert report.absurd == (pd.Timestamp("2024-01-03", tz=UTC),)
    assert report.stray == (pd.Timestamp("1970-01-01", tz=UTC),)


def test_a_long_halt_between_two_long_runs_is_a_gap_not_stray_candles() -> None:
    first = pd.date_range("2019-01-01", periods=400, freq="D")
    second = pd.date_range("2022-01-01", periods=500, freq="D")
    days = [f"{d:%Y-%m-%d}" for d in first.append(second)]
    report = check_candles(candles(days, [1.0] * len(days)), "1d")
    assert report.stray == () and len(report.gaps) == 1 and report.clean
