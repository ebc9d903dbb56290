"""A one-pass numba reference evaluator: the floor the package's vectorbt evaluation is held to.

Not part of the package (nothing in ``flowimpact``, ``backtest`` or ``strategies`` imports it):
``benchmarks/bench_evaluate.py`` times it against ``backtest.sim.evaluate.evaluate`` and
``tests/backtest/sim/test_reference_evaluate.py`` checks that both give the same numbers.

Per column (scenario, path, asset) it reads the engine's close prices ``[scenario, path, day,
asset]`` where they lie (no copy, no transposition) in one pass over the days, keeping only
scalars: the day's orders fill at the close with vectorbt's fill rules for the study's
strategies (``strategies.trading``'s order plans, the ``[evaluate]`` fee), the portfolio value is
cash + shares × close, the day's return is against the previous day's value (the first against
the initial cash), and running sums give the five metrics with vectorbt's definitions:

- total return = value_T / cash_0 − 1;
- CAGR = (1 + total return) ** (365 / T) − 1 (T rows, a 365-day year);
- Sharpe = mean(r) / std(r, ddof 1) × √365, +inf when std is 0;
- Sortino = mean(r) × 365 / (√mean(min(r, 0)²) × √365), +inf when no return is negative;
- max drawdown = min_t value_t / max_{s≤t} value_s − 1.

Fill rules (vectorbt's ``buy_nb`` / ``sell_nb``, fee f, no slippage, long only): all in (+inf
shares) spends all cash, cash / (1 + f) of it on shares; all out (−inf) sells every share and
receives shares × close × (1 − f); a USD order of V (``size_type="value"``) buys V / close
shares for V × (1 + f), or what the cash allows when it does not cover that.

The variance is taken from running sums (Σr, Σr²) rather than vectorbt's two passes; on daily
returns the difference is a few units in the last place (see the test's tolerance).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from numba import njit

from backtest.sim.evaluate import (
    ANNUALISATION,
    METRICS,
    EvaluateConfig,
    EvaluationInput,
    _scenario_plan,
)
from backtest.sim.metrics import QUANTILES, quantile_over_paths
from flowimpact.units import BPS_PER_UNIT

# vectorbt's tolerance for "enough cash" (vectorbt.utils.math_.rel_tol / abs_tol)
_REL_TOL = 1e-9
_ABS_TOL = 1e-12


@njit(cache=True)
def _fill_nb(
    order: float, value_orders: bool, cash: float, shares: float, price: float, fee: float
) -> tuple[float, float]:
    """Cash and shares after one order at ``price`` (the fill rules of the module docstring)."""
    if value_orders:
        if order > 0 and cash > 0:
            cost = order * (1.0 + fee)
            if cost - cash <= max(_REL_TOL * cash, _ABS_TOL):
                return max(cash - cost, 0.0), shares + order / price
            return 0.0, shares + cash / (1.0 + fee) / price
    elif order > 0:
        if cash > 0:
            return 0.0, shares + cash / (1.0 + fee) / price
    elif shares > 0:
        return cash + shares * price * (1.0 - fee), 0.0
    return cash, shares


@njit(cache=True)
def reference_metrics_nb(
    close: np.ndarray,
    close_of_group: np.ndarray,
    plan_of_group: np.ndarray,
    orders: np.ndarray,
    value_orders: bool,
    init_cash: np.ndarray,
    fee: float,
    ann_factor: float,
) -> np.ndarray:
    """The five metrics ``[metric, group, path, asset]``: group g is the close prices
    ``close[close_of_group[g]]`` (``close`` is ``[series, path, day, asset]``) trading the order
    row ``orders[plan_of_group[g]]`` (``[plan, day]``, NaN = no order) from the initial cash
    ``init_cash[plan_of_group[g]]``."""
    _, n_paths, n_days, n_assets = close.shape
    n_groups = close_of_group.size
    out = np.empty((5, n_groups, n_paths, n_assets))
    for g in range(n_groups):
        series = close_of_group[g]
        plan = plan_of_group[g]
        cash0 = init_cash[plan]
        for p in range(n_paths):
            for a in range(n_assets):
                cash = cash0
                shares = 0.0
                previous = cash0
                peak = -np.inf
                worst = 0.0
                sum_r = 0.0
                sum_r2 = 0.0
                sum_down2 = 0.0
                value = cash0
                for t in range(n_days):
                    price = close[series, p, t, a]
                    order = orders[plan, t]
                    if not np.isnan(order):
                        cash, shares = _fill_nb(order, value_orders, cash, shares, price, fee)
                    value = cash + shares * price
                    r = (value - previous) / previous if previous != 0 else 0.0
                    previous = value
                    sum_r += r
                    sum_r2 += r * r
                    if r < 0:
                        sum_down2 += r * r
                    if value > peak:
                        peak = value
                    drawdown = value / peak - 1.0
                    if drawdown < worst:
                        worst = drawdown
                total = value / cash0 - 1.0
                mean = sum_r / n_days
                variance = (sum_r2 - sum_r * mean) / (n_days - 1)
                downside = np.sqrt(sum_down2 / n_days)
                out[0, g, p, a] = total * 100.0
                out[1, g, p, a] = ((1.0 + total) ** (ann_factor / n_days) - 1.0) * 100.0
                out[2, g, p, a] = (
                    mean / np.sqrt(variance) * np.sqrt(ann_factor) if variance > 0 else np.inf
                )
                out[3, g, p, a] = (
                    mean * ann_factor / (downside * np.sqrt(ann_factor))
                    if downside > 0
                    else np.inf
                )
                out[4, g, p, a] = worst * 100.0
    return out


def reference_per_column(
    inputs: EvaluationInput, config: EvaluateConfig, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One strategy's metrics: impacted ``[metric, scenario, path, asset]``, baseline
    ``[metric, group, path, asset]`` (one group per distinct order column) and the group of each
    scenario."""
    n_scen, _, n_days, _ = inputs.impacted_close_usd.shape
    plan = _scenario_plan(name, inputs, config, n_days, n_scen)
    orders = np.ascontiguousarray(plan.size.T)  # [scenario, day]
    value_orders = plan.size_type == "value"
    cash = np.asarray(plan.init_cash_usd, dtype=float)
    fee = config.fees_bps / BPS_PER_UNIT
    impacted = reference_metrics_nb(
        inputs.impacted_close_usd, np.arange(n_scen), np.arange(n_scen), orders, value_orders,
        cash, fee, ANNUALISATION,
    )
    # scenarios with the same orders share one baseline computation, as in the package
    _, first, group_of_scenario = np.unique(
        np.nan_to_num(orders, nan=0.0, posinf=1e300, neginf=-1e300),
        axis=0, return_index=True, return_inverse=True,
    )
    baseline = reference_metrics_nb(
        inputs.baseline_close_usd[None], np.zeros(first.size, dtype=np.int64), first, orders,
        value_orders, cash, fee, ANNUALISATION,
    )
    return impacted, baseline, group_of_scenario.reshape(-1)


def reference_evaluate(inputs: EvaluationInput, config: EvaluateConfig) -> pd.DataFrame:
    """The table ``backtest.sim.evaluate.evaluate`` returns (same columns, order and index),
    from the reference metrics and the package's summary over paths."""
    return summary_table(inputs, config, reference_per_column)


def summary_table(
    inputs: EvaluationInput,
    config: EvaluateConfig,
    per_column: Callable[
        [EvaluationInput, EvaluateConfig, str], tuple[np.ndarray, np.ndarray, np.ndarray]
    ],
) -> pd.DataFrame:
    """The evaluation's table from any per-column evaluator (impacted, baseline and group of
    each scenario per strategy, as ``reference_per_column``), summarised over paths by the
    package's quantile code into the same columns, order and index."""
    n_scen, _, _, n_assets = inputs.impacted_close_usd.shape
    columns: dict[str, np.ndarray] = {}
    for name in config.strategies:
        impacted, baseline, group_of_scenario = per_column(inputs, config, name)
        for k, metric in enumerate(METRICS):
            for label, q in QUANTILES.items():
                columns[f"{name}_{metric}_{label}"] = quantile_over_paths(impacted[k], q)
            with np.errstate(invalid="ignore"):
                difference = impacted[k] - baseline[k][group_of_scenario]
            for label, q in QUANTILES.items():
                columns[f"{name}_{metric}_vs_baseline_{label}"] = quantile_over_paths(
                    difference, q
                )
    table = pd.DataFrame(columns)
    table.index = pd.MultiIndex.from_product(
        [range(n_scen), range(n_assets)], names=["scenario_index", "asset_index"]
    )
    return table
