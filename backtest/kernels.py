"""Numba kernels of the engine: pure functions on float64 arrays, no pandas, no config objects.

``backtest.engine`` turns configs into the arrays these take. Layouts: baseline arrays are
``[path, day, asset]``, per-scenario flows ``[scenario, day, asset]``, outputs
``[scenario, path, day, asset]``. Model codes follow ``backtest.impact`` (0 linear, 1 square
root, 2 multiplier); the formulas are documented there and repeated in ``_instant_log_impact``.

error_model="numpy" makes a division by zero give inf/NaN as in NumPy instead of raising, so
the kernels agree bit for bit in spirit with the NumPy model classes; the engine then checks
for non-finite results once, after the run.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

Array = np.ndarray

LINEAR, SQRT, MULTIPLIER = 0, 1, 2
#: scenarios of one path stepped together through time; their recursions are independent, so
#: interleaving them keeps the CPU busy while each waits on its own exp/log chain (measured
#: on the benchmark grid: see benchmarks/bench_engine.py)
SCENARIOS_PER_BLOCK = 4


@njit(cache=True, error_model="numpy", parallel=True)
def trailing_log_return_std(prior_close: Array, close: Array, window: int) -> Array:
    """σ[path, day, asset]: sample std (ddof 1) of the ``window`` daily log returns before day.

    Day t reads closes t-window-1 .. t-1 only (no look-ahead); ``prior_close`` holds the
    warm-up days before day 0 and must have at least ``window + 1`` of them.
    """
    n_paths, n_prior, n_assets = prior_close.shape
    n_days = close.shape[1]
    out = np.empty(close.shape)
    for p in prange(n_paths):
        series = np.concatenate((prior_close[p], close[p]))
        for a in range(n_assets):
            returns = np.log(series[1:, a] / series[:-1, a])
            for t in range(n_days):
                # return j of ``returns`` ends on combined day j + 1; day t is combined n_prior + t
                window_returns = returns[n_prior + t - 1 - window : n_prior + t - 1]
                mean = window_returns.sum() / window
                squares = 0.0
                for r in window_returns:
                    squares += (r - mean) ** 2
                out[p, t, a] = np.sqrt(squares / (window - 1))
    return out


@njit(cache=True, error_model="numpy", parallel=True)
def trailing_mean(prior_values: Array, values: Array, window: int) -> Array:
    """Mean[path, day, asset] of the ``window`` values before each day (days t-window .. t-1)."""
    n_paths, n_prior, n_assets = prior_values.shape
    n_days = values.shape[1]
    out = np.empty(values.shape)
    for p in prange(n_paths):
        series = np.concatenate((prior_values[p], values[p]))
        for a in range(n_assets):
            for t in range(n_days):
                out[p, t, a] = series[n_prior + t - window : n_prior + t, a].sum() / window
    return out


@njit(cache=True, error_model="numpy", inline="always")
def _instant_log_impact(code, parameter, flow_usd, sigma, volume_usd, market_cap_usd):
    # linear u = λF; square root u = Y·σ·sign(F)·sqrt(|F|/V); multiplier u = ln(1 + M·F/MC)
    if code == LINEAR:
        return parameter * flow_usd
    if code == SQRT:
        return parameter * sigma * np.sign(flow_usd) * np.sqrt(np.abs(flow_usd) / volume_usd)
    return np.log1p(parameter * flow_usd / market_cap_usd)


def planned_flow_sums(model_code: Array, planned_flow_usd: Array) -> Array:
    """Per-scenario sums ``[scenario, asset]`` of the planned flows that the anticipation needs.

    Linear: Σ_s F_s (so Σ_s λ·F_s = λ·Σ_s F_s); square root: Σ_s sign(F_s)·sqrt(|F_s|) (so
    Σ_s Y·σ·sign(F_s)·sqrt(|F_s|/V) = Y·σ·Σ_s sign(F_s)·sqrt(|F_s|) / sqrt(V), σ and V being
    the announcement day's for every s). The multiplier's log does not factor; its rows are 0
    and the kernel sums ln(1 + M·F_s/MC) itself. ``planned_flow_usd`` is ``[scenario, day,
    asset]``, zero up to the announcement day.
    """
    sums = np.zeros((planned_flow_usd.shape[0], planned_flow_usd.shape[2]))
    linear = model_code == LINEAR
    sums[linear] = planned_flow_usd[linear].sum(axis=1)
    root = model_code == SQRT
    signed_root = np.sign(planned_flow_usd[root]) * np.sqrt(np.abs(planned_flow_usd[root]))
    sums[root] = signed_root.sum(axis=1)
    return sums


@njit(cache=True, error_model="numpy", inline="always")
def _anticipated_log_impact(
    code, parameter, planned_flow_usd, planned_sum, sigma, volume_usd, market_cap_usd
):
    # Σ_s û_s over the planned flows, the model taken with the announcement day's σ, V and MC
    if code == LINEAR:
        return parameter * planned_sum
    if code == SQRT:
        return parameter * sigma * planned_sum / np.sqrt(volume_usd)
    total = 0.0
    for flow in planned_flow_usd:
        if flow != 0.0:  # ln(1 + 0) adds nothing; skipping keeps the sum bit for bit
            total += np.log1p(parameter * flow / market_cap_usd)
    return total


@njit(cache=True, error_model="numpy", parallel=True)
def simulate_impact(
    baseline_close,  # [path, day, asset] B_t, USD
    prior_close,  # [path, asset] B on the day before day 0, USD
    sigma,  # [vol slot, path, day, asset] trailing daily log-return std
    mean_volume,  # [volume slot, path, day, asset] trailing venue USD volume
    flow_usd,  # [scenario, day, asset] exogenous net flows, USD
    planned_flow_usd,  # [scenario, day, asset] flows scheduled after the announcement, USD
    planned_sum,  # [scenario, asset] planned_flow_sums of them
    model_code,  # [scenario] int
    model_parameter,  # [scenario] λ per USD, Y or M
    permanent_share,  # [scenario] θ
    anticipation_share,  # [scenario] α
    volume_coverage,  # [scenario] market-wide / venue volume
    decay_weight,  # [scenario, term] w_k
    decay_per_day,  # [scenario, term] ρ_k
    n_terms,  # [scenario] int, terms in use
    sigma_slot,  # [scenario] int, index into sigma
    volume_slot,  # [scenario] int, index into mean_volume
    supply_coins,  # [scenario, asset]
    has_sleeve,  # bool
    target_weight,  # [scenario, asset]
    initial_fund_usd,  # [scenario]
    contribution_usd,  # [scenario, day]
    rebalance_day,  # [scenario, day] bool
    drift_band,  # [scenario]
    sleeve_start,  # [scenario] int
    announcement_day,  # int; outside 0..days-1 means no anticipation in the window
    write,  # [4] bool: which of the four outputs below to fill (the others are not touched)
    out_close,  # [scenario, path, day, asset] P'_t, USD
    out_flow,  # [scenario, path, day, asset] exogenous + sleeve flow, USD
    out_log_impact,  # [scenario, path, day, asset] I_t
    out_instant,  # [scenario, path, day, asset] u_t
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
    n_scenarios, n_days, n_assets = flow_usd.shape
    n_paths = baseline_close.shape[0]
    n_blocks = (n_scenarios + SCENARIOS_PER_BLOCK - 1) // SCENARIOS_PER_BLOCK
    n_bad = np.zeros(n_paths * n_blocks, dtype=np.int64)
    announced = 0 <= announcement_day < n_days
    for job in prange(n_paths * n_blocks):
        p = job // n_blocks
        first = (job % n_blocks) * SCENARIOS_PER_BLOCK
        width = min(SCENARIOS_PER_BLOCK, n_scenarios - first)
        transient = np.zeros((width, n_assets, decay_weight.shape[1]))
        permanent = np.zeros((width, n_assets))
        jump = np.zeros((width, n_assets))
        units = np.zeros((width, n_assets))
        sleeve_flow = np.zeros((width, n_assets))
        previous_close = np.empty((width, n_assets))
        other_usd = np.zeros(width)
        for b in range(width):
            previous_close[b] = prior_close[p]
        for t in range(n_days):
            # the block's columns are independent: the CPU overlaps their dependency chains
            for b in range(width):
                s = first + b
                sleeve_active = has_sleeve and t >= sleeve_start[s]
                if sleeve_active:
                    other_usd[b] = _sleeve_orders(
                        t, s, b, sleeve_start[s], target_weight, initial_fund_usd[s],
                        contribution_usd[s, t], rebalance_day[s, t], drift_band[s], units,
                        previous_close, other_usd[b], sleeve_flow,
                    )
                announcing = announced and t == announcement_day and anticipation_share[s] > 0
                after = announced and t > announcement_day
                for a in range(n_assets):
                    flow = flow_usd[s, t, a] + (sleeve_flow[b, a] if sleeve_active else 0.0)
                    sig = sigma[sigma_slot[s], p, t, a]
                    volume = volume_coverage[s] * mean_volume[volume_slot[s], p, t, a]
                    market_cap = previous_close[b, a] * supply_coins[s, a]
                    u = _instant_log_impact(
                        model_code[s], model_parameter[s], flow, sig, volume, market_cap
                    )
                    n_bad[job] += not np.isfinite(u)
                    if announcing:
                        jump[b, a] = (
                            anticipation_share[s] * permanent_share[s] * _anticipated_log_impact(
                                model_code[s], model_parameter[s], planned_flow_usd[s, :, a],
                                planned_sum[s, a], sig, volume, market_cap,
                            )
                        )
                        n_bad[job] += not np.isfinite(jump[b, a])
                    log_impact = _step_log_impact(
                        transient, permanent, jump[b, a], b, a, s, u, permanent_share[s],
                        anticipation_share[s] if after else 0.0, decay_weight, decay_per_day,
                        n_terms[s],
                    )
                    close = baseline_close[p, t, a] * np.exp(log_impact)
                    if sleeve_active:
                        units[b, a] += sleeve_flow[b, a] / close
                    previous_close[b, a] = close
                    _store(
                        write, out_close, out_flow, out_log_impact, out_instant, (s, p, t, a),
                        close, flow, log_impact, u,
                    )
    return n_bad.sum()


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
def _step_log_impact(
    transient, permanent, jump, b, a, s, u, theta, alpha_after, weight, decay_per_day, n_terms
):
    """I_t = J + Σ θ_s·u_s + (1 − θ)·Σ_k w_k·T_k after adding u_t (T_k ← ρ_k·T_k + u_t).

    ``alpha_after`` is α once the announcement has passed (the flow keeps θ(1 − α) as its
    permanent part), else 0.
    """
    permanent[b, a] += theta * (1.0 - alpha_after) * u
    fading = 0.0
    for k in range(n_terms):
        transient[b, a, k] = decay_per_day[s, k] * transient[b, a, k] + u
        fading += weight[s, k] * transient[b, a, k]
    return jump + permanent[b, a] + (1.0 - theta) * fading


@njit(cache=True, error_model="numpy", inline="always")
def _sleeve_orders(
    t, s, b, start, weight, initial_usd, contribution, rebalance, band, units, previous_close,
    other_usd, out_flow,
):
    """Fill ``out_flow[b, asset]`` with the sleeve's USD orders for day t; return non-crypto USD.

    Scenario s's weights are ``weight[s]``, its block slot b's holdings ``units[b]`` and
    previous impacted closes ``previous_close[b]`` (indexed, not sliced: a slice is an array
    object per call in the hot loop). Start day: buy weight × (initial fund + contribution).
    Later days: buy weight × contribution, and on a rebalance day or when some
    |weight_now − target| > band (weights at the previous impacted close) trade
    target × NAV − holdings to restore the targets.
    """
    n_assets = weight.shape[1]
    weight_sum = 0.0
    for a in range(n_assets):
        weight_sum += weight[s, a]
    if t == start:
        budget = initial_usd + contribution
        for a in range(n_assets):
            out_flow[b, a] = weight[s, a] * budget
        return (1.0 - weight_sum) * budget
    nav = other_usd
    for a in range(n_assets):
        nav += units[b, a] * previous_close[b, a]
    if not rebalance and nav > 0.0:
        for a in range(n_assets):
            if abs(units[b, a] * previous_close[b, a] / nav - weight[s, a]) > band:
                rebalance = True
    other_usd += (1.0 - weight_sum) * contribution
    for a in range(n_assets):
        out_flow[b, a] = weight[s, a] * contribution
        if rebalance:
            trade = weight[s, a] * nav - units[b, a] * previous_close[b, a]
            out_flow[b, a] += trade
            other_usd -= trade
    return other_usd
