"""From scenarios to engine arrays: each scenario's flow schedule, sleeve and key days.

Scenarios that share an inflow config (they differ only in the impact model) share one
schedule, computed once. Market caps at the announcement, needed for market-cap weights
between the assets, are the announcement day's close (the last real close if the
announcement lies past the data) × the impact config's circulating supply.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from backtest.engine import SleeveArrays
from backtest.paths import BaselinePaths
from backtest.study import Scenario
from flowimpact.errors import ConfigError
from strategies.inflow import FlowSchedule, schedule_flows


@dataclass(frozen=True, eq=False)
class ScenarioInputs:
    """Engine and evaluation inputs over ``days``; arrays are [scenario, day(, asset)]."""

    days: pd.DatetimeIndex
    schedules: list[FlowSchedule]
    direct_flow_usd: np.ndarray
    sleeve: SleeveArrays | None
    announcement_day: int
    first_flow_day: np.ndarray
    ramp_end_day: np.ndarray
    pay_day: np.ndarray


def build(scenarios: Sequence[Scenario], baseline: BaselinePaths) -> ScenarioInputs:
    """Schedules, sleeve arrays and key days for every scenario, on the baseline's days."""
    days, assets = baseline.days, baseline.assets
    announcement = _single_announcement(scenarios)
    announcement_day = int(days.searchsorted(announcement))
    if announcement_day >= len(days) or days[announcement_day] != announcement:
        raise ConfigError(
            f"[inflow] announcement {announcement.date()} is outside the study window "
            f"{days[0].date()}..{days[-1].date()}; move [study] start or [paths] horizon_end"
        )
    cache: dict[str, FlowSchedule] = {}
    schedules = []
    for scenario in scenarios:
        key = json.dumps(asdict(scenario.inflow), sort_keys=True, default=str)
        if key not in cache:
            caps = _market_caps_usd(baseline, announcement_day, scenario)
            cache[key] = schedule_flows(scenario.inflow, days, assets, caps)
        schedules.append(cache[key])

    direct = np.stack([s.net_flow_usd.reindex(columns=list(assets)).to_numpy() for s in schedules])
    pay_day = np.stack(
        [(s.flows_usd.xs("payroll", axis=1, level=1).to_numpy() > 0).any(axis=1) for s in schedules]
    )
    first_flow = np.array([_index(days, scn.inflow.first_flow_day) for scn in scenarios])
    ramp_end = np.array([_index(days, scn.inflow.ramp_end_day) for scn in scenarios])
    return ScenarioInputs(
        days=days,
        schedules=schedules,
        direct_flow_usd=np.ascontiguousarray(direct, dtype=np.float64),
        sleeve=_sleeve_arrays(schedules, days, assets),
        announcement_day=announcement_day,
        first_flow_day=first_flow,
        ramp_end_day=ramp_end,
        pay_day=pay_day,
    )


def _single_announcement(scenarios: Sequence[Scenario]) -> pd.Timestamp:
    dates = {s.inflow.announcement_day for s in scenarios}
    if len(dates) != 1:
        raise ConfigError(
            "[inflow] announcement: one study has one announcement date; run a study per date"
        )
    return pd.Timestamp(dates.pop())


def _market_caps_usd(
    baseline: BaselinePaths, announcement_day: int, scenario: Scenario
) -> dict[str, float]:
    day = min(announcement_day, int(baseline.is_history.sum()) - 1)
    close = baseline.close_usd[0, max(day, 0)]
    return {
        asset: float(close[i]) * scenario.impact.supply_coins(asset)
        for i, asset in enumerate(baseline.assets)
    }


def _index(days: pd.DatetimeIndex, day: pd.Timestamp) -> int:
    """Row of ``day`` in ``days``, clipped to one past the end when it lies beyond the window."""
    return int(min(days.searchsorted(pd.Timestamp(day)), len(days)))


def _sleeve_arrays(
    schedules: Sequence[FlowSchedule], days: pd.DatetimeIndex, assets: Sequence[str]
) -> SleeveArrays | None:
    if all(s.sleeve is None for s in schedules):
        return None
    n_scen, n_days = len(schedules), len(days)
    weight = np.zeros((n_scen, len(assets)))
    initial = np.zeros(n_scen)
    contribution = np.zeros((n_scen, n_days))
    rebalance = np.zeros((n_scen, n_days), dtype=bool)
    band = np.full(n_scen, np.inf)
    start = np.full(n_scen, n_days, dtype=np.int64)
    for i, schedule in enumerate(schedules):
        sleeve = schedule.sleeve
        if sleeve is None:
            continue
        weight[i] = [sleeve.target_weight.get(asset, 0.0) for asset in assets]
        initial[i] = sleeve.initial_fund_usd
        contribution[i] = sleeve.contribution_usd.reindex(days, fill_value=0.0).to_numpy()
        rebalance[i] = sleeve.rebalance_day.reindex(days, fill_value=False).to_numpy()
        band[i] = sleeve.drift_band
        start[i] = _index(days, sleeve.start_day)
    return SleeveArrays(
        target_weight=weight,
        initial_fund_usd=initial,
        contribution_usd=contribution,
        rebalance_day=rebalance,
        drift_band=band,
        start_day_index=start,
    )
