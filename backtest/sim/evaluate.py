"""Portfolio evaluation with vectorbt: one broadcast call per strategy over every column.

Columns are (price kind, scenario, path, asset), where the kind is ``impacted`` (the engine's
path) or ``baseline`` (the same path without the inflow), so every strategy is measured with the
same dates on both and the difference is the inflow's effect on that portfolio. The order
arrays come from ``strategies.trading``; vectorbt simulates them and its numba kernels give the
metrics, on plain arrays read where the engine left them (``backtest.sim.portfolio``: no pandas
frame, no grid-sized copy per strategy); the summary over paths (5th, 50th and 95th
percentiles) is NumPy. Baseline columns are evaluated once per distinct order timing, not once
per scenario.

Annualisation uses 365 days a year, since crypto trades every day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtest.sim.evaluate_config import METRICS as METRICS  # re-exported: the old home
from backtest.sim.evaluate_config import EvaluateConfig
from backtest.sim.metrics import QUANTILES, quantile_over_paths
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


def evaluate(
    inputs: EvaluationInput,
    config: EvaluateConfig,
    on_strategy_done: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Metrics of every strategy, summarised over paths, one row per (scenario index, asset).

    Columns are ``{strategy}_{metric}_{p05|p50|p95}`` on impacted paths and
    ``{strategy}_{metric}_vs_baseline_{q}``: the per-path difference impacted minus baseline.
    ``on_strategy_done(name)`` is called after each strategy (for a progress bar).
    """
    from backtest.sim import portfolio  # imported here: vectorbt takes seconds to import

    n_scen, n_paths, n_days, n_assets = inputs.impacted_close_usd.shape
    per_path = n_paths * n_assets
    # read in place by the metric kernel: [scenario × path, day, asset], [path, day, asset]
    impacted = np.ascontiguousarray(inputs.impacted_close_usd, dtype=np.float64).reshape(
        n_scen * n_paths, n_days, n_assets
    )
    baseline = np.ascontiguousarray(inputs.baseline_close_usd, dtype=np.float64)
    frames = []
    for name in config.strategies:
        plan = _scenario_plan(name, inputs, config, n_days, n_scen)
        # Strategies with the same orders see the same baseline: evaluate each once.
        _, group_of_scenario = np.unique(
            np.nan_to_num(plan.size, nan=0.0, posinf=1e300, neginf=-1e300).T,
            axis=0,
            return_inverse=True,
        )
        groups = np.unique(group_of_scenario, return_index=True)[1]
        n_groups = len(groups)
        rows = portfolio.order_days(plan.size)
        on_rows = plan.size[rows]  # [order day, scenario]
        size = np.hstack(
            [np.repeat(on_rows, per_path, axis=1), np.repeat(on_rows[:, groups], per_path, axis=1)]
        )
        init_cash = np.concatenate(
            [
                np.repeat(plan.init_cash_usd, per_path),
                np.repeat(plan.init_cash_usd[groups], per_path),
            ]
        )
        metrics = portfolio.portfolio_metrics(
            [
                portfolio.CloseColumns(impacted, n_scen * per_path),
                portfolio.CloseColumns(baseline, n_groups * per_path),
            ],
            rows,
            size,
            plan.size_type,
            init_cash,
            config.fees_bps / BPS_PER_UNIT,
            ANNUALISATION,
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
        for label, q in QUANTILES.items():
            columns[f"{strategy}_{metric}_{label}"] = quantile_over_paths(impacted, q)
        with np.errstate(invalid="ignore"):  # inf - inf (a flat column on both): no value
            difference = impacted - baseline
        for label, q in QUANTILES.items():
            columns[f"{strategy}_{metric}_vs_baseline_{label}"] = quantile_over_paths(difference, q)
    return pd.DataFrame(columns)
