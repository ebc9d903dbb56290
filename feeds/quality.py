"""Data-quality checks on a candle frame: found and reported, never silently repaired.

Gaps from real exchange outages are facts about the market record (Binance's 4h BTC/USDT file
has 16 missing bars from 2018-2020 outages), so they are reported, not refused. The import
refuses corrupt rows itself (see ``feeds.csv_import``); this module describes what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from feeds.schema import PRICE_COLUMNS
from feeds.timeframes import timeframe_delta


@dataclass(frozen=True, kw_only=True)
class Gap:
    """A run of missing candles: open times ``first_missing`` .. ``last_missing`` inclusive."""

    first_missing: pd.Timestamp
    last_missing: pd.Timestamp
    missing_bars: int

    def __str__(self) -> str:
        return f"{self.first_missing} .. {self.last_missing} ({self.missing_bars} bars)"


@dataclass(frozen=True, kw_only=True)
class QualityReport:
    """What ``check_candles`` found. Each tuple holds candle open times (UTC)."""

    timeframe: str
    rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    gaps: tuple[Gap, ...] = ()
    duplicates: tuple[pd.Timestamp, ...] = ()
    misaligned: tuple[pd.Timestamp, ...] = ()
    ohlc_inconsistent: tuple[pd.Timestamp, ...] = ()
    non_positive: tuple[pd.Timestamp, ...] = ()
    missing_prices: tuple[pd.Timestamp, ...] = ()
    partial_last: bool = False

    @property
    def missing_bars(self) -> int:
        """Total number of candles missing inside the covered span."""
        return sum(gap.missing_bars for gap in self.gaps)

    @property
    def clean(self) -> bool:
        """True when nothing but gaps (real outages) was found."""
        return not self.problems()

    def problems(self) -> list[str]:
        """One line per kind of defect other than gaps, naming the first candle affected."""
        found = []
        for label, times in (
            ("duplicate timestamps", self.duplicates),
            ("off the timeframe grid", self.misaligned),
            ("OHLC inconsistent (high below low, open or close outside high-low)",
             self.ohlc_inconsistent),
            ("non-positive prices", self.non_positive),
            ("missing prices", self.missing_prices),
        ):
            if times:
                found.append(f"{len(times)} candle(s) {label}, first at {times[0]}")
        if self.partial_last:
            found.append(f"last candle {self.last} is still open (partial)")
        return found


def check_candles(
    frame: pd.DataFrame, timeframe: str, *, now: pd.Timestamp | None = None
) -> QualityReport:
    """Check a candle frame (UTC index of open times, ``open high low close`` columns).

    ``now`` (UTC) lets the check say whether the last candle is still open: a candle opened at
    t covers [t, t + timeframe), so it is partial while ``now < t + timeframe``.
    """
    step = timeframe_delta(timeframe)
    index = pd.DatetimeIndex(frame.index)
    if len(index) == 0:
        return QualityReport(timeframe=timeframe, rows=0, first=None, last=None)
    times_us = np.sort(index.as_unit("us").asi8)
    step_us = int(step / pd.Timedelta(microseconds=1))
    unique_us = np.unique(times_us)
    prices = frame[list(PRICE_COLUMNS)].to_numpy(dtype="float64")
    open_, high, low, close = prices.T
    with np.errstate(invalid="ignore"):
        inconsistent = (
            (high < low) | (high < np.maximum(open_, close)) | (low > np.minimum(open_, close))
        )
        non_positive = (prices <= 0).any(axis=1)
    missing = np.isnan(prices).any(axis=1)
    dup_mask = np.zeros(len(times_us), dtype=bool)
    dup_mask[1:] = np.diff(times_us) == 0
    duplicated = np.unique(times_us[dup_mask])
    first, last = index.min(), index.max()
    partial = now is not None and pd.Timestamp(now).tz_convert("UTC") < last + step
    return QualityReport(
        timeframe=timeframe,
        rows=len(index),
        first=first,
        last=last,
        gaps=_gaps(unique_us, step_us),
        duplicates=_stamps(duplicated),
        misaligned=_stamps(unique_us[unique_us % step_us != 0]),
        ohlc_inconsistent=tuple(index[inconsistent].sort_values()),
        non_positive=tuple(index[non_positive].sort_values()),
        missing_prices=tuple(index[missing].sort_values()),
        partial_last=bool(partial),
    )


def _gaps(unique_us: np.ndarray, step_us: int) -> tuple[Gap, ...]:
    """Gaps between consecutive distinct open times more than one step apart."""
    diffs = np.diff(unique_us)
    where = np.flatnonzero(diffs > step_us)
    # ceil(diff / step) - 1 counts the grid slots strictly between two candles, even off-grid ones
    missing = -(-diffs[where] // step_us) - 1
    return tuple(
        Gap(
            first_missing=_stamp(unique_us[i] + step_us),
            last_missing=_stamp(unique_us[i] + int(n) * step_us),
            missing_bars=int(n),
        )
        for i, n in zip(where, missing, strict=True)
    )


def _stamp(value_us: int) -> pd.Timestamp:
    return pd.Timestamp(int(value_us), unit="us", tz="UTC")


def _stamps(values_us: np.ndarray) -> tuple[pd.Timestamp, ...]:
    return tuple(_stamp(value) for value in values_us)


__all__ = ["Gap", "QualityReport", "check_candles"]
