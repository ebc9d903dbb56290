"""strategies/trading.py: the order arrays handed to vectorbt."""

from __future__ import annotations

import numpy as np
import pytest

from strategies.trading import ALL_IN, ALL_OUT, buy_and_hold, enter_and_exit, payroll_dca


def _orders(size: np.ndarray, column: int) -> dict[int, float]:
    """Day -> order of one column, NaN (no order) left out."""
    days = np.flatnonzero(~np.isnan(size[:, column]))
    return {int(day): float(size[day, column]) for day in days}


def test_buy_and_hold_buys_all_on_day_zero_only() -> None:
    plan = buy_and_hold(10, 3, init_cash_usd=5_000.0)
    assert plan.name == "buy_and_hold"
    assert plan.size.shape == (10, 3)
    assert plan.size_type == "amount"
    for column in range(3):
        assert _orders(plan.size, column) == {0: ALL_IN}
    np.testing.assert_array_equal(plan.init_cash_usd, [5_000.0] * 3)


def test_enter_and_exit_places_one_buy_and_one_sell_per_column() -> None:
    plan = enter_and_exit(
        "trade",
        entry_day=np.array([0, 2, 7, -1, 12]),
        exit_day=np.array([3, 9, 15, 4, 14]),
        n_days=10,
        init_cash_usd=1_000.0,
        description="test",
    )
    assert plan.size.shape == (10, 5)
    assert plan.size_type == "amount"
    assert _orders(plan.size, 0) == {0: ALL_IN, 3: ALL_OUT}
    assert _orders(plan.size, 1) == {2: ALL_IN, 9: ALL_OUT}
    # exit past the window: hold to the horizon
    assert _orders(plan.size, 2) == {7: ALL_IN}
    # entry before or after the window: the column stays in cash, no stray sell either
    assert _orders(plan.size, 3) == {}
    assert _orders(plan.size, 4) == {}
    np.testing.assert_array_equal(plan.init_cash_usd, [1_000.0] * 5)
    assert plan.description == "test"


def test_enter_and_exit_refuses_an_exit_not_after_its_entry() -> None:
    with pytest.raises(ValueError, match="after its entry"):
        enter_and_exit(
            "trade", np.array([2, 5]), np.array([4, 5]), 10, init_cash_usd=1.0, description=""
        )
    with pytest.raises(ValueError, match="one value per column"):
        enter_and_exit(
            "trade", np.array([2, 5]), np.array([4]), 10, init_cash_usd=1.0, description=""
        )


def test_payroll_dca_sizes_and_cash() -> None:
    pay_day = np.zeros((8, 3), dtype=bool)
    pay_day[[1, 4, 7], 0] = True
    pay_day[[2], 1] = True  # column 2 has no pay day at all
    plan = payroll_dca(pay_day, contribution_usd=250.0)
    assert plan.name == "payroll_dca"
    assert plan.size_type == "value"
    assert _orders(plan.size, 0) == {1: 250.0, 4: 250.0, 7: 250.0}
    assert _orders(plan.size, 1) == {2: 250.0}
    assert _orders(plan.size, 2) == {}
    # cash = the sum of contributions, so it never binds; a column without pay days keeps one
    np.testing.assert_array_equal(plan.init_cash_usd, [750.0, 250.0, 250.0])
    assert plan.init_cash_usd.dtype == np.float64


@pytest.mark.parametrize("contribution", [0.0, -100.0])
def test_payroll_dca_refuses_a_non_positive_contribution(contribution: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        payroll_dca(np.ones((3, 1), dtype=bool), contribution_usd=contribution)


def test_payroll_dca_cash_covers_the_fees() -> None:
    pay_day = np.zeros((6, 2), dtype=bool)
    pay_day[[0, 3], 0] = True
    plan = payroll_dca(pay_day, contribution_usd=100.0, fees_bps=10.0)
    np.testing.assert_allclose(plan.init_cash_usd, [200.2, 100.1])
    with pytest.raises(ValueError, match="fees_bps"):
        payroll_dca(pay_day, contribution_usd=100.0, fees_bps=-1.0)
