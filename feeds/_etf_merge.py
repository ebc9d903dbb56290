"""Merging two ETF-flow tables day by day: per-fund days, total-only days, and replace.

A day of a table is either per-fund (fund columns and the total; a fund absent from that table
had no flow that day: 0.0, Farside's convention) or total-only (only ``total_usd`` is known,
the fund columns are NaN: unknown, not zero). The rules:

- a day only one table has is taken from it;
- a day both have is taken from the new table (newer source wins), except that a total-only
  day never overwrites a stored per-fund day: the per-fund figures stay, and a total that
  differs by more than US$1M (Farside's rounding of each fund to 0.1M) is counted;
- ``replace``: the stored days of the new table's span are all dropped first, and fund columns
  left with no non-zero value that the new table does not have are removed (the repair for a
  table another asset's funds were merged into).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TOTAL_COLUMN = "total_usd"
_TOTAL_TOLERANCE_USD = 1e6


@dataclass(frozen=True, kw_only=True)
class FlowMerge:
    """The merged table and what the merge did (days)."""

    merged: pd.DataFrame
    added: int
    replaced: int  # days both had whose values changed
    removed: int  # replace: stored days of the span the new table lacks
    kept_fund_days: int  # total-only days of the new table under stored per-fund days
    total_mismatch_days: tuple[pd.Timestamp, ...]  # of those, days with another total
    total_only_days: tuple[pd.Timestamp, ...]  # days of the merged table with only a total


def merge_flows(stored: pd.DataFrame, incoming: pd.DataFrame, *, replace: bool) -> FlowMerge:
    """``incoming`` merged into ``stored`` (both UTC-day indexed, ``*_usd`` columns)."""
    removed = stored.index[:0]
    if replace and len(incoming):
        in_span = (stored.index >= incoming.index[0]) & (stored.index <= incoming.index[-1])
        removed = stored.index[in_span].difference(incoming.index)
    funds = [c for c in stored.columns if c != TOTAL_COLUMN]
    funds += [c for c in incoming.columns if c != TOTAL_COLUMN and c not in funds]
    columns = [*funds, TOTAL_COLUMN]
    old = _filled(stored.drop(index=removed).reindex(columns=columns), funds)
    new = _filled(incoming.reindex(columns=columns), funds)
    overlap = old.index.intersection(new.index)
    keep = overlap[
        (_total_only(new.loc[overlap], funds) & ~_total_only(old.loc[overlap], funds)).to_numpy()
    ] if not replace else overlap[:0]
    mismatch = keep[
        (np.abs(old.loc[keep, TOTAL_COLUMN] - new.loc[keep, TOTAL_COLUMN])
         > _TOTAL_TOLERANCE_USD).to_numpy()
    ]
    taken = overlap.difference(keep)
    a, b = old.loc[taken].to_numpy(), new.loc[taken].to_numpy()
    changed = ~((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=1)
    merged = pd.concat([old.drop(index=taken), new.drop(index=keep)]).sort_index()
    if replace:
        empty = [c for c in funds if c not in incoming.columns
                 and not (merged[c].fillna(0.0) != 0).any()]
        merged = merged.drop(columns=empty)
        funds = [c for c in funds if c not in empty]
    return FlowMerge(
        merged=merged,
        added=len(new) - len(overlap),
        replaced=int(changed.sum()),
        removed=len(removed),
        kept_fund_days=len(keep),
        total_mismatch_days=tuple(mismatch),
        total_only_days=tuple(merged.index[_total_only(merged, funds).to_numpy()]),
    )


def _total_only(frame: pd.DataFrame, funds: list[str]) -> pd.Series:
    """Per day: no fund figure at all (a total-only table's day)."""
    if not funds:
        return pd.Series(True, index=frame.index)
    return frame[funds].isna().all(axis=1)


def _filled(frame: pd.DataFrame, funds: list[str]) -> pd.DataFrame:
    """Per-fund days get 0.0 for the funds their table lacks; total-only days stay NaN."""
    if not funds:
        return frame
    per_fund = ~_total_only(frame, funds)
    out = frame.copy()
    out.loc[per_fund, funds] = out.loc[per_fund, funds].fillna(0.0)
    return out


__all__ = ["FlowMerge", "merge_flows"]
