"""The horizon kernel (backtest/sim/horizon_kernel.py) against simulate_impact's horizon mode.

The oracle is the engine's own full kernel, called in its horizon mode through the same
``run_engine`` with ``horizon_kernel.simulate_horizon`` patched to it: both must agree bit for
bit, output by output, and count the same non-finite cell-days.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backtest.sim import engine, horizon_kernel, kernels
from backtest.sim.engine import run_engine
from backtest.sim.impact import ImpactConfig
from flowimpact.errors import InputError
from tests.backtest.sim.reference_engine import synthetic_baseline
from tests.backtest.sim.test_engine import ALL_MODELS, HORIZON_ONLY, N_DAYS, config, sleeve_for


def _full_kernel_horizon_mode(market, flows, impact, decay, outputs):
    idle = engine._sleeve_params(None, *flows.flow_usd.shape)  # the engine's own "no sleeve"
    return kernels.simulate_impact(market, flows, impact, decay, idle, outputs)


def _many_scenarios(seed: int) -> tuple[np.ndarray, list[ImpactConfig]]:
    # every model many times over, so both threads get columns of every kind; buys and sells
    rng = np.random.default_rng(seed)
    impacts = [
        dataclasses.replace(c, permanent_share=share)
        for share in (0.2, 0.5, 0.9)
        for c in ALL_MODELS
    ]
    flows = rng.uniform(-1e8, 5e8, (len(impacts), N_DAYS, 2))
    flows[:, rng.random(N_DAYS) < 0.4] = 0.0
    flows[:, 3:5] = rng.uniform(1e8, 5e8, (len(impacts), 2, 2))  # around the announcement
    return flows, impacts


@pytest.mark.parametrize("announcement", [-1, 3, N_DAYS - 1])
@pytest.mark.parametrize("outputs", [HORIZON_ONLY, HORIZON_ONLY[:1], HORIZON_ONLY[1:]])
def test_the_horizon_kernel_equals_the_full_kernels_horizon_mode_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, announcement: int, outputs: tuple[str, ...]
) -> None:
    baseline = synthetic_baseline(41, n_paths=7)
    flows, impacts = _many_scenarios(42)
    calls = []
    real = horizon_kernel.simulate_horizon

    def spy(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(horizon_kernel, "simulate_horizon", spy)
    got = run_engine(baseline, flows, impacts, None, announcement, outputs=outputs)
    assert calls == [1]
    monkeypatch.setattr(horizon_kernel, "simulate_horizon", _full_kernel_horizon_mode)
    expected = run_engine(baseline, flows, impacts, None, announcement, outputs=outputs)
    for name in outputs:
        assert got.array(name).tobytes() == expected.array(name).tobytes(), name
        assert np.all(got.array(name) != 0.0)  # not a comparison between zeros
    for name in set(HORIZON_ONLY) - set(outputs):
        assert getattr(got, name) is None


@pytest.mark.parametrize("model", ["multiplier", "sqrt", "linear"])
def test_the_horizon_kernel_counts_non_finite_days_as_the_full_kernel(
    monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    # a sale worth three times the market on day 15, bought back the next day, on some paths
    baseline = synthetic_baseline(43, n_paths=5)
    impact = config(
        model=model, multiplier=5.0, sqrt_y=0.5, lambda_per_billion_usd=1e306, permanent_share=0.5
    )
    size = 3.0 * baseline.close_usd[:, :, 0].max() * impact.supply_coins("BTC")
    flows = np.zeros((2, N_DAYS, 2))
    flows[0, 15, 0], flows[0, 16, 0] = -size, size
    flows[1, 10, 1] = 1e9  # a scenario with no bad day beside it
    messages = []
    for kernel in (horizon_kernel.simulate_horizon, _full_kernel_horizon_mode):
        monkeypatch.setattr(horizon_kernel, "simulate_horizon", kernel)
        with pytest.raises(InputError, match="cell-day") as caught:
            run_engine(baseline, flows, [impact, impact], None, -1, outputs=HORIZON_ONLY)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert int(messages[0].split()[0]) > 1


def test_runs_with_a_sleeve_or_a_daily_output_never_take_the_horizon_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args):
        raise AssertionError("the horizon kernel ran")

    monkeypatch.setattr(horizon_kernel, "simulate_horizon", refuse)
    baseline = synthetic_baseline(44)
    flows, impacts = _many_scenarios(45)
    sleeve = sleeve_for(len(impacts))
    with_sleeve = run_engine(baseline, flows, impacts, sleeve, 3, outputs=HORIZON_ONLY)
    daily = run_engine(baseline, flows, impacts, None, 3, outputs=("log_impact", *HORIZON_ONLY))
    assert np.isfinite(with_sleeve.array("log_impact_at_horizon")).all()
    assert daily.array("log_impact_at_horizon").tobytes() == np.ascontiguousarray(
        daily.array("log_impact")[:, :, -1]
    ).tobytes()
    assert engine.horizon_kernel is horizon_kernel
