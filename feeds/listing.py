"""What ``flowimpact data list`` shows of each stored file, kept beside it as JSON (stdlib only).

Every write of the candle store or the ETF-flow store leaves ``<file>.summary.json`` next to
the Parquet file it wrote (``1d.parquet`` → ``1d.summary.json``): the row ``data list`` prints
for it (span, rows, gaps, bad rows, total-only days) and the SHA-256 of the Parquet file it
describes. ``feeds.store_listing`` reads those, so the listing needs neither pandas nor pyarrow
(about two seconds of start-up). This module sits below the stores that write the summaries
and imports none of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

from flowimpact.atomic import atomic_write_text

_VERSION = 1
_SUFFIX = ".summary.json"


@dataclass(frozen=True, kw_only=True)
class FindingLine:
    """One kind of bad row stored: its sentence and the open times of its first and last."""

    text: str
    first: datetime
    last: datetime


@dataclass(frozen=True, kw_only=True)
class SeriesListing:
    """One stored candle series, as ``flowimpact data list`` shows it."""

    exchange: str
    symbol: str
    timeframe: str
    timeframe_seconds: int
    first: datetime | None
    last: datetime | None
    rows: int
    gaps: int
    missing_bars: int
    findings: tuple[FindingLine, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FlowListing:
    """One stored ETF-flow table, as ``flowimpact data list`` shows it."""

    asset: str
    first: datetime | None
    last: datetime | None
    rows: int
    funds: int
    cumulative_usd: float
    total_only_days: tuple[datetime, ...] = ()
    foreign_funds: tuple[str, ...] = ()


def summary_path(path: Path) -> Path:
    """The summary kept beside the Parquet file ``path``."""
    return path.with_name(path.stem + _SUFFIX)


def series_summary(entry: Any, timeframe_seconds: int) -> dict[str, Any]:
    """The JSON summary of a ``feeds.store.StoreEntry``."""
    return {
        "exchange": entry.exchange, "symbol": entry.symbol, "timeframe": entry.timeframe,
        "timeframe_seconds": timeframe_seconds, "first": _iso(entry.first),
        "last": _iso(entry.last), "rows": int(entry.rows), "gaps": int(entry.gaps),
        "missing_bars": int(entry.missing_bars),
        "findings": [{"text": str(f), "first": _iso(f.first), "last": _iso(f.last)}
                     for f in entry.findings],
    }  # fmt: skip


def flow_summary(entry: Any) -> dict[str, Any]:
    """The JSON summary of a ``feeds.etf_flows.EtfFlowEntry``."""
    return {
        "asset": entry.asset, "first": _iso(entry.first), "last": _iso(entry.last),
        "rows": int(entry.rows), "funds": int(entry.funds),
        "cumulative_usd": float(entry.cumulative_usd),
        "total_only_days": [_iso(day) for day in entry.total_only_days],
        "foreign_funds": list(entry.foreign_funds),
    }  # fmt: skip


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Keep ``summary`` beside the Parquet file ``path`` (just written), with its checksum."""
    record = {"version": _VERSION, "sha256": _sha256(path), **summary}
    atomic_write_text(summary_path(path), json.dumps(record, sort_keys=True) + "\n")


def remove_summary(path: Path) -> None:
    """The summary of a Parquet file that was deleted goes with it."""
    summary_path(path).unlink(missing_ok=True)


def read_summary(path: Path) -> dict[str, Any] | None:
    """The summary of ``path`` if there is one and it describes the file's present bytes."""
    try:
        record = json.loads(summary_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("version") != _VERSION:
        return None
    if record.get("sha256") != _sha256(path):
        return None
    return record


def when(stamp: datetime) -> str:
    """``2024-01-02`` for a midnight, else ``2024-01-02 13:37`` (seconds only when there are);
    as ``feeds.quality.when`` says it of a ``pd.Timestamp``."""
    if stamp.time() == time(0):
        return stamp.strftime("%Y-%m-%d")
    return stamp.strftime("%Y-%m-%d %H:%M:%S" if stamp.second else "%Y-%m-%d %H:%M")


def series_listing(record: dict[str, Any]) -> SeriesListing:
    """The ``data list`` row of a candle series from its summary record."""
    return SeriesListing(
        exchange=record["exchange"], symbol=record["symbol"], timeframe=record["timeframe"],
        timeframe_seconds=int(record["timeframe_seconds"]), first=_time(record["first"]),
        last=_time(record["last"]), rows=int(record["rows"]), gaps=int(record["gaps"]),
        missing_bars=int(record["missing_bars"]),
        findings=tuple(FindingLine(text=f["text"], first=_stamp(f["first"]),
                                   last=_stamp(f["last"])) for f in record["findings"]),
    )  # fmt: skip


def flow_listing(record: dict[str, Any]) -> FlowListing:
    """The ``data list`` row of an ETF-flow table from its summary record."""
    return FlowListing(
        asset=record["asset"], first=_time(record["first"]), last=_time(record["last"]),
        rows=int(record["rows"]), funds=int(record["funds"]),
        cumulative_usd=float(record["cumulative_usd"]),
        total_only_days=tuple(_stamp(day) for day in record["total_only_days"]),
        foreign_funds=tuple(record["foreign_funds"]),
    )  # fmt: skip


def _iso(stamp: Any) -> str | None:
    if stamp is None:
        return None
    if hasattr(stamp, "to_pydatetime"):  # pd.Timestamp (the stores keep microseconds)
        stamp = stamp.to_pydatetime()
    return str(stamp.isoformat())


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


__all__ = [
    "FindingLine",
    "FlowListing",
    "SeriesListing",
    "flow_listing",
    "flow_summary",
    "read_summary",
    "remove_summary",
    "series_listing",
    "series_summary",
    "summary_path",
    "when",
]
