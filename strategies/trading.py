"""The portfolios vectorbt evaluates, as order arrays: no I/O, no ccxt, no vectorbt.

Each strategy turns per-column event days into a ``[day, column]`` order array that
``backtest.sim.evaluate`` hands to vectorbt's order simulation (``simulate_from_orders``, the
call behind ``Portfolio.from_orders``) in one broadcast call, on the days that hold an order. A
column is one (scenario, path, asset) price series; the arrays are built with NumPy indexing,
never a Python loop per column or per day.

Order conventions (vectorbt's): NaN means no order. ``ALL_IN`` buys with all available cash and
``ALL_OUT`` sells the whole position, with ``size_type="amount"``; the payroll DCA uses
``size_type="value"`` (USD per order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowimpact.units import BPS_PER_UNIT

ALL_IN = np.inf
ALL_OUT = -np.inf


@dataclass(frozen=True)
class OrderPlan:
    """Orders of one strategy for every column, and how vectorbt must read them."""

    name: str
    size: np.ndarray  # [day, column], NaN = no order
    size_type: str  # "amount" (with ALL_IN / ALL_OUT) or "value" (USD)
    init_cash_usd: np.ndarray  # [column]
    description: str


def buy_and_hold(n_days: int, n_columns: int, *, init_cash_usd: float) -> OrderPlan:
    """Buy with all cash on the first day of the window and hold to its end."""
    size = np.full((n_days, n_columns), np.nan)
    size[0, :] = ALL_IN
    return OrderPlan(
        "buy_and_hold",
        size,
        "amount",
        np.full(n_columns, init_cash_usd),
        "buy on the first day of the window, hold to the horizon",
    )


def enter_and_exit(
    name: str,
    entry_day: np.ndarray,
    exit_day: np.ndarray,
    n_days: int,
    *,
    init_cash_usd: float,
    description: str,
) -> OrderPlan:
    """Buy with all cash on ``entry_day[column]``, sell everything on ``exit_day[column]``.

    Days are row indices; an entry outside the window leaves the column in cash, an exit past
    the window holds to the horizon. Exit must come after entry.
    """
    entry_day = np.asarray(entry_day, dtype=np.int64)
    exit_day = np.asarray(exit_day, dtype=np.int64)
    if entry_day.shape != exit_day.shape:
        raise ValueError("entry_day and exit_day must have one value per column")
    if np.any(exit_day <= entry_day):
        raise ValueError(f"{name}: every exit must come after its entry")
    n_columns = entry_day.size
    columns = np.arange(n_columns)
    size = np.full((n_days, n_columns), np.nan)
    enter = (entry_day >= 0) & (entry_day < n_days)
    size[entry_day[enter], columns[enter]] = ALL_IN
    leave = enter & (exit_day < n_days)
    size[exit_day[leave], columns[leave]] = ALL_OUT
    return OrderPlan(name, size, "amount", np.full(n_columns, init_cash_usd), description)


def payroll_dca(
    pay_day: np.ndarray, *, contribution_usd: float, fees_bps: float = 0.0
) -> OrderPlan:
    """A participant buys ``contribution_usd`` of crypto on each pay day (``pay_day[day, column]``).

    Initial cash is set per column to the sum of its contributions plus the fees on them
    (``fees_bps``, the fee the evaluation charges), so cash never binds and the total return
    equals the money multiple on what was paid in: final value / (contributions + fees) - 1.
    Idle, not yet contributed cash sits in the account at zero return (an assumption: it keeps
    Sharpe and drawdown on one scale with the other strategies).
    """
    pay_day = np.asarray(pay_day, dtype=bool)
    if contribution_usd <= 0:
        raise ValueError("contribution_usd must be positive")
    if fees_bps < 0:
        raise ValueError("fees_bps must be 0 or more")
    size = np.where(pay_day, contribution_usd, np.nan)
    n_payments = pay_day.sum(axis=0)
    # a column without a pay day still needs some cash to have defined returns; without the
    # fees in it the last order of every column would be cut short by its own fee
    init_cash = np.maximum(n_payments, 1) * contribution_usd * (1.0 + fees_bps / BPS_PER_UNIT)
    return OrderPlan(
        "payroll_dca",
        size,
        "value",
        init_cash.astype(float),
        f"buy {contribution_usd:g} USD of crypto on every pay day of the 401(k) inflow",
    )
