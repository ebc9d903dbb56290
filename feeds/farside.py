"""Farside Investors' ETF-flow tables (CSV) → a flow table in US dollars.

Farside publishes one row per day: ``Date``, one column per fund ticker, ``Total``; values in
US$ MILLIONS, negative for outflows (on the website also written ``(95.1)``, and ``-`` for no
flow). This reader multiplies by 1,000,000, so the stored table is in dollars; empty and ``-``
fund cells are 0 (Farside's convention for a fund not launched or not reported). Summary rows
(``Total``, ``Average``, ``Maximum``, ``Minimum``) are skipped. Each row's funds must add up to
its Total within US$1M (Farside rounds each fund to 0.1M), else the row is refused.

Farside's "All Data" page exports only ``Date`` and ``Total``: such a table is the asset's
total flows, with no fund columns (``feeds.etf_flows`` merges it under per-fund days).

The asset comes from ``--symbol``, else the file name, and must agree with the fund tickers
(``feeds.etf_tickers``): the ETH table named ``*btc*`` or imported with ``--symbol BTC`` is
refused, naming line 1, instead of merging 20 funds into one table.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from feeds._csv_rows import numbers, read_table, refuse, timestamps
from feeds.etf_flows import TOTAL_COLUMN
from feeds.etf_tickers import funds_by_asset
from feeds.limits import MAX_FLOW_USD
from flowimpact.errors import InputError
from flowimpact.units import USD_PER_MILLION

_SUM_TOLERANCE_MILLIONS = 1.0
_SUMMARY_ROWS = {"total", "average", "maximum", "minimum"}


def is_farside_header(columns: list[str]) -> bool:
    """A ``date`` first column, a ``total`` column, and no OHLC column."""
    lowered = [c.strip().lower() for c in columns]
    return bool(lowered) and lowered[0] == "date" and "total" in lowered and "close" not in lowered


def farside_asset(path: Path, tickers: list[str], asset: str | None = None) -> str:
    """The asset of a table: ``asset`` (``"BTC"`` or ``"BTC/USD"``), else from the file name,
    else from the tickers; ``InputError`` when they contradict each other or tell nothing."""
    funds = funds_by_asset(tickers)
    if len(funds) > 1:
        mixed = " and ".join(f"{a} funds ({', '.join(t)})" for a, t in funds.items())
        raise InputError(
            f"{path.name} line 1: the table holds {mixed}; import one table per asset "
            "(nothing was imported)"
        )
    by_tickers = next(iter(funds), None)
    given, said_by = None, ""
    if asset:
        given, said_by = asset.split("/")[0].strip().upper(), "--symbol"
    else:
        tokens = set(re.split(r"[^a-z0-9]+", path.stem.lower()))
        by_name = {"BTC"} if tokens & {"btc", "bitcoin"} else set()
        by_name |= {"ETH"} if tokens & {"eth", "ether", "ethereum"} else set()
        if len(by_name) == 1:
            given, said_by = by_name.pop(), "the file name"
    if given and by_tickers and given != by_tickers:
        raise InputError(
            f"{path.name} line 1: the fund columns {', '.join(funds[by_tickers])} are "
            f"{by_tickers} funds but {said_by} says {given}; pass --symbol {by_tickers} if this "
            f"is the {by_tickers} table (nothing was imported)"
        )
    if given or by_tickers:
        return str(given or by_tickers)
    raise InputError(
        f"{path.name}: cannot tell whether these ETF flows are BTC or ETH; pass --symbol BTC "
        "or --symbol ETH (or put btc or eth in the file name)"
    )


def read_farside(path: Path) -> pd.DataFrame:
    """The table of ``path`` in US dollars: UTC-day index, ``<ticker>_usd`` and ``total_usd``."""
    table = read_table(path, header=True)
    # spreadsheet exports add columns with no name and no cells
    blank = [c for c in table.columns if (c.startswith("Unnamed:") or not c.strip())
             and (table[c] == "").all()]
    table = table.drop(columns=blank)
    date_column, *others = table.columns
    total_column = next(c for c in others if c.strip().lower() == "total")
    table = table[~table[date_column].str.lower().isin(_SUMMARY_ROWS)]
    days = timestamps(path, _website_dates(table[date_column]), "date").normalize()
    repeated = days.duplicated()
    if repeated.any():
        refuse(path, table.index[repeated], f"day {days[repeated][0].date()} appears twice")
    funds = [c for c in others if c != total_column]
    columns = {}
    for fund in funds:
        flows = numbers(path, _website_numbers(table[fund]), fund, required=False)
        columns[f"{fund.strip().lower()}_usd"] = flows.fillna(0.0)
    total = numbers(path, _website_numbers(table[total_column]), "Total")
    # the same ceiling as a [flows] table's: a unit error, not a day of ETF flows
    refuse(
        path, table.index[(np.abs(total) * USD_PER_MILLION > MAX_FLOW_USD).to_numpy()],
        f"Total is beyond {MAX_FLOW_USD / USD_PER_MILLION:g} (US$ millions) either way, no real "
        "day of ETF flows", fix="check that the table is in US$ millions",
    )
    frame = pd.DataFrame(columns, index=table.index)
    if funds:  # a total-only table ("All Data") has nothing to add up
        mismatch = np.abs(frame.sum(axis=1) - total) > _SUM_TOLERANCE_MILLIONS
        refuse(path, table.index[mismatch.to_numpy()], "the funds do not add up to Total")
    frame[TOTAL_COLUMN] = total
    frame = frame * USD_PER_MILLION
    frame.index = pd.DatetimeIndex(days, name="date")
    return frame.sort_index()


def _website_dates(cells: pd.Series) -> pd.Series:
    """Farside's website writes ``11 Jan 2024``; turn such cells into ISO dates."""
    spelled = pd.to_datetime(cells, format="%d %b %Y", errors="coerce")
    return cells.mask(spelled.notna(), spelled.dt.strftime("%Y-%m-%d"))


def _website_numbers(cells: pd.Series) -> pd.Series:
    """Farside's website style: ``(95.1)`` is -95.1, ``-`` is no flow, commas group thousands."""
    cleaned = cells.str.replace(",", "", regex=False)
    cleaned = cleaned.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    return cleaned.mask(cleaned == "-", "0")


__all__ = ["USD_PER_MILLION", "farside_asset", "is_farside_header", "read_farside"]
