"""vectorbt on plain arrays: the same numbers as ``Portfolio.from_orders`` on the full grid,
simulated on the order days only, without grid-sized temporaries."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from backtest.sim.portfolio import CloseColumns, order_days, portfolio_metrics
from tests.scheduler.helpers import REPO_ROOT, subprocess_env

N_SCEN, N_PATHS, N_DAYS, N_ASSETS = 3, 4, 90, 2
FEE = 0.001


def _prices(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(rng.normal(0.0, 0.03, shape), axis=-2))


def _vectorbt_accessors(close, size, size_type, init_cash) -> np.ndarray:
    """The five metrics from vectorbt's own Portfolio and returns accessor (pandas path)."""
    import vectorbt as vbt

    with np.errstate(divide="ignore", invalid="ignore"):
        pf = vbt.Portfolio.from_orders(
            close, size, size_type=size_type, direction="longonly", init_cash=init_cash,
            fees=FEE, freq="1D",
        )
        returns = pf.get_returns_acc(year_freq="365 days")
        return np.stack(
            [
                np.asarray(pf.total_return()) * 100,
                np.asarray(returns.annualized()) * 100,
                np.asarray(returns.sharpe_ratio()),
                np.asarray(returns.sortino_ratio()),
                np.asarray(returns.max_drawdown()) * 100,
            ]
        )


def _orders(size_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Per scenario orders ``[day, scenario]`` and initial cash: three distinct timings."""
    size = np.full((N_DAYS, N_SCEN), np.nan)
    if size_type == "amount":
        size[[3, 10, 0], [0, 1, 2]] = np.inf
        size[[60, 40], [0, 1]] = -np.inf  # scenario 2 buys and holds
        cash = np.full(N_SCEN, 10_000.0)
    else:
        size[5::7, 0] = 100.0
        size[2::11, 1] = 250.0
        size[30:33, 2] = 400.0
        # scenario 2 cannot pay its third order in full: vectorbt fills what the cash allows
        cash = np.array([1_400.0, 2_100.0, 1_000.0])
    return size, cash


@pytest.mark.parametrize("size_type", ["amount", "value"])
def test_grid_metrics_equal_portfolio_from_orders_on_the_full_arrays(size_type: str) -> None:
    impacted = _prices(1, (N_SCEN, N_PATHS, N_DAYS, N_ASSETS))
    baseline = _prices(2, (N_PATHS, N_DAYS, N_ASSETS))
    size, cash = _orders(size_type)
    groups = np.array([0, 2])  # baseline columns for two of the timings
    per_path = N_PATHS * N_ASSETS
    rows = order_days(size)
    ours = portfolio_metrics(
        [
            CloseColumns(impacted.reshape(N_SCEN * N_PATHS, N_DAYS, N_ASSETS), N_SCEN * per_path),
            CloseColumns(baseline, len(groups) * per_path),
        ],
        rows,
        np.hstack(
            [
                np.repeat(size[rows], per_path, axis=1),
                np.repeat(size[rows][:, groups], per_path, axis=1),
            ]
        ),
        size_type,
        np.concatenate([np.repeat(cash, per_path), np.repeat(cash[groups], per_path)]),
        FEE,
        365.0,
    )
    # the same columns the old way: full [day, column] frames for Portfolio.from_orders
    close_full = np.hstack(
        [
            np.moveaxis(impacted, 2, 0).reshape(N_DAYS, -1),
            np.tile(np.moveaxis(baseline, 1, 0).reshape(N_DAYS, -1), (1, len(groups))),
        ]
    )
    size_full = np.hstack(
        [np.repeat(size, per_path, axis=1), np.repeat(size[:, groups], per_path, axis=1)]
    )
    cash_full = np.concatenate([np.repeat(cash, per_path), np.repeat(cash[groups], per_path)])
    expected = _vectorbt_accessors(close_full, size_full, size_type, cash_full)
    assert ours.shape == expected.shape == (5, (N_SCEN + len(groups)) * per_path)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)
    if size_type == "value":  # the cash-bound order really was cut: less than 1,200 USD in
        assert (ours[0, 2 * per_path : 3 * per_path] != ours[0, 2 * per_path]).any()


def test_columns_without_orders_stay_in_cash() -> None:
    close = _prices(3, (1, N_DAYS, 4))
    size = np.full((N_DAYS, 4), np.nan)
    size[5, :2] = np.inf
    rows = order_days(size)
    ours = portfolio_metrics(
        [CloseColumns(close, 4)], rows, size[rows], "amount", np.full(4, 500.0), FEE, 365.0
    )
    np.testing.assert_array_equal(ours[0, 2:], 0.0)  # total return
    np.testing.assert_array_equal(ours[2, 2:], np.inf)  # Sharpe of a flat series (vectorbt)
    assert (ours[0, :2] != 0).all()


def test_order_days_are_the_rows_with_an_order() -> None:
    size = np.full((6, 3), np.nan)
    size[4, 0], size[1, 2], size[4, 2] = 1.0, np.inf, -np.inf
    np.testing.assert_array_equal(order_days(size), [1, 4])
    np.testing.assert_array_equal(order_days(np.full((6, 3), np.nan)), [0])


def test_a_run_must_cover_its_close_array_whole() -> None:
    close = _prices(4, (2, N_DAYS, 2))
    size = np.full((1, 5), np.inf)
    with pytest.raises(ValueError, match="whole number"):
        portfolio_metrics(
            [CloseColumns(close, 5)], np.array([0]), size, "amount", np.ones(5), 0.0, 365.0
        )


# A child process (its peak RSS is its own): the metrics of 4,000 columns x 1,500 days, whose
# close array is 48 MB, must not raise the peak by a grid-sized array. The old evaluation made
# about ten of them per strategy (frames, value, cash, returns, drawdowns).
_PEAK_CODE = textwrap.dedent(
    """
    import json, resource
    import numpy as np
    from backtest.sim.portfolio import CloseColumns, order_days, portfolio_metrics

    def run(n_paths, n_days):
        rng = np.random.default_rng(5)
        close = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, (n_paths, n_days, 2)), axis=1))
        size = np.full((n_days, n_paths * 2), np.nan)
        size[10, :] = np.inf
        size[n_days // 2, ::2] = -np.inf
        rows = order_days(size)
        cash = np.full(n_paths * 2, 10_000.0)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = portfolio_metrics(
            [CloseColumns(close, n_paths * 2)], rows, size[rows], "amount", cash, 0.001, 365.0
        )
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return (after - before) * 1024, close.nbytes, bool(np.isfinite(out).all())

    run(20, 1500)  # compile or load the kernels first
    print(json.dumps(run(2000, 1500)))
    """
)


@pytest.mark.slow
def test_no_grid_sized_temporary_is_made() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_CODE], capture_output=True, text=True, check=True,
        cwd=REPO_ROOT, env=subprocess_env(),
    )
    growth_bytes, grid_bytes, finite = json.loads(out.stdout)
    assert finite
    assert grid_bytes == 2000 * 2 * 1500 * 8
    assert growth_bytes < 0.25 * grid_bytes, (growth_bytes, grid_bytes)


def _vectorbt_kernels(close, size, size_type, init_cash) -> np.ndarray:
    """The five metrics from vectorbt's value path and its 1-D return kernels, per column (the
    functions the fused kernel replaces, applied as vectorbt's accessors apply them). The value
    is vectorbt's cash + close × position on the raw close: the Portfolio's ``value()`` would
    fill a missing close forward, which the evaluation does not."""
    import vectorbt as vbt
    from vectorbt.returns import nb as returns_nb

    with np.errstate(divide="ignore", invalid="ignore"):
        pf = vbt.Portfolio.from_orders(
            close, size, size_type=size_type, direction="longonly", init_cash=init_cash,
            fees=FEE, freq="1D",
        )
        value = np.asarray(pf.cash()) + close * np.asarray(pf.assets())
        out = np.empty((5, value.shape[1]))
        for j in range(value.shape[1]):
            returns = returns_nb.returns_1d_nb(value[:, j], init_cash[j])
            out[0, j] = (value[-1, j] / init_cash[j] - 1.0) * 100
            out[1, j] = returns_nb.annualized_return_1d_nb(returns, 365.0) * 100
            out[2, j] = returns_nb.sharpe_ratio_1d_nb(returns, 365.0)
            out[3, j] = returns_nb.sortino_ratio_1d_nb(returns, 365.0)
            out[4, j] = returns_nb.max_drawdown_1d_nb(returns) * 100
    return out


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("size_type", ["amount", "value"])
def test_fused_metrics_equal_vectorbts_return_kernels_on_random_paths(
    seed: int, size_type: str
) -> None:
    # random volatility, random order days and sizes; one column holds a missing close while
    # invested (two NaN returns: vectorbt's nan-functions skip them, its metrics stay finite)
    # and one never trades (flat: Sharpe and Sortino are +inf)
    rng = np.random.default_rng(seed)
    n_days, n_columns = 1461, 24
    sigma = rng.uniform(0.005, 0.08, n_columns)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0005, 1.0, (n_days, n_columns)) * sigma, axis=0))
    close[700, 3] = np.nan
    size = np.full((n_days, n_columns), np.nan)
    for j in range(n_columns - 1):
        days = np.sort(rng.choice(n_days, rng.integers(1, 60), replace=False))
        if size_type == "amount":
            size[days, j] = np.where(np.arange(days.size) % 2 == 0, np.inf, -np.inf)
        else:
            size[days, j] = rng.uniform(10.0, 400.0, days.size)
    size[:10, 3] = np.nan
    size[5, 3] = np.inf if size_type == "amount" else 500.0
    cash = rng.uniform(1_000.0, 20_000.0, n_columns)
    rows = order_days(size)
    ours = portfolio_metrics(
        [CloseColumns(close[None], n_columns)], rows, size[rows], size_type, cash, FEE, 365.0
    )
    expected = _vectorbt_kernels(close, size, size_type, cash)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected))
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=0.0, equal_nan=True)
    assert np.isfinite(ours[:, 3]).all() and np.isinf(ours[2, -1])  # edge cases exercised
    assert np.isfinite(ours).mean() > 0.9


def test_columns_simulated_in_blocks_give_the_same_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    # blocks of 7 columns over two runs of 12 and 18 columns: blocks straddle the runs' border
    from backtest.sim import portfolio

    rng = np.random.default_rng(5)
    n_days = 200
    impacted = _prices(5, (3, n_days, 4))  # 3 series x 4 = 12 columns
    baseline = _prices(6, (1, n_days, 6))  # repeated 3 times: 18 columns
    parts = [CloseColumns(impacted, 12), CloseColumns(baseline, 18)]
    size = np.full((n_days, 30), np.nan)
    for j in range(30):
        size[np.sort(rng.choice(n_days, 9, replace=False)), j] = rng.uniform(50.0, 500.0, 9)
    rows = order_days(size)
    cash = rng.uniform(1_000.0, 5_000.0, 30)
    whole = portfolio_metrics(parts, rows, size[rows], "value", cash, FEE, 365.0)
    monkeypatch.setattr(portfolio, "_MIN_BLOCK_COLUMNS", 1)
    monkeypatch.setattr(portfolio.numba, "get_num_threads", lambda: 4)
    assert [b[:2] for b in portfolio._simulate(
        np.ones((rows.size, 30)), size[rows], 0, cash, FEE
    )] == [(0, 7), (7, 15), (15, 22), (22, 30)]  # fmt: skip
    in_blocks = portfolio_metrics(parts, rows, size[rows], "value", cash, FEE, 365.0)
    np.testing.assert_array_equal(in_blocks, whole)
    assert np.isfinite(whole).all()
