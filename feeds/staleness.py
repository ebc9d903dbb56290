"""The one staleness check: are the prices and the stored ETF tables older than allowed?

A report built on old data is still a valid study of the past, but a reader of a daily report
must not take it for today's. ``[data] stale_after_days`` (default 3, so a weekend does not
warn) says how old is too old, for the candles and for the ETF flow tables alike: a table
whose last day is more than that before ``now`` is stale. Every command that reads them
(``run``, ``hindcast``, ``sensitivity``, ``analogs``, ``calibrate``, the scheduler's update)
calls ``stale_warnings`` once; its lines go to the terminal (``flowimpact: warning:``), the
top of the command's report page, ``run.json``'s ``warnings``, and through it the archive's
row and the scheduler's run log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd


def newest_common_day(prices: Mapping[str, pd.DataFrame]) -> date:
    """The newest daily close every asset has: the day the study's history ends."""
    return min(frame.index[-1] for frame in prices.values()).date()


def price_warning(last: date, now: datetime, stale_after_days: int) -> str | None:
    """The warning for candles that end on ``last``, or None when they are fresh enough."""
    age_days = (now.astimezone(UTC).date() - last).days
    if age_days <= stale_after_days:
        return None
    return (
        f"the newest candle is from {last}, {age_days} days before this run (more than [data] "
        f"stale_after_days = {stale_after_days}); run `flowimpact fetch` or import newer CSV "
        "files"
    )


def etf_warnings(
    etf_flows: Mapping[str, pd.DataFrame], now: datetime, stale_after_days: int
) -> list[str]:
    """One warning per stored ETF flow table whose last day is older than allowed."""
    out = []
    today = now.astimezone(UTC).date()
    for asset, table in sorted(etf_flows.items()):
        if table.empty:
            continue
        last = pd.Timestamp(table.index.max()).date()
        age_days = (today - last).days
        if age_days > stale_after_days:
            out.append(
                f"the {asset} ETF flow table ends {last}, {age_days} days before this run (more "
                f"than [data] stale_after_days = {stale_after_days}); import a newer Farside "
                "table (`flowimpact import`)"
            )
    return out


def stale_warnings(
    data_dir: Path,
    prices: Mapping[str, pd.DataFrame],
    *,
    now: datetime,
    stale_after_days: int,
    etf_flows: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[str, ...]:
    """Every staleness warning of a command that read ``prices`` from ``data_dir``.

    ``etf_flows``: the ETF tables the command read, if it read them; else the stored tables of
    the price assets are read here (a command that does not use them still says that the data
    directory's tables are old, since its report sits beside those that do).
    """
    from feeds.etf_flows import read_stored_etf_flows

    warnings = []
    if prices:
        found = price_warning(newest_common_day(prices), now, stale_after_days)
        if found:
            warnings.append(found)
    tables = etf_flows if etf_flows is not None else read_stored_etf_flows(data_dir, prices)
    warnings.extend(etf_warnings(tables, now, stale_after_days))
    return tuple(warnings)


__all__ = ["etf_warnings", "newest_common_day", "price_warning", "stale_warnings"]
