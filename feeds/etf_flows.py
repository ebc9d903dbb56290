"""The ETF-flow table store: daily US spot-ETF net flows per asset, in US DOLLARS.

One Parquet file per asset: ``root/etf_flows/<ASSET>.parquet`` (e.g. ``BTC.parquet``), indexed
by UTC day (``date``, midnight UTC), one float64 column per fund named ``<ticker>_usd`` (e.g.
``ibit_usd``) and ``total_usd``, the net flow of all funds. Positive is an inflow. Farside's
published tables are in US$ millions; ``feeds.csv_import`` converts them to dollars on import,
so every number here is in dollars.

A day may hold only ``total_usd`` (fund columns NaN: unknown) when it came from a total-only
table (Farside's "All Data" export). Readers that need a total per day (the analogs, the
calibration) read ``total_usd``, which every day has.

Writes merge by day (``feeds._etf_merge``: the new table wins a day, but a total-only day
never overwrites a per-fund one; ``replace`` drops the stored days of the new table's span
first), hold the store's lock and replace the file atomically, as the candle store does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from feeds._etf_merge import TOTAL_COLUMN, merge_flows
from feeds._files import read_parquet, write_parquet_atomic, writer_lock
from feeds.etf_tickers import funds_by_asset
from feeds.listing import flow_summary, write_summary
from feeds.store import MergeResult
from flowimpact.errors import DataFormatError, DataUnavailableError, InputError

_LOCK_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True, kw_only=True)
class EtfMergeResult(MergeResult):
    """What one ``write_etf_flows`` did (counts in days), with the total-only days."""

    kept_fund_days: int = 0  # total-only days of the new table under stored per-fund days
    total_mismatch_days: tuple[pd.Timestamp, ...] = ()  # of those, days with another total
    total_only_days: tuple[pd.Timestamp, ...] = ()  # days of the stored table with only a total


@dataclass(frozen=True, kw_only=True)
class EtfFlowEntry:
    """One stored flow table, as ``flowimpact data list`` shows it."""

    asset: str
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    rows: int
    funds: int
    cumulative_usd: float
    total_only_days: tuple[pd.Timestamp, ...] = ()
    foreign_funds: tuple[str, ...] = ()  # fund columns of another asset (merged by mistake)


def etf_flows_path(root: Path, asset: str) -> Path:
    """Where the flow table of ``asset`` (e.g. ``"BTC"``) lives."""
    if not asset.isalnum():
        raise InputError(f"asset {asset!r} must be letters and digits, e.g. BTC")
    return Path(root) / "etf_flows" / f"{asset.upper()}.parquet"


def write_etf_flows(
    root: Path, asset: str, frame: pd.DataFrame, *, replace: bool = False
) -> EtfMergeResult:
    """Merge a flow table (UTC-day index, ``*_usd`` columns incl. ``total_usd``) into the store.

    ``replace``: the table's days replace every stored day of its span (first to last day).
    """
    incoming = _normalized(frame)
    path = etf_flows_path(root, asset)
    with writer_lock(Path(root), _LOCK_TIMEOUT_SECONDS):
        stored = _read(path) if path.exists() else incoming.iloc[:0]
        merge = merge_flows(stored, incoming, replace=replace)
        if merge.added or merge.replaced or merge.removed or not path.exists() or (
            list(merge.merged.columns) != list(stored.columns)
        ):
            write_parquet_atomic(merge.merged, path, {"asset": asset.upper(), "units": "USD"})
            write_summary(path, flow_summary(flow_entry(path)))  # data list's (feeds.listing)
    return EtfMergeResult(
        path=path,
        rows_before=len(stored),
        rows_added=merge.added,
        rows_replaced=merge.replaced,
        rows_after=len(merge.merged),
        rows_removed=merge.removed,
        kept_fund_days=merge.kept_fund_days,
        total_mismatch_days=merge.total_mismatch_days,
        total_only_days=merge.total_only_days,
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
    return [flow_entry(path) for path in sorted((Path(root) / "etf_flows").glob("*.parquet"))]


def flow_entry(path: Path) -> EtfFlowEntry:
    """The stored flow table at ``path``, read whole (``flowimpact data list``'s row)."""
    frame = _read(path)
    funds = [c for c in frame.columns if c != TOTAL_COLUMN]
    total_only = frame[funds].isna().all(axis=1) if funds else frame[TOTAL_COLUMN].notna()
    foreign = [c for a, cols in funds_by_asset(funds).items() if a != path.stem for c in cols]
    return EtfFlowEntry(
        asset=path.stem,
        first=frame.index.min() if len(frame) else None,
        last=frame.index.max() if len(frame) else None,
        rows=len(frame),
        funds=len(funds),
        cumulative_usd=float(frame[TOTAL_COLUMN].sum()),
        total_only_days=tuple(frame.index[total_only.to_numpy()]),
        foreign_funds=tuple(c for c in funds if c in foreign),
    )


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
    "EtfMergeResult",
    "etf_flow_entries",
    "etf_flows_path",
    "flow_entry",
    "read_etf_flows",
    "read_stored_etf_flows",
    "write_etf_flows",
]
