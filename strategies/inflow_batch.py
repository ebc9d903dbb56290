"""Many inflow schedules at once: the model of ``strategies.inflow`` as NumPy over [schedule, day].

``schedule_flows`` builds one schedule with a few pandas calls (about 20 ms); a sensitivity
analysis needs tens of thousands. ``schedule_batch`` computes the same numbers for many
configs together: every schedule is laid on one common day grid (from the earliest first
flow day to the last study day), days before a schedule's own first flow day hold exactly zero,
and the calendars (pay dates, settlement days, rebalance days) are computed once per distinct
calendar instead of once per schedule. The formulas are those of the ``strategies.inflow``
docstring, applied in the same order, so every number matches ``schedule_flows`` (tested to
1e-9 relative); ``schedule_flows`` stays the readable reference.

Memory is bounded: configs are processed in blocks of ``rows_per_block`` schedules, each needing
about a dozen float64 arrays of [block, grid days].
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from flowimpact.units import MEAN_CALENDAR_YEAR_DAYS
from strategies.calendar import (
    PAY_PERIODS_PER_YEAR,
    next_settlement_day,
    pay_dates,
    rebalance_days,
    utc_day,
)
from strategies.inflow import _checked_days, asset_weights, ramp_fraction
from strategies.inflow_config import InflowConfig
from strategies.inflow_schedule import COMPONENTS, FlowSchedule, SleeveSpec

FloatArray = npt.NDArray[np.float64]
#: which schedules: a slice, or row numbers
Rows = slice | list[int] | npt.NDArray[np.int64]
ROWS_PER_BLOCK = 2048
ONE_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True, eq=False)
class SleeveBatch:
    """The balanced-fund sleeves of a batch (rows without a sleeve hold zeros and ``inf``).

    ``target_weight[schedule, asset]``, ``contribution_usd[schedule, day]`` (new money into the
    whole fund), ``rebalance_day[schedule, day]``, ``drift_band[schedule]``, ``start_day``
    (one UTC day per schedule, possibly past the window) and ``has_sleeve[schedule]``.
    """

    has_sleeve: npt.NDArray[np.bool_]
    target_weight: FloatArray
    contribution_usd: FloatArray
    rebalance_day: npt.NDArray[np.bool_]
    drift_band: FloatArray
    start_day: pd.DatetimeIndex


@dataclass(frozen=True, eq=False)
class ScheduleBatch:
    """The schedules of many configs over one daily UTC calendar ``days``.

    ``totals_usd[schedule, day, component]``: each component (``COMPONENTS``) for all assets
    together, settled, in USD, before the split and the sleeve share; ``weights[schedule,
    asset]`` the split; ``direct_share[schedule]`` = 1 − sleeve_share.
    """

    days: pd.DatetimeIndex
    assets: tuple[str, ...]
    totals_usd: FloatArray
    weights: FloatArray
    direct_share: FloatArray
    sleeve: SleeveBatch | None

    def __len__(self) -> int:
        return self.totals_usd.shape[0]

    def direct_flows_usd(self, rows: Rows = slice(None)) -> FloatArray:
        """Direct flows ``[schedule, day, asset, component]`` in USD (the sleeve's excluded)."""
        share = self.direct_share[rows][:, None, None, None]
        return share * self.totals_usd[rows][:, :, None, :] * self.weights[rows][:, None, :, None]

    def net_flow_usd(self, rows: Rows = slice(None)) -> FloatArray:
        """Net direct flow ``[schedule, day, asset]`` in USD (what the engine takes)."""
        flows = self.direct_flows_usd(rows)
        return flows[..., 0] + flows[..., 1] + flows[..., 2]

    def pay_day(self, rows: Rows = slice(None)) -> npt.NDArray[np.bool_]:
        """``[schedule, day]``: a direct payroll flow reaches some asset that day."""
        payroll = COMPONENTS.index("payroll")
        return np.asarray((self.direct_flows_usd(rows)[..., payroll] > 0).any(axis=2))

    def schedule(self, row: int) -> FlowSchedule:
        """Row ``row`` as the ``FlowSchedule`` that ``schedule_flows`` gives for its config."""
        columns = pd.MultiIndex.from_product(
            [list(self.assets), list(COMPONENTS)], names=["asset", "component"]
        )
        values = self.direct_flows_usd([row])[0]
        flows = pd.DataFrame(values.reshape(len(self.days), -1), index=self.days, columns=columns)
        weights = {a: float(w) for a, w in zip(self.assets, self.weights[row], strict=True)}
        sleeve = None
        if self.sleeve is not None and self.sleeve.has_sleeve[row]:
            s = self.sleeve
            sleeve = SleeveSpec(
                target_weight={
                    a: float(w) for a, w in zip(self.assets, s.target_weight[row], strict=True)
                },
                initial_fund_usd=0.0,
                contribution_usd=pd.Series(
                    s.contribution_usd[row], index=self.days, name="contribution_usd"
                ),
                rebalance_day=pd.Series(s.rebalance_day[row], index=self.days, name="rebalance"),
                drift_band=float(s.drift_band[row]),
                start_day=s.start_day[row],
            )
        return FlowSchedule(flows_usd=flows, weights=weights, sleeve=sleeve)


def schedule_batch(
    configs: Sequence[InflowConfig],
    days: pd.DatetimeIndex,
    assets: Sequence[str],
    market_caps_usd: Sequence[Mapping[str, float] | None] | None = None,
    *,
    rows_per_block: int = ROWS_PER_BLOCK,
) -> ScheduleBatch:
    """The schedule of every config over ``days`` (every UTC calendar day of the study).

    ``market_caps_usd`` gives, per config, the caps a ``split = "market_cap"`` needs (None for
    the others). Row ``i`` equals ``schedule_flows(configs[i], days, assets, caps[i])``.
    """
    study_days = _checked_days(days)
    names = tuple(dict.fromkeys(assets))
    caps = list(market_caps_usd) if market_caps_usd is not None else [None] * len(configs)
    if len(caps) != len(configs):
        raise ValueError(f"{len(caps)} market-cap entries for {len(configs)} configs")
    weights = np.array(
        [
            [asset_weights(c, names, cap).get(a, 0.0) for a in names]
            for c, cap in zip(configs, caps, strict=True)
        ],
        dtype=np.float64,
    ).reshape(len(configs), len(names))
    totals = np.zeros((len(configs), len(study_days), len(COMPONENTS)))
    dates = _Dates()
    for start in range(0, len(configs), max(int(rows_per_block), 1)):
        block = configs[start : start + rows_per_block]
        totals[start : start + len(block)] = _component_totals(block, study_days, dates)
    direct_share = np.array([1.0 - c.sleeve_share for c in configs], dtype=np.float64)
    sleeve = _sleeves(configs, study_days, weights, totals) if configs else None
    return ScheduleBatch(
        days=study_days,
        assets=names,
        totals_usd=totals,
        weights=weights,
        direct_share=direct_share,
        sleeve=sleeve,
    )


def _component_totals(
    configs: Sequence[InflowConfig], days: pd.DatetimeIndex, dates: _Dates
) -> FloatArray:
    """``[schedule, day, component]``: ``strategies.inflow._component_totals`` for many configs."""
    out = np.zeros((len(configs), len(days), len(COMPONENTS)))
    if not configs:
        return out
    last = days[-1]
    t0 = pd.DatetimeIndex([dates.first_flow(c) for c in configs])
    active = np.flatnonzero(t0 <= last)
    if active.size == 0:
        return out
    chosen = [configs[int(i)] for i in active]
    t0 = t0[active]
    g0 = t0.min()
    grid = pd.date_range(g0, last, freq="D")
    n = len(grid)
    offset = np.asarray((t0 - g0).days, dtype=np.int64)  # grid index of each first flow day
    since_t0 = np.arange(n)[None, :] - offset[:, None]  # [schedule, grid day]
    started = since_t0 >= 0
    ramp_days = np.array([(dates.ramp_end(c) - dates.first_flow(c)).days for c in chosen])

    adopted = np.zeros(since_t0.shape)
    for (shape, steepness), rows in _groups(chosen, lambda c: (c.ramp_shape, c.ramp_steepness)):
        steps = since_t0[rows] + 1
        ramp = ramp_days[rows][:, None]
        elapsed = np.where(ramp > 0, steps / np.where(ramp > 0, ramp, 1), 1.0)
        adopted[rows] = ramp_fraction(elapsed, shape, steepness)
    adopted = np.where(started, adopted, 0.0)

    column = _Columns(chosen)
    # (1 + g) ** years depends on the row only through g and the plan date: one power per
    # distinct pair, the same numbers as the per-config model computes
    plan_growth = np.empty(since_t0.shape)
    contribution_growth = np.empty(since_t0.shape)
    for (day, g, cg), rows in _groups(
        chosen,
        lambda c: (c.plan_assets_date, c.asset_growth_per_year, c.contribution_growth_per_year),
    ):
        years = ((g0 - dates.day(day)).days + np.arange(n)) / MEAN_CALENDAR_YEAR_DAYS
        plan_growth[rows] = (1.0 + g) ** years
        contribution_growth[rows] = (1.0 + cg) ** years
    plan_assets = column("plan_assets_usd") * plan_growth
    newly_adopted = np.diff(adopted, axis=1, prepend=0.0)
    realloc = column("allocation") * column("reallocation_share") * plan_assets * newly_adopted

    payroll = np.zeros(since_t0.shape)
    annual = np.array([c.annual_contributions_usd for c in chosen])[:, None]
    for (calendar, anchor), rows in _groups(
        chosen, lambda c: (c.payroll_calendar, c.payroll_anchor)
    ):
        paid = np.asarray((pay_dates(calendar, g0, last, anchor=anchor) - g0).days)
        contributions = annual[rows] * contribution_growth[rows][:, paid]
        per_period = contributions / PAY_PERIODS_PER_YEAR[calendar]
        value = column("allocation")[rows] * adopted[rows][:, paid] * per_period
        payroll[rows[:, None], paid[None, :]] = np.where(started[rows][:, paid], value, 0.0)

    withdrawal = np.zeros(since_t0.shape)
    # imported here: scipy.signal costs ~0.8 s, and loading a study needs none of it
    from scipy.signal import lfilter

    for rule, rule_rows in _groups(chosen, lambda c: c.settlement):
        settle = _Settlement(grid, g0, rule)
        realloc[rule_rows] = settle(realloc[rule_rows])
        payroll[rule_rows] = settle(payroll[rule_rows])
        rates = [chosen[i].withdrawal_rate_per_year for i in rule_rows]
        for rate, sub in _groups_of(rates):
            rows = rule_rows[sub]
            daily_rate = 1.0 - (1.0 - rate) ** (1.0 / MEAN_CALENDAR_YEAR_DAYS)
            holdings = lfilter([1.0], [1.0, -(1.0 - daily_rate)], realloc[rows] + payroll[rows])
            shifted = np.zeros_like(holdings)
            shifted[:, 1:] = holdings[:, :-1]
            withdrawal[rows] = settle(-daily_rate * shifted)

    # grid day k is days[k + first]; grid days before the first study day fall outside
    first = (g0 - days[0]).days
    source, target = max(-first, 0), max(first, 0)
    for index, values in enumerate((realloc, payroll, withdrawal)):
        out[active, target:, index] = values[:, source:]
    return out


class _Settlement:
    """Moves amounts to their settlement day on one grid (``strategies.inflow._settle``).

    Settlement days never come early and keep their order, so each settlement day collects a
    contiguous run of grid days: one ``add.reduceat`` over those runs, left to right, gives
    the sums ``np.bincount`` gives in the per-config model. Amounts settling past the grid are
    dropped.
    """

    def __init__(self, grid: pd.DatetimeIndex, g0: pd.Timestamp, rule: str) -> None:
        settle_at = np.asarray((next_settlement_day(grid, rule=rule) - g0).days, dtype=np.int64)
        self.n = len(grid)
        self.inside = int(np.searchsorted(settle_at, self.n))  # sources settling on the grid
        kept = settle_at[: self.inside]
        self.run_start = np.flatnonzero(np.r_[True, kept[1:] != kept[:-1]]) if kept.size else kept
        self.target = kept[self.run_start] if kept.size else kept

    def __call__(self, accrued: FloatArray) -> FloatArray:
        settled = np.zeros_like(accrued)
        if self.inside:
            sums = np.add.reduceat(accrued[:, : self.inside], self.run_start, axis=1)
            settled[:, self.target] = sums
        return settled


def _sleeves(
    configs: Sequence[InflowConfig],
    days: pd.DatetimeIndex,
    weights: FloatArray,
    totals: FloatArray,
) -> SleeveBatch | None:
    has = np.array([c.has_sleeve for c in configs])
    if not has.any():
        return None
    n_rows, n_days = len(configs), len(days)
    column = _Columns(configs)
    share, crypto_weight = column("sleeve_share"), column("sleeve_crypto_weight")
    net_crypto = totals[..., 0] + totals[..., 1] + totals[..., 2]
    contribution = np.where(has[:, None], share * net_crypto / crypto_weight, 0.0)
    dates = _Dates()
    start = pd.DatetimeIndex(
        [dates.sleeve_start(c) if c.has_sleeve else days[-1] + ONE_DAY for c in configs]
    )
    start_index = days.searchsorted(start)  # first study day on or after the sleeve's start
    rebalance = np.zeros((n_rows, n_days), dtype=bool)
    sleeved = np.flatnonzero(has)
    by_calendar = _groups(
        [configs[int(i)] for i in sleeved], lambda c: (c.sleeve_rebalance, c.settlement)
    )
    for (schedule, rule), rows in by_calendar:
        calendar = np.asarray(days.isin(rebalance_days(schedule, days[0], days[-1], rule=rule)))
        chosen = sleeved[rows]
        after_start = np.arange(n_days)[None, :] >= start_index[chosen][:, None]
        rebalance[chosen] = calendar[None, :] & after_start
    return SleeveBatch(
        has_sleeve=has,
        target_weight=np.where(has[:, None], crypto_weight * weights, 0.0),
        contribution_usd=contribution,
        rebalance_day=rebalance,
        drift_band=np.where(has, column("sleeve_drift_band")[:, 0], np.inf),
        start_day=start,
    )


class _Columns:
    """A numeric field of every config as a ``[schedule, 1]`` column (computed once)."""

    def __init__(self, configs: Sequence[InflowConfig]) -> None:
        self.configs = configs
        self.cache: dict[str, FloatArray] = {}

    def __call__(self, name: str) -> FloatArray:
        if name not in self.cache:
            values = [float(getattr(c, name)) for c in self.configs]
            self.cache[name] = np.array(values, dtype=np.float64)[:, None]
        return self.cache[name]


class _Dates:
    """First flow and ramp end days, computed once per (announcement, lag, ramp)."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, int], pd.Timestamp] = {}
        self.end: dict[tuple[str, int, int], pd.Timestamp] = {}
        self.start: dict[tuple[str, int, str], pd.Timestamp] = {}
        self.days: dict[str, pd.Timestamp] = {}

    def day(self, text: str) -> pd.Timestamp:
        if text not in self.days:
            self.days[text] = utc_day(text)
        return self.days[text]

    def first_flow(self, config: InflowConfig) -> pd.Timestamp:
        key = (config.announcement, config.lag_months)
        if key not in self.first:
            self.first[key] = config.first_flow_day
        return self.first[key]

    def sleeve_start(self, config: InflowConfig) -> pd.Timestamp:
        key = (config.announcement, config.lag_months, config.settlement)
        if key not in self.start:
            first = self.first_flow(config)
            self.start[key] = next_settlement_day([first], rule=config.settlement)[0]
        return self.start[key]

    def ramp_end(self, config: InflowConfig) -> pd.Timestamp:
        key = (config.announcement, config.lag_months, config.ramp_months)
        if key not in self.end:
            self.end[key] = config.ramp_end_day
        return self.end[key]


def _groups(
    configs: Sequence[InflowConfig], key: Callable[[InflowConfig], Hashable]
) -> list[tuple[Any, npt.NDArray[np.int64]]]:
    """Rows of ``configs`` grouped by ``key(config)``, in order of first appearance."""
    return _groups_of([key(c) for c in configs])


def _groups_of(keys: Sequence[Hashable]) -> list[tuple[Any, npt.NDArray[np.int64]]]:
    rows: dict[Hashable, list[int]] = {}
    for index, value in enumerate(keys):
        rows.setdefault(value, []).append(index)
    return [(value, np.array(found, dtype=np.int64)) for value, found in rows.items()]


__all__ = ["ScheduleBatch", "SleeveBatch", "schedule_batch"]
