"""Small candle frames written by hand for the feeds tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

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


def store_digest(root: Path) -> dict[str, str]:
    """SHA-256 of every Parquet file under ``root``: equal digests mean a byte-identical store."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(root).rglob("*.parquet"))
    }
