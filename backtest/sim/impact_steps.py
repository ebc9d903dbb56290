"""The impact models' formulas for the numba kernels: one day's step, shared by engine and inverse.

``backtest.sim.kernels`` (the forward engine) and ``backtest.sim.inverse`` (the hindcast's
exact inverse) inline these same functions, so the two cannot drift apart. The formulas are
those of the NumPy model classes in ``backtest.sim.models`` (a test pins them together). Each
function branches on every ``ImpactModelCode`` explicitly; an unknown code gives NaN, which
the kernels count as a non-finite result.

The day's state of one column and asset: ``lasting`` (J + Π, the anticipation and the
permanent stock Σ θ_s·κ·F_s) and ``fading`` (the transient part before its (1 − θ) share),
each in the model's unit: log price under ``linear``, USD of market value under ``multiplier``
and, for ``lasting``, under ``sqrt`` (its ``fading`` is a log move).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from backtest.sim.models import ImpactModelCode

# plain ints: numba folds module-level int constants into the compiled code
LINEAR = int(ImpactModelCode.LINEAR)
SQRT = int(ImpactModelCode.SQRT)
MULTIPLIER = int(ImpactModelCode.MULTIPLIER)


@njit(cache=True, error_model="numpy", inline="always")
def reads_sigma_and_volume(code):
    """Whether the model reads σ_t and V_t (the kernels load them only then)."""
    return code == SQRT


@njit(cache=True, error_model="numpy", inline="always")
def path_free_per_dollar(code):
    """Whether κ is the model's parameter alone (linear, multiplier), the same on every path;
    the square-root law's reads the path's σ_0, MC_0 and V_0 (``per_dollar``)."""
    return code in (LINEAR, MULTIPLIER)


@njit(cache=True, error_model="numpy", inline="always")
def per_dollar(code, parameter, reference_cap_usd, reference_sigma, reference_volume_usd):
    """κ, one number for the whole window: λ (log per USD); M; Y·σ_0·MC_0 / V_0 (USD of value
    per USD). The reference state is the baseline's before the window's first day. NaN for an
    unknown code."""
    if code == LINEAR:
        return parameter
    if code == MULTIPLIER:
        return parameter
    if code == SQRT:
        return parameter * reference_sigma * reference_cap_usd / reference_volume_usd
    return np.nan


@njit(cache=True, error_model="numpy", inline="always")
def transient_feed(code, flow_usd, impact):
    """What the decay kernel accumulates: κ·F (linear propagator) or F (the metaorder's size)."""
    if code == LINEAR:
        return impact
    if code == MULTIPLIER:
        return impact
    if code == SQRT:
        return flow_usd
    return np.nan


@njit(cache=True, error_model="numpy", inline="always")
def transient_part(code, parameter, accumulated, sigma, volume_usd):
    """The transient from the accumulated A_t: A_t itself, or Y·σ_t·sign(E_t)·sqrt(|E_t| / V_t)."""
    if code == LINEAR:
        return accumulated
    if code == MULTIPLIER:
        return accumulated
    if code == SQRT:
        if accumulated == 0.0:  # no metaorder: no impact, also where V is 0
            return 0.0
        return parameter * sigma * np.sign(accumulated) * np.sqrt(np.abs(accumulated) / volume_usd)
    return np.nan


@njit(cache=True, error_model="numpy", inline="always")
def log_impact(code, theta, lasting, fading, market_cap_usd):
    """I_t from the day's parts; MC_t = B_t × supply, the baseline's market cap that day.

    linear: J + Π + (1 − θ)·T; multiplier: ln(1 + (J + Π + (1 − θ)·A) / MC_t); sqrt:
    ln(1 + (J + Π) / MC_t) + (1 − θ)·T. Not finite where sales take more than the market's
    value (1 + ... ≤ 0).
    """
    if code == LINEAR:
        return lasting + (1.0 - theta) * fading
    if code == MULTIPLIER:
        return np.log1p((lasting + (1.0 - theta) * fading) / market_cap_usd)
    if code == SQRT:
        return np.log1p(lasting / market_cap_usd) + (1.0 - theta) * fading
    return np.nan


@njit(cache=True, error_model="numpy", inline="always")
def log_impact_is_finite(code, theta, lasting, fading, market_cap_usd):
    """Whether ``log_impact`` with these arguments is finite, without its log1p.

    The engine counts every cell-day whose I_t is not finite, also on the days whose I_t it
    does not keep (``backtest.sim.kernels``, horizon mode); this answers that question at the
    price of a division instead of a libm call, and gives the same answer for every input:
    log1p(z) is finite exactly where z is finite and z > -1 (log1p(-1) = -inf, NaN below and
    for NaN, +inf for +inf), so under the multiplier I is finite iff z = (J + Π + (1 − θ)·A) /
    MC_t is, with z > -1; under the square-root law I = log1p((J + Π) / MC_t) + (1 − θ)·T is
    finite iff both terms are, since a finite log1p is at most ln(DBL_MAX) < 710 in size, far
    below half an ulp of DBL_MAX, so their sum cannot overflow. Linear: I itself (no log).
    """
    if code == LINEAR:
        return np.isfinite(lasting + (1.0 - theta) * fading)
    if code == MULTIPLIER:
        z = (lasting + (1.0 - theta) * fading) / market_cap_usd
        return z > -1.0 and z < np.inf
    if code == SQRT:
        z = lasting / market_cap_usd
        return z > -1.0 and z < np.inf and np.isfinite((1.0 - theta) * fading)
    return False


@njit(cache=True, error_model="numpy", inline="always")
def impacted_close(code, theta, lasting, fading, baseline_usd, supply_coins):
    """P'_t = B_t·exp(I_t), computed without the exp where the model is additive in price."""
    if code == LINEAR:
        return baseline_usd * np.exp(lasting + (1.0 - theta) * fading)
    if code == MULTIPLIER:
        return baseline_usd + (lasting + (1.0 - theta) * fading) / supply_coins
    if code == SQRT:
        return (baseline_usd + lasting / supply_coins) * np.exp((1.0 - theta) * fading)
    return np.nan


@njit(cache=True, error_model="numpy", inline="always")
def lasting_log_impact(code, lasting, market_cap_usd):
    """The part of I_t that never decays: J + Π, or ln(1 + (J + Π) / MC_t)."""
    if code == LINEAR:
        return lasting
    if code == MULTIPLIER:
        return np.log1p(lasting / market_cap_usd)
    if code == SQRT:
        return np.log1p(lasting / market_cap_usd)
    return np.nan


@njit(cache=True, error_model="numpy", inline="always")
def baseline_close(code, theta, lasting, fading, close_usd, supply_coins):
    """B_t from the impacted close P'_t: ``log_impact`` solved for the baseline, in closed form.

    linear: P'·exp(−I); multiplier: P' − (J + Π + (1 − θ)·A) / supply; sqrt:
    P'·exp(−(1 − θ)·T) − (J + Π) / supply.
    """
    if code == LINEAR:
        return close_usd * np.exp(-(lasting + (1.0 - theta) * fading))
    if code == MULTIPLIER:
        return close_usd - (lasting + (1.0 - theta) * fading) / supply_coins
    if code == SQRT:
        return close_usd * np.exp(-(1.0 - theta) * fading) - lasting / supply_coins
    return np.nan


@njit(cache=True, error_model="numpy", inline="always")
def step_transient(transient, weight, decay_per_day, n_terms, feed):
    """A_k ← ρ_k·A_k + x for each decay term in use; returns A = Σ_k w_k·A_k."""
    accumulated = 0.0
    for k in range(n_terms):
        transient[k] = decay_per_day[k] * transient[k] + feed
        accumulated += weight[k] * transient[k]
    return accumulated


__all__ = [
    "LINEAR",
    "MULTIPLIER",
    "SQRT",
    "baseline_close",
    "impacted_close",
    "lasting_log_impact",
    "log_impact",
    "log_impact_is_finite",
    "path_free_per_dollar",
    "per_dollar",
    "reads_sigma_and_volume",
    "step_transient",
    "transient_feed",
    "transient_part",
]
