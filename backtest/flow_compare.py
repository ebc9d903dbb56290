"""The US spot-ETF net flows beside the 401(k) scenarios' flows, both counted from day 0.

Day 0 of the ETFs is the first day of their flow table with a non-zero total (the launch:
BTC 2024-01-11, ETH 2024-07-23 in the Farside tables); day 0 of a scenario is its first day
with a non-zero net flow. Cumulative flows are sums of daily USD net flows over UTC calendar
days from day 0 (days without a row count as zero). The table answers "how many days of this
scenario equal the ETFs' first year": ``etf_year1_usd`` is the ETFs' cumulative over their
first ``horizon_days`` days (days 0 .. horizon-1, 365 by default) and
``days_to_match_etf_year1`` the first day (since the scenario's day 0) on which the scenario's
cumulative reaches it, NaN if it never does within the scenario's schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowimpact.errors import InputError

TOTAL_COLUMN = "total_usd"
YEAR_DAYS = 365


@dataclass(frozen=True)
class FlowComparison:
    """``cumulative``: long frame (series, kind, scenario_id, asset, days_since_start, date,
    cumulative_usd) for the chart. ``table``: one row per scenario (× asset) × ETF asset."""

    cumulative: pd.DataFrame
    table: pd.DataFrame
    horizon_days: int


def compare_flows(
    etf_flows: Mapping[str, pd.DataFrame],
    scenario_flows: pd.DataFrame,
    *,
    horizon_days: int = YEAR_DAYS,
) -> FlowComparison:
    """Cumulative ETF and scenario flows by days since their start, and the matching table.

    ``scenario_flows``: UTC-day index, USD per day, one column per scenario id or a
    (scenario, asset) MultiIndex. A scenario column with an asset is compared with that
    asset's ETFs only; a column without one with every ETF asset.
    """
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or horizon_days < 1:
        raise InputError(f"flow comparison: horizon_days {horizon_days!r} must be >= 1")
    etf = {asset: _etf_daily(frame, asset) for asset, frame in etf_flows.items()}
    scenarios, labels = _scenario_daily(scenario_flows)
    etf_cum = {asset: series.cumsum() for asset, series in etf.items()}
    cumulative = pd.concat(
        [_etf_long(asset, series) for asset, series in etf_cum.items()]
        + [_scenario_long(scenarios, labels)],
        ignore_index=True,
    )
    table = _table(etf_cum, scenarios, labels, horizon_days)
    return FlowComparison(cumulative=cumulative, table=table, horizon_days=horizon_days)


def _etf_daily(frame: pd.DataFrame, asset: str) -> pd.Series:
    """Daily total from the launch (first non-zero day) to the last row, gaps as zero."""
    if TOTAL_COLUMN not in frame.columns:
        raise InputError(f"flow comparison: the {asset} ETF-flow table has no {TOTAL_COLUMN}")
    total = frame[TOTAL_COLUMN].astype("float64")
    total.index = _utc_days(total.index, f"{asset} ETF flows")
    nonzero = total[total != 0]
    if nonzero.empty:
        raise InputError(f"flow comparison: the {asset} ETF-flow table has no non-zero day")
    days = pd.date_range(nonzero.index[0], total.index[-1], freq="D")
    return total.groupby(level=0).sum().reindex(days, fill_value=0.0)


def _scenario_daily(flows: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Flows as [day, column] on a gapless UTC-day calendar, and a label row per column."""
    if flows.empty or flows.shape[1] == 0:
        raise InputError("flow comparison: the scenario flow table is empty")
    index = _utc_days(flows.index, "scenario flows")
    frame = flows.set_axis(index).groupby(level=0).sum()
    days = pd.date_range(index.min(), index.max(), freq="D")
    values = frame.reindex(days, fill_value=0.0).to_numpy(dtype=np.float64)
    if isinstance(flows.columns, pd.MultiIndex):
        scenario_ids = [str(c[0]) for c in flows.columns]
        assets = [str(c[1]) for c in flows.columns]
    else:
        scenario_ids = [str(c) for c in flows.columns]
        assets = [None] * len(scenario_ids)
    nonzero = values != 0
    has_flow = nonzero.any(axis=0)
    start = np.where(has_flow, nonzero.argmax(axis=0), len(days))
    labels = pd.DataFrame(
        {
            "scenario_id": scenario_ids,
            "asset": assets,
            "start": [days[s] if s < len(days) else pd.NaT for s in start],
            "start_pos": start,
        }
    )
    labels.attrs["days"] = days
    return values, labels


def _utc_days(index: pd.Index, what: str) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        raise InputError(f"flow comparison: {what} need a UTC-day DatetimeIndex")
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return index.normalize()


def _etf_long(asset: str, cumulative: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series": f"{asset} spot ETFs",
            "kind": "etf",
            "scenario_id": "",
            "asset": asset,
            "days_since_start": np.arange(len(cumulative)),
            "date": cumulative.index,
            "cumulative_usd": cumulative.to_numpy(),
        }
    )


def _scenario_long(values: np.ndarray, labels: pd.DataFrame) -> pd.DataFrame:
    days = labels.attrs["days"]
    cumulative = values.cumsum(axis=0)  # zeros before a column's start keep this exact
    since = np.arange(len(days))[:, None] - labels["start_pos"].to_numpy()[None, :]
    keep = since >= 0
    day_idx, col_idx = np.nonzero(keep)
    names = np.array(
        [
            f"{s} {a}" if a is not None else s
            for s, a in zip(labels["scenario_id"], labels["asset"], strict=True)
        ]
    )
    return pd.DataFrame(
        {
            "series": names[col_idx],
            "kind": "scenario",
            "scenario_id": labels["scenario_id"].to_numpy()[col_idx],
            "asset": labels["asset"].to_numpy()[col_idx],
            "days_since_start": since[day_idx, col_idx],
            "date": days[day_idx],
            "cumulative_usd": cumulative[day_idx, col_idx],
        }
    )


def _table(
    etf_cum: Mapping[str, pd.Series],
    values: np.ndarray,
    labels: pd.DataFrame,
    horizon: int,
) -> pd.DataFrame:
    n_days = values.shape[0]
    start = labels["start_pos"].to_numpy()
    # cumulative since each column's start, on a day-since-start axis (NaN past its data)
    since = np.arange(n_days)[:, None] + start[None, :]
    inside = since < n_days
    cumulative = np.where(inside, values.cumsum(axis=0)[np.minimum(since, n_days - 1), np.arange(
        values.shape[1]
    )[None, :]], np.nan)
    scen_year1 = cumulative[horizon - 1] if horizon <= n_days else np.full(len(start), np.nan)
    rows = []
    for etf_asset, series in etf_cum.items():
        etf_year1 = float(series.iloc[horizon - 1]) if len(series) >= horizon else np.nan
        reached = cumulative >= etf_year1 if np.isfinite(etf_year1) else np.zeros_like(inside)
        first = np.where(reached.any(axis=0), reached.argmax(axis=0), -1)
        for col, label in labels.iterrows():
            if label["asset"] is not None and label["asset"] != etf_asset:
                continue
            rows.append(
                {
                    "scenario_id": label["scenario_id"],
                    "asset": label["asset"] if label["asset"] is not None else "",
                    "etf_asset": etf_asset,
                    "etf_launch": series.index[0].strftime("%Y-%m-%d"),
                    "etf_year1_usd": etf_year1,
                    "etf_to_date_usd": float(series.iloc[-1]),
                    "etf_days_covered": len(series),
                    "scenario_start": _day(label["start"]),
                    "scenario_year1_usd": float(scen_year1[col]),
                    "scenario_year1_to_etf_year1": float(scen_year1[col]) / etf_year1,
                    "days_to_match_etf_year1": float(first[col]) if first[col] >= 0 else np.nan,
                }
            )
    return pd.DataFrame(rows)


def _day(value: pd.Timestamp) -> str:
    return "" if pd.isna(value) else value.strftime("%Y-%m-%d")


__all__ = ["YEAR_DAYS", "FlowComparison", "compare_flows"]
