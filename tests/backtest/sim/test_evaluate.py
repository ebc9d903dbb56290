"""backtest/evaluate.py against an independent, plain-Python calculation on hand-made prices.

The reference follows vectorbt's definitions (vectorbt/returns/nb.py, 1.2.0): the daily return
series has one entry per row, the first being value_0 / init_cash - 1; total return is
final value / init cash - 1; CAGR is (1 + total) ** (365 / rows) - 1 (a 365-day year, rows
counted, not elapsed days); Sharpe is mean / sample std (ddof 1) × √365 with a zero risk-free
rate; Sortino is mean × 365 / (√mean(min(r, 0)²) × √365); max drawdown is the lowest
value_t / max_{s≤t} value_s - 1. Orders fill at the day's close.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from backtest.sim.evaluate import METRICS, EvaluateConfig, EvaluationInput, evaluate
from flowimpact.errors import ConfigError

PRICES_USD = [100.0, 104.0, 101.0, 107.0, 103.0, 96.0, 99.0, 105.0, 110.0, 108.0]
N_DAYS = len(PRICES_USD)
CASH_USD = 10_000.0


# --- the independent reference ---------------------------------------------------------------


def reference_metrics(values: Sequence[float], init_cash: float) -> dict[str, float]:
    """The metrics of the contract from a daily portfolio value series, in plain Python."""
    returns = []
    previous = init_cash
    for value in values:
        returns.append(value / previous - 1.0)
        previous = value
    n = len(returns)
    mean = sum(returns) / n
    std = math.sqrt(sum((r - mean) ** 2 for r in returns) / (n - 1))
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / n)
    total = values[-1] / init_cash - 1.0
    peak = -math.inf
    worst = 0.0
    for value in values:
        peak = max(peak, value)
        worst = min(worst, value / peak - 1.0)
    return {
        "total_return_pct": total * 100,
        "cagr_pct": ((1.0 + total) ** (365 / n) - 1.0) * 100,
        "sharpe": mean / std * math.sqrt(365),
        "sortino": mean * 365 / (downside * math.sqrt(365)),
        "max_drawdown_pct": worst * 100,
    }


def hold_values(prices: Sequence[float], entry: int, exit_: int | None, cash: float) -> list[float]:
    """Value of all cash put in at ``entry``'s close and taken out at ``exit_``'s close."""
    values = []
    shares = 0.0
    for day, price in enumerate(prices):
        if day == entry:
            shares, cash = cash / price, 0.0
        if exit_ is not None and day == exit_:
            shares, cash = 0.0, shares * price
        values.append(cash + shares * price)
    return values


def dca_values(prices: Sequence[float], pay_days: set[int], contribution: float) -> list[float]:
    cash = contribution * len(pay_days)
    shares = 0.0
    values = []
    for day, price in enumerate(prices):
        if day in pay_days:
            shares += contribution / price
            cash -= contribution
        values.append(cash + shares * price)
    return values


# --- helpers ---------------------------------------------------------------------------------


def make_input(
    impacted: np.ndarray,
    baseline: np.ndarray,
    *,
    announcement_day: int = 2,
    first_flow_day: Sequence[int] | None = None,
    ramp_end_day: Sequence[int] | None = None,
    pay_day: np.ndarray | None = None,
) -> EvaluationInput:
    n_scen, _, n_days, _ = impacted.shape
    if pay_day is None:
        pay_day = np.zeros((n_scen, n_days), dtype=bool)
        pay_day[:, [1, 4, 7]] = True
    return EvaluationInput(
        days=pd.date_range("2025-08-05", periods=n_days, freq="D", tz="UTC"),
        impacted_close_usd=np.asarray(impacted, dtype=float),
        baseline_close_usd=np.asarray(baseline, dtype=float),
        announcement_day=announcement_day,
        first_flow_day=np.asarray(first_flow_day or [5] * n_scen),
        ramp_end_day=np.asarray(ramp_end_day or [8] * n_scen),
        pay_day=pay_day,
    )


def one_series(prices: Sequence[float]) -> np.ndarray:
    """[scenario=1, path=1, day, asset=1]."""
    return np.asarray(prices, dtype=float).reshape(1, 1, -1, 1)


def config(*strategies: str, **kwargs: float) -> EvaluateConfig:
    return EvaluateConfig(strategies=strategies, **kwargs)  # type: ignore[arg-type]


def assert_metrics(row: pd.Series, strategy: str, expected: dict[str, float]) -> None:
    for metric, value in expected.items():
        for q in ("p05", "p50", "p95"):  # one path: every quantile is that path's value
            got = row[f"{strategy}_{metric}_{q}"]
            assert got == pytest.approx(value, rel=1e-9, abs=1e-9), f"{strategy} {metric} {q}"


# --- metrics against the reference -----------------------------------------------------------


def test_buy_and_hold_matches_the_reference() -> None:
    table = evaluate(
        make_input(one_series(PRICES_USD), one_series(PRICES_USD)[0]),
        config("buy_and_hold", fees_bps=0.0, init_cash_usd=CASH_USD),
    )
    expected = reference_metrics(hold_values(PRICES_USD, 0, None, CASH_USD), CASH_USD)
    # sanity of the reference itself on numbers written out by hand
    assert expected["total_return_pct"] == pytest.approx(8.0)
    assert expected["max_drawdown_pct"] == pytest.approx((96 / 107 - 1) * 100)
    assert expected["cagr_pct"] == pytest.approx((1.08 ** 36.5 - 1) * 100)
    assert table.shape[0] == 1
    assert_metrics(table.iloc[0], "buy_and_hold", expected)


def test_announcement_hold_matches_the_reference() -> None:
    table = evaluate(
        make_input(one_series(PRICES_USD), one_series(PRICES_USD)[0], announcement_day=2),
        config("announcement_hold", fees_bps=0.0, hold_days=4, init_cash_usd=CASH_USD),
    )
    values = hold_values(PRICES_USD, 2, 6, CASH_USD)
    assert values[-1] == pytest.approx(CASH_USD * 99 / 101)
    assert_metrics(table.iloc[0], "announcement_hold", reference_metrics(values, CASH_USD))


def test_front_run_matches_the_reference() -> None:
    # first dollar on day 5, lead 3 days: buy on day 2; the ramp ends on day 8: sell then
    table = evaluate(
        make_input(
            one_series(PRICES_USD), one_series(PRICES_USD)[0], first_flow_day=[5], ramp_end_day=[8]
        ),
        config("front_run", fees_bps=0.0, front_run_lead_days=3, init_cash_usd=CASH_USD),
    )
    values = hold_values(PRICES_USD, 2, 8, CASH_USD)
    assert values[-1] == pytest.approx(CASH_USD * 110 / 101)
    assert_metrics(table.iloc[0], "front_run", reference_metrics(values, CASH_USD))


def test_payroll_dca_matches_the_reference() -> None:
    pay_day = np.zeros((1, N_DAYS), dtype=bool)
    pay_day[0, [1, 4, 7]] = True
    table = evaluate(
        make_input(one_series(PRICES_USD), one_series(PRICES_USD)[0], pay_day=pay_day),
        config("payroll_dca", fees_bps=0.0, dca_contribution_usd=100.0),
    )
    values = dca_values(PRICES_USD, {1, 4, 7}, 100.0)
    shares = 100 / 104 + 100 / 103 + 100 / 105
    assert values[-1] == pytest.approx(shares * 108)
    assert_metrics(table.iloc[0], "payroll_dca", reference_metrics(values, 300.0))


def test_fees_are_charged_on_the_buy() -> None:
    fees_bps = 25.0
    table = evaluate(
        make_input(one_series(PRICES_USD), one_series(PRICES_USD)[0]),
        config("buy_and_hold", fees_bps=fees_bps, init_cash_usd=CASH_USD),
    )
    # all cash buys shares worth cash / (1 + fee) at the first close
    expected_pct = (108 / (100 * (1 + fees_bps / 1e4)) - 1) * 100
    assert table.iloc[0]["buy_and_hold_total_return_pct_p50"] == pytest.approx(expected_pct)


def test_quantiles_over_paths() -> None:
    scales = [1.0, 1.5, 0.5]  # scaling a path by a constant leaves returns unchanged: use trends
    trends = [np.linspace(1.0, scale, N_DAYS) for scale in scales]
    paths = np.stack([np.asarray(PRICES_USD) * trend for trend in trends])  # [path, day]
    impacted = paths.reshape(1, 3, N_DAYS, 1)
    table = evaluate(
        make_input(impacted, impacted[0]),
        config("buy_and_hold", fees_bps=0.0, init_cash_usd=CASH_USD),
    )
    totals = sorted(
        reference_metrics(hold_values(list(path), 0, None, CASH_USD), CASH_USD)["total_return_pct"]
        for path in paths
    )
    low, mid, high = totals
    row = table.iloc[0]
    assert row["buy_and_hold_total_return_pct_p50"] == pytest.approx(mid)
    # linear interpolation between order statistics (NumPy's default): position q × (n - 1)
    assert row["buy_and_hold_total_return_pct_p05"] == pytest.approx(low + 0.1 * (mid - low))
    assert row["buy_and_hold_total_return_pct_p95"] == pytest.approx(mid + 0.9 * (high - mid))


# --- impacted against baseline ---------------------------------------------------------------


def _grid_inputs(impacted_equals_baseline: bool) -> EvaluationInput:
    """3 scenarios × 2 paths × 10 days × 2 assets; scenarios 0 and 1 trade on the same days."""
    rng = np.random.default_rng(7)
    baseline = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, (2, N_DAYS, 2)), axis=1))
    if impacted_equals_baseline:
        impacted = np.repeat(baseline[None], 3, axis=0)
    else:
        uplift = np.linspace(0.0, 1.0, N_DAYS)[None, None, :, None] * np.array([0.05, 0.1, 0.2])[
            :, None, None, None
        ]
        impacted = baseline[None] * np.exp(uplift)
    pay_day = np.zeros((3, N_DAYS), dtype=bool)
    pay_day[0, [1, 4, 7]] = True
    pay_day[1, [1, 4, 7]] = True
    pay_day[2, [2, 3, 8]] = True
    return make_input(
        impacted,
        baseline,
        announcement_day=1,
        first_flow_day=[5, 5, 7],
        ramp_end_day=[8, 8, 9],
        pay_day=pay_day,
    )


ALL_STRATEGIES = config(
    "payroll_dca", "announcement_hold", "front_run", "buy_and_hold", hold_days=5, fees_bps=10.0
)


def test_shared_baselines_give_the_numbers_of_separate_evaluations() -> None:
    inputs = _grid_inputs(impacted_equals_baseline=False)
    together = evaluate(inputs, ALL_STRATEGIES)
    assert together.shape[0] == 3 * 2
    for scenario in range(3):
        alone = evaluate(
            EvaluationInput(
                days=inputs.days,
                impacted_close_usd=inputs.impacted_close_usd[[scenario]],
                baseline_close_usd=inputs.baseline_close_usd,
                announcement_day=inputs.announcement_day,
                first_flow_day=inputs.first_flow_day[[scenario]],
                ramp_end_day=inputs.ramp_end_day[[scenario]],
                pay_day=inputs.pay_day[[scenario]],
            ),
            ALL_STRATEGIES,
        )
        np.testing.assert_allclose(
            together.xs(scenario, level="scenario_index").to_numpy(),
            alone.xs(0, level="scenario_index").to_numpy(),
            rtol=1e-12,
            equal_nan=True,
        )
    # and the baselines did differ between scenarios 1 and 2 (they trade on other days)
    vs = "front_run_total_return_pct_vs_baseline_p50"
    assert together[vs].iloc[2] != together[vs].iloc[4]


def test_impacted_equal_to_baseline_gives_zero_versus_baseline() -> None:
    table = evaluate(_grid_inputs(impacted_equals_baseline=True), ALL_STRATEGIES)
    versus = [c for c in table.columns if "_vs_baseline_" in c]
    assert len(versus) == 4 * len(METRICS) * 3
    values = table[versus].to_numpy()
    assert np.isfinite(values).all()
    np.testing.assert_array_equal(values, 0.0)
    # while the metrics themselves are not trivially zero
    assert (table["buy_and_hold_total_return_pct_p50"] != 0).all()


def test_an_upward_impact_raises_buy_and_hold_against_its_baseline() -> None:
    table = evaluate(_grid_inputs(impacted_equals_baseline=False), ALL_STRATEGIES)
    assert (table["buy_and_hold_total_return_pct_vs_baseline_p05"] > 0).all()
    # a bigger uplift gives a bigger gain: scenario 2 (20%) over scenario 0 (5%), per asset
    gain = table["buy_and_hold_total_return_pct_vs_baseline_p50"].to_numpy().reshape(3, 2)
    assert (gain[2] > gain[0]).all()


def test_output_columns_and_index() -> None:
    table = evaluate(_grid_inputs(impacted_equals_baseline=False), ALL_STRATEGIES)
    assert table.index.names == ["scenario_index", "asset_index"]
    assert list(table.index) == [(s, a) for s in range(3) for a in range(2)]
    for strategy in ALL_STRATEGIES.strategies:
        for metric in METRICS:
            for q in ("p05", "p50", "p95"):
                assert f"{strategy}_{metric}_{q}" in table.columns
                assert f"{strategy}_{metric}_vs_baseline_{q}" in table.columns


# --- the [evaluate] config -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"init_cash_usd": 0.0}, "init_cash_usd"),
        ({"hold_days": 0}, "hold_days"),
        ({"front_run_lead_days": -1}, "front_run_lead_days"),
        ({"fees_bps": -1.0}, "fees_bps"),
        ({"dca_contribution_usd": 0.0}, "dca_contribution_usd"),
        ({"strategies": ("buy_and_hodl",)}, "strategies"),
    ],
)
def test_evaluate_config_refuses_bad_values(kwargs: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        EvaluateConfig(**kwargs)  # type: ignore[arg-type]


def test_payroll_dca_with_fees_buys_every_contribution_in_full() -> None:
    # cash = contributions + fees, so the last order is not cut short by its own fee
    fees_bps = 10.0
    pay_day = np.zeros((1, N_DAYS), dtype=bool)
    pay_day[0, [1, 4, 7]] = True
    table = evaluate(
        make_input(one_series(PRICES_USD), one_series(PRICES_USD)[0], pay_day=pay_day),
        config("payroll_dca", fees_bps=fees_bps, dca_contribution_usd=100.0),
    )
    paid_in = 300.0 * (1 + fees_bps / 1e4)
    final = (100 / 104 + 100 / 103 + 100 / 105) * 108
    expected_pct = (final / paid_in - 1) * 100
    got = table.iloc[0]["payroll_dca_total_return_pct_p50"]
    assert got == pytest.approx(expected_pct, rel=1e-9)


@pytest.mark.parametrize("size_type", ["amount", "value"])
def test_metrics_equal_vectorbts_own_portfolio_accessors(size_type: str) -> None:
    # _run_vectorbt reads vectorbt's numba kernels on the order records instead of building
    # pandas frames; the numbers must be the accessors' to the last bits that matter
    import vectorbt as vbt

    from backtest.sim.evaluate import _run_vectorbt

    rng = np.random.default_rng(11)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, (120, 6)), axis=0))
    size = np.full(close.shape, np.nan)
    if size_type == "amount":
        size[5], size[80, :3] = np.inf, -np.inf
    else:
        size[::14] = 250.0
    init_cash = np.full(6, 10_000.0)
    ours = _run_vectorbt(close, size, size_type, init_cash, fees_bps=10.0)
    portfolio = vbt.Portfolio.from_orders(
        close, size, size_type=size_type, direction="longonly", init_cash=init_cash,
        fees=0.001, freq="1D",
    )
    returns = portfolio.get_returns_acc(year_freq="365 days")
    expected = {
        "total_return_pct": np.asarray(portfolio.total_return()) * 100,
        "cagr_pct": np.asarray(returns.annualized()) * 100,
        "sharpe": np.asarray(returns.sharpe_ratio()),
        "sortino": np.asarray(returns.sortino_ratio()),
        "max_drawdown_pct": np.asarray(returns.max_drawdown()) * 100,
    }
    for name, values in expected.items():
        np.testing.assert_allclose(ours[name], values, rtol=1e-12, atol=1e-12, err_msg=name)


def test_baseline_metrics_once_per_run_give_every_chunk_the_same_table(monkeypatch) -> None:
    # the run computes the baseline columns once; each chunk then simulates its impacted
    # columns only, and its table is the one it would have computed alone, bit for bit
    from backtest.sim import portfolio
    from backtest.sim.evaluate import baseline_metrics

    inputs = _grid_inputs(impacted_equals_baseline=False)
    once = baseline_metrics(
        inputs.baseline_close_usd, inputs.announcement_day, inputs.first_flow_day,
        inputs.ramp_end_day, inputs.pay_day, ALL_STRATEGIES,
    )  # fmt: skip
    n_paths, _, n_assets = inputs.baseline_close_usd.shape
    simulated: list[int] = []
    real = portfolio.portfolio_metrics

    def counting(parts, *args):  # type: ignore[no-untyped-def]
        simulated.append(sum(part.n_columns for part in parts))
        return real(parts, *args)

    for chunk in ([0], [1, 2]):
        piece = EvaluationInput(
            days=inputs.days,
            impacted_close_usd=inputs.impacted_close_usd[chunk],
            baseline_close_usd=inputs.baseline_close_usd,
            announcement_day=inputs.announcement_day,
            first_flow_day=inputs.first_flow_day[chunk],
            ramp_end_day=inputs.ramp_end_day[chunk],
            pay_day=inputs.pay_day[chunk],
        )
        alone = evaluate(piece, ALL_STRATEGIES)
        simulated.clear()
        monkeypatch.setattr(portfolio, "portfolio_metrics", counting)
        reused = evaluate(piece, ALL_STRATEGIES, baseline=once)
        monkeypatch.setattr(portfolio, "portfolio_metrics", real)
        pd.testing.assert_frame_equal(reused, alone, check_exact=True)
        # impacted columns only: no baseline column was simulated again
        assert simulated == [len(chunk) * n_paths * n_assets] * len(ALL_STRATEGIES.strategies)


def test_order_groups_number_groups_by_first_appearance() -> None:
    from backtest.sim.evaluate import _order_groups

    groups, first = _order_groups([b"b", b"a", b"b", b"c", b"a"])
    assert groups.tolist() == [0, 1, 0, 2, 1]
    assert first.tolist() == [0, 1, 3]
