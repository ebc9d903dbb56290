"""The ETF-flow table store: daily US spot-ETF net flows per asset, in US DOLLARS.

One Parquet file per asset: ``root/etf_flows/<ASSET>.parquet`` (e.g. ``BTC.parquet``), indexed
by UTC day (``date``, midnight UTC), one float64 column per fund named ``<ticker>_usd`` (e.g.
``ibit_usd``) and ``total_usd``, the net flow of all funds. Positive is an inflow. Farside's
published tables are in US$ millions; ``feeds.csv_import`` converts them to dollars on import,
so every number here is in dollars.

Writes merge by day (a day present in the new table replaces the stored day: newer source
wins), hold the store's lock and replace the file atomically, as the candle store does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from feeds._files import read_parquet, write_parquet_atomic, writer_lock
from feeds.store import MergeResult
from flowimpact.errors import DataFormatError, DataUnavailableError, InputError

TOTAL_COLUMN = "total_usd"
_LOCK_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True, kw_only=True)
class EtfFlowEntry:
    """One stored flow table, as ``flowimpact data list`` shows it."""

    asset: str
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    rows: int
    funds: int
    cumulative_usd: float


def etf_flows_path(root: Path, asset: str) -> Path:
    """Where the flow table of ``asset`` (e.g. ``"BTC"``) lives."""
    if not asset.isalnum():
        raise InputError(f"asset {asset!r} must be letters and digits, e.g. BTC")
    return Path(root) / "etf_flows" / f"{asset.upper()}.parquet"


def write_etf_flows(root: Path, asset: str, frame: pd.DataFrame) -> MergeResult:
    """Merge a flow table (UTC-day index, ``*_usd`` columns incl. ``total_usd``) into the store."""
    incoming = _normalized(frame)
    path = etf_flows_path(root, asset)
    with writer_lock(Path(root), _LOCK_TIMEOUT_SECONDS):
        stored = _read(path) if path.exists() else incoming.iloc[:0]
        overlap = stored.index.intersection(incoming.index)
        merged = pd.concat([stored.drop(index=overlap), incoming]).sort_index()
        # a fund absent from one table had no flows there: Farside writes such days as 0.0
        merged = merged.fillna(0.0)
        merged = merged[[c for c in merged.columns if c != TOTAL_COLUMN] + [TOTAL_COLUMN]]
        write_parquet_atomic(merged, path, {"asset": asset.upper(), "units": "USD"})
    return MergeResult(
        path=path,
        rows_before=len(stored),
        rows_added=len(incoming) - len(overlap),
        rows_replaced=len(overlap),
        rows_after=len(merged),
    )


def read_etf_flows(root: Path, asset: str) -> pd.DataFrame:
    """The stored flow table of ``asset`` (US dollars); ``DataUnavailableError`` if none."""
    path = etf_flows_path(root, asset)
    if not path.exists():
        raise DataUnavailableError(
            f"no ETF flow table for {asset.upper()} in {root}: run `flowimpact import "
            f"path/to/farside_{asset.lower()}_etf_flows_daily.csv`"
        )
    return _read(path)


def read_stored_etf_flows(root: Path, assets: Iterable[str]) -> dict[str, pd.DataFrame]:
    """The stored flow table of each of ``assets`` that has one; the others are left out.

    An asset without US spot ETFs, or whose table was never imported, has nothing to compare
    or calibrate against: that is not an error here.
    """
    return {
        asset: _read(etf_flows_path(root, asset))
        for asset in assets
        if etf_flows_path(root, asset).exists()
    }


def etf_flow_entries(root: Path) -> list[EtfFlowEntry]:
    """Every stored flow table, sorted by asset."""
    entries = []
    for path in sorted((Path(root) / "etf_flows").glob("*.parquet")):
        frame = _read(path)
        entries.append(
            EtfFlowEntry(
                asset=path.stem,
                first=frame.index.min() if len(frame) else None,
                last=frame.index.max() if len(frame) else None,
                rows=len(frame),
                funds=len(frame.columns) - 1,
                cumulative_usd=float(frame[TOTAL_COLUMN].sum()),
            )
        )
    return entries


def _read(path: Path) -> pd.DataFrame:
    frame, _ = read_parquet(path)
    return frame


def _normalized(frame: pd.DataFrame) -> pd.DataFrame:
    if TOTAL_COLUMN not in frame.columns:
        raise DataFormatError(f"ETF flow table lacks the {TOTAL_COLUMN} column (US dollars)")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataFormatError("ETF flow table index must be the UTC day of each row")
    bad = [c for c in frame.columns if not str(c).endswith("_usd")]
    if bad:
        raise DataFormatError(f"ETF flow columns must be in dollars, named *_usd; got {bad}")
    index = frame.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    out = frame.astype("float64").set_axis(pd.DatetimeIndex(index.as_unit("us"), name="date"))
    if out.index.has_duplicates:
        repeated = list(out.index[out.index.duplicated()][:3])
        raise DataFormatError(f"ETF flow table repeats day(s) {repeated}")
    return out.sort_index()


__all__ = [
    "TOTAL_COLUMN",
    "EtfFlowEntry",
    "etf_flow_entries",
    "etf_flows_path",
    "read_etf_flows",
    "read_stored_etf_flows",
    "write_etf_flows",
]
