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


@njit(cache=True, error_model="numpy", parallel=True)
def simulate_impact(
    baseline_close,  # [path, day, asset] B_t, USD
    prior_close,  # [path, asset] B on the day before day 0, USD
    sigma,  # [vol slot, path, day, asset] trailing daily log-return std
    mean_volume,  # [volume slot, path, day, asset] trailing venue USD volume
    flow_usd,  # [scenario, day, asset] exogenous net flows, USD
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
    the sleeve's trades fill at P'_t.
    """
    n_scenarios, n_days, n_assets = flow_usd.shape
    n_paths = baseline_close.shape[0]
    n_bad = np.zeros(n_scenarios * n_paths, dtype=np.int64)
    announced = 0 <= announcement_day < n_days
    for column in prange(n_scenarios * n_paths):
        s = column // n_paths
        p = column % n_paths
        code = model_code[s]
        parameter = model_parameter[s]
        theta = permanent_share[s]
        alpha = anticipation_share[s]
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
            theta_now = theta * (1.0 - alpha) if announced and t > announcement_day else theta
            for a in range(n_assets):
                flow = flow_usd[s, t, a] + (sleeve_flow[a] if sleeve_active else 0.0)
                sig = sigma[sigma_slot[s], p, t, a]
                volume = volume_coverage[s] * mean_volume[volume_slot[s], p, t, a]
                market_cap = previous_close[a] * supply_coins[s, a]
                u = _instant_log_impact(code, parameter, flow, sig, volume, market_cap)
                if not np.isfinite(u):
                    n_bad[column] += 1
                if announced and t == announcement_day and alpha > 0.0:
                    expected = 0.0
                    for later in range(t + 1, n_days):
                        planned = flow_usd[s, later, a]
                        if has_sleeve and later >= sleeve_start[s]:
                            planned += target_weight[s, a] * contribution_usd[s, later]
                            if later == sleeve_start[s]:
                                planned += target_weight[s, a] * initial_fund_usd[s]
                        expected += _instant_log_impact(
                            code, parameter, planned, sig, volume, market_cap
                        )
                    jump[a] = alpha * theta * expected
                permanent[a] += theta_now * u
                fading = 0.0
                for k in range(n_k):
                    transient[a, k] = decay_per_day[s, k] * transient[a, k] + u
                    fading += decay_weight[s, k] * transient[a, k]
                log_impact = jump[a] + permanent[a] + (1.0 - theta) * fading
                close = baseline_close[p, t, a] * np.exp(log_impact)
                if sleeve_active:
                    units[a] += sleeve_flow[a] / close
                previous_close[a] = close
                out_close[s, p, t, a] = close
                out_flow[s, p, t, a] = flow
                out_log_impact[s, p, t, a] = log_impact
                out_instant[s, p, t, a] = u
    return n_bad.sum()


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
            if abs(units[a] * previous_close[a] / nav - weight[a]) > band:
                rebalance = True
    other_usd += (1.0 - weight_sum) * contribution
    for a in range(n_assets):
        out_flow[a] = weight[a] * contribution
        if rebalance:
            trade = weight[a] * nav - units[a] * previous_close[a]
            out_flow[a] += trade
            other_usd -= trade
    return other_usd
