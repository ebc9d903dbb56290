"""Small candle frames written by hand for the feeds tests."""

from __future__ import annotations

import pandas as pd

from feeds.schema import to_candles


def candles(days: list[str], closes: list[float], *, source: str = "test") -> pd.DataFrame:
    """Daily candles at midnight UTC with open = close, high/low 1% around it."""
    index = pd.DatetimeIndex(pd.to_datetime(days, utc=True, format="ISO8601"), name="timestamp")
    frame = pd.DataFrame(
        {
            "open": closes,
            "high": [c * 1.01 for c in closes],
            "low": [c * 0.99 for c in closes],
            "close": closes,
            "volume": [1.0] * len(closes),
        },
        index=index,
    )
    return to_candles(frame, source=source)
