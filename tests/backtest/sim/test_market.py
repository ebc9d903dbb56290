"""σ and V (backtest.sim.market): exact against NumPy and pandas, no look-ahead, NaN kept local."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from backtest.sim.market import (
    days_needed,
    history_sigma,
    history_volume_usd,
    market_volume_usd,
    trailing_sigma,
    trailing_venue_volume_usd,
)


def _series(seed: int, n_prior: int = 12, n_days: int = 25):
    rng = np.random.default_rng(seed)
    values = np.exp(np.cumsum(rng.normal(0, 0.05, (2, n_prior + n_days, 2)), axis=1)) * 100
    return values[:, :n_prior].copy(), values[:, n_prior:].copy()


def test_trailing_std_and_mean_match_numpy() -> None:
    prior, values = _series(1)
    window = 5
    sigma = trailing_sigma(prior, values, window)
    mean = trailing_venue_volume_usd(prior, values, window)
    combined = np.concatenate([prior, values], axis=1)
    returns = np.diff(np.log(combined), axis=1)
    for t in range(values.shape[1]):
        day = prior.shape[1] + t
        expected = np.std(returns[:, day - 1 - window : day - 1], axis=1, ddof=1)
        np.testing.assert_allclose(sigma[:, t], expected, rtol=1e-12)
        np.testing.assert_allclose(mean[:, t], combined[:, day - window : day].mean(axis=1),
                                   rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(cut=st.integers(0, 23), seed=st.integers(0, 1000))
def test_trailing_statistics_never_read_the_current_or_later_days(cut, seed) -> None:
    prior, values = _series(seed)
    changed = values.copy()
    changed[:, cut:] *= 1.7
    for kernel in (trailing_sigma, trailing_venue_volume_usd):
        before, after = kernel(prior, values, 6), kernel(prior, changed, 6)
        assert np.array_equal(before[:, : cut + 1], after[:, : cut + 1])
        assert not np.array_equal(before[:, cut + 1 :], after[:, cut + 1 :])


def test_rolling_sums_stay_exact_over_years_with_a_crash_and_a_volume_spike() -> None:
    # the kernels roll their sums day by day (re-summed every window): rounding must not build
    # up over 3,000 days, nor after a -60% day or a 1000x volume day leaves the window
    rng = np.random.default_rng(5)
    n_prior, n_days, window = 40, 3000, 30
    log_returns = rng.standard_t(3, (2, n_prior + n_days, 2)) * 0.03
    log_returns[:, 1500] = np.log(0.4)
    close = 1e4 * np.exp(np.cumsum(log_returns, axis=1))
    volume = close * rng.lognormal(0.0, 1.0, close.shape) * 100
    volume[:, 1500] *= 1000
    sigma = trailing_sigma(close[:, :n_prior].copy(), close[:, n_prior:].copy(), window)
    mean = trailing_venue_volume_usd(volume[:, :n_prior].copy(), volume[:, n_prior:].copy(), window)
    returns = np.diff(np.log(close), axis=1)
    # day t reads returns n_prior+t-1-window .. n_prior+t-2 and values n_prior+t-window .. -1
    return_windows = sliding_window_view(returns, window, axis=1)[:, n_prior - 1 - window :]
    value_windows = sliding_window_view(volume, window, axis=1)[:, n_prior - window :]
    expected_sigma = return_windows[:, :n_days].std(axis=-1, ddof=1)
    expected_mean = value_windows[:, :n_days].mean(axis=-1)
    np.testing.assert_allclose(sigma, expected_sigma, rtol=1e-12)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
    assert np.all(sigma[:, 1501 - n_prior : 1501 - n_prior + window] > 0.1)  # the crash is seen


def test_history_statistics_are_pandas_rolling_windows_shifted_by_a_day() -> None:
    # what the calibration used to write with pandas, and what σ_t and V_t mean
    rng = np.random.default_rng(7)
    close = pd.Series(3e4 * np.exp(np.cumsum(rng.normal(0, 0.04, 400))))
    venue = close * rng.uniform(5e3, 2e4, 400)
    sigma = history_sigma(close, 30)
    volume = history_volume_usd(venue, 20, 10.0)
    expected_sigma = np.log(close).diff().rolling(30).std().shift(1).to_numpy()
    expected_volume = (venue.rolling(20).mean().shift(1) * 10.0).to_numpy()
    np.testing.assert_array_equal(np.isnan(sigma), np.isnan(expected_sigma))
    np.testing.assert_array_equal(np.isnan(volume), np.isnan(expected_volume))
    assert np.isnan(sigma[:31]).all() and np.isfinite(sigma[31:]).all()
    np.testing.assert_allclose(sigma, expected_sigma, rtol=1e-12)
    np.testing.assert_allclose(volume, expected_volume, rtol=1e-12)
    assert days_needed(30, 20) == 31 and days_needed(5, 20) == 20


def test_a_missing_value_blanks_only_the_windows_that_hold_it() -> None:
    rng = np.random.default_rng(8)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, 120)))
    close[50] = np.nan
    window = 7
    sigma = history_sigma(close, window)
    volume = history_volume_usd(close, window, 1.0)
    # returns 50 and 51 are NaN: σ_t reads returns t-7 .. t-1, so t = 51 .. 58 are blank
    assert np.isnan(sigma[51:59]).all()
    assert np.isfinite(sigma[window + 1 : 51]).all() and np.isfinite(sigma[59:]).all()
    expected = pd.Series(np.log(close)).diff().rolling(window).std().shift(1).to_numpy()
    np.testing.assert_allclose(sigma[59:], expected[59:], rtol=1e-12)
    assert np.isnan(volume[51:58]).all()
    assert np.isfinite(volume[window:51]).all() and np.isfinite(volume[58:]).all()


def test_short_histories_have_no_value_and_coverage_scales_the_volume() -> None:
    assert np.isnan(history_sigma(np.ones(6), 5)).all()
    assert np.isnan(history_volume_usd(np.ones(5), 5, 2.0)).all()
    assert history_volume_usd(np.ones(6), 5, 2.0)[-1] == 2.0
    assert market_volume_usd(4.0, 2.5) == market_volume_usd.py_func(4.0, 2.5) == 10.0
