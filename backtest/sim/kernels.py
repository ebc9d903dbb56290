"""Numba kernels of the engine: pure functions on float64 arrays, no pandas, no config objects.

``backtest.sim.engine`` turns configs into the arrays these take, grouped in the named tuples
below (as vectorbt passes its ``Order`` tuples into its nb functions). Layouts: baseline
arrays are ``[path, day, asset]``, per-scenario flows ``[scenario, day, asset]``, outputs
``[scenario, path, day, asset]``. Model codes are ``backtest.sim.codes.ImpactModelCode``; the
formulas are those of the model classes in ``backtest.sim.impact``; σ and V are defined in
``backtest.sim.market``.

error_model="numpy" makes a division by zero give inf/NaN as in NumPy instead of raising, so
the kernels agree bit for bit in spirit with the NumPy model classes; the engine then checks
for non-finite results once, after the run.

Speed (profiled with perf on benchmarks/bench_engine.py's grid): the time step is bound by
arithmetic, about half of it libm's exp and log1p, not by memory: skipping every output write
saves under 5% on one thread. Writing costs mostly the first touch of fresh output pages, so
the engine fills only the outputs asked for; the trailing statistics use rolling sums; a cell
loads σ and volume only under the model that reads them. Stepping four scenarios together to
overlap their dependency chains was tried and measured slower (kept out). The named tuples
are unpacked into locals before the parallel loop, so the loop body compiles as it did with
positional arrays (benchmarks/bench_engine.py shows no slowdown).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from backtest.sim.codes import ImpactModelCode
from backtest.sim.market import market_volume_usd

Array = np.ndarray

# plain ints: numba folds module-level int constants into the compiled code
_LINEAR = int(ImpactModelCode.LINEAR)
_SQRT = int(ImpactModelCode.SQRT)


class Market(NamedTuple):
    """The baseline every scenario meets, per path (no scenario axis)."""

    close_usd: Array  # [path, day, asset] B_t, USD
    prior_close_usd: Array  # [path, asset] B on the day before day 0, USD
    sigma: Array  # [σ slot, path, day, asset] trailing daily log-return std
    venue_volume_usd: Array  # [volume slot, path, day, asset] trailing mean venue USD volume


class Flows(NamedTuple):
    """Per-scenario flows and the announcement."""

    flow_usd: Array  # [scenario, day, asset] exogenous net flows, USD
    planned_flow_usd: Array  # [scenario, day, asset] flows scheduled after the announcement
    planned_sum: Array  # [scenario, asset] planned_flow_sums of them
    announcement_day: int  # outside 0..days-1: no anticipation in the window


class ImpactParams(NamedTuple):
    """Per-scenario impact model and what it reads, all ``[scenario]`` unless noted."""

    model_code: Array  # int64, ImpactModelCode
    model_parameter: Array  # λ per USD, Y or M
    permanent_share: Array  # θ
    anticipation_share: Array  # α
    volume_coverage: Array  # market-wide / venue volume
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

    write: Array  # [4] bool, in field order below; an output not written may be empty
    close_usd: Array  # P'_t, USD
    flow_usd: Array  # exogenous + sleeve flow, USD
    log_impact: Array  # I_t
    instant_log_impact: Array  # u_t


def planned_flow_sums(model_code: Array, planned_flow_usd: Array) -> Array:
    """Per-scenario sums ``[scenario, asset]`` of the planned flows that the anticipation needs.

    Linear: Σ_s F_s (so Σ_s λ·F_s = λ·Σ_s F_s); square root: Σ_s sign(F_s)·sqrt(|F_s|) (so
    Σ_s Y·σ·sign(F_s)·sqrt(|F_s|/V) = Y·σ·Σ_s sign(F_s)·sqrt(|F_s|) / sqrt(V), σ and V being
    the announcement day's for every s). The multiplier's log does not factor; its rows are 0
    and the kernel sums ln(1 + M·F_s/MC) itself. ``planned_flow_usd`` is ``[scenario, day,
    asset]``, zero up to the announcement day.
    """
    sums = np.zeros((planned_flow_usd.shape[0], planned_flow_usd.shape[2]))
    linear = model_code == _LINEAR
    sums[linear] = planned_flow_usd[linear].sum(axis=1)
    root = model_code == _SQRT
    signed_root = np.sign(planned_flow_usd[root]) * np.sqrt(np.abs(planned_flow_usd[root]))
    sums[root] = signed_root.sum(axis=1)
    return sums


@njit(cache=True, error_model="numpy", inline="always")
def _anticipated_log_impact(
    code, parameter, planned_flow_usd, planned_sum, sigma, volume_usd, market_cap_usd
):
    # Σ_s û_s over the planned flows, the model taken with the announcement day's σ, V and MC
    if code == _LINEAR:
        return parameter * planned_sum
    if code == _SQRT:
        return parameter * sigma * planned_sum / np.sqrt(volume_usd)
    total = 0.0
    for flow in planned_flow_usd:
        if flow != 0.0:  # ln(1 + 0) adds nothing; skipping keeps the sum bit for bit
            total += np.log1p(parameter * flow / market_cap_usd)
    return total


@njit(cache=True, error_model="numpy", parallel=True)
def simulate_impact(
    market: Market,
    flows: Flows,
    impact: ImpactParams,
    decay: DecayParams,
    sleeve: SleeveParams,
    outputs: Outputs,
) -> int:
    """Step every (scenario, path) column through time; returns the count of non-finite u.

    Per day, in order: the bar (B_t), payday flows (exogenous + sleeve contributions), sleeve
    rebalances (weights at the previous impacted close), the announcement (anticipation). Then
    u_t from the model with σ_t, V_t = coverage × trailing volume and MC_t = P'_{t-1} × supply;
    I_t = J + Σ_s θ_s·u_s + (1 − θ)·Σ_k w_k·T_k with T_k ← ρ_k·T_k + u_t, where θ_s = θ(1 − α)
    after the announcement and J = α·θ·Σ_{s>a} û_s is the anticipated permanent impact of the
    scheduled flows, priced at the announcement with the state of that day; P'_t = B_t·e^{I_t};
    the sleeve's trades fill at P'_t. A non-finite J counts as a non-finite u.

    Columns run path-major (all scenarios of one path, then the next path), so a thread reads
    one path's baseline, σ and volume from cache for every scenario instead of from memory.
    """
    # locals before the parallel loop: its body reads plain arrays, as it always did
    baseline_close, prior_close = market.close_usd, market.prior_close_usd
    sigma, mean_volume = market.sigma, market.venue_volume_usd
    flow_usd, planned_flow_usd = flows.flow_usd, flows.planned_flow_usd
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
        coverage = volume_coverage[s]
        n_k = n_terms[s]
        transient = np.zeros((n_assets, n_k))
        permanent = np.zeros(n_assets)
        jump = np.zeros(n_assets)
        units = np.zeros(n_assets)
        sleeve_flow = np.zeros(n_assets)
        previous_close = prior_close[p].copy()
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
                u = _cell_log_impact(
                    code, parameter, flow, sigma, mean_volume, sigma_slot[s], volume_slot[s],
                    coverage, previous_close[a] * supply_coins[s, a], p, t, a,
                )
                n_bad[column] += not np.isfinite(u)
                if announcing:
                    jump[a] = alpha * theta * _anticipated_log_impact(
                        code, parameter, planned_flow_usd[s, :, a], planned_sum[s, a],
                        sigma[sigma_slot[s], p, t, a],
                        market_volume_usd(mean_volume[volume_slot[s], p, t, a], coverage),
                        previous_close[a] * supply_coins[s, a],
                    )
                    n_bad[column] += not np.isfinite(jump[a])
                permanent[a] += theta_now * u
                fading = _step_transient(transient[a], decay_weight[s], decay_per_day[s], n_k, u)
                log_impact = jump[a] + permanent[a] + (1.0 - theta) * fading
                close = baseline_close[p, t, a] * np.exp(log_impact)
                if sleeve_active:
                    units[a] += sleeve_flow[a] / close
                previous_close[a] = close
                _store(
                    write, out_close, out_flow, out_log_impact, out_instant, (s, p, t, a),
                    close, flow, log_impact, u,
                )
    return n_bad.sum()


@njit(cache=True, error_model="numpy", inline="always")
def _cell_log_impact(
    code, parameter, flow_usd, sigma, mean_volume, sigma_slot, volume_slot, coverage,
    market_cap_usd, p, t, a,
):
    """u_t of one cell: the formulas of the model classes in ``backtest.sim.impact``.

    σ and the trailing volume are loaded only by the square-root model, the one that reads
    them: a load per cell that the other models would throw away is measurable here. A day
    without flow has u = 0 under every model, also where the trailing volume is 0 (the
    square-root formula alone would give 0 × sqrt(0/0) = NaN there).
    """
    if flow_usd == 0.0:
        return 0.0
    if code == _LINEAR:
        return parameter * flow_usd
    if code == _SQRT:
        volume_usd = market_volume_usd(mean_volume[volume_slot, p, t, a], coverage)
        sig = sigma[sigma_slot, p, t, a]
        return parameter * sig * np.sign(flow_usd) * np.sqrt(np.abs(flow_usd) / volume_usd)
    return np.log1p(parameter * flow_usd / market_cap_usd)


@njit(cache=True, error_model="numpy", inline="always")
def _store(
    write, out_close, out_flow, out_log_impact, out_instant, cell, close, flow, log_impact, u
):
    # an output the caller did not ask for is never written: its memory traffic is the cost
    if write[0]:
        out_close[cell] = close
    if write[1]:
        out_flow[cell] = flow
    if write[2]:
        out_log_impact[cell] = log_impact
    if write[3]:
        out_instant[cell] = u


@njit(cache=True, error_model="numpy", inline="always")
def _step_transient(transient, weight, decay_per_day, n_terms, u):
    """T_k ← ρ_k·T_k + u for each term in use; returns Σ_k w_k·T_k."""
    fading = 0.0
    for k in range(n_terms):
        transient[k] = decay_per_day[k] * transient[k] + u
        fading += weight[k] * transient[k]
    return fading


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
