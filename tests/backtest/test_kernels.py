"""Trailing statistics kernels: exact against NumPy, and no look-ahead."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.kernels import trailing_log_return_std, trailing_mean


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
