"""Numba kernels of the engine: pure functions on float64 arrays, no pandas, no config objects.

``backtest.sim.engine`` turns configs into the arrays these take, grouped in the named tuples
below (as vectorbt passes its ``Order`` tuples into its nb functions). Layouts: baseline
arrays are ``[path, day, asset]``, per-scenario flows ``[scenario, day, asset]``, outputs
``[scenario, path, day, asset]``. Model codes are ``backtest.sim.models.ImpactModelCode``; the
per-model formulas are the inline step functions of ``backtest.sim.impact_steps`` (shared with
the hindcast's inverse, ``backtest.sim.inverse``); σ and V are defined in ``backtest.sim.market``.

error_model="numpy" makes a division by zero give inf/NaN as in NumPy instead of raising, so
the kernels agree bit for bit in spirit with the NumPy model classes; the engine then checks
for non-finite results once, after the run.

Speed (profiled with perf on benchmarks/bench_engine.py's grid): the time step is bound by
arithmetic, much of it libm's exp (and sqrt under the square-root law), not by memory:
skipping every output write saves under 5% on one thread. Writing costs mostly the first
touch of fresh output pages, so the engine fills only the outputs asked for; the trailing
statistics use rolling sums; a cell loads σ and volume only under the model that reads them.
Stepping four scenarios together to
overlap their dependency chains was tried and measured slower (kept out). The named tuples
are unpacked into locals before the parallel loop, so the loop body compiles as it did with
positional arrays (benchmarks/bench_engine.py shows no slowdown).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from backtest.sim.impact_steps import (
    impacted_close,
    lasting_log_impact,
    log_impact_is_finite,
    per_dollar,
    reads_sigma_and_volume,
    step_transient,
    transient_feed,
    transient_part,
)
from backtest.sim.impact_steps import log_impact as day_log_impact
from backtest.sim.market import market_volume_usd

Array = np.ndarray


class Market(NamedTuple):
    """The baseline every scenario meets, per path (no scenario axis)."""

    close_usd: Array  # [path, day, asset] B_t, USD
    prior_close_usd: Array  # [path, asset] B on the day before day 0, USD
    sigma: Array  # [σ slot, path, day, asset] trailing daily log-return std
    venue_volume_usd: Array  # [volume slot, path, day, asset] trailing mean venue USD volume


class Flows(NamedTuple):
    """Per-scenario flows and the announcement."""

    flow_usd: Array  # [scenario, day, asset] exogenous net flows, USD
    planned_sum: Array  # [scenario, asset] USD sum of the flows scheduled after the announcement
    announcement_day: int  # outside 0..days-1: no anticipation in the window


class ImpactParams(NamedTuple):
    """Per-scenario impact model and what it reads, all ``[scenario]`` unless noted."""

    model_code: Array  # int64, ImpactModelCode
    model_parameter: Array  # λ per USD, Y or M (``backtest.sim.models``)
    permanent_share: Array  # θ
    anticipation_share: Array  # α
    volume_coverage: Array  # [scenario, asset] market-wide / venue volume
    sigma_slot: Array  # int64, index into Market.sigma
    volume_slot: Array  # int64, index into Market.venue_volume_usd
    supply_coins: Array  # [scenario, asset]


class DecayParams(NamedTuple):
    """Per-scenario decay kernel as exponential terms (``backtest.sim.decay``)."""

    weight: Array  # [scenario, term] w_k
    decay_per_day: Array  # [scenario, term] ρ_k
    n_terms: Array  # [scenario] int64, terms in use


class SleeveParams(NamedTuple):
    """The balanced fund's sleeve (``backtest.sim.engine.SleeveArrays``); unused if not active."""

    active: bool  # False: no sleeve in this run
    target_weight: Array  # [scenario, asset]
    initial_fund_usd: Array  # [scenario]
    contribution_usd: Array  # [scenario, day]
    rebalance_day: Array  # [scenario, day] bool
    drift_band: Array  # [scenario]
    start_day: Array  # [scenario] int64


class Outputs(NamedTuple):
    """The arrays the kernel fills, ``[scenario, path, day, asset]``; ``write`` picks them."""

    write: Array  # [7] bool, in field order below; an output not written may be empty
    close_usd: Array  # P'_t, USD
    flow_usd: Array  # exogenous + sleeve flow, USD
    log_impact: Array  # I_t
    instant_log_impact: Array  # u_t = κ·F_t in the model's unit (log price or USD of value)
    permanent_log_impact: Array  # the part of I_t that never decays (J + Π as a log move)
    permanent_log_impact_at_horizon: Array  # [scenario, path, asset]: the above on the last day
    log_impact_at_horizon: Array  # [scenario, path, asset]: I_T, the last day's I_t


@njit(cache=True, error_model="numpy", parallel=True)
def simulate_impact(
    market: Market,
    flows: Flows,
    impact: ImpactParams,
    decay: DecayParams,
    sleeve: SleeveParams,
    outputs: Outputs,
) -> int:
    """Step every (scenario, path) column through time; returns the count of non-finite I.

    Per day, in order: the bar (B_t), payday flows (exogenous + sleeve contributions), sleeve
    rebalances (weights at the previous impacted close), the announcement (anticipation). The
    model's κ is read once per column and asset from the BASELINE's state before the first day
    (MC_0 = B_{-1} × supply, σ_0, V_0 = coverage × trailing venue volume). Then per day u_t =
    κ·F_t, the permanent stock Π_t = Σ_s θ_s·u_s, the transient accumulator A_k ← ρ_k·A_k + x_t
    (x = u, or F for the square-root law's metaorder size) with A = Σ_k w_k·A_k and the model's
    transient from it (σ_t, V_t trailing on the baseline); I_t from J + Π_t, the transient and
    MC_t = B_t × supply (``backtest.sim.impact_steps.log_impact``), θ_s = θ(1 − α) after the
    announcement and J = α·θ·κ·Σ_{s>a} F_s the anticipated permanent impact of the scheduled
    flows; P'_t = B_t·e^{I_t}; the sleeve's trades fill at P'_t. A cell whose I is not finite
    is counted.

    Horizon mode: when ``outputs.write`` asks for no day-by-day array (only the ``[scenario,
    path, asset]`` ones of the last day), I_t is computed on the last day alone and P'_t only
    for a sleeve (its trades fill at it): a day before the last still steps κ·F_t, Π, J and A
    (and the square-root law's T_t, whose sqrt is cheap next to libm's log1p and exp), and
    still counts a non-finite I_t, by ``impact_steps.log_impact_is_finite`` (the same answer
    without the log). The last day's numbers come from the same state by the same arithmetic,
    so they equal the full mode's bit for bit; the sensitivity analysis, which reads only
    them, spends most of its engine time in that log and exp otherwise.

    Columns run path-major (all scenarios of one path, then the next path), so a thread reads
    one path's baseline, σ and volume from cache for every scenario instead of from memory.
    """
    # locals before the parallel loop: its body reads plain arrays, as it always did
    baseline_close, prior_close = market.close_usd, market.prior_close_usd
    sigma, mean_volume = market.sigma, market.venue_volume_usd
    flow_usd = flows.flow_usd
    planned_sum, announcement_day = flows.planned_sum, flows.announcement_day
    model_code, model_parameter = impact.model_code, impact.model_parameter
    permanent_share, anticipation_share = impact.permanent_share, impact.anticipation_share
    volume_coverage, supply_coins = impact.volume_coverage, impact.supply_coins
    sigma_slot, volume_slot = impact.sigma_slot, impact.volume_slot
    decay_weight, decay_per_day, n_terms = decay.weight, decay.decay_per_day, decay.n_terms
    has_sleeve, target_weight = sleeve.active, sleeve.target_weight
    initial_fund_usd, contribution_usd = sleeve.initial_fund_usd, sleeve.contribution_usd
    rebalance_day, drift_band, sleeve_start = (
        sleeve.rebalance_day, sleeve.drift_band, sleeve.start_day
    )
    write, out_close, out_flow = outputs.write, outputs.close_usd, outputs.flow_usd
    out_log_impact, out_instant = outputs.log_impact, outputs.instant_log_impact
    out_permanent = outputs.permanent_log_impact
    out_permanent_at_horizon = outputs.permanent_log_impact_at_horizon
    out_log_impact_at_horizon = outputs.log_impact_at_horizon
    # horizon mode (no day-by-day output asked for): the day's log and exp run on the last day
    # only; the state recursion runs every day as in the full mode, the same arithmetic in the
    # same order, so the last day's numbers are the same bit for bit
    daily = write[0] or write[1] or write[2] or write[3] or write[4]
    n_scenarios, n_days, n_assets = flow_usd.shape
    n_paths = baseline_close.shape[0]
    n_bad = np.zeros(n_scenarios * n_paths, dtype=np.int64)
    announced = 0 <= announcement_day < n_days
    for column in prange(n_scenarios * n_paths):
        p = column // n_scenarios
        s = column % n_scenarios
        code = model_code[s]
        parameter = model_parameter[s]
        theta = permanent_share[s]
        alpha = anticipation_share[s]
        reads_state = reads_sigma_and_volume(code)
        n_k = n_terms[s]
        transient = np.zeros((n_assets, n_k))
        permanent = np.zeros(n_assets)
        jump = np.zeros(n_assets)
        units = np.zeros(n_assets)
        sleeve_flow = np.zeros(n_assets)
        previous_close = prior_close[p].copy()
        kappa = np.empty(n_assets)
        for a in range(n_assets):  # κ from the state before the first day, held over the window
            reference_sigma = reference_volume = 0.0
            if reads_state:
                reference_sigma = sigma[sigma_slot[s], p, 0, a]
                reference_volume = market_volume_usd(
                    mean_volume[volume_slot[s], p, 0, a], volume_coverage[s, a]
                )
            kappa[a] = per_dollar(
                code, parameter, prior_close[p, a] * supply_coins[s, a], reference_sigma,
                reference_volume,
            )
        other_usd = 0.0
        weight_sum = target_weight[s].sum() if has_sleeve else 0.0
        for t in range(n_days):
            sleeve_active = has_sleeve and t >= sleeve_start[s]
            if sleeve_active:
                other_usd = _sleeve_orders(
                    t, s, sleeve_start[s], target_weight[s], weight_sum, initial_fund_usd[s],
                    contribution_usd[s, t], rebalance_day[s, t], drift_band[s], units,
                    previous_close, other_usd, sleeve_flow,
                )
            announcing = announced and t == announcement_day and alpha > 0.0
            theta_now = theta * (1.0 - alpha) if announced and t > announcement_day else theta
            for a in range(n_assets):
                flow = flow_usd[s, t, a] + (sleeve_flow[a] if sleeve_active else 0.0)
                sig = volume_usd = 0.0  # not read by a model that does not read them
                if reads_state:
                    sig = sigma[sigma_slot[s], p, t, a]
                    volume_usd = market_volume_usd(
                        mean_volume[volume_slot[s], p, t, a], volume_coverage[s, a]
                    )
                # a day without flow adds nothing, also where κ is not finite
                u = kappa[a] * flow if flow != 0.0 else 0.0
                if announcing:
                    jump[a] = alpha * theta * kappa[a] * planned_sum[s, a]
                permanent[a] += theta_now * u
                accumulated = step_transient(
                    transient[a], decay_weight[s], decay_per_day[s], n_k,
                    transient_feed(code, flow, u),
                )
                fading = transient_part(code, parameter, accumulated, sig, volume_usd)
                lasting = jump[a] + permanent[a]
                baseline = baseline_close[p, t, a]
                market_cap = baseline * supply_coins[s, a]
                last_day = t == n_days - 1
                log_impact, finite = _counted_log_impact(
                    daily or last_day, code, theta, lasting, fading, market_cap
                )
                n_bad[column] += not finite
                close = np.nan  # P'_t: an output, or the price the sleeve trades at
                if daily or has_sleeve:
                    close = impacted_close(
                        code, theta, lasting, fading, baseline, supply_coins[s, a]
                    )
                    if sleeve_active:
                        units[a] += sleeve_flow[a] / close
                    previous_close[a] = close
                _store(
                    write, daily, last_day, out_close, out_flow, out_log_impact, out_instant,
                    out_permanent, out_permanent_at_horizon, out_log_impact_at_horizon,
                    (s, p, t, a), code, close, flow, log_impact, u, lasting, market_cap,
                )
    return n_bad.sum()


@njit(cache=True, error_model="numpy", inline="always")
def _counted_log_impact(kept, code, theta, lasting, fading, market_cap):
    """(I_t, whether it is finite); a day whose I_t is not ``kept`` gives NaN for I_t and
    learns its finiteness from ``log_impact_is_finite``, without the log (horizon mode)."""
    if kept:
        value = day_log_impact(code, theta, lasting, fading, market_cap)
        return value, np.isfinite(value)
    return np.nan, log_impact_is_finite(code, theta, lasting, fading, market_cap)


@njit(cache=True, error_model="numpy", inline="always")
def _store(
    write, daily, last_day, out_close, out_flow, out_log_impact, out_instant, out_permanent,
    out_permanent_at_horizon, out_log_impact_at_horizon, cell, code, close, flow, log_impact,
    u, lasting, market_cap,
):
    # an output the caller did not ask for is never written: its memory traffic is the cost
    s, p, _, a = cell
    if last_day:
        if write[5]:  # one number per column: what stays for good
            out_permanent_at_horizon[s, p, a] = lasting_log_impact(code, lasting, market_cap)
        if write[6]:
            out_log_impact_at_horizon[s, p, a] = log_impact
    if not daily:
        return
    if write[0]:
        out_close[cell] = close
    if write[1]:
        out_flow[cell] = flow
    if write[2]:
        out_log_impact[cell] = log_impact
    if write[3]:
        out_instant[cell] = u
    if write[4]:  # a log only when asked for: it costs a log1p per cell
        out_permanent[cell] = lasting_log_impact(code, lasting, market_cap)


@njit(cache=True, error_model="numpy", inline="always")
def _sleeve_orders(
    t, s, start, weight, weight_sum, initial_usd, contribution, rebalance, band, units,
    previous_close, other_usd, out_flow,
):
    """Fill ``out_flow[asset]`` with the sleeve's USD orders for day t; return non-crypto USD.

    Start day: buy weight × (initial fund + contribution). Later days: buy weight ×
    contribution, and on a rebalance day or when some |weight_now − target| > band (weights at
    the previous impacted close) trade target × NAV − holdings to restore the targets.
    """
    n_assets = weight.shape[0]
    if t == start:
        budget = initial_usd + contribution
        for a in range(n_assets):
            out_flow[a] = weight[a] * budget
        return (1.0 - weight_sum) * budget
    nav = other_usd
    for a in range(n_assets):
        nav += units[a] * previous_close[a]
    if not rebalance and nav > 0.0:
        for a in range(n_assets):
            # |held / NAV − target| > band, multiplied through by NAV > 0: no division per day
            if abs(units[a] * previous_close[a] - weight[a] * nav) > band * nav:
                rebalance = True
    other_usd += (1.0 - weight_sum) * contribution
    for a in range(n_assets):
        out_flow[a] = weight[a] * contribution
        if rebalance:
            trade = weight[a] * nav - units[a] * previous_close[a]
            out_flow[a] += trade
            other_usd -= trade
    return other_usd
