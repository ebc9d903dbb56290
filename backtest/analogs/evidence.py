"""φ, the share of an asset's ETF-era log move that the hindcast attributes to its ETF flows.

Over the span of a stored ETF-flow table (the launch to the table's last day,
``backtest.analogs.hindcast.realized_series``), for an impact config with parameter value v::

    φ(v) = I_last(v) / ln(P'_last / P'_{first−1})

with I the hindcast's cumulative log impact (``backtest.analogs.hindcast.log_impact``) and the
denominator the realized log move of the window. φ = 1 is the hindcast's explaining value (the
flows alone explain the whole move); the inverse ``solve_share`` finds the v that gives a chosen
φ, by ``scipy.optimize.brentq`` on φ(v) − target over [0, high].

The bracket: the hindcast's ``BRACKET_HIGH`` for the model's key (its assumptions are stated
there), scanned on the hindcast's geometric grid (``SCAN_POINTS`` values from high·1e-6 up to
high, as ``backtest.analogs.hindcast.explaining_value`` scans it). φ(v) rises with v until the
implied no-ETF path runs away (under the multiplier the flows' market value reaches the
realized one and the implied close reaches zero; under the square-root law the transient reads
σ of the implied path, which a large v makes collapse and swing), so only the scan's rising
prefix, its edge refined by bisection, is a bracket (``rising_part``: φ finite, not falling, at most
``MAX_SHARE``): ``value_high`` is its last value, and the inverse is taken there, where it is
unique. A window whose price did not rise (realized move ≤ 0) gives no positive φ, and a
target outside [φ(0), φ(value_high)] is beyond the bracket: both are refused (InputError,
exit 2) naming the window and the range reachable on it. Past the rising part φ is reported
as +inf (``usable_share``): the flows would "explain" more than any move.

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
    EDGE_STEPS,
    PARAMETER_KEY,
    SCAN_POINTS,
    RealizedSeries,
    log_impact,
    with_parameter,
)
from backtest.sim.baseline import stationary_bootstrap_indices
from backtest.sim.impact import ImpactConfig
from flowimpact.errors import InputError
from flowimpact.units import BPS_PER_UNIT

FloatArray = npt.NDArray[np.float64]
#: the largest φ taken at its word (``rising_part``): ten times the window's move, past any
#: reading a study asks for (the axis 0.1-1, the sensitivity's 0.05-1); beyond it the implied
#: no-ETF path runs away (module docstring). An assumption
MAX_SHARE = 10.0
#: the step below a parameter value at which ``usable_share`` checks that φ still rises
LOCAL_STEP = 1.05
#: brentq's tolerance on the parameter, relative to the bracket's top; φ to well below 1e-6
RELATIVE_XTOL = 1e-13


@dataclass(frozen=True)
class Reach:
    """The φ an impact config can reach on one window: ``[share_low, share_high]``.

    ``value_high`` is the top of the rising part of the scanned bracket; ``share_low`` is φ
    at 0. ``values`` and ``shares`` are the scan's rising prefix (0 first), where the inverse is
    unique.
    """

    asset: str
    first_day: str
    last_day: str
    realized_log_return_bps: float
    parameter: str
    value_high: float
    share_low: float
    share_high: float
    values: tuple[float, ...] = ()
    shares: tuple[float, ...] = ()

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


def usable_share(series: RealizedSeries, impact: ImpactConfig) -> float:
    """φ of ``impact`` on ``series`` where it means what it says, else +inf.

    +inf: the parameter is past the rising part (``rising_part``, checked against φ at the
    value / ``LOCAL_STEP``): the implied no-ETF path runs away. On a falling window φ is
    negative and its size is what is checked.
    """
    value = float(getattr(impact, PARAMETER_KEY[impact.model]))
    try:
        share = explained_share(series, impact)
        if value <= 0.0 or not math.isfinite(share):
            return share if math.isfinite(share) else math.inf
        before = explained_share(series, with_parameter(impact, value / LOCAL_STEP))
    except InputError:
        return math.inf
    return share if _still_rising(np.array([before, share])) else math.inf


def rising_part(shares: npt.ArrayLike) -> FloatArray:
    """``shares`` (φ over increasing parameter values) with NaN from the first point past the
    part where φ means what it says: not finite, falling, or beyond ``MAX_SHARE`` (past it the
    implied no-ETF path's own collapse, not the flows, carries φ: module docstring)."""
    out = np.asarray(shares, dtype=np.float64).copy()
    for i in range(out.size):
        if not _still_rising(out[: i + 1]):
            out[i:] = np.nan
            break
    return out


def _still_rising(shares: FloatArray) -> bool:
    """Is the last of ``shares`` (φ, or its size on a falling window) on the usable part?"""
    last = float(shares[-1])
    if not math.isfinite(last) or abs(last) > MAX_SHARE:
        return False
    if shares.size < 2:
        return True
    before = float(shares[-2])
    # rising in size, never flipping sign (past the runaway φ jumps to either side)
    return last * before >= 0.0 and abs(last) >= abs(before)


def reach(series: RealizedSeries, impact: ImpactConfig) -> Reach:
    """The rising part of the bracket of ``impact``'s model on ``series``, with φ on it.

    The geometric scan stops at its first value past the rising part; the edge between that
    value and the last one on it is then found by ``EDGE_STEPS`` geometric bisections, so the
    reach does not end a whole scan step short of where φ stops meaning what it says.
    """
    key = PARAMETER_KEY[impact.model]
    high = BRACKET_HIGH[key]
    values, shares = [0.0], [explained_share(series, with_parameter(impact, 0.0))]

    def on_rising_part(value: float) -> float | None:
        """φ at ``value`` if it is still on the rising part past ``shares[-1]``, else None."""
        share = float(share_curve(series, impact, [value])[0])
        # rising from the last value taken and from just below (``LOCAL_STEP``): where the
        # implied path feeds back on itself φ first turns ragged, then runs away
        just_below = float(share_curve(series, impact, [value / LOCAL_STEP])[0])
        rising = _still_rising(np.array([*shares, share])) and _still_rising(
            np.array([just_below, share])
        )
        return share if rising else None

    past: float | None = None
    for value in np.geomspace(high * 1e-6, high, SCAN_POINTS):
        share = on_rising_part(float(value))
        if share is None:
            past = float(value)
            break
        values.append(float(value))
        shares.append(share)
    if past is not None and values[-1] > 0.0:
        on, off = values[-1], past
        for _ in range(EDGE_STEPS):
            middle = math.sqrt(on * off)
            share = on_rising_part(middle)
            if share is None:
                off = middle
            else:
                on = middle
                values.append(middle)
                shares.append(share)
    return Reach(
        asset=series.asset,
        first_day=series.days[0].strftime("%Y-%m-%d"),
        last_day=series.days[-1].strftime("%Y-%m-%d"),
        realized_log_return_bps=series.realized_log_return * BPS_PER_UNIT,
        parameter=key,
        value_high=values[-1],
        share_low=shares[0],
        share_high=shares[-1],
        values=tuple(values),
        shares=tuple(shares),
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
    # the first scanned value at or past the target closes a bracket on the rising part
    above = next(i for i, reached in enumerate(bounds.shares) if reached >= share)
    below, top = bounds.values[above - 1], bounds.values[above]

    def residual(value: float) -> float:
        return explained_share(series, with_parameter(impact, value)) - share

    return float(brentq(residual, below, top, xtol=RELATIVE_XTOL * bounds.value_high))


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
    "rising_part",
    "share_curve",
    "solve_share",
    "usable_share",
    "zero_drift_window_returns",
]
