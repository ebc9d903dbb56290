"""Trailing statistics kernels: exact against NumPy, and no look-ahead."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from backtest.sim.kernels import trailing_log_return_std, trailing_mean


def _series(seed: int, n_prior: int = 12, n_days: int = 25):
    rng = np.random.default_rng(seed)
    values = np.exp(np.cumsum(rng.normal(0, 0.05, (2, n_prior + n_days, 2)), axis=1)) * 100
    return values[:, :n_prior].copy(), values[:, n_prior:].copy()


def test_trailing_std_and_mean_match_numpy() -> None:
    prior, values = _series(1)
    window = 5
    sigma = trailing_log_return_std(prior, values, window)
    mean = trailing_mean(prior, values, window)
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
    for kernel in (trailing_log_return_std, trailing_mean):
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
    sigma = trailing_log_return_std(close[:, :n_prior].copy(), close[:, n_prior:].copy(), window)
    mean = trailing_mean(volume[:, :n_prior].copy(), volume[:, n_prior:].copy(), window)
    returns = np.diff(np.log(close), axis=1)
    # day t reads returns n_prior+t-1-window .. n_prior+t-2 and values n_prior+t-window .. -1
    return_windows = sliding_window_view(returns, window, axis=1)[:, n_prior - 1 - window :]
    value_windows = sliding_window_view(volume, window, axis=1)[:, n_prior - window :]
    expected_sigma = return_windows[:, :n_days].std(axis=-1, ddof=1)
    expected_mean = value_windows[:, :n_days].mean(axis=-1)
    np.testing.assert_allclose(sigma, expected_sigma, rtol=1e-12)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
    assert np.all(sigma[:, 1501 - n_prior : 1501 - n_prior + window] > 0.1)  # the crash is seen
