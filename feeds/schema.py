"""The one candle schema every source is converted to at the boundary.

A candle frame has a UTC ``DatetimeIndex`` named ``timestamp`` (the candle's open time,
microsecond resolution, the pandas 3 default), float64 columns ``open high low close volume``
(volume in base units, e.g. BTC) and a string column ``source`` saying where each candle came
from (``"ccxt:binance"``, ``"csv:binance_BTCUSDT_1d.csv"``).
"""

from __future__ import annotations

import pandas as pd

from flowimpact.errors import DataFormatError

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
OHLCV_COLUMNS: tuple[str, ...] = (*PRICE_COLUMNS, "volume")
CANDLE_COLUMNS: tuple[str, ...] = (*OHLCV_COLUMNS, "source")
INDEX_NAME = "timestamp"
INDEX_DTYPE = "datetime64[us, UTC]"


def empty_candles() -> pd.DataFrame:
    """A frame with the candle schema and no rows."""
    index = pd.DatetimeIndex([], dtype=INDEX_DTYPE, name=INDEX_NAME)
    frame = pd.DataFrame({column: pd.Series([], dtype="float64") for column in OHLCV_COLUMNS})
    frame["source"] = pd.Series([], dtype="str")
    frame.index = index
    return frame


def to_candles(frame: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """``frame`` in the candle schema, sorted by time.

    ``source`` fills the ``source`` column when given (and must be given when the frame has
    none). The index must be datetime: naive timestamps are taken as UTC, aware ones converted.
    Raises ``DataFormatError`` when a column is missing or the index is not datetime.
    """
    missing = [column for column in OHLCV_COLUMNS if column not in frame.columns]
    if missing:
        raise DataFormatError(
            f"candle frame lacks column(s) {', '.join(missing)}: expected "
            f"{', '.join(OHLCV_COLUMNS)} indexed by timestamp"
        )
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataFormatError("candle frame index is not a DatetimeIndex of candle open times")
    index = frame.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    out = pd.DataFrame(
        {column: frame[column].to_numpy(dtype="float64") for column in OHLCV_COLUMNS},
        index=pd.DatetimeIndex(index.as_unit("us"), name=INDEX_NAME),
    )
    if source is not None:
        out["source"] = pd.Series(source, index=out.index, dtype="str")
    elif "source" in frame.columns:
        out["source"] = frame["source"].astype("str").to_numpy()
    else:
        raise DataFormatError("candle frame has no source column and no source was given")
    return out.sort_index(kind="stable")


__all__ = [
    "CANDLE_COLUMNS",
    "INDEX_NAME",
    "OHLCV_COLUMNS",
    "PRICE_COLUMNS",
    "empty_candles",
    "to_candles",
]
