"""Portfolio evaluation with vectorbt: one broadcast call per strategy over every column.

Columns are (price kind, scenario, path, asset), where the kind is ``impacted`` (the engine's
path) or ``baseline`` (the same path without the inflow), so every strategy is measured with the
same dates on both and the difference is the inflow's effect on that portfolio. The order
arrays come from ``strategies.trading``; vectorbt simulates them and its numba kernels give the
metrics, on plain arrays read where the engine left them (``backtest.sim.portfolio``: no pandas
frame, no grid-sized copy per strategy); the summary over paths (5th, 50th and 95th
percentiles) is NumPy. Baseline columns are evaluated once per distinct order timing, not once
per scenario, and a run evaluates them once for its whole grid (``baseline_metrics``), not in
every chunk.

Annualisation uses 365 days a year, since crypto trades every day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import pandas as pd

from backtest.sim.evaluate_config import METRICS as METRICS  # re-exported: the old home
from backtest.sim.evaluate_config import EvaluateConfig
from backtest.sim.metrics import QUANTILES, quantiles_over_paths
from flowimpact.errors import ConfigError
from flowimpact.units import BPS_PER_UNIT, DAYS_PER_YEAR
from strategies import trading

#: periods per year for vectorbt's annualisation (a float, the type its kernels compile for)
ANNUALISATION = float(DAYS_PER_YEAR)

@dataclass(frozen=True)
class EvaluationInput:
    """Everything the strategies need, as arrays over one daily UTC calendar ``days``.

    ``impacted_close_usd`` is [scenario, path, day, asset], ``baseline_close_usd`` [path, day,
    asset]; ``first_flow_day`` and ``ramp_end_day`` are row indices per scenario; ``pay_day`` is
    [scenario, day] (the participant's pay days).
    """

    days: pd.DatetimeIndex
    impacted_close_usd: np.ndarray
    baseline_close_usd: np.ndarray
    announcement_day: int
    first_flow_day: np.ndarray
    ramp_end_day: np.ndarray
    pay_day: np.ndarray


@dataclass(frozen=True, eq=False)
class BaselineMetrics:
    """The baseline columns' metrics, computed once for a run and reused by every chunk.

    ``by_strategy[name][key]`` is ``[metric, path, asset]`` for one distinct order column of
    that strategy (``key``: its orders and initial cash, ``_order_keys``). A baseline column
    depends only on the baseline paths and its orders, so a chunk that finds its scenarios'
    keys here reads the same numbers it would have computed (bit for bit: vectorbt simulates
    each column on its own).
    """

    by_strategy: dict[str, dict[bytes, np.ndarray]]


def baseline_metrics(
    baseline_close_usd: np.ndarray,
    announcement_day: int,
    first_flow_day: np.ndarray,
    ramp_end_day: np.ndarray,
    pay_day: np.ndarray,
    config: EvaluateConfig,
) -> BaselineMetrics:
    """Every strategy's metrics on the baseline ``[path, day, asset]``, once per distinct order
    column over all scenarios (the arrays per scenario are the whole grid's, as in
    ``EvaluationInput``); pass the result to ``evaluate(..., baseline=...)`` of each chunk."""
    from backtest.sim import portfolio  # imported here: vectorbt takes seconds to import

    n_paths, n_days, n_assets = baseline_close_usd.shape
    n_scen = len(first_flow_day)
    inputs = EvaluationInput(
        days=pd.DatetimeIndex([]),
        impacted_close_usd=np.empty((n_scen, 0, n_days, n_assets)),
        baseline_close_usd=baseline_close_usd,
        announcement_day=announcement_day,
        first_flow_day=np.asarray(first_flow_day),
        ramp_end_day=np.asarray(ramp_end_day),
        pay_day=np.asarray(pay_day),
    )
    baseline = np.ascontiguousarray(baseline_close_usd, dtype=np.float64)
    per_path = n_paths * n_assets
    by_strategy: dict[str, dict[bytes, np.ndarray]] = {}
    for name in config.strategies:
        plan = _scenario_plan(name, inputs, config, n_days, n_scen)
        keys = _order_keys(plan)
        first = _order_groups(keys)[1]
        values = _baseline_columns(portfolio, baseline, plan, first, config)
        by_strategy[name] = {
            keys[i]: values[:, g * per_path : (g + 1) * per_path].reshape(-1, n_paths, n_assets)
            for g, i in enumerate(first)
        }
    return BaselineMetrics(by_strategy)


def evaluate(
    inputs: EvaluationInput,
    config: EvaluateConfig,
    on_strategy_done: Callable[[str], None] | None = None,
    baseline: BaselineMetrics | None = None,
) -> pd.DataFrame:
    """Metrics of every strategy, summarised over paths, one row per (scenario index, asset).

    Columns are ``{strategy}_{metric}_{p05|p50|p95}`` on impacted paths and
    ``{strategy}_{metric}_vs_baseline_{q}``: the per-path difference impacted minus baseline.
    ``on_strategy_done(name)`` is called after each strategy (for a progress bar).
    ``baseline`` (``baseline_metrics`` of the whole run) spares the baseline columns: each
    distinct order column found there is read, not evaluated again; the table is the same.
    """
    from backtest.sim import portfolio  # imported here: vectorbt takes seconds to import

    n_scen, n_paths, n_days, n_assets = inputs.impacted_close_usd.shape
    per_path = n_paths * n_assets
    # read in place by the metric kernel: [scenario × path, day, asset], [path, day, asset]
    impacted = np.ascontiguousarray(inputs.impacted_close_usd, dtype=np.float64).reshape(
        n_scen * n_paths, n_days, n_assets
    )
    baseline_close = np.ascontiguousarray(inputs.baseline_close_usd, dtype=np.float64)
    frames = []
    for name in config.strategies:
        plan = _scenario_plan(name, inputs, config, n_days, n_scen)
        # Scenarios with the same orders see the same baseline: evaluate each once.
        keys = _order_keys(plan)
        group_of_scenario, groups = _order_groups(keys)
        n_groups = len(groups)
        known = None if baseline is None else baseline.by_strategy.get(name)
        if known is not None and all(keys[g] in known for g in groups):
            impacted_values = _impacted_columns(portfolio, impacted, plan, n_scen, per_path, config)
            baseline_values = np.concatenate(
                [known[keys[g]].reshape(len(METRICS), per_path) for g in groups], axis=1
            )
            metrics = np.concatenate([impacted_values, baseline_values], axis=1)
        else:
            metrics = _both_columns(
                portfolio, impacted, baseline_close, plan, groups, n_scen, per_path, config
            )
        frames.append(
            _summarise(
                plan.name,
                dict(zip(METRICS, metrics, strict=True)),
                n_scen * per_path,
                (n_scen, n_paths, n_assets),
                (n_groups, n_paths, n_assets),
                group_of_scenario.reshape(-1),
            )
        )
        if on_strategy_done is not None:
            on_strategy_done(name)
    table = pd.concat(frames, axis=1)
    table.index = pd.MultiIndex.from_product(
        [range(n_scen), range(n_assets)], names=["scenario_index", "asset_index"]
    )
    return table


def _order_keys(plan: trading.OrderPlan) -> list[bytes]:
    """Per scenario, a key equal for equal order columns and initial cash (``BaselineMetrics``)."""
    size = np.nan_to_num(plan.size, nan=0.0, posinf=1e300, neginf=-1e300)
    orders_of = np.isnan(plan.size)
    cash = np.asarray(plan.init_cash_usd, dtype=np.float64)
    return [
        size[:, j].tobytes() + orders_of[:, j].tobytes() + cash[j].tobytes()
        for j in range(size.shape[1])
    ]


def _order_groups(keys: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(group of each scenario, first scenario of each group): scenarios of equal ``keys``
    (``_order_keys``) form a group, groups numbered in order of first appearance. A dict of the
    keys, not ``np.unique`` over the order columns: that sorts every column's days."""
    group_of: dict[bytes, int] = {}
    first: list[int] = []
    groups = np.empty(len(keys), dtype=np.int64)
    for scenario, key in enumerate(keys):
        group = group_of.setdefault(key, len(group_of))
        if group == len(first):
            first.append(scenario)
        groups[scenario] = group
    return groups, np.asarray(first, dtype=np.int64)


def _both_columns(
    portfolio: ModuleType,
    impacted: np.ndarray,
    baseline: np.ndarray,
    plan: trading.OrderPlan,
    groups: np.ndarray,
    n_scen: int,
    per_path: int,
    config: EvaluateConfig,
) -> np.ndarray:
    """``[metric, column]`` of the impacted columns, then the baseline columns of ``groups``,
    in one simulation."""
    rows = portfolio.order_days(plan.size)
    on_rows = plan.size[rows]  # [order day, scenario]
    size = np.hstack(
        [np.repeat(on_rows, per_path, axis=1), np.repeat(on_rows[:, groups], per_path, axis=1)]
    )
    init_cash = np.concatenate(
        [np.repeat(plan.init_cash_usd, per_path), np.repeat(plan.init_cash_usd[groups], per_path)]
    )
    return portfolio.portfolio_metrics(
        [
            portfolio.CloseColumns(impacted, n_scen * per_path),
            portfolio.CloseColumns(baseline, len(groups) * per_path),
        ],
        rows,
        size,
        plan.size_type,
        init_cash,
        config.fees_bps / BPS_PER_UNIT,
        ANNUALISATION,
    )


def _impacted_columns(
    portfolio: ModuleType,
    impacted: np.ndarray,
    plan: trading.OrderPlan,
    n_scen: int,
    per_path: int,
    config: EvaluateConfig,
) -> np.ndarray:
    """``[metric, column]`` of the impacted columns alone."""
    rows = portfolio.order_days(plan.size)
    return portfolio.portfolio_metrics(
        [portfolio.CloseColumns(impacted, n_scen * per_path)],
        rows,
        np.repeat(plan.size[rows], per_path, axis=1),
        plan.size_type,
        np.repeat(plan.init_cash_usd, per_path),
        config.fees_bps / BPS_PER_UNIT,
        ANNUALISATION,
    )


def _baseline_columns(
    portfolio: ModuleType,
    baseline: np.ndarray,
    plan: trading.OrderPlan,
    groups: np.ndarray,
    config: EvaluateConfig,
) -> np.ndarray:
    """``[metric, column]`` of the baseline columns of the scenarios ``groups``."""
    n_paths, _, n_assets = baseline.shape
    per_path = n_paths * n_assets
    rows = portfolio.order_days(plan.size[:, groups])
    return portfolio.portfolio_metrics(
        [portfolio.CloseColumns(baseline, len(groups) * per_path)],
        rows,
        np.repeat(plan.size[rows][:, groups], per_path, axis=1),
        plan.size_type,
        np.repeat(plan.init_cash_usd[groups], per_path),
        config.fees_bps / BPS_PER_UNIT,
        ANNUALISATION,
    )


def _scenario_plan(
    name: str, inputs: EvaluationInput, config: EvaluateConfig, n_days: int, n_scen: int
) -> trading.OrderPlan:
    """One order column per scenario; paths and assets of a scenario trade on the same days."""
    if name == "buy_and_hold":
        return trading.buy_and_hold(n_days, n_scen, init_cash_usd=config.init_cash_usd)
    if name == "announcement_hold":
        entry = np.full(n_scen, inputs.announcement_day)
        return trading.enter_and_exit(
            name,
            entry,
            entry + config.hold_days,
            n_days,
            init_cash_usd=config.init_cash_usd,
            description=f"buy at the announcement close, sell {config.hold_days} days later",
        )
    if name == "front_run":
        entry = np.maximum(inputs.first_flow_day - config.front_run_lead_days, 0)
        return trading.enter_and_exit(
            name,
            entry,
            np.maximum(inputs.ramp_end_day, entry + 1),
            n_days,
            init_cash_usd=config.init_cash_usd,
            description=(
                f"buy {config.front_run_lead_days} days before the first 401(k) dollar, "
                "sell when the ramp ends"
            ),
        )
    if name == "payroll_dca":
        return trading.payroll_dca(
            inputs.pay_day.T,
            contribution_usd=config.dca_contribution_usd,
            fees_bps=config.fees_bps,
        )
    raise ConfigError(f"[evaluate] strategies: unknown {name!r}")


def _run_vectorbt(
    close_2d: np.ndarray, size: np.ndarray, size_type: str, init_cash: np.ndarray, fees_bps: float
) -> dict[str, np.ndarray]:
    """The metrics of the contract per column of ``[day, column]`` close and order arrays.

    The same path as ``evaluate`` (``backtest.sim.portfolio``: vectorbt's simulation on the
    order days, its record and return kernels per column), for plain 2-D arrays: the tests
    compare it with vectorbt's own ``Portfolio`` accessors, the study benchmark uses it.
    """
    from backtest.sim import portfolio  # imported here: vectorbt takes seconds to import

    close_2d = np.asarray(close_2d, dtype=np.float64)
    rows = portfolio.order_days(size)
    metrics = portfolio.portfolio_metrics(
        [portfolio.CloseColumns(close_2d[None], close_2d.shape[1])],
        rows,
        np.asarray(size)[rows],
        size_type,
        init_cash,
        fees_bps / BPS_PER_UNIT,
        ANNUALISATION,
    )
    return dict(zip(METRICS, metrics, strict=True))


def _summarise(
    strategy: str,
    values: dict[str, np.ndarray],
    split: int,
    impacted_shape: tuple[int, int, int],
    baseline_shape: tuple[int, int, int],
    group_of_scenario: np.ndarray,
) -> pd.DataFrame:
    """Quantiles over paths; the first ``split`` columns are impacted, the rest baseline groups."""
    columns = {}
    for metric, flat in values.items():
        flat = np.asarray(flat, dtype=float)
        impacted = flat[:split].reshape(impacted_shape)  # [scenario, path, asset]
        baseline = flat[split:].reshape(baseline_shape)[group_of_scenario]
        found = quantiles_over_paths(impacted, tuple(QUANTILES.values()))
        for label, column in zip(QUANTILES, found, strict=True):
            columns[f"{strategy}_{metric}_{label}"] = column
        with np.errstate(invalid="ignore"):  # inf - inf (a flat column on both): no value
            difference = impacted - baseline
        found = quantiles_over_paths(difference, tuple(QUANTILES.values()))
        for label, column in zip(QUANTILES, found, strict=True):
            columns[f"{strategy}_{metric}_vs_baseline_{label}"] = column
    return pd.DataFrame(columns)
