"""Candle timeframes ("1m", "4h", "1d", "1w") as fixed durations.

ccxt names timeframes by a count and a unit letter. Only fixed-length units are accepted here:
months ("1M") have no fixed length, so gap checks and pagination could not step by them.
"""

from __future__ import annotations

import re

import pandas as pd

from flowimpact.errors import ConfigError

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_PATTERN = re.compile(r"^(\d+)([smhdw])$")


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


__all__ = ["timeframe_delta", "timeframe_seconds"]
