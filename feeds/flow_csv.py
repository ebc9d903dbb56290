"""A CSV of dated USD flows (``date,asset,flow_usd``) as a table, for a study's ``[flows]``.

One row per flow: ``date`` a UTC day (``YYYY-MM-DD``), ``asset`` the base currency (``BTC``),
``flow_usd`` the net flow in US dollars (buys positive, sells negative). Column names are
case-insensitive; other columns are ignored; several rows of one asset on one day add up (two
purchases on a day are two rows). The file is read whole or not at all: an unparseable or
non-finite number, a flow beyond ``feeds.limits.MAX_FLOW_USD`` either way (a unit error, as for
prices), a date that is not a whole UTC day, an empty or unknown asset refuse it with the file's
name and the first bad line (``feeds._csv_rows``, as every import does); so does an empty or
header-only file.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from feeds._csv_rows import numbers, read_table, refuse, timestamps
from feeds.limits import MAX_FLOW_USD
from flowimpact.errors import DataFormatError, InputError

FLOW_CSV_COLUMNS = ("date", "asset", "flow_usd")


def read_flow_csv(path: Path, assets: Collection[str] | None = None) -> pd.DataFrame:
    """Days × assets (USD, float64), indexed by UTC midnight ``date``, summed per day and asset.

    ``assets`` (if given) are the only assets a row may name. Days without a row are absent
    (a caller reindexes to its calendar with zeros).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such flow table (a CSV of date,asset,flow_usd)")
    if not path.read_bytes().strip():
        raise DataFormatError(
            f"{path.name}: the file is empty; a flow table has the header date,asset,flow_usd "
            "and one row per flow"
        )
    table = read_table(path, header=True).rename(columns=lambda c: c.strip().lower())
    missing = [c for c in FLOW_CSV_COLUMNS if c not in table.columns]
    if missing:
        raise DataFormatError(
            f"{path.name}: no {', '.join(missing)} column; a flow table has the header "
            "date,asset,flow_usd"
        )
    if table.empty:
        raise DataFormatError(
            f"{path.name}: no flow rows after the header; give one date,asset,flow_usd row "
            "per flow"
        )
    lines = table.index
    when = timestamps(path, table["date"], "date")
    refuse(path, lines[when != when.normalize()], "date is not a whole UTC day (write YYYY-MM-DD)")
    asset = table["asset"].str.upper()
    refuse(path, lines[asset == ""], "missing asset")
    if assets is not None:
        known = {a.upper() for a in assets}
        unknown = lines[~asset.isin(known)]
        if len(unknown):
            refuse(
                path, unknown,
                "asset is not one of the study's assets "
                f"({', '.join(sorted(known))})",
            )
    flow = numbers(path, table["flow_usd"], "flow_usd")
    refuse(path, lines[~np.isfinite(flow.to_numpy())], "flow_usd is not a finite number")
    refuse(
        path, lines[np.abs(flow.to_numpy()) > MAX_FLOW_USD],
        f"flow_usd is beyond {MAX_FLOW_USD:g} USD either way, no real flow of one day",
        fix="check that flow_usd is in US dollars",
    )
    long = pd.DataFrame(
        {"date": when.normalize(), "asset": asset.to_numpy(), "flow": flow.to_numpy()}
    )
    wide = long.pivot_table(index="date", columns="asset", values="flow", aggfunc="sum")
    wide.columns.name = "asset"
    return wide.fillna(0.0).astype("float64")


__all__ = ["FLOW_CSV_COLUMNS", "read_flow_csv"]
