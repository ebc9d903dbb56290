"""CryptoDataDownload (cryptodatadownload.com) candle exports.

Their CSV files start with one line naming the site (``https://www.CryptoDataDownload.com``),
which a spreadsheet or a script often drops, then a header such as::

    Unix,Date,Symbol,Open,High,Low,Close,Volume BTC,Volume USDT,tradecount
    Date,Symbol,Open,High,Low,Close,Volume BTC,Volume USD

rows newest first, one volume column per currency of the pair. The file names say exchange,
pair and timeframe: ``Binance_BTCUSDT_d.csv``, ``Coinbase_BTCUSD_1h.csv`` (see
``feeds.names``). ``Unix`` (epoch seconds or milliseconds) is preferred to ``Date`` when both
are there. ``volume`` is the BASE currency's column (``Volume BTC`` for BTC/USDT), as
everywhere in the store; the quote volume is left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from feeds._csv_rows import read_table, refuse
from flowimpact.errors import DataFormatError

_TIME_COLUMNS = ("unix", "unix timestamp", "date")


def is_cdd_preamble(first_line: str) -> bool:
    """The line before the header: the site's address or name, no column names."""
    text = first_line.strip().lower()
    return "cryptodatadownload" in text or text.startswith(("http://", "https://"))


def is_cdd_header(columns: list[str]) -> bool:
    """The export's own header (the file without its site line): Unix or Date, Open, High,
    Low, Close and per-currency ``Volume <CUR>`` columns, but no plain ``Volume``."""
    lowered = {" ".join(c.strip().lower().split()) for c in columns}
    return (
        bool(lowered & set(_TIME_COLUMNS))
        and {"open", "high", "low", "close"} <= lowered
        and "volume" not in lowered
        and any(c.startswith("volume ") for c in lowered)
    )


def read_cdd_table(
    path: Path, symbol: str, *, preamble: bool = True
) -> tuple[pd.DataFrame, str]:
    """The export's cells as strings by file line, with ``open high low close volume``.

    Returns the table and the name of its time column. ``symbol`` (``"BTC/USDT"``) picks the
    base-volume column and must agree with the file's ``Symbol`` column. ``preamble``: the
    file starts with the site's line (False: with the header).
    """
    table = read_table(path, header=True, skip_lines=1 if preamble else 0)
    table = table.rename(columns=lambda c: " ".join(c.strip().lower().split()))
    base = symbol.split("/")[0].lower()
    volume = f"volume {base}"
    if volume not in table.columns:
        named = [c for c in table.columns if c.startswith("volume")]
        raise DataFormatError(
            f"{path.name}: no 'Volume {base.upper()}' column (volume columns: "
            f"{', '.join(named) or 'none'}); the store keeps volume in base units, so it needs "
            f"the {base.upper()} volume of {symbol}"
        )
    missing = [c for c in ("open", "high", "low", "close") if c not in table.columns]
    time_column = next((c for c in _TIME_COLUMNS if c in table.columns), None)
    if missing or time_column is None:
        raise DataFormatError(
            f"{path.name}: a CryptoDataDownload export needs Unix or Date and Open, High, Low, "
            f"Close columns; missing {', '.join(missing or ['Unix/Date'])}"
        )
    if "symbol" in table.columns:
        _check_symbol(path, table["symbol"], symbol)
    table = table.rename(columns={volume: "volume"})
    return table[[time_column, "open", "high", "low", "close", "volume"]], time_column


def _check_symbol(path: Path, cells: pd.Series, symbol: str) -> None:
    """Each row's ``Symbol`` (``BTCUSDT``, ``BTC/USDT``, ``BTC-USD``) must be the series' pair."""
    wanted = re.sub(r"[^A-Z0-9]", "", symbol.split(":")[0].upper())
    found = cells.str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    other = cells.index[(found != wanted) & (cells != "")]
    if len(other):
        refuse(path, other, f"the Symbol column is not {symbol}",
               fix="import each pair's file as its own series")


__all__ = ["is_cdd_header", "is_cdd_preamble", "read_cdd_table"]
