"""The impact models' formulas for the numba kernels: one day's step, shared by engine and inverse.

``backtest.sim.kernels`` (the forward engine) and ``backtest.sim.inverse`` (the hindcast's
exact inverse) inline these same functions, so the two cannot drift apart. The formulas are
those of the NumPy model classes in ``backtest.sim.models`` (a test pins them together). Each
function branches on every ``ImpactModelCode`` explicitly; an unknown code gives NaN, which
the kernels count as a non-finite result.
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
def per_dollar(code, parameter, market_cap_usd, sigma, volume_usd):
    """κ_t, log impact per USD: λ; M / MC_t; Y·σ_t / V_t. NaN for an unknown code."""
    if code == LINEAR:
        return parameter
    if code == MULTIPLIER:
        return parameter / market_cap_usd
    if code == SQRT:
        return parameter * sigma / volume_usd
    return np.nan


@njit(cache=True, error_model="numpy", inline="always")
def transient_feed(code, flow_usd, dollars_log_impact):
    """What the decay kernel accumulates: κ·F (linear propagator) or F (the metaorder's size)."""
    if code == LINEAR:
        return dollars_log_impact
    if code == MULTIPLIER:
        return dollars_log_impact
    if code == SQRT:
        return flow_usd
    return np.nan


@njit(cache=True, error_model="numpy", inline="always")
def transient_log_impact(code, parameter, accumulated, sigma, volume_usd):
    """T_t from the accumulated A_t: A_t itself, or Y·σ_t·sign(E_t)·sqrt(|E_t| / V_t)."""
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
    "per_dollar",
    "reads_sigma_and_volume",
    "step_transient",
    "transient_feed",
    "transient_log_impact",
]
