"""What the inflow model hands on: ``FlowSchedule`` (direct flows) and ``SleeveSpec`` (the fund).

Both are plain, frozen containers over the study's daily UTC calendar; ``strategies.inflow``
builds them and ``backtest`` consumes them. No model logic lives here, only accounting views
(net flow, summary, a CSV-ready table).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

COMPONENTS = ("reallocation", "payroll", "withdrawal")


@dataclass(frozen=True)
class SleeveSpec:
    """A balanced fund that holds crypto at a fixed weight; the engine computes its flows.

    The fund's crypto trades depend on the impacted price (it sells crypto after a rise and buys
    after a fall), so this spec only describes the fund and the money it receives:

    - ``target_weight[asset]``: the fund's target weight of each crypto asset (the sleeve's
      crypto weight times the asset split), a fraction of the whole fund.
    - ``initial_fund_usd``: the fund's value on ``start_day`` before that day's contribution,
      all of it non-crypto (the first rebalance buys crypto up to target). ``schedule_flows``
      gives 0: the sleeve is built from the allocation's own money.
    - ``contribution_usd``: new money into the whole fund each day (USD, negative for
      withdrawals); the engine buys ``target_weight[asset] * contribution_usd`` of each asset.
    - ``rebalance_day``: True on calendar rebalance days (last settlement day of a month or
      quarter, from ``start_day`` on); on those days the engine trades the fund back to target.
    - ``drift_band``: absolute drift of an asset's weight from target that also triggers a
      rebalance (``math.inf`` = calendar rebalances only).
    - ``start_day``: the first day the fund receives money.

    Semantics (assumptions): the fund's non-crypto holdings are flat apart from contributions
    and rebalancing trades (no return on them); the direct flows of ``FlowSchedule.flows_usd``
    EXCLUDE the sleeve's money, so direct flows + the sleeve's contribution purchases = the
    whole allocation (before the sleeve's price-driven rebalancing trades).
    """

    target_weight: dict[str, float]
    initial_fund_usd: float
    contribution_usd: pd.Series
    rebalance_day: pd.Series
    drift_band: float
    start_day: pd.Timestamp

    def __post_init__(self) -> None:
        if not self.contribution_usd.index.equals(self.rebalance_day.index):
            raise ValueError("SleeveSpec: contribution_usd and rebalance_day need the same days")
        if self.rebalance_day.dtype != bool:
            raise ValueError("SleeveSpec: rebalance_day must be a boolean series")
        if sum(self.target_weight.values()) > 1.0 + 1e-9:
            raise ValueError("SleeveSpec: target weights add up to more than the whole fund")
        if self.initial_fund_usd < 0.0:
            raise ValueError("SleeveSpec: initial_fund_usd must be 0 or more")

    def contribution_purchases_usd(self) -> pd.DataFrame:
        """Crypto bought (sold if negative) from contributions alone: days x assets, USD."""
        weights = pd.Series(self.target_weight, dtype=float)
        values = np.outer(self.contribution_usd.to_numpy(), weights.to_numpy())
        return pd.DataFrame(values, index=self.contribution_usd.index, columns=weights.index)


@dataclass(frozen=True, eq=False)
class FlowHeadline:
    """A schedule's figures per asset, arrays in its ``assets`` order: ``total_usd`` (net),
    ``first_index`` / ``last_index`` the first and last day with any non-zero component (rows
    of ``days``; -1 when none), ``peak_daily_flow_usd`` the net flow of the day of the largest
    size, with its sign (0 over no days), ``flow_days`` the days with any non-zero
    component."""

    days: pd.DatetimeIndex
    total_usd: npt.NDArray[np.float64]
    first_index: npt.NDArray[np.int64]
    last_index: npt.NDArray[np.int64]
    peak_daily_flow_usd: npt.NDArray[np.float64]
    flow_days: npt.NDArray[np.int64]

    def day(self, index: npt.NDArray[np.int64]) -> list[pd.Timestamp | None]:
        """The days of ``index`` (``first_index`` or ``last_index``); None for -1."""
        return [self.days[i] if i >= 0 else None for i in index]


@dataclass(frozen=True)
class FlowSchedule:
    """Dated USD flows per asset from the 401(k) inflow model.

    ``flows_usd``: indexed by the study's UTC days, columns a MultiIndex (``asset``,
    ``component``) with components ``reallocation``, ``payroll`` (both >= 0) and ``withdrawal``
    (<= 0), in USD, direct flows only (the sleeve's money is in ``sleeve``). ``weights``: the
    split between assets that was used.
    """

    flows_usd: pd.DataFrame
    weights: Mapping[str, float]
    sleeve: SleeveSpec | None = None

    @property
    def assets(self) -> list[str]:
        """The assets of ``flows_usd``'s columns, in their order (a new list each call)."""
        return list(self._asset_order)

    @functools.cached_property
    def _asset_order(self) -> tuple[str, ...]:
        # once per schedule: the report and the flows step ask for it hundreds of times
        return tuple(self.flows_usd.columns.get_level_values("asset").unique())

    def component_totals_usd(self) -> dict[str, float]:
        """USD per component over every day and asset (0 for a component it lacks): pandas'
        ``flows_usd.xs(component, level="component", axis=1).sum().sum()``, to the bit (a
        sum over the days per asset, NaN as 0, then over the assets in order), in NumPy."""
        parts = self._components_usd()
        parts = np.where(np.isnan(parts), 0.0, parts)
        totals = {}
        for c, component in enumerate(COMPONENTS):
            per_asset = [float(np.ascontiguousarray(parts[:, a, c]).sum())
                         for a in range(parts.shape[1])]  # fmt: skip
            total = per_asset[0] if per_asset else 0.0  # not 0.0 + ...: a -0.0 stays -0.0
            for value in per_asset[1:]:
                total += value
            totals[component] = total
        return totals

    @property
    def days(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.flows_usd.index)

    @functools.cached_property
    def net_flow_usd(self) -> pd.DataFrame:
        """Net direct flow per day and asset (days x assets), USD; computed once per schedule
        (the engine's arrays, flow_source, the summary and the report read it), not changed by
        its readers."""
        net = self.flows_usd.T.groupby(level="asset", sort=False).sum().T
        net.columns.name = "asset"
        return net[self.assets]

    def _components_usd(self) -> npt.NDArray[np.float64]:
        """``[day, asset, component]`` USD in ``assets`` and ``COMPONENTS`` order; NaN for a
        component the schedule lacks, as ``reindex`` gives it. Read column by column: a
        ``MultiIndex.from_product`` and a reindex per schedule cost 1.6 ms of flows.csv's 2.9."""
        assets = self.assets
        values = self.flows_usd.to_numpy(dtype=np.float64)
        where = {key: k for k, key in enumerate(self.flows_usd.columns)}
        parts = np.full((len(values), len(assets), len(COMPONENTS)), np.nan)
        for a, asset in enumerate(assets):
            for c, component in enumerate(COMPONENTS):
                k = where.get((asset, component))
                if k is not None:
                    parts[:, a, c] = values[:, k]
        return parts

    def _active(self) -> npt.NDArray[np.bool_]:
        """``[day, asset]``: some component of the asset's flow is non-zero that day."""
        level = self.flows_usd.columns.get_level_values("asset")
        values = self.flows_usd.to_numpy()
        return np.stack([(values[:, np.asarray(level == asset)] != 0.0).any(axis=1)
                         for asset in self.assets], axis=1).reshape(len(values), -1)

    def headline(self) -> FlowHeadline:
        """Per asset (``assets`` order): net total, first and last flow day, peak daily flow,
        in NumPy; what ``summary`` and the run's flow summary table read (both per schedule)."""
        net = self.net_flow_usd
        total = net.sum().to_numpy(dtype=np.float64)
        if not len(net):
            nothing = np.full(len(self.assets), -1, dtype=np.int64)
            zero = np.zeros(len(self.assets))
            return FlowHeadline(self.days, total, nothing, nothing, zero, zero.astype(np.int64))
        active = self._active()
        flowing = active.any(axis=0)
        first = np.where(flowing, active.argmax(axis=0), -1)
        last = np.where(flowing, len(active) - 1 - active[::-1].argmax(axis=0), -1)
        values = net.to_numpy()
        peak = values[np.abs(values).argmax(axis=0), np.arange(values.shape[1])]
        flow_days = active.sum(axis=0).astype(np.int64)
        return FlowHeadline(self.days, total, first, last, peak, flow_days)

    def summary(self) -> pd.DataFrame:
        """One row per asset: totals per component, first and last flow day, peak, flow days.

        ``peak_daily_flow_usd`` is the day's net flow of the largest size, with its sign;
        ``flow_days`` counts days with any non-zero component; with a sleeve,
        ``sleeve_contribution_usd`` is the crypto bought from the sleeve's contributions.
        """
        net = self.net_flow_usd
        if not len(net):
            return self._summary_without_days()
        headline = self.headline()  # the day columns in NumPy: the summary runs per schedule
        totals = self.flows_usd.sum().unstack("component").reindex(columns=list(COMPONENTS))
        rows = pd.DataFrame(index=pd.Index(self.assets, name="asset"))
        rows["total_usd"] = net.sum()
        for component in COMPONENTS:
            rows[f"{component}_usd"] = totals.loc[self.assets, component]
        for column, index in (
            ("first_flow_day", headline.first_index), ("last_flow_day", headline.last_index)
        ):
            on_day = pd.Series(self.days[np.maximum(index, 0)], index=self.assets)
            rows[column] = on_day.where(index >= 0)
        rows["peak_daily_flow_usd"] = headline.peak_daily_flow_usd
        rows["flow_days"] = headline.flow_days.astype(int)
        if self.sleeve is not None:
            bought = self.sleeve.contribution_purchases_usd().sum()
            rows["sleeve_contribution_usd"] = bought.reindex(self.assets, fill_value=0.0)
        return rows

    def _summary_without_days(self) -> pd.DataFrame:
        """``summary`` of a schedule over no days (pandas throughout, as it always was)."""
        net = self.net_flow_usd
        active = self.flows_usd.ne(0.0).T.groupby(level="asset", sort=False).any().T[self.assets]
        totals = self.flows_usd.sum().unstack("component").reindex(columns=list(COMPONENTS))
        rows = pd.DataFrame(index=pd.Index(self.assets, name="asset"))
        rows["total_usd"] = net.sum()
        for component in COMPONENTS:
            rows[f"{component}_usd"] = totals.loc[self.assets, component]
        rows["first_flow_day"] = active.idxmax().where(active.any())
        rows["last_flow_day"] = active[::-1].idxmax().where(active.any())
        rows["peak_daily_flow_usd"] = 0.0
        rows["flow_days"] = active.sum().astype(int)
        if self.sleeve is not None:
            bought = self.sleeve.contribution_purchases_usd().sum()
            rows["sleeve_contribution_usd"] = bought.reindex(self.assets, fill_value=0.0)
        return rows

    def to_frame(self, *, nonzero_only: bool = False) -> pd.DataFrame:
        """A long table, one row per day and asset, for a CSV.

        Columns: ``day`` (YYYY-MM-DD, UTC), ``asset``, ``reallocation_usd``, ``payroll_usd``,
        ``withdrawal_usd``, ``net_usd`` and, with a sleeve, ``sleeve_contribution_usd``.
        ``nonzero_only`` keeps only rows with some flow. Built in NumPy: flows.csv takes one
        per distinct schedule, and pandas' stack and reindex cost 5 ms a schedule.
        """
        assets = self.assets
        n_days, n_assets = len(self.flows_usd), len(assets)
        day_text = _day_text(cast(pd.DatetimeIndex, self.flows_usd.index))  # the shared calendar
        parts = self._components_usd()
        columns: dict[str, np.ndarray] = {
            "day": np.repeat(day_text.to_numpy(), n_assets),
            "asset": np.tile(np.asarray(assets, dtype=object), n_days),
        }
        for k, component in enumerate(COMPONENTS):
            columns[f"{component}_usd"] = parts[:, :, k].reshape(-1)
        # pandas' row sum: NaN counted as 0, the components added left to right
        counted = np.where(np.isnan(parts), 0.0, parts)
        net = counted[:, :, 0].copy()
        for k in range(1, len(COMPONENTS)):
            net += counted[:, :, k]
        columns["net_usd"] = net.reshape(-1)
        if self.sleeve is not None:
            bought = self.sleeve.contribution_purchases_usd()
            bought = bought.reindex(index=self.flows_usd.index, columns=assets, fill_value=0.0)
            columns["sleeve_contribution_usd"] = bought.to_numpy(dtype=np.float64).reshape(-1)
        if nonzero_only:
            values = [v for name, v in columns.items() if name.endswith("_usd")]
            keep = np.logical_or.reduce([v != 0.0 for v in values])
            columns = {name: v[keep] for name, v in columns.items()}
        frame = pd.DataFrame(columns)
        frame["day"] = frame["day"].astype(day_text.dtype)
        return frame


_DAY_TEXT: list[tuple[pd.DatetimeIndex, pd.Index]] = []


def _day_text(days: pd.DatetimeIndex) -> pd.Index:
    """``days.strftime("%Y-%m-%d")``, kept for the last calendar asked: a study's schedules
    share one, and flows.csv formats it once instead of once per schedule."""
    if not _DAY_TEXT or _DAY_TEXT[0][0] is not days:
        _DAY_TEXT[:] = [(days, days.strftime("%Y-%m-%d"))]
    return _DAY_TEXT[0][1]


__all__ = ["COMPONENTS", "FlowHeadline", "FlowSchedule", "SleeveSpec"]
