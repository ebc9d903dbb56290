"""From scenarios to engine arrays: each scenario's flow schedule, sleeve and key days.

Schedules come from ``backtest.study.schedules``: one per distinct inflow, shared by the scenarios
that differ only in their impact model. The ``[flows]`` tables (``backtest.study.flow_tables``)
are added to every scenario's direct flows, so the engine sees 401(k) + table flows;
``flow_sources`` says, per scenario and asset, which of them a scenario carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtest.sim.baseline import BaselinePaths
from backtest.sim.engine import SleeveArrays
from backtest.study.config import Scenario
from backtest.study.flow_tables import ExtraFlows, flow_source
from backtest.study.schedules import build_schedules, inflow_label
from flowimpact.errors import ConfigError
from strategies.inflow import FlowSchedule


@dataclass(frozen=True, eq=False)
class ScenarioInputs:
    """Engine and evaluation inputs over ``days``; arrays are [scenario, day(, asset)]."""

    days: pd.DatetimeIndex
    by_inflow: dict[str, FlowSchedule]  # one schedule per distinct inflow (inflow_label)
    schedules: list[FlowSchedule]  # the schedule of each scenario, in scenario order
    direct_flow_usd: np.ndarray
    sleeve: SleeveArrays | None
    announcement_day: int
    first_flow_day: np.ndarray
    ramp_end_day: np.ndarray
    pay_day: np.ndarray
    extra_flows: ExtraFlows | None = None  # the [flows] tables, in direct_flow_usd too
    flow_sources: list[dict[str, str]] | None = None  # per scenario: asset -> "401(k) + ..."


def build(
    scenarios: Sequence[Scenario],
    baseline: BaselinePaths,
    daily_prices: Mapping[str, pd.DataFrame] | None = None,
    extra_flows: ExtraFlows | None = None,
) -> ScenarioInputs:
    """Schedules, sleeve arrays and key days for every scenario, on the baseline's days.

    ``daily_prices`` are needed only for a market-cap split between the assets;
    ``extra_flows`` (``[flows]``) are added to every scenario's direct flows.
    """
    days, assets = baseline.days, baseline.assets
    announcement = _single_announcement(scenarios)
    announcement_day = int(days.searchsorted(announcement))
    if announcement_day >= len(days) or days[announcement_day] != announcement:
        raise ConfigError(
            f"[inflow] announcement {announcement.date()} is outside the study window "
            f"{days[0].date()}..{days[-1].date()}; move [study] start or [paths] horizon_end"
        )
    by_inflow = build_schedules(scenarios, days, assets, daily_prices)
    schedules = [by_inflow[inflow_label(scenario)] for scenario in scenarios]
    # once per distinct schedule, not per scenario (scenarios share their inflow's schedule)
    sources = {label: flow_source(s, assets, extra_flows) for label, s in by_inflow.items()}

    direct = np.stack([s.net_flow_usd.reindex(columns=list(assets)).to_numpy() for s in schedules])
    if extra_flows is not None:
        direct = direct + extra_flows.total_usd.reindex(index=days, columns=list(assets)).fillna(
            0.0
        ).to_numpy()[None]
    pay_day = np.stack(
        [(s.flows_usd.xs("payroll", axis=1, level=1).to_numpy() > 0).any(axis=1) for s in schedules]
    )
    first_flow = np.array([_index(days, scn.inflow.first_flow_day) for scn in scenarios])
    ramp_end = np.array([_index(days, scn.inflow.ramp_end_day) for scn in scenarios])
    return ScenarioInputs(
        days=days,
        by_inflow=by_inflow,
        schedules=schedules,
        direct_flow_usd=np.ascontiguousarray(direct, dtype=np.float64),
        sleeve=_sleeve_arrays(schedules, days, assets),
        announcement_day=announcement_day,
        first_flow_day=first_flow,
        ramp_end_day=ramp_end,
        pay_day=pay_day,
        extra_flows=extra_flows,
        flow_sources=[sources[inflow_label(scenario)] for scenario in scenarios],
    )


def _single_announcement(scenarios: Sequence[Scenario]) -> pd.Timestamp:
    dates = {s.inflow.announcement_day for s in scenarios}
    if len(dates) != 1:
        raise ConfigError(
            "[inflow] announcement: one study has one announcement date; run a study per date"
        )
    return pd.Timestamp(dates.pop())


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
