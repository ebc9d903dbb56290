"""File-level checks of candle rows before anything is stored: values, order, grid, spacing.

Each check is vectorized and raises ``DataFormatError`` naming the file and the first bad line
(see ``feeds._csv_rows.refuse``); a file that passes them all can be merged without making the
store unusable. What each check guards against:

- absurd values: a price or a traded amount (close x volume) above the ceilings of
  ``feeds.limits`` is a unit or parsing error, and so is a candle opening before 2009-01-03
  (Bitcoin's genesis block: no crypto market is older; 1970-01-01 is an empty or zero cell);
- far out of order: in a file running oldest first, a row earlier than every row above it or
  later than every row below it (1970-01-01 in the middle of 2021, an epoch parse of an empty
  cell) would become a stray candle years away from the rest. Files running newest first
  (CryptoDataDownload) are checked the other way round; an appended newer download that
  overlaps the older one repeats rows, which is fine;
- off the grid: a candle must open on its timeframe's grid (``feeds.timeframes``), or every
  daily step after it (resampling, the engine's days) breaks. Times with a UTC offset are
  converted to UTC first; when that lands off the grid the message says which offset did it;
- spacing: the usual distance between candles must be the timeframe (a 4h file imported as 1d).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from feeds._csv_rows import refuse, utc_offsets
from feeds.limits import price_ceiling, traded_ceiling
from feeds.schema import PRICE_COLUMNS
from feeds.timeframes import grid_description, off_grid, timeframe_seconds
from flowimpact.errors import DataFormatError

FIRST_CRYPTO_DAY = pd.Timestamp("2009-01-03", tz="UTC")  # Bitcoin's genesis block


def check_values(path: Path, frame: pd.DataFrame, quote: str) -> None:
    """Prices and close x volume below the ceilings of ``feeds.limits`` (in ``quote`` units)."""
    lines = pd.Index(frame["line"])
    top = price_ceiling(quote)
    for column in PRICE_COLUMNS:
        values = frame[column].to_numpy()
        bad = values > top
        if bad.any():
            refuse(path, lines[bad], f"{column} {values[bad][0]:g} is above {top:g} {quote}, "
                   "no real price", fix="check the unit of the price columns")
    traded = frame["close"].to_numpy() * frame["volume"].to_numpy()
    bad = traded > traded_ceiling(quote)
    if bad.any():
        refuse(path, lines[bad], f"close x volume {traded[bad][0]:g} is above "
               f"{traded_ceiling(quote):g} {quote} in one candle, no real volume",
               fix="check that volume is in base units (BTC, not satoshi or USD)")


def check_order(path: Path, frame: pd.DataFrame) -> None:
    """Refuse a row far out of order (see the module docstring); ``frame`` is in file order."""
    times = frame.index.asi8
    if len(times) < 3:
        return
    steps = np.sign(np.diff(times))
    descending = (steps < 0).sum() > (steps > 0).sum()
    oriented = (-times if descending else times).astype("float64")
    first_early, first_late = _out_of_order(oriented, oriented, oriented)
    # A stray row also makes its neighbour look out of order (the last good row is "later
    # than every row below" when only the stray is below): judge each kind again without the
    # rows the other kind flagged, so the stray is reported at its own line.
    too_early, _ = _out_of_order(oriented, np.where(first_late, np.inf, oriented), oriented)
    _, too_late = _out_of_order(oriented, oriented, np.where(first_early, -np.inf, oriented))
    bad = np.flatnonzero(too_early | too_late)
    if len(bad) == 0:
        return
    first, early = bad[0], bool(too_early[bad[0]])
    refuse(
        path,
        pd.Index(frame["line"].to_numpy()[bad]),
        f"open time {frame.index[first]} is far out of order: the file runs "
        f"{'newest' if descending else 'oldest'} first, and this row is "
        f"{'earlier' if early != descending else 'later'} than every row "
        f"{'above' if early else 'below'} it",
        fix="remove the row, fix its time or sort the file",
    )


def _out_of_order(
    oriented: np.ndarray, above: np.ndarray, below: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows earlier than every row of ``above`` before them, and rows later than every row of
    ``below`` after them (infinite entries stand for left-out rows and count as none)."""
    before = np.minimum.accumulate(above)[:-1]  # earliest of the rows above each row
    after = np.maximum.accumulate(below[::-1])[::-1][1:]  # latest of the rows below
    too_early = np.zeros(len(oriented), dtype=bool)
    too_late = np.zeros(len(oriented), dtype=bool)
    too_early[1:] = (oriented[1:] < before) & np.isfinite(before)
    too_late[:-1] = (oriented[:-1] > after) & np.isfinite(after)
    return too_early, too_late


def check_era(path: Path, frame: pd.DataFrame) -> None:
    """No candle opens before ``FIRST_CRYPTO_DAY``."""
    bad = frame.index < FIRST_CRYPTO_DAY
    if bad.any():
        refuse(path, pd.Index(frame["line"].to_numpy()[bad]),
               f"open time {frame.index[bad][0]} is before 2009-01-03, when the first bitcoin "
               "was mined: no crypto candle is that old (an empty or zero time cell?)",
               fix="remove the row or fix its time")


def check_grid(path: Path, frame: pd.DataFrame, cells: pd.Series, timeframe: str) -> None:
    """Every open time on the grid of ``timeframe``; ``cells`` is the time text by line."""
    bad = off_grid(frame.index.asi8, timeframe)
    if not bad.any():
        return
    lines = pd.Index(frame["line"].to_numpy()[bad])
    offsets = utc_offsets(cells.loc[lines])
    shifted = lines[(offsets != "").to_numpy()]
    grid = grid_description(timeframe)
    if len(shifted):
        line = shifted[0]
        stamp = frame.index[np.flatnonzero(frame["line"].to_numpy() == line)[0]]
        refuse(
            path,
            shifted,
            f"open time {stamp:%Y-%m-%d %H:%M} UTC (written with UTC offset "
            f"{offsets[line]}), off the {timeframe} grid ({grid})",
            fix="write the times in UTC (ending in Z or +00:00, or without an offset)",
        )
    majority = bad.sum() * 2 > len(bad)
    refuse(
        path,
        lines,
        f"open time {frame.index[bad][0]} is off the {timeframe} grid ({grid})",
        fix=("if the file holds other candles, pass the right --timeframe" if majority
             else "remove the row or fix its time"),
    )


def check_spacing(path: Path, index: pd.DatetimeIndex, timeframe: str) -> None:
    """Refuse when the usual spacing of the file contradicts the timeframe (e.g. 4h as 1d)."""
    if len(index) < 3:
        return
    diffs_seconds = np.diff(index.asi8) // 1_000_000
    values, counts = np.unique(diffs_seconds, return_counts=True)
    usual = int(values[np.argmax(counts)])
    if usual != timeframe_seconds(timeframe):
        raise DataFormatError(
            f"{path.name}: candles are usually {usual} s apart but timeframe {timeframe} means "
            f"{timeframe_seconds(timeframe)} s; pass the right --timeframe"
        )


__all__ = [
    "FIRST_CRYPTO_DAY",
    "check_era",
    "check_grid",
    "check_order",
    "check_spacing",
    "check_values",
]
