"""The 401(k) inflow model: an ``InflowConfig`` in, dated USD flows per asset out.

Model (daily, on UTC calendar days ``t``; symbols are ``InflowConfig`` fields):

- Timing: money can arrive from ``t0 = announcement + lag_months``; the allocation is complete at
  ``t1 = t0 + ramp_months``. The adopted share of the allocation at the end of day ``t`` is
  ``R(t) = S((t - t0 + 1 day) / (t1 - t0))``, with ``S(x) = clip(x, 0, 1)`` (linear) or the
  logistic ``L(x) = 1 / (1 + exp(-k (x - 1/2)))`` rescaled to ``S(x) = (L(x) - L(0)) / (L(1) -
  L(0))`` (``k = ramp_steepness``), so both shapes go from 0 at ``t0`` to 1 at ``t1`` and bring
  the same total. ``ramp_months = 0`` is a step at ``t0``.
- Plan assets: ``A(t) = plan_assets_usd * (1 + asset_growth_per_year) ** years(t)``, years since
  ``plan_assets_date`` (365.25-day years).
- Reallocation of existing balances: participants who adopt on day ``t`` move
  ``reallocation_share`` of their crypto target out of their balances:
  ``realloc(t) = allocation * reallocation_share * A(t) * (R(t) - R(t - 1))``. Over a full ramp
  with no growth the total is ``allocation * reallocation_share * plan_assets_usd``.
- Payroll: on each pay date ``p >= t0`` of ``payroll_calendar``, adopters direct ``allocation``
  of their contributions to crypto: ``payroll(p) = allocation * R(p) * C(p) / periods``, with
  ``C(p) = active_participants * contribution_per_participant_usd * (1 +
  contribution_growth_per_year) ** years(p)`` and ``periods`` the pay dates per year
  (``strategies.calendar.PAY_PERIODS_PER_YEAR``). This stream continues after the ramp.
- Settlement: every amount dated on a day that is not a settlement day moves to the next one
  (``settlement = "nyse"``: weekends and NYSE holidays), since fund purchases and ETF creations
  settle on US business days; money waits, it never arrives early.
- Withdrawals: holdings at cost ``H`` (the model does not know prices; assumption) decay at
  ``d = 1 - (1 - withdrawal_rate_per_year) ** (1 / 365.25)`` a day: ``H(t) = (1 - d) H(t - 1) +
  in(t)``, ``withdrawal(t) = -d H(t - 1)``, settled like the rest.
- Split: each component is split between assets by ``split`` (fixed weights, or market caps at
  the announcement given by the caller).
- Sleeve: ``sleeve_share`` of every flow goes to a balanced fund holding ``sleeve_crypto_weight``
  in crypto; the direct flows keep ``1 - sleeve_share`` and the fund receives ``sleeve_share *
  flow / sleeve_crypto_weight`` of new money (``SleeveSpec``; the engine trades it).

Flows are computed on every calendar day from ``t0`` to the last study day and then cut to the
study's days: a flow settling before the first study day or after the last one is outside the
schedule (withdrawals still see the holdings built before the window).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from flowimpact.errors import ConfigError, InputError
from flowimpact.units import MEAN_CALENDAR_YEAR_DAYS
from strategies.calendar import (
    PAY_PERIODS_PER_YEAR,
    next_settlement_day,
    pay_dates,
    rebalance_days,
    utc_days,
)
from strategies.inflow_config import MARKET_CAP_SPLIT, InflowConfig
from strategies.inflow_schedule import COMPONENTS, FlowSchedule, SleeveSpec


def ramp_fraction(elapsed: np.ndarray, shape: str, steepness: float = 10.0) -> np.ndarray:
    """``S(x)``: the adopted share at ramp progress ``elapsed`` (0 = start, 1 = end), in [0, 1].

    Monotone non-decreasing, ``S(0) = 0`` and ``S(1) = 1`` for both shapes (see module docstring).
    """
    x = np.clip(np.asarray(elapsed, dtype=float), 0.0, 1.0)
    if shape == "linear":
        return x
    if shape == "logistic":
        lo, hi = (1.0 / (1.0 + np.exp(-steepness * (edge - 0.5))) for edge in (0.0, 1.0))
        curve = 1.0 / (1.0 + np.exp(-steepness * (x - 0.5)))
        return np.clip((curve - lo) / (hi - lo), 0.0, 1.0)
    raise ConfigError(f"[inflow] ramp_shape must be one of linear, logistic, got {shape!r}")


def asset_weights(
    config: InflowConfig,
    assets: Sequence[str],
    market_caps_usd: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """The split between ``assets``: fixed weights, or market caps at the announcement.

    Assets the split does not name get weight 0; a split giving weight to an asset the study does
    not hold is refused (its money would vanish).
    """
    assets = list(dict.fromkeys(assets))
    if not assets:
        raise InputError("schedule_flows: give at least one asset, e.g. ['BTC', 'ETH']")
    if isinstance(config.split, Mapping):
        missing = sorted(a for a, w in config.split.items() if w > 0.0 and a not in assets)
        if missing:
            raise ConfigError(
                f"[inflow] split names {', '.join(missing)}, which the study does not hold "
                f"(assets: {', '.join(assets)}); remove it or add its symbol to [data] symbols"
            )
        return {asset: config.split.get(asset, 0.0) for asset in assets}
    caps = {} if market_caps_usd is None else dict(market_caps_usd)
    bad = [a for a in assets if not (np.isfinite(caps.get(a, np.nan)) and caps.get(a, 0.0) > 0)]
    if bad:
        raise ConfigError(
            f'[inflow] split = "{MARKET_CAP_SPLIT}" needs a positive market cap (USD) at the '
            f"announcement for {', '.join(bad)}; pass market_caps_usd or give fixed weights"
        )
    total = sum(caps[a] for a in assets)
    return {asset: caps[asset] / total for asset in assets}


def schedule_flows(
    config: InflowConfig,
    days: pd.DatetimeIndex,
    assets: Sequence[str],
    market_caps_usd: Mapping[str, float] | None = None,
) -> FlowSchedule:
    """The inflow schedule of ``config`` over ``days`` (every UTC calendar day of the study)."""
    study_days = _checked_days(days)
    weights = asset_weights(config, assets, market_caps_usd)
    totals = _component_totals(config, study_days)
    direct_share = 1.0 - config.sleeve_share
    names = list(weights)
    columns = pd.MultiIndex.from_product([names, list(COMPONENTS)], names=["asset", "component"])
    # [day, asset, component] in one broadcast: weights x components
    stacked = np.stack([totals[c] for c in COMPONENTS], axis=1)
    values = direct_share * stacked[:, None, :] * np.array([weights[a] for a in names])[:, None]
    flows = pd.DataFrame(values.reshape(len(study_days), -1), index=study_days, columns=columns)
    sleeve = _sleeve_spec(config, study_days, weights, totals) if config.has_sleeve else None
    return FlowSchedule(flows_usd=flows, weights=weights, sleeve=sleeve)


def _checked_days(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    index = utc_days(days)
    if index.empty:
        raise InputError("schedule_flows: the study has no days; give at least one UTC day")
    if np.any((index[1:] - index[:-1]) != pd.Timedelta(days=1)):
        raise InputError(
            "schedule_flows: days must be every calendar day in order, without gaps or repeats "
            "(use pd.date_range(start, end, freq='D', tz='UTC'))"
        )
    index.name = days.name if isinstance(days, pd.DatetimeIndex) else None
    return index


def _component_totals(config: InflowConfig, days: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Each component over ``days``, all assets together, settled, in USD."""
    out = {component: np.zeros(len(days)) for component in COMPONENTS}
    t0, last = config.first_flow_day, days[-1]
    if last < t0:
        return out
    grid = pd.date_range(t0, last, freq="D")
    n = len(grid)
    ramp_days = (config.ramp_end_day - t0).days
    elapsed = np.arange(1, n + 1) / ramp_days if ramp_days > 0 else np.ones(n)
    adopted = ramp_fraction(elapsed, config.ramp_shape, config.ramp_steepness)
    years = (grid - config.plan_assets_day).days.to_numpy() / MEAN_CALENDAR_YEAR_DAYS

    plan_assets = config.plan_assets_usd * (1.0 + config.asset_growth_per_year) ** years
    newly_adopted = np.diff(adopted, prepend=0.0)
    realloc = config.allocation * config.reallocation_share * plan_assets * newly_adopted

    payroll = np.zeros(n)
    paid = ((pay_dates(config.payroll_calendar, t0, last, anchor=config.payroll_anchor)) - t0).days
    contributions = (
        config.annual_contributions_usd * (1.0 + config.contribution_growth_per_year) ** years[paid]
    )
    per_period = contributions / PAY_PERIODS_PER_YEAR[config.payroll_calendar]
    payroll[paid] = config.allocation * adopted[paid] * per_period

    settle_at = (next_settlement_day(grid, rule=config.settlement) - t0).days.to_numpy()
    realloc, payroll = (_settle(a, settle_at, n) for a in (realloc, payroll))

    daily_rate = 1.0 - (1.0 - config.withdrawal_rate_per_year) ** (1.0 / MEAN_CALENDAR_YEAR_DAYS)
    # imported here: scipy.signal costs ~0.8 s, and loading a study needs none of it
    from scipy.signal import lfilter

    holdings = lfilter([1.0], [1.0, -(1.0 - daily_rate)], realloc + payroll)
    withdrawal = -daily_rate * np.r_[0.0, holdings[:-1]]
    withdrawal = _settle(withdrawal, settle_at, n)

    # grid day i is days[offset + i]; days before the first study day fall outside
    offset = (t0 - days[0]).days
    keep = np.arange(n) + offset >= 0
    for component, values in zip(COMPONENTS, (realloc, payroll, withdrawal), strict=True):
        out[component][np.arange(n)[keep] + offset] = values[keep]
    return out


def _settle(accrued: np.ndarray, settle_at: np.ndarray, n: int) -> np.ndarray:
    """Move each day's amount to its settlement day; amounts settling after the grid are dropped."""
    inside = settle_at < n
    return np.bincount(settle_at[inside], weights=accrued[inside], minlength=n)


def _sleeve_spec(
    config: InflowConfig,
    days: pd.DatetimeIndex,
    weights: Mapping[str, float],
    totals: Mapping[str, np.ndarray],
) -> SleeveSpec:
    net_crypto = sum(totals[c] for c in COMPONENTS)
    contribution = config.sleeve_share * net_crypto / config.sleeve_crypto_weight
    start_day = next_settlement_day([config.first_flow_day], rule=config.settlement)[0]
    calendar = rebalance_days(config.sleeve_rebalance, days[0], days[-1], rule=config.settlement)
    rebalance = days.isin(calendar) & (days >= start_day)
    return SleeveSpec(
        target_weight={a: config.sleeve_crypto_weight * w for a, w in weights.items()},
        initial_fund_usd=0.0,
        contribution_usd=pd.Series(contribution, index=days, name="contribution_usd"),
        rebalance_day=pd.Series(np.asarray(rebalance, dtype=bool), index=days, name="rebalance"),
        drift_band=config.sleeve_drift_band,
        start_day=start_day,
    )


__all__ = [
    "FlowSchedule",
    "InflowConfig",
    "SleeveSpec",
    "asset_weights",
    "ramp_fraction",
    "schedule_flows",
]
