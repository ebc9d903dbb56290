"""Decay kernels: exact exponential, power law and its sum-of-exponentials form."""

from __future__ import annotations

import numpy as np
import pytest

from backtest.sim.decay import ExponentialDecay, PowerLawDecay, decay_kernel
from backtest.sim.impact import ImpactConfig


def test_exponential_kernel_halves_at_its_half_life() -> None:
    kernel = ExponentialDecay(12.0)
    assert kernel.weight(0) == 1.0
    assert kernel.weight(12) == pytest.approx(0.5, rel=1e-15)
    assert kernel.weight(24) == pytest.approx(0.25, rel=1e-15)
    terms = kernel.exponential_terms(100)
    lags = np.arange(101)
    np.testing.assert_allclose(terms.evaluate(lags), kernel.weight(lags), rtol=1e-13)
    assert terms.max_abs_error == 0.0


@pytest.mark.parametrize("beta", [0.2, 0.5, 1.0, 1.5])
@pytest.mark.parametrize("tau", [0.5, 1.0, 10.0])
def test_power_law_terms_stay_within_their_documented_error(beta, tau) -> None:
    kernel = PowerLawDecay(tau, beta)
    terms = kernel.exponential_terms(3000)
    lags = np.arange(3001)
    measured = np.max(np.abs(terms.evaluate(lags) - kernel.weight(lags)))
    assert measured == pytest.approx(terms.max_abs_error, rel=1e-6)
    assert terms.max_abs_error < 1e-5
    assert np.all(terms.weight > 0)
    assert np.all((terms.decay_per_day > 0) & (terms.decay_per_day < 1))


def test_power_law_is_one_at_zero_and_decays_slowly() -> None:
    kernel = PowerLawDecay(1.0, 0.5)
    assert kernel.weight(0) == 1.0
    assert kernel.weight(3) == pytest.approx(0.5)
    assert np.all(np.diff(kernel.weight(np.arange(50))) < 0)


def test_decay_kernel_follows_the_config() -> None:
    assert decay_kernel(ImpactConfig(half_life_days=7.0)) == ExponentialDecay(7.0)
    power = decay_kernel(ImpactConfig(decay="power", power_tau_days=2.0, power_beta=0.3))
    assert power == PowerLawDecay(2.0, 0.3)
