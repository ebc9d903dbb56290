"""backtest/sim/percentiles.py: NumPy's 'linear' percentiles over axis 0, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from backtest.sim.percentiles import percentiles_over_first_axis

PERCENTILES = (0, 5, 25, 50, 95, 99.5, 100)


@pytest.mark.parametrize("n_paths", [1, 2, 3, 7, 200, 2000])
def test_the_same_numbers_as_np_percentile(n_paths: int) -> None:
    rng = np.random.default_rng(n_paths)
    values = rng.lognormal(size=(n_paths, 37, 2)) * 1e4
    got = percentiles_over_first_axis(values, PERCENTILES)
    np.testing.assert_array_equal(got, np.percentile(values, PERCENTILES, axis=0))


def test_ties_nan_and_inf_as_np_percentile() -> None:
    rng = np.random.default_rng(7)
    values = rng.integers(0, 4, size=(20, 30, 3)).astype(float)  # many ties
    values[3, 0, 0] = np.nan
    values[:, 1, 1] = np.nan
    values[5, 2, 2] = np.inf
    values[6, 3, 2] = -np.inf
    values[:, 4, 0] = np.inf
    with np.errstate(invalid="ignore"):
        expected = np.percentile(values, PERCENTILES, axis=0)
        got = percentiles_over_first_axis(values, PERCENTILES)
    np.testing.assert_array_equal(got, expected)  # NaN where NumPy has NaN
    assert np.isnan(got[:, 0, 0]).all() and np.isnan(got[:, 1, 1]).all()


def test_the_fan_band_shape_of_one_scenario() -> None:
    close = np.random.default_rng(1).normal(100, 5, size=(50, 10, 2))  # [path, day, asset]
    band = percentiles_over_first_axis(close, (5, 50, 95))
    assert band.shape == (3, 10, 2)
    assert np.all(band[0] <= band[1]) and np.all(band[1] <= band[2])


def test_refuses_an_empty_axis_and_percentiles_outside_0_100() -> None:
    with pytest.raises(ValueError, match="empty"):
        percentiles_over_first_axis(np.empty((0, 3)), (50,))
    with pytest.raises(ValueError, match="outside"):
        percentiles_over_first_axis(np.ones((3, 3)), (101,))
