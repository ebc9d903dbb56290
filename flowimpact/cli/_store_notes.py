"""What ``flowimpact data list`` says below its tables: bad rows stored and how to repair them.

Bad rows get there through an older version or another tool writing the store (this version
refuses them at import). Each is named with the command that repairs it: ``flowimpact data
drop`` for candles (then ``flowimpact import --replace`` of the right file), ``flowimpact
import --replace`` for an ETF-flow table another asset's funds were merged into.
"""

from __future__ import annotations

import shlex
from datetime import datetime, time

from feeds.etf_tickers import funds_by_asset
from feeds.listing import FlowListing, SeriesListing, when


def store_notes(entries: list[SeriesListing], flows: list[FlowListing]) -> list[str]:
    """Lines naming bad rows (with their repair) and total-only ETF days; none when clean."""
    bad = [line for entry in entries for line in _candle_lines(entry)]
    bad += [_foreign_line(entry) for entry in flows if entry.foreign_funds]
    notes = [
        f"  {entry.asset} ETF flows: {len(entry.total_only_days)} day(s) have only a total "
        f"({when(entry.total_only_days[0])} .. {when(entry.total_only_days[-1])})"
        for entry in flows if entry.total_only_days
    ]
    lines = []
    if bad:
        lines += ["", "bad rows stored (written by an older version or another tool):", *bad]
    if notes:
        lines += ["", "notes:", *notes]
    return lines


def _candle_lines(entry: SeriesListing) -> list[str]:
    series = f"{entry.exchange} {entry.symbol} {entry.timeframe}"
    lines = []
    for finding in entry.findings:
        drop = (
            f"flowimpact data drop --exchange {entry.exchange} --symbol {entry.symbol} "
            f"--timeframe {entry.timeframe} "
            f"--since {_bound(finding.first, entry.timeframe_seconds)} "
            f"--until {_bound(finding.last, entry.timeframe_seconds)}"
        )
        lines.append(
            f"  {series}: {finding.text}; repair: drop them with `{drop}`, then re-import the "
            "right file with `flowimpact import --replace FILE`"
        )
    return lines


def _foreign_line(entry: FlowListing) -> str:
    found = " and ".join(f"{asset} fund columns ({', '.join(columns)})"
                         for asset, columns in funds_by_asset(entry.foreign_funds).items())
    return (
        f"  {entry.asset} ETF flows: {found} in the {entry.asset} table; repair: re-import the "
        f"{entry.asset} table with `flowimpact import --replace --symbol {entry.asset} FILE`"
    )


def _bound(stamp: datetime, seconds: int) -> str:
    """A ``--since``/``--until`` value naming exactly ``stamp``'s candle.

    A bare day means the whole UTC day, so it is used only for daily or longer candles at
    midnight; anything else gets its time.
    """
    daily = seconds >= 86_400 and stamp.time() == time(0)
    text = stamp.strftime("%Y-%m-%d") if daily else stamp.strftime(
        "%Y-%m-%d %H:%M:%S" if stamp.second else "%Y-%m-%d %H:%M"
    )
    return shlex.quote(text)


__all__ = ["store_notes"]
