"""Intraday candles summed into UTC days, the one resampling every daily consumer uses.

A day is the UTC calendar day of the candles' open times: open of its first bar, highest high,
lowest low, close of its last bar, summed volume (base units). A day without any bar is left
out, never invented.

Short days are kept except at the end. A real exchange outage leaves an earlier day with fewer
bars (Binance's 4h BTC/USDT file misses 7 bars from 2018-02-08 04:00): that day still
happened, and dropping it would make a gap in the daily history, which the baseline bootstrap
refuses. The LAST day is different: when its last bar does not reach midnight UTC, the day is
most likely still running (a mid-day fetch ends at the 08:00 close with a third of the day's
volume), so it is dropped rather than taken as a full day.
"""

from __future__ import annotations

import pandas as pd

from feeds.schema import OHLCV_COLUMNS
from feeds.timeframes import timeframe_seconds
from flowimpact.errors import ConfigError, DataFormatError

SECONDS_PER_DAY = 86_400
_HOW = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def daily_from_intraday(frame: pd.DataFrame, timeframe: str | int) -> pd.DataFrame:
    """``frame``'s candles as UTC days; an unfinished last day is dropped (module docstring).

    ``frame`` has a UTC ``DatetimeIndex`` of candle open times and any of the columns
    ``open high low close volume`` (``close`` required; other columns are left out).
    ``timeframe`` is the candle length (``"4h"``) or the number of bars in a full day (``6``).
    A daily timeframe returns the columns as given. Raises ``ConfigError`` for a timeframe
    longer than a day or not dividing it, ``DataFormatError`` for a frame without ``close``
    or a datetime index.
    """
    bar_seconds = _bar_seconds(timeframe)
    columns = [column for column in OHLCV_COLUMNS if column in frame.columns]
    if "close" not in columns:
        raise DataFormatError("daily resampling: the candle frame has no close column")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataFormatError("daily resampling: the candle frame index is not a DatetimeIndex")
    candles = frame[columns]
    if bar_seconds == SECONDS_PER_DAY or candles.empty:
        return candles.copy()
    if not candles.index.is_monotonic_increasing:
        candles = candles.sort_index(kind="stable")
    days = candles.index.floor("D")
    daily = candles.groupby(days).agg({column: _HOW[column] for column in columns})
    daily = daily.dropna(subset=["close"])
    daily.index.name = frame.index.name
    last_bar_end = candles.index[-1] + pd.Timedelta(seconds=bar_seconds)
    if len(daily) and last_bar_end < daily.index[-1] + pd.Timedelta(days=1):
        daily = daily.iloc[:-1]
    return daily


def _bar_seconds(timeframe: str | int) -> int:
    """Seconds per bar from a timeframe name or a bars-per-day count; must divide a day."""
    if isinstance(timeframe, str):
        seconds = timeframe_seconds(timeframe)
        described = f"timeframe {timeframe}"
    elif isinstance(timeframe, int) and not isinstance(timeframe, bool) and timeframe >= 1:
        seconds = SECONDS_PER_DAY // timeframe
        described = f"{timeframe} bars per day"
        if SECONDS_PER_DAY % timeframe:
            seconds = 0  # refused below: the bars would not tile a day
    else:
        raise ConfigError(
            f"daily resampling: {timeframe!r} is neither a timeframe (e.g. '4h') nor a positive "
            "number of bars per day"
        )
    if seconds == 0 or seconds > SECONDS_PER_DAY or SECONDS_PER_DAY % seconds:
        raise ConfigError(
            f"daily resampling: {described} does not divide a UTC day; use daily candles or an "
            "intraday timeframe such as 1h or 4h"
        )
    return seconds


__all__ = ["daily_from_intraday"]
