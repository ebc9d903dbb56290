"""φ, the share of an asset's ETF-era log move that the hindcast attributes to its ETF flows.

Over the span of a stored ETF-flow table (the launch to the table's last day,
``backtest.analogs.hindcast.realized_series``), for an impact config with parameter value v::

    φ(v) = I_last(v) / ln(P'_last / P'_{first−1})

with I the hindcast's cumulative log impact (``backtest.analogs.hindcast.log_impact``) and the
denominator the realized log move of the window. φ = 1 is the hindcast's explaining value (the
flows alone explain the whole move); the inverse ``solve_share`` finds the v that gives a chosen
φ, by ``scipy.optimize.brentq`` on φ(v) − target over [0, high].

The bracket: ``high`` is the hindcast's ``BRACKET_HIGH`` for the model's key (its assumptions
are stated there), halved until the hindcast gives a finite impact at it (under the log-linear
multiplier of today a day's sell of MC/M or more has no price; halving keeps this module off the
hindcast's internals). A window whose price did not rise (realized move ≤ 0) gives no positive
φ, and a target outside [φ(0), φ(high)] is beyond the bracket: both are refused (InputError,
exit 2) naming the window and the range reachable on it.

The record's noise: ``zero_drift_window_returns`` draws the window's log return as the study's
baseline would without any ETF (the stationary block bootstrap of ``backtest.sim.baseline``,
Politis & Romano 1994, on the asset's daily log returns, demeaned: zero drift). Its spread
beside the realized move is why the record cannot bound φ from below: a counterfactual without
the flows could have moved as far.

Only the hindcast's narrow interface is read here (``RealizedSeries``, ``log_impact``,
``with_parameter``, ``PARAMETER_KEY``, ``BRACKET_HIGH``), so a new impact model or a new
hindcast recursion changes nothing in this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq

from backtest.analogs.hindcast import (
    BRACKET_HIGH,
    PARAMETER_KEY,
    RealizedSeries,
    log_impact,
    with_parameter,
)
from backtest.sim.baseline import stationary_bootstrap_indices
from backtest.sim.impact import ImpactConfig
from flowimpact.errors import InputError
from flowimpact.units import BPS_PER_UNIT

FloatArray = npt.NDArray[np.float64]
#: how often the bracket's top may be halved before the model is taken to give no price at all
MAX_HALVINGS = 60
#: brentq's tolerance on the parameter, relative to the bracket's top; φ to well below 1e-6
RELATIVE_XTOL = 1e-13


@dataclass(frozen=True)
class Reach:
    """The φ an impact config can reach on one window: ``[share_low, share_high]``.

    ``value_high`` is the bracket's top as used (after halving); ``share_low`` is φ at 0.
    """

    asset: str
    first_day: str
    last_day: str
    realized_log_return_bps: float
    parameter: str
    value_high: float
    share_low: float
    share_high: float

    @property
    def window(self) -> str:
        return (
            f"{self.asset} {self.first_day}..{self.last_day} "
            f"({self.realized_log_return_bps:+,.0f} bps)"
        )


def explained_share(series: RealizedSeries, impact: ImpactConfig) -> float:
    """φ of ``impact`` on ``series``: I_last / realized log move (NaN on a flat window)."""
    realized = series.realized_log_return
    if realized == 0.0:
        return math.nan
    return float(log_impact(series, impact)[1][-1]) / realized


def share_curve(series: RealizedSeries, impact: ImpactConfig, values: npt.ArrayLike) -> FloatArray:
    """φ at each parameter value of ``values`` (NaN where the model gives no finite impact)."""
    out = []
    for value in np.asarray(values, dtype=np.float64):
        try:
            out.append(explained_share(series, with_parameter(impact, float(value))))
        except InputError:
            out.append(math.nan)
    return np.asarray(out, dtype=np.float64)


def reach(series: RealizedSeries, impact: ImpactConfig) -> Reach:
    """The bracket of ``impact``'s model on ``series`` and the φ at both of its ends."""
    key = PARAMETER_KEY[impact.model]
    high = BRACKET_HIGH[key]
    for _ in range(MAX_HALVINGS):
        try:
            share_high = explained_share(series, with_parameter(impact, high))
            break
        except InputError:
            high /= 2.0
    else:  # pragma: no cover - a model with no finite impact at any positive value
        share_high = math.nan
    return Reach(
        asset=series.asset,
        first_day=series.days[0].strftime("%Y-%m-%d"),
        last_day=series.days[-1].strftime("%Y-%m-%d"),
        realized_log_return_bps=series.realized_log_return * BPS_PER_UNIT,
        parameter=key,
        value_high=high,
        share_low=explained_share(series, with_parameter(impact, 0.0)),
        share_high=share_high,
    )


def solve_share(series: RealizedSeries, impact: ImpactConfig, share: float) -> float:
    """The parameter value at which the hindcast of ``series`` attributes φ = ``share``.

    Every other key of ``impact`` (θ, decay, windows) is kept. InputError (exit 2) naming the
    window and the reachable range when the window did not rise or ``share`` is beyond it.
    """
    bounds = reach(series, impact)
    low, high = sorted((bounds.share_low, bounds.share_high))
    key = bounds.parameter
    if not series.realized_log_return > 0.0:
        raise InputError(
            f"[impact] etf_explained_share = {share:g}: the window {bounds.window} did not rise, "
            f"so no {key} attributes a positive share of it to the ETF flows (reachable: "
            f"{low:.3g} to {high:.3g} on {key} in [0, {bounds.value_high:g}]); choose another "
            "[impact] etf_reference or set etf_explained_share = [] to run the parameters as given"
        )
    if not (math.isfinite(low) and math.isfinite(high) and low <= share <= high):
        raise InputError(
            f"[impact] etf_explained_share = {share:g} is beyond reach on the window "
            f"{bounds.window}: the {impact.model} model reaches {low:.3g} to {high:.3g} with "
            f"{key} in [0, {bounds.value_high:g}]; give a share in that range"
        )
    if share == bounds.share_low:
        return 0.0
    if share == bounds.share_high:
        return bounds.value_high

    def residual(value: float) -> float:
        return explained_share(series, with_parameter(impact, value)) - share

    return float(brentq(residual, 0.0, bounds.value_high, xtol=RELATIVE_XTOL * bounds.value_high))


def zero_drift_window_returns(
    history_close_usd: npt.ArrayLike,
    n_days: int,
    *,
    n_paths: int,
    block_mean_days: float,
    seed: int,
) -> FloatArray:
    """``n_paths`` bootstrap draws of an ``n_days`` window's log return with zero drift.

    ``history_close_usd``: the asset's daily closes, the source of the daily log returns
    (demeaned); draws as ``backtest.sim.baseline``'s stationary bootstrap.
    """
    close = np.asarray(history_close_usd, dtype=np.float64)
    returns = np.diff(np.log(close))
    returns = returns[np.isfinite(returns)]
    if returns.size < 2 or n_days < 1:
        raise InputError(
            f"the bootstrap of a {n_days}-day window needs daily closes before it, "
            f"{close.size} are loaded"
        )
    returns = returns - returns.mean()
    rng = np.random.default_rng(seed)
    index = stationary_bootstrap_indices(rng, n_paths, n_days, returns.size, block_mean_days)
    return np.asarray(returns[index].sum(axis=1), dtype=np.float64)


__all__ = [
    "Reach",
    "explained_share",
    "reach",
    "share_curve",
    "solve_share",
    "zero_drift_window_returns",
]
