"""Candle timeframes ("1m", "4h", "1d", "1w") as fixed durations, and the grid candles open on.

ccxt names timeframes by a count and a unit letter. Only fixed-length units are accepted here:
months ("1M") have no fixed length, so gap checks and pagination could not step by them.

The grid: a candle of timeframe T opens at a whole multiple of T counted from the UNIX epoch
(1970-01-01 00:00 UTC), so daily candles open at 00:00 UTC and 4h candles at 00:00, 04:00, ...
UTC. Weekly candles open on Mondays 00:00 UTC (Binance, Coinbase, Kraken), so weeks count from
the first Monday after the epoch, 1970-01-05.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from flowimpact.errors import ConfigError

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_PATTERN = re.compile(r"^(\d+)([smhdw])$")
_FIRST_MONDAY_SECONDS = 4 * 86_400  # 1970-01-05, the first Monday after the epoch


def timeframe_seconds(timeframe: str) -> int:
    """Length of one candle of ``timeframe`` in seconds, e.g. ``"4h"`` → 14400."""
    match = _PATTERN.match(timeframe or "")
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(
            f"timeframe {timeframe!r} is not supported: write a count and one of s, m, h, d, w "
            "(e.g. '1d', '4h')"
        )
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def timeframe_delta(timeframe: str) -> pd.Timedelta:
    """Length of one candle of ``timeframe`` as a ``Timedelta``."""
    return pd.Timedelta(seconds=timeframe_seconds(timeframe))


def grid_origin_seconds(timeframe: str) -> int:
    """Seconds after the epoch from which candles of ``timeframe`` are counted (weeks: Monday)."""
    timeframe_seconds(timeframe)
    return _FIRST_MONDAY_SECONDS if timeframe.endswith("w") else 0


def off_grid(times_us: np.ndarray, timeframe: str) -> np.ndarray:
    """For epoch-microsecond open times: True where a time is not on ``timeframe``'s grid."""
    step_us = timeframe_seconds(timeframe) * 1_000_000
    origin_us = grid_origin_seconds(timeframe) * 1_000_000
    return (np.asarray(times_us, dtype="int64") - origin_us) % step_us != 0


def grid_description(timeframe: str) -> str:
    """Where candles of ``timeframe`` open, in words: ``"1d candles open at 00:00 UTC"``."""
    seconds = timeframe_seconds(timeframe)
    if timeframe.endswith("w"):
        return f"{timeframe} candles open on Mondays at 00:00 UTC"
    if seconds % 86_400 == 0:
        return f"{timeframe} candles open at 00:00 UTC"
    return f"{timeframe} candles open every {timeframe} from 00:00 UTC"


__all__ = [
    "grid_description",
    "grid_origin_seconds",
    "off_grid",
    "timeframe_delta",
    "timeframe_seconds",
]
