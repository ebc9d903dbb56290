"""Row-level parsing shared by the CSV readers: numbers and times, refusing bad rows by line.

Every check is vectorized over the whole column; the error names the file and the first bad
line (1-based, as an editor shows it), the column, and how many other rows are bad too. It
never quotes a cell: the message reaches the run log and the report, and a file put in an
import folder by mistake (a private one) must not have its content published there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from flowimpact.errors import DataFormatError

# Epoch magnitudes: below 1e11 seconds (until year 5138), 1e14 ms, 1e17 µs, else ns.
_EPOCH_LIMITS = (1e11, 1e14, 1e17)
# to microseconds without overflow: multiply s and ms, keep µs, divide ns
_TO_MICROS_MULTIPLIER = np.array([1_000_000, 1_000, 1, 1], dtype="int64")
_TO_MICROS_DIVISOR = np.array([1, 1, 1, 1_000], dtype="int64")


def read_table(path: Path, *, header: bool, skip_lines: int = 0) -> pd.DataFrame:
    """All cells as stripped strings ("" when empty), blank lines dropped, line numbers kept.

    The index of the result is the 1-based line number of each row in the file. ``skip_lines``
    lines before the header are skipped (a CryptoDataDownload export's URL line).
    """
    try:
        frame = pd.read_csv(
            path,
            header=0 if header else None,
            skiprows=skip_lines,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError as exc:
        raise DataFormatError(f"{path.name}: the file is empty; nothing was imported") from exc
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            f"{path.name}: not UTF-8 text (byte {exc.start + 1}); export the file as CSV in UTF-8"
        ) from exc
    except pd.errors.ParserError as exc:
        # pandas says "Expected 6 fields in line 9, saw 7": counts and a line, no cell
        raise DataFormatError(f"{path.name}: {' '.join(str(exc).split())}") from exc
    frame = frame.fillna("").apply(lambda column: column.str.strip())
    frame.index = frame.index + skip_lines + (2 if header else 1)
    return frame[(frame != "").any(axis=1)]


def refuse(path: Path, lines: pd.Index, what: str, *, fix: str = "fix the file") -> None:
    """Raise ``DataFormatError`` naming the first of ``lines`` when there is any."""
    if len(lines) == 0:
        return
    more = f" (and {len(lines) - 1} more row(s))" if len(lines) > 1 else ""
    raise DataFormatError(
        f"{path.name} line {lines[0]}: {what}{more}; nothing was imported, {fix}"
    )


def numbers(path: Path, cells: pd.Series, name: str, *, required: bool = True) -> pd.Series:
    """``cells`` as finite float64; an empty cell is refused when ``required``, else NaN.

    ``inf``, ``-inf`` and ``Infinity`` parse as numbers but are never a price, volume or flow.
    """
    values = pd.to_numeric(cells.where(cells != ""), errors="coerce").astype("float64")
    unparseable = cells.index[(cells != "") & values.isna()]
    if len(unparseable):
        refuse(path, unparseable, f"{name} is not a number")
    infinite = cells.index[np.isinf(values.to_numpy())]
    if len(infinite):
        refuse(path, infinite, f"{name} is not a finite number")
    if required:
        refuse(path, cells.index[cells == ""], f"missing {name}")
    return values


def timestamps(path: Path, cells: pd.Series, name: str) -> pd.DatetimeIndex:
    """UTC times from ISO 8601 text (naive = UTC) or epoch numbers (s, ms, µs or ns by size)."""
    refuse(path, cells.index[cells == ""], f"missing {name}")
    if cells.str.fullmatch(r"\d+").all():
        raw = cells.astype("int64").to_numpy()
        unit = np.searchsorted(np.array(_EPOCH_LIMITS), raw, side="right")
        micros = raw * _TO_MICROS_MULTIPLIER[unit] // _TO_MICROS_DIVISOR[unit]
        return pd.DatetimeIndex(pd.to_datetime(micros, unit="us", utc=True), name="timestamp")
    parsed = pd.to_datetime(cells, utc=True, format="ISO8601", errors="coerce")
    bad = cells.index[parsed.isna()]
    if len(bad):
        refuse(
            path,
            bad,
            f"{name} cannot be read as a time (write YYYY-MM-DD or YYYY-MM-DD HH:MM:SS "
            "in UTC, or epoch milliseconds)",
        )
    return pd.DatetimeIndex(parsed, name="timestamp").as_unit("us")


def utc_offsets(cells: pd.Series) -> pd.Series:
    """The UTC offset each ISO time cell carries: ``"+02:00"``; ``""`` for none, Z or +00:00."""
    found = cells.str.extract(r"(Z|[+-]\d{2}:?\d{2})$", expand=False).fillna("")
    found = found.str.replace(r"^([+-]\d{2})(\d{2})$", r"\1:\2", regex=True)
    return found.mask(found.isin(["Z", "+00:00", "-00:00"]), "")


__all__ = ["numbers", "read_table", "refuse", "timestamps", "utc_offsets"]
