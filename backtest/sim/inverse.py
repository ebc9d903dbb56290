"""The engine run backwards: the baseline B that, with the flows F, gives an impacted path P'.

The engine (``backtest.sim.kernels``) reads only the baseline's state, so its inverse is a
recursion over the days, exact for every model. Before the first day B = P' (no flow has moved
it yet), which fixes the model's κ (``backtest.sim.impact_steps.per_dollar``: MC_0 = B_{-1} ×
supply, σ_0 and V_0 before the first day). At day t, with the days before t already solved:

    σ_t trailing on B (``backtest.sim.market``'s definition),
    V_t = coverage × the trailing mean of the realized venue volume (flows do not change
          volume: the engine's assumption too),
    Π_t = Σ θ·κ·F_s and the transient with the model's step (``backtest.sim.impact_steps``,
          the very functions the engine inlines),
    B_t = the model's equation for P'_t solved for B_t in closed form
          (``impact_steps.baseline_close``), and I_t from B_t as the engine computes it.

The anticipation is left out (the hindcast prices every flow on its own day). The decay is the
engine's exponential-sum form (``backtest.sim.decay``); for the power law the engine fits it on
its own horizon, so an exact round trip uses the same horizon here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from backtest.sim.decay import ExponentialTerms
from backtest.sim.impact_steps import (
    baseline_close,
    per_dollar,
    reads_sigma_and_volume,
    step_transient,
    transient_feed,
    transient_part,
)
from backtest.sim.impact_steps import log_impact as day_log_impact

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ImpliedBaseline:
    """Per day of the span: ``instant_log_impact`` u_t = κ·F_t (the model's unit),
    ``per_dollar`` κ (the same every day), ``log_impact`` I_t and ``close_usd`` B_t, all
    float64 ``[day]``."""

    instant_log_impact: FloatArray
    per_dollar: FloatArray
    log_impact: FloatArray
    close_usd: FloatArray


def implied_baseline(
    *,
    code: int,
    parameter: float,
    permanent_share: float,
    supply_coins: float,
    terms: ExponentialTerms,
    volatility_window_days: int,
    prior_close_usd: npt.ArrayLike,
    close_usd: npt.ArrayLike,
    flow_usd: npt.ArrayLike,
    market_volume_usd: npt.ArrayLike,
) -> ImpliedBaseline:
    """Solve the engine for B given P' (``close_usd``) and F, day by day (module docstring).

    ``prior_close_usd`` are the closes before the first day (at least ``volatility_window_days
    + 1`` for a model that reads σ, one otherwise); ``market_volume_usd[day]`` is V_t
    (coverage applied; ignored by a model that does not read it). ``code`` and ``parameter``
    are the model's (``backtest.sim.models``).
    """
    prior = np.ascontiguousarray(prior_close_usd, dtype=np.float64)
    close = np.ascontiguousarray(close_usd, dtype=np.float64)
    u, kappa, log_impact, baseline = _implied(
        int(code), float(parameter), float(permanent_share), float(supply_coins),
        np.ascontiguousarray(terms.weight, dtype=np.float64),
        np.ascontiguousarray(terms.decay_per_day, dtype=np.float64),
        int(volatility_window_days), prior, close,
        np.ascontiguousarray(flow_usd, dtype=np.float64),
        np.ascontiguousarray(market_volume_usd, dtype=np.float64),
    )  # fmt: skip
    return ImpliedBaseline(u, kappa, log_impact, baseline)


@njit(cache=True, error_model="numpy")
def _implied(
    code, parameter, theta, supply, weight, decay_per_day, window, prior, close, flow, volume
):
    n_prior, n_days = prior.size, close.size
    history = np.empty(n_prior + n_days)  # B on the prior days and on the days solved so far
    history[:n_prior] = prior
    u_out, kappa_out = np.zeros(n_days), np.zeros(n_days)
    log_impact, baseline = np.empty(n_days), np.empty(n_days)
    reads_state = reads_sigma_and_volume(code)
    n_k = weight.size
    transient = np.zeros(n_k)
    permanent = 0.0
    reference_sigma = reference_volume = 0.0
    # the log returns of B, each taken once (σ of every day reads the window's again)
    returns = np.empty(n_prior + n_days)
    if reads_state:
        for j in range(1, n_prior):
            returns[j] = np.log(history[j] / history[j - 1])
        reference_sigma = _window_sigma(returns, n_prior, window)
        reference_volume = volume[0]
    kappa = per_dollar(
        code, parameter, history[n_prior - 1] * supply, reference_sigma, reference_volume
    )
    for t in range(n_days):
        day = n_prior + t
        sig = volume_usd = 0.0
        if reads_state:
            sig = _window_sigma(returns, day, window)
            volume_usd = volume[t]
        u = kappa * flow[t] if flow[t] != 0.0 else 0.0  # as the engine: no flow, no u
        permanent += theta * u
        accumulated = step_transient(
            transient, weight, decay_per_day, n_k, transient_feed(code, flow[t], u)
        )
        fading = transient_part(code, parameter, accumulated, sig, volume_usd)
        history[day] = baseline_close(code, theta, permanent, fading, close[t], supply)
        baseline[t] = history[day]
        if reads_state:
            returns[day] = np.log(history[day] / history[day - 1])
        log_impact[t] = day_log_impact(code, theta, permanent, fading, history[day] * supply)
        u_out[t], kappa_out[t] = u, kappa
    return u_out, kappa_out, log_impact, baseline


@njit(cache=True, error_model="numpy", inline="always")
def _window_sigma(returns, day, window):
    """σ of ``day``: the sample std (ddof 1) of the ``window`` log returns ending on day − 1
    (``returns[j]`` = ln(B_j / B_{j−1})).

    The shifted two-pass form of ``backtest.sim.market``'s kernel, summed afresh every day.
    """
    shift = 0.0
    for j in range(day - window, day):
        shift += returns[j]
    shift /= window
    sum_shifted = sum_squares = 0.0
    for j in range(day - window, day):
        r = returns[j] - shift
        sum_shifted += r
        sum_squares += r * r
    variance = (sum_squares - sum_shifted * sum_shifted / window) / (window - 1)
    return np.sqrt(max(variance, 0.0)) if np.isfinite(variance) else np.nan


__all__ = ["ImpliedBaseline", "implied_baseline"]
