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

from feeds.etf_flows import TOTAL_COLUMN
from flowimpact.errors import InputError
from flowimpact.units import DAYS_PER_YEAR


@dataclass(frozen=True)
class FlowComparison:
    """``cumulative``: long frame (series, kind, scenario, asset, days_since_start, date,
    cumulative_usd) for the chart. ``table``: one row per scenario (× asset) × ETF asset."""

    cumulative: pd.DataFrame
    table: pd.DataFrame
    horizon_days: int


def compare_flows(
    etf_flows: Mapping[str, pd.DataFrame],
    scenario_flows: pd.DataFrame,
    *,
    horizon_days: int = DAYS_PER_YEAR,
) -> FlowComparison:
    """Cumulative ETF and scenario flows by days since their start, and the matching table.

    ``scenario_flows``: UTC-day index, USD per day, one column per scenario id or a
    (scenario, asset) MultiIndex. A scenario column with an asset is compared with that
    asset's ETFs only; a column without one with every ETF asset.
    """
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or horizon_days < 1:
        raise InputError(f"flow comparison: horizon_days {horizon_days!r} must be >= 1")
    etf = {asset: _etf_daily(frame, asset) for asset, frame in etf_flows.items()}
    scenarios = _scenario_daily(scenario_flows)
    etf_cum = {asset: series.cumsum() for asset, series in etf.items()}
    cumulative = pd.concat(
        [_etf_long(asset, series) for asset, series in etf_cum.items()]
        + [_scenario_long(scenarios)],
        ignore_index=True,
    )
    table = _table(etf_cum, scenarios, horizon_days)
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


@dataclass(frozen=True)
class _Scenarios:
    """Scenario flows as [day, column] on a gapless UTC-day calendar, with column labels."""

    values: np.ndarray
    days: pd.DatetimeIndex
    scenario_ids: np.ndarray
    assets: np.ndarray  # "" where a column has no asset
    start_pos: np.ndarray  # row of the first non-zero flow; len(days) if none

    def since_start(self) -> np.ndarray:
        """Cumulative USD by [day since start, column]; NaN past a column's data."""
        n_days = len(self.days)
        offset = np.arange(n_days)[:, None] + self.start_pos[None, :]
        rows = np.minimum(offset, n_days - 1)
        aligned = np.take_along_axis(self.values.cumsum(axis=0), rows, axis=0)
        return np.where(offset < n_days, aligned, np.nan)


def _scenario_daily(flows: pd.DataFrame) -> _Scenarios:
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
        assets = [""] * len(scenario_ids)
    nonzero = values != 0
    start = np.where(nonzero.any(axis=0), nonzero.argmax(axis=0), len(days))
    return _Scenarios(
        values=values,
        days=days,
        scenario_ids=np.array(scenario_ids, dtype=object),
        assets=np.array(assets, dtype=object),
        start_pos=start,
    )


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
            "scenario": "",
            "asset": asset,
            "days_since_start": np.arange(len(cumulative)),
            "date": cumulative.index,
            "cumulative_usd": cumulative.to_numpy(),
        }
    )


def _scenario_long(scenarios: _Scenarios) -> pd.DataFrame:
    since = np.arange(len(scenarios.days))[:, None] - scenarios.start_pos[None, :]
    day_idx, col_idx = np.nonzero(since >= 0)
    cumulative = scenarios.values.cumsum(axis=0)  # zeros before a column's start keep it exact
    names = np.where(
        scenarios.assets == "",
        scenarios.scenario_ids,
        scenarios.scenario_ids + " " + scenarios.assets,
    )
    return pd.DataFrame(
        {
            "series": names[col_idx],
            "kind": "scenario",
            "scenario": scenarios.scenario_ids[col_idx],
            "asset": scenarios.assets[col_idx],
            "days_since_start": since[day_idx, col_idx],
            "date": scenarios.days[day_idx],
            "cumulative_usd": cumulative[day_idx, col_idx],
        }
    )


def _table(etf_cum: Mapping[str, pd.Series], scenarios: _Scenarios, horizon: int) -> pd.DataFrame:
    cumulative = scenarios.since_start()
    year1 = cumulative[horizon - 1] if horizon <= len(scenarios.days) else np.nan
    year1 = np.broadcast_to(year1, scenarios.start_pos.shape)
    has_start = scenarios.start_pos < len(scenarios.days)
    starts = np.where(
        has_start,
        scenarios.days[np.minimum(scenarios.start_pos, len(scenarios.days) - 1)].strftime(
            "%Y-%m-%d"
        ),
        "",
    )
    parts = []
    for etf_asset, series in etf_cum.items():  # a couple of assets, not a loop per scenario
        etf_year1 = float(series.iloc[horizon - 1]) if len(series) >= horizon else np.nan
        with np.errstate(invalid="ignore"):
            reached = cumulative >= etf_year1
        days_to_match = np.where(reached.any(axis=0), reached.argmax(axis=0), np.nan)
        part = pd.DataFrame(
            {
                "scenario": scenarios.scenario_ids,
                "asset": scenarios.assets,
                "etf_asset": etf_asset,
                "etf_launch": series.index[0].strftime("%Y-%m-%d"),
                "etf_year1_usd": etf_year1,
                "etf_to_date_usd": float(series.iloc[-1]),
                "etf_days_covered": len(series),
                "scenario_start": starts,
                "scenario_year1_usd": year1,
                "scenario_year1_to_etf_year1": year1 / etf_year1,
                "days_to_match_etf_year1": days_to_match,
            }
        )
        parts.append(part[(scenarios.assets == "") | (scenarios.assets == etf_asset)])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


__all__ = ["FlowComparison", "compare_flows"]
