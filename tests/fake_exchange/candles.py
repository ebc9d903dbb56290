"""Candles for the fake exchanges: deterministic test data and the window every venue selects."""

from __future__ import annotations

import numpy as np
import pandas as pd

TIMEFRAME_SECONDS = {"1m": 60, "1h": 3600, "4h": 14400, "6h": 21600, "1d": 86400}

Row = tuple[int, float, float, float, float, float]  # open time (ms), open, high, low, close, vol


def make_candles(start: str, periods: int, timeframe: str = "1d", *, seed: int = 0) -> pd.DataFrame:
    """Deterministic, OHLC-consistent candles (UTC open times) for tests."""
    rng = np.random.default_rng(seed)
    step = pd.Timedelta(seconds=TIMEFRAME_SECONDS[timeframe])
    first = pd.Timestamp(start, tz="UTC")
    index = pd.date_range(first, periods=periods, freq=step, name="timestamp")
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, periods)))
    open_ = np.r_[100.0, close[:-1]]
    spread = np.abs(rng.normal(0.0, 0.01, periods)) * close
    return pd.DataFrame(
        {
            "open": open_.round(2),
            "high": (np.maximum(open_, close) + spread).round(2),
            "low": (np.minimum(open_, close) - spread).round(2),
            "close": close.round(2),
            "volume": rng.uniform(10.0, 1000.0, periods).round(6),
        },
        index=index,
    )


def select(
    frame: pd.DataFrame | None,
    start_ms: int | None,
    end_ms: int | None,
    limit: int,
) -> list[Row]:
    """Candles with start <= open time (ms) <= end, oldest first, the first ``limit`` of them."""
    if frame is None or frame.empty:
        return []
    ms = frame.index.as_unit("ms").asi8
    keep = np.ones(len(frame), dtype=bool)
    if start_ms is not None:
        keep &= ms >= start_ms
    if end_ms is not None:
        keep &= ms <= end_ms
    values = frame[["open", "high", "low", "close", "volume"]].to_numpy()[keep][:limit]
    return [(int(t), *map(float, row)) for t, row in zip(ms[keep][:limit], values, strict=True)]


__all__ = ["TIMEFRAME_SECONDS", "Row", "make_candles", "select"]
