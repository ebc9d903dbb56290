"""engine.MarketWindows: σ and volume windows built once give every engine call its numbers.

A run builds the windows of its whole grid once and hands them to each chunk's engine; an
engine call with windows (the chunk's own or a superset in another slot order) must give the
arrays it gives alone, bit for bit, and refuse windows that do not fit.
"""

from __future__ import annotations

import numpy as np
import pytest

from backtest.sim import engine
from backtest.sim.engine import (
    ENGINE_OUTPUTS,
    market_windows,
    market_windows_nbytes,
    run_engine,
)
from flowimpact.errors import ConfigError, InputError
from tests.backtest.sim.reference_engine import synthetic_baseline
from tests.backtest.sim.test_engine import ALL_MODELS, N_DAYS, buy_flows, config, sleeve_for

GRID = [
    *ALL_MODELS,
    config(model="sqrt", sqrt_y=0.5, volatility_window_days=20, volume_window_days=3),
    config(model="sqrt", sqrt_y=0.9, volatility_window_days=5, volume_window_days=15),
]


def test_precomputed_windows_give_the_same_arrays_as_per_call() -> None:
    baseline = synthetic_baseline(3)
    flows = buy_flows(4, len(GRID))
    sleeve = sleeve_for(len(GRID))
    alone = run_engine(baseline, flows, GRID, sleeve, 6, outputs=ENGINE_OUTPUTS)
    union = market_windows(baseline, GRID)
    assert union.sigma_windows == (5, 10, 20) and union.volume_windows == (3, 7, 15)
    shared = run_engine(baseline, flows, GRID, sleeve, 6, outputs=ENGINE_OUTPUTS, windows=union)
    for name in ENGINE_OUTPUTS:
        np.testing.assert_array_equal(shared.array(name), alone.array(name), err_msg=name)
    # a chunk of the grid (two scenarios) reads the union's slots 0 and 2: the same numbers
    rows = [4, 5]
    chunk = [GRID[i] for i in rows]
    part = run_engine(baseline, flows[rows], chunk, None, 6, outputs=ENGINE_OUTPUTS, windows=union)
    own = run_engine(baseline, flows[rows], chunk, None, 6, outputs=ENGINE_OUTPUTS)
    for name in ENGINE_OUTPUTS:
        np.testing.assert_array_equal(part.array(name), own.array(name), err_msg=name)


def test_given_windows_are_not_computed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = synthetic_baseline(5)
    union = market_windows(baseline, GRID)
    calls: list[tuple[int, ...]] = []
    real = engine._per_window

    def counting(baseline, windows, *, volatility):  # type: ignore[no-untyped-def]
        calls.append(windows)
        return real(baseline, windows, volatility=volatility)

    monkeypatch.setattr(engine, "_per_window", counting)
    for rows in ([0, 1], [2, 3], [4, 5]):
        run_engine(baseline, buy_flows(1, 2), [GRID[i] for i in rows], windows=union)
    assert calls == []
    run_engine(baseline, buy_flows(1, 2), GRID[:2])  # without: σ and volume, once each
    assert calls == [(10,), (7,)]


def test_windows_that_do_not_fit_are_refused() -> None:
    baseline = synthetic_baseline(6)
    only_default = market_windows(baseline, [config()])
    with pytest.raises(InputError, match=r"lack the trailing windows \[3, 20\]"):
        run_engine(baseline, buy_flows(1, 1), [GRID[4]], windows=only_default)
    other = market_windows(synthetic_baseline(6, n_paths=2), [config()])
    with pytest.raises(InputError, match="market windows of shape"):
        run_engine(baseline, buy_flows(1, 1), [config()], windows=other)
    with pytest.raises(ConfigError, match="warmup_days"):
        market_windows(baseline, [config(volatility_window_days=60)])


def test_the_size_is_known_before_building() -> None:
    baseline = synthetic_baseline(7)
    built = market_windows(baseline, GRID)
    assert market_windows_nbytes(baseline, GRID) == built.nbytes
    assert built.sigma.shape == (3, 3, N_DAYS, 2)
