"""From scenarios to engine arrays: each scenario's flow schedule, sleeve and key days.

Schedules come from ``backtest.study.schedules``: one per distinct inflow, shared by the scenarios
that differ only in their impact model. The ``[flows]`` tables (``backtest.study.flow_tables``)
are added to every scenario's direct flows, so the engine sees 401(k) + table flows;
``flow_sources`` says, per scenario and asset, which of them a scenario carries.

``ChunkFlows`` is what one chunk of scenarios hands the engine and the evaluation; the grid's
``ScenarioInputs.chunk_flows`` slices it from arrays built once, a sensitivity analysis builds
it per chunk (``backtest.study.sensitivity.samples``); both build the sleeve's arrays with
``sleeve_arrays``, the one builder.
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
from backtest.study.schedules import inflow_label, schedule_rows
from flowimpact.errors import ConfigError
from strategies.inflow import FlowSchedule
from strategies.inflow_batch import ScheduleBatch


@dataclass(frozen=True, eq=False)
class ChunkFlows:
    """One chunk's engine and evaluation inputs: arrays [scenario of the chunk, day(, asset)]."""

    direct_flow_usd: np.ndarray
    sleeve: SleeveArrays | None
    first_flow_day: np.ndarray
    ramp_end_day: np.ndarray
    pay_day: np.ndarray


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

    def chunk_flows(self, rows: slice | np.ndarray) -> ChunkFlows:
        """The scenarios at ``rows`` (grid order), as one chunk runs them."""
        sleeve = self.sleeve
        return ChunkFlows(
            direct_flow_usd=self.direct_flow_usd[rows],
            sleeve=None if sleeve is None else sleeve_rows(sleeve, rows),
            first_flow_day=self.first_flow_day[rows],
            ramp_end_day=self.ramp_end_day[rows],
            pay_day=self.pay_day[rows],
        )


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
    announcement_day = announcement_index([s.inflow.announcement_day for s in scenarios], days)
    batch, row_of = schedule_rows(scenarios, days, assets, daily_prices)
    by_inflow = {label: batch.schedule(row) for label, row in row_of.items()}
    rows = np.array([row_of[inflow_label(scenario)] for scenario in scenarios])
    schedules = [by_inflow[inflow_label(scenario)] for scenario in scenarios]
    # once per distinct schedule, not per scenario (scenarios share their inflow's schedule)
    sources = {label: flow_source(s, assets, extra_flows) for label, s in by_inflow.items()}

    # the engine's arrays, also once per distinct schedule, then one row per scenario
    labels = list(by_inflow)
    at = np.array([labels.index(inflow_label(scenario)) for scenario in scenarios], dtype=np.intp)
    direct = np.stack(
        [s.net_flow_usd.reindex(columns=list(assets)).to_numpy() for s in by_inflow.values()]
    )[at]
    if extra_flows is not None:
        direct = direct + extra_flows.total_usd.reindex(index=days, columns=list(assets)).fillna(
            0.0
        ).to_numpy()[None]
    pay_day = np.stack(
        [(s.flows_usd.xs("payroll", axis=1, level=1).to_numpy() > 0).any(axis=1)
         for s in by_inflow.values()]
    )[at]
    first_flow = np.array([_index(days, scn.inflow.first_flow_day) for scn in scenarios])
    ramp_end = np.array([_index(days, scn.inflow.ramp_end_day) for scn in scenarios])
    return ScenarioInputs(
        days=days,
        by_inflow=by_inflow,
        schedules=schedules,
        direct_flow_usd=np.ascontiguousarray(direct, dtype=np.float64),
        sleeve=sleeve_arrays(batch, rows),
        announcement_day=announcement_day,
        first_flow_day=first_flow,
        ramp_end_day=ramp_end,
        pay_day=pay_day,
        extra_flows=extra_flows,
        flow_sources=[sources[inflow_label(scenario)] for scenario in scenarios],
    )


def announcement_index(dates: Sequence[object], days: pd.DatetimeIndex) -> int:
    """Row of the one announcement day of ``dates`` in ``days``; ConfigError otherwise."""
    distinct = {pd.Timestamp(day) for day in dates}
    if len(distinct) != 1:
        raise ConfigError(
            "[inflow] announcement: one study has one announcement date; run a study per date"
        )
    announcement = distinct.pop()
    index = int(days.searchsorted(announcement))
    if index >= len(days) or days[index] != announcement:
        raise ConfigError(
            f"[inflow] announcement {announcement.date()} is outside the study window "
            f"{days[0].date()}..{days[-1].date()}; move [study] start or [paths] horizon_end"
        )
    return index


def _index(days: pd.DatetimeIndex, day: pd.Timestamp) -> int:
    """Row of ``day`` in ``days``, clipped to one past the end when it lies beyond the window."""
    return int(min(days.searchsorted(pd.Timestamp(day)), len(days)))


def sleeve_arrays(batch: ScheduleBatch, rows: np.ndarray) -> SleeveArrays | None:
    """The sleeve's engine arrays of the batch's ``rows`` (one per scenario); None without one.

    A scenario without a sleeve starts it one past the window, so the engine never trades it.
    """
    sleeve = batch.sleeve
    if sleeve is None or not sleeve.has_sleeve[rows].any():
        return None
    n_days = len(batch.days)
    start = np.minimum(batch.days.searchsorted(sleeve.start_day), n_days)
    return SleeveArrays(
        target_weight=sleeve.target_weight[rows],
        initial_fund_usd=np.zeros(len(rows)),  # the inflow model starts every fund empty
        contribution_usd=sleeve.contribution_usd[rows],
        rebalance_day=sleeve.rebalance_day[rows],
        drift_band=sleeve.drift_band[rows],
        start_day_index=np.where(sleeve.has_sleeve, start, n_days)[rows].astype(np.int64),
    )


def sleeve_rows(sleeve: SleeveArrays, rows: slice | np.ndarray) -> SleeveArrays:
    """The scenarios at ``rows`` of ``sleeve``."""
    return SleeveArrays(
        target_weight=sleeve.target_weight[rows],
        initial_fund_usd=sleeve.initial_fund_usd[rows],
        contribution_usd=sleeve.contribution_usd[rows],
        rebalance_day=sleeve.rebalance_day[rows],
        drift_band=sleeve.drift_band[rows],
        start_day_index=sleeve.start_day_index[rows],
    )
