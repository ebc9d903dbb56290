"""The market state an impact model reads: σ_t and V_t, the one home of their definitions.

For day t of a daily series of closes C and venue USD volumes (close × base-unit volume,
``venue_volume_usd``):

- σ_t, the trailing daily volatility: the sample standard deviation (ddof 1) of the ``w``
  daily log returns ln(C_j / C_{j-1}) for j = t-w .. t-1, so it reads closes t-w-1 .. t-1;
- V_t, the market-wide USD volume: ``volume_coverage`` × the mean venue USD volume of days
  t-w .. t-1 (the venue sees only part of the market; ``market_volume_usd``).

Neither reads day t itself (no look-ahead). The engine (``backtest.sim.engine``) computes them
on the baseline paths with ``trailing_sigma`` and ``trailing_venue_volume_usd``; the
calibration (``backtest.analogs.calibrate``) on a price history with ``history_sigma`` and
``history_volume_usd``, which call the same kernels, so a calibrated parameter means the same
in the engine (tests/backtest/analogs/test_calibrate.py pins the two together).

The kernels use rolling sums: every ``w`` days a window is summed afresh, in between each day
adds the entering value and drops the leaving one, so rounding cannot build up over more than
``w`` steps. A non-finite value (a missing close) makes the statistic NaN on the days whose
window holds it, and only on those: after a non-finite sum the next day is summed afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from numba import njit, prange

FloatArray = npt.NDArray[np.float64]
Values = TypeVar("Values", bound=Any)


def trailing_sigma(
    prior_close_usd: FloatArray, close_usd: FloatArray, window_days: int
) -> FloatArray:
    """σ ``[path, day, asset]`` on the days of ``close_usd`` (both ``[path, day, asset]``).

    ``prior_close_usd`` holds the days before day 0, at least ``window_days + 1`` of them.
    """
    return _trailing_log_return_std(
        np.ascontiguousarray(prior_close_usd, dtype=np.float64),
        np.ascontiguousarray(close_usd, dtype=np.float64),
        window_days,
    )


def trailing_venue_volume_usd(
    prior_volume_usd: FloatArray, volume_usd: FloatArray, window_days: int
) -> FloatArray:
    """Mean venue USD volume of the ``window_days`` days before each day, ``[path, day, asset]``.

    ``prior_volume_usd`` holds the days before day 0, at least ``window_days`` of them. V_t is
    ``market_volume_usd`` of it.
    """
    return _trailing_mean(
        np.ascontiguousarray(prior_volume_usd, dtype=np.float64),
        np.ascontiguousarray(volume_usd, dtype=np.float64),
        window_days,
    )


@njit(cache=True, error_model="numpy", inline="always")
def market_volume_usd(venue_volume_usd: Any, volume_coverage: Any) -> Any:
    """V = coverage × venue USD volume (scalars in the kernels, arrays through ``.py_func``)."""
    return volume_coverage * venue_volume_usd


def venue_volume_usd(close_usd: Values, base_volume: Values) -> Values:
    """A day's venue volume in USD: its close × its volume in base units (coins).

    Arrays or pandas objects alike (the calibration passes series).
    """
    return close_usd * base_volume


def days_needed(volatility_window_days: int, volume_window_days: int) -> int:
    """Days of history before day 0 that σ and V of day 0 read."""
    return max(volatility_window_days + 1, volume_window_days)


def history_sigma(close_usd: npt.ArrayLike, window_days: int) -> FloatArray:
    """σ_t ``[day]`` of one daily series of closes; NaN on the first ``window_days + 1`` days."""
    series = np.asarray(close_usd, dtype=np.float64)
    return _on_history(series, window_days + 1, lambda p, v: trailing_sigma(p, v, window_days))


def history_volume_usd(
    venue_volume: npt.ArrayLike, window_days: int, volume_coverage: float
) -> FloatArray:
    """V_t ``[day]`` of one daily series of venue USD volumes; NaN on the first ``window_days``."""
    series = np.asarray(venue_volume, dtype=np.float64)
    trailing = _on_history(
        series, window_days, lambda p, v: trailing_venue_volume_usd(p, v, window_days)
    )
    return market_volume_usd.py_func(trailing, volume_coverage)


def _on_history(
    series: FloatArray, n_prior: int, kernel: Callable[[FloatArray, FloatArray], FloatArray]
) -> FloatArray:
    # the first n_prior days are the warm-up of the first day that has a value
    out = np.full(series.shape, np.nan)
    if series.size > n_prior:
        as_paths = series.reshape(1, -1, 1)
        out[n_prior:] = kernel(as_paths[:, :n_prior], as_paths[:, n_prior:])[0, :, 0]
    return out


@njit(cache=True, error_model="numpy", parallel=True)
def _trailing_log_return_std(prior_close, close, window):
    """σ[path, day, asset] (module docstring): two-pass fresh sums, rolling in between.

    Day t reads closes t-window-1 .. t-1. A fresh sum takes the mean K of the window, then
    Σ(r − K) and Σ(r − K)²; rolling days add the entering return and drop the leaving one;
    var = (Σ(r−K)² − (Σ(r−K))²/n) / (n − 1), shifted by K so that no large sums cancel.
    """
    n_paths, n_prior, n_assets = prior_close.shape
    n_days = close.shape[1]
    out = np.empty(close.shape)
    for p in prange(n_paths):
        series = np.concatenate((prior_close[p], close[p]))
        for a in range(n_assets):
            returns = np.log(series[1:, a] / series[:-1, a])
            shift = sum_shifted = sum_squares = 0.0
            for t in range(n_days):
                # return j of ``returns`` ends on combined day j + 1; day t is combined n_prior + t
                end = n_prior + t - 1
                if t % window == 0 or not np.isfinite(sum_squares):
                    shift = returns[end - window : end].sum() / window
                    sum_shifted = sum_squares = 0.0
                    for r in returns[end - window : end]:
                        sum_shifted += r - shift
                        sum_squares += (r - shift) ** 2
                else:
                    entering, leaving = returns[end - 1] - shift, returns[end - 1 - window] - shift
                    sum_shifted += entering - leaving
                    sum_squares += entering * entering - leaving * leaving
                variance = (sum_squares - sum_shifted * sum_shifted / window) / (window - 1)
                out[p, t, a] = np.sqrt(max(variance, 0.0)) if np.isfinite(variance) else np.nan
    return out


@njit(cache=True, error_model="numpy", parallel=True)
def _trailing_mean(prior_values, values, window):
    """Mean[path, day, asset] of the ``window`` values before each day (days t-window .. t-1)."""
    n_paths, n_prior, n_assets = prior_values.shape
    n_days = values.shape[1]
    out = np.empty(values.shape)
    for p in prange(n_paths):
        series = np.concatenate((prior_values[p], values[p]))
        for a in range(n_assets):
            total = 0.0
            for t in range(n_days):
                end = n_prior + t
                if t % window == 0 or not np.isfinite(total):
                    total = series[end - window : end, a].sum()
                else:
                    total += series[end - 1, a] - series[end - 1 - window, a]
                out[p, t, a] = total / window
    return out


__all__ = [
    "days_needed",
    "history_sigma",
    "history_volume_usd",
    "market_volume_usd",
    "trailing_sigma",
    "trailing_venue_volume_usd",
    "venue_volume_usd",
]
