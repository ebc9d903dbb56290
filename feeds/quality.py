"""Data-quality checks on a candle frame: found and reported, never silently repaired.

Gaps from real exchange outages are facts about the market record (Binance's 4h BTC/USDT file
has 16 missing bars from 2018-2020 outages), so they are reported, not refused. The import
refuses corrupt rows itself (see ``feeds.csv_import``); this module describes what is stored,
including bad rows that an older version or another tool wrote (``flowimpact data list``
names them, ``flowimpact data drop`` and ``flowimpact import --replace`` repair them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from feeds.limits import price_ceiling, traded_ceiling
from feeds.schema import OHLCV_COLUMNS, PRICE_COLUMNS
from feeds.timeframes import off_grid, timeframe_delta

# A block of candles at either end is "far from the rest" when a gap longer than the span of
# all the other candles separates it from them and it has at most this share of their rows
# (a 1970-01-01 row in front of 2021, an epoch parse of an empty cell).
_STRAY_MAX_SHARE = 0.1


@dataclass(frozen=True, kw_only=True)
class Gap:
    """A run of missing candles: open times ``first_missing`` .. ``last_missing`` inclusive."""

    first_missing: pd.Timestamp
    last_missing: pd.Timestamp
    missing_bars: int

    def __str__(self) -> str:
        return f"{self.first_missing} .. {self.last_missing} ({self.missing_bars} bars)"


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One kind of defect and the open times (UTC, sorted) of the candles it concerns."""

    label: str
    times: tuple[pd.Timestamp, ...]

    @property
    def first(self) -> pd.Timestamp:
        return self.times[0]

    @property
    def last(self) -> pd.Timestamp:
        return self.times[-1]

    def __str__(self) -> str:
        if len(self.times) == 1:
            return f"1 candle {self.label}, at {when(self.first)}"
        return (f"{len(self.times)} candles {self.label}, from {when(self.first)} to "
                f"{when(self.last)}")


def when(stamp: pd.Timestamp) -> str:
    """``2024-01-02`` for a midnight, else ``2024-01-02 13:37`` (seconds only when there are)."""
    if stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    return stamp.strftime("%Y-%m-%d %H:%M:%S" if stamp.second else "%Y-%m-%d %H:%M")


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
    not_finite: tuple[pd.Timestamp, ...] = ()
    absurd: tuple[pd.Timestamp, ...] = ()
    stray: tuple[pd.Timestamp, ...] = ()
    partial_last: bool = False
    quote: str = "USD"

    @property
    def missing_bars(self) -> int:
        """Total number of candles missing inside the covered span."""
        return sum(gap.missing_bars for gap in self.gaps)

    @property
    def clean(self) -> bool:
        """True when nothing but gaps (real outages) was found."""
        return not self.problems()

    def findings(self) -> list[Finding]:
        """Each kind of defect other than gaps and the partial last candle, with its candles."""
        labels = (
            ("duplicate timestamps", self.duplicates),
            ("off the timeframe grid", self.misaligned),
            ("OHLC inconsistent (high below low, open or close outside high-low)",
             self.ohlc_inconsistent),
            ("non-positive prices", self.non_positive),
            ("missing prices", self.missing_prices),
            ("not finite (inf)", self.not_finite),
            (f"with absurd prices or volumes (above {price_ceiling(self.quote):g} {self.quote}, "
             f"or {traded_ceiling(self.quote):g} {self.quote} traded)", self.absurd),
            ("far from the rest (across a gap longer than the span of all the others)",
             self.stray),
        )
        return [Finding(label=label, times=times) for label, times in labels if times]

    def problems(self) -> list[str]:
        """One line per kind of defect other than gaps, naming the candles affected."""
        found = [str(finding) for finding in self.findings()]
        if self.partial_last:
            found.append(f"last candle {self.last} is still open (partial)")
        return found


def check_candles(
    frame: pd.DataFrame,
    timeframe: str,
    *,
    now: pd.Timestamp | None = None,
    quote: str | None = None,
) -> QualityReport:
    """Check a candle frame (UTC index of open times, ``open high low close volume`` columns).

    ``now`` (UTC) lets the check say whether the last candle is still open: a candle opened at
    t covers [t, t + timeframe), so it is partial while ``now < t + timeframe``. ``quote`` (the
    quote currency, default USD) sets the ceilings of ``feeds.limits``.
    """
    quote = (quote or "USD").upper()
    step = timeframe_delta(timeframe)
    index = pd.DatetimeIndex(frame.index)
    if len(index) == 0:
        return QualityReport(timeframe=timeframe, rows=0, first=None, last=None, quote=quote)
    times_us = np.sort(index.as_unit("us").asi8)
    step_us = int(step / pd.Timedelta(microseconds=1))
    unique_us = np.unique(times_us)
    prices = frame[list(PRICE_COLUMNS)].to_numpy(dtype="float64")
    values = frame[list(OHLCV_COLUMNS)].to_numpy(dtype="float64")
    open_, high, low, close = prices.T
    with np.errstate(invalid="ignore", over="ignore"):
        inconsistent = (
            (high < low) | (high < np.maximum(open_, close)) | (low > np.minimum(open_, close))
        )
        non_positive = (prices <= 0).any(axis=1)
        finite = np.isfinite(values).all(axis=1)
        absurd = finite & (
            (prices > price_ceiling(quote)).any(axis=1)
            | (close * values[:, -1] > traded_ceiling(quote))
        )
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
        misaligned=_stamps(unique_us[off_grid(unique_us, timeframe)]),
        ohlc_inconsistent=tuple(index[inconsistent].sort_values()),
        non_positive=tuple(index[non_positive].sort_values()),
        missing_prices=tuple(index[missing].sort_values()),
        not_finite=tuple(index[~finite & ~np.isnan(values).any(axis=1)].sort_values()),
        absurd=tuple(index[absurd].sort_values()),
        stray=_stamps(_stray(unique_us, step_us)),
        partial_last=bool(partial),
        quote=quote,
    )


def _stray(unique_us: np.ndarray, step_us: int) -> np.ndarray:
    """Open times of blocks at either end that lie far from the rest (see ``_STRAY_MAX_SHARE``).

    Gap g separates ``unique_us[:g + 1]`` from ``unique_us[g + 1:]``; the leading block is stray
    when the gap is longer than the span of what follows plus one step and the block is small
    next to it; the trailing block likewise. The widest such block at each end is taken.
    """
    n = len(unique_us)
    if n < 3:
        return unique_us[:0]
    diffs = np.diff(unique_us)
    g = np.arange(n - 1)
    lead_rows, tail_rows = g + 1, n - g - 1
    lead = (diffs > unique_us[-1] - unique_us[g + 1] + step_us) & (
        lead_rows <= _STRAY_MAX_SHARE * tail_rows
    )
    tail = (diffs > unique_us[g] - unique_us[0] + step_us) & (
        tail_rows <= _STRAY_MAX_SHARE * lead_rows
    )
    stray = np.zeros(n, dtype=bool)
    if lead.any():
        stray[: g[lead].max() + 1] = True
    if tail.any():
        stray[g[tail].min() + 1:] = True
    return unique_us[stray]


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


__all__ = ["Finding", "Gap", "QualityReport", "check_candles", "when"]
