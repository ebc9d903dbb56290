"""Benchmark of the evaluation against its floor (a script, not a test).

    .venv/bin/python benchmarks/bench_evaluate.py [SHARED_DATA] [--repeat 5]

SHARED_DATA defaults to ``$FLOWIMPACT_SHARED_DATA``. The default study runs once on the real
data (``prices/binance_{BTC,ETH}USDT_1d.csv`` and ``etf_flows/*.csv`` imported into a temporary
store) to get its engine output; then, on those columns (every scenario × path × asset,
impacted and baseline, every strategy of the study), it times ``--repeat`` times each,
interleaved, and prints the fastest of each, in wall and in CPU seconds of this process (the
machine is shared: the minimum is the least disturbed run, and CPU time does not count the
waits for a core):

- ``evaluate``: the package's evaluation, ``backtest.sim.evaluate.evaluate`` (vectorbt);
- ``reference``: ``benchmarks/reference_evaluate.py``, a one-pass numba evaluator of the same
  metrics reading the engine's arrays in place, summarised by the same quantile code into the
  same table;
- ``reference metrics``: the reference's per-column metrics alone (no summary over paths);
- ``one-pass``: an independent one-pass kernel written here (``one_pass_nb``, not the code
  under test): per column, the fills, the value and running sums of r, r², min(r, 0)², the
  peak and the drawdown, columns in parallel as the package's kernel runs them, followed by
  the same summary over paths into the same table;
- ``one-pass metrics``: that kernel alone.

The ratio evaluate / one-pass is the figure to hold at 1.5 or less: the evaluation's own work
(vectorbt's order simulation, the fused per-column pass over its records, the summary) against
the least an evaluation of the same columns can do. The tables are compared (largest
difference printed: relative, absolute for numbers below 1). The first call of each (numba
compilation or cache load) is not timed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from numba import njit, prange

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feeds
from backtest.run import run_study
from backtest.sim.evaluate import (
    ANNUALISATION,
    EvaluateConfig,
    EvaluationInput,
    _scenario_plan,
    evaluate,
)
from backtest.study.chunks import scenario_paths
from backtest.study.config import load_study
from benchmarks.reference_evaluate import (
    reference_evaluate,
    reference_per_column,
    summary_table,
)
from flowimpact.units import BPS_PER_UNIT

# vectorbt's tolerance for "enough cash" (vectorbt.utils.math_.rel_tol / abs_tol)
_REL_TOL = 1e-9
_ABS_TOL = 1e-12


@njit(cache=True, error_model="numpy", parallel=True)
def one_pass_nb(
    close: np.ndarray,
    close_of: np.ndarray,
    orders: np.ndarray,
    value_orders: bool,
    init_cash: np.ndarray,
    fee: float,
    ann_factor: float,
) -> np.ndarray:
    """The five metrics ``[metric, series, path, asset]``: series s is the close prices
    ``close[close_of[s]]`` (``close`` is ``[close series, path, day, asset]``) trading
    ``orders[s]`` (``[series, day]``, NaN = no order) from
    ``init_cash[series]``; long only, fills at the close with vectorbt's rules (all in spends
    cash / (1 + fee) on shares, all out sells every share for shares × close × (1 − fee), a USD
    order buys what the cash allows). One pass over the days, scalars only."""
    _, n_paths, n_days, n_assets = close.shape
    n_series = close_of.size
    out = np.empty((5, n_series, n_paths, n_assets))
    for column in prange(n_series * n_paths * n_assets):
        s = column // (n_paths * n_assets)
        p = (column // n_assets) % n_paths
        a = column % n_assets
        cash0 = init_cash[s]
        cash, shares, previous, peak, worst = cash0, 0.0, cash0, -np.inf, 0.0
        sum_r, sum_r2, sum_down2, value = 0.0, 0.0, 0.0, cash0
        for t in range(n_days):
            price = close[close_of[s], p, t, a]
            order = orders[s, t]
            if order == order:  # an order today
                if value_orders:
                    if order > 0 and cash > 0:
                        cost = order * (1.0 + fee)
                        if cost - cash <= max(_REL_TOL * cash, _ABS_TOL):
                            cash, shares = max(cash - cost, 0.0), shares + order / price
                        else:
                            cash, shares = 0.0, shares + cash / (1.0 + fee) / price
                elif order > 0:
                    if cash > 0:
                        cash, shares = 0.0, shares + cash / (1.0 + fee) / price
                elif shares > 0:
                    cash, shares = cash + shares * price * (1.0 - fee), 0.0
            value = cash + shares * price
            r = (value - previous) / previous
            previous = value
            sum_r += r
            sum_r2 += r * r
            if r < 0:
                sum_down2 += r * r
            peak = max(peak, value)
            worst = min(worst, value / peak - 1.0)
        total = value / cash0 - 1.0
        mean = sum_r / n_days
        variance = (sum_r2 - sum_r * mean) / (n_days - 1)
        downside = np.sqrt(sum_down2 / n_days)
        out[0, s, p, a] = total * 100.0
        out[1, s, p, a] = ((1.0 + total) ** (ann_factor / n_days) - 1.0) * 100.0
        out[2, s, p, a] = mean / np.sqrt(variance) * np.sqrt(ann_factor) if variance > 0 else np.inf
        out[3, s, p, a] = (
            mean * ann_factor / (downside * np.sqrt(ann_factor)) if downside > 0 else np.inf
        )
        out[4, s, p, a] = worst * 100.0
    return out


def one_pass_metrics(
    inputs: EvaluationInput, config: EvaluateConfig, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One strategy through ``one_pass_nb``: impacted ``[metric, scenario, path, asset]``,
    baseline ``[metric, group, path, asset]`` per distinct order column, group of each
    scenario (the columns the package evaluates)."""
    n_scen, _, n_days, _ = inputs.impacted_close_usd.shape
    plan = _scenario_plan(name, inputs, config, n_days, n_scen)
    orders = np.ascontiguousarray(plan.size.T)
    cash = np.asarray(plan.init_cash_usd, dtype=float)
    fee = config.fees_bps / BPS_PER_UNIT
    value_orders = plan.size_type == "value"
    impacted = one_pass_nb(
        inputs.impacted_close_usd, np.arange(n_scen), orders, value_orders, cash, fee,
        ANNUALISATION,
    )  # fmt: skip
    _, first, group = np.unique(
        np.nan_to_num(orders, nan=0.0, posinf=1e300, neginf=-1e300),
        axis=0, return_index=True, return_inverse=True,
    )  # fmt: skip
    baseline = one_pass_nb(
        inputs.baseline_close_usd[None], np.zeros(first.size, dtype=np.int64), orders[first],
        value_orders, cash[first], fee, ANNUALISATION,
    )  # fmt: skip
    return impacted, baseline, group.reshape(-1)


def one_pass_evaluate(inputs: EvaluationInput, config: EvaluateConfig) -> pd.DataFrame:
    """The evaluation's table from ``one_pass_nb`` and the package's summary over paths."""
    return summary_table(inputs, config, one_pass_metrics)


def study_inputs(shared: Path) -> tuple[EvaluationInput, EvaluateConfig]:
    """The default study's evaluation input, from one run on the real prices."""
    with tempfile.TemporaryDirectory(prefix="bench_evaluate_") as tmp:
        data_dir = Path(tmp) / "data"
        store = feeds.CandleStore(data_dir)
        for asset in ("BTC", "ETH"):
            feeds.import_csv(shared / "prices" / f"binance_{asset}USDT_1d.csv", store)
        # the default study solves its impact parameters on the ETF flows (its φ axis)
        for table in sorted((shared / "etf_flows").glob("*.csv")):
            feeds.import_csv(table, store)
        run = run_study(load_study(), data_dir, Path(tmp) / "out", progress=False).run
    # the run keeps figures, not paths: the engine reruns for every scenario, same numbers
    every = list(range(len(run.scenarios)))
    inputs = EvaluationInput(
        days=run.baseline.days,
        impacted_close_usd=scenario_paths(run.baseline, run.inputs, run.scenarios, every).close_usd,
        baseline_close_usd=run.baseline.close_usd,
        announcement_day=run.inputs.announcement_day,
        first_flow_day=run.inputs.first_flow_day,
        ramp_end_day=run.inputs.ramp_end_day,
        pay_day=run.inputs.pay_day,
    )
    return inputs, run.study.evaluate


def fastest(calls: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, float]]:
    """Minimum (wall, CPU) seconds of each call over ``repeat`` interleaved rounds."""
    best = dict.fromkeys(calls, (float("inf"), float("inf")))
    for _ in range(repeat):
        for name, call in calls.items():
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shared", nargs="?", default=os.environ.get("FLOWIMPACT_SHARED_DATA"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.shared:
        parser.error("give the shared data folder or set FLOWIMPACT_SHARED_DATA")
    if args.repeat < 5:
        parser.error("--repeat must be at least 5")
    inputs, config = study_inputs(Path(args.shared))
    n_scen, n_paths, n_days, n_assets = inputs.impacted_close_usd.shape

    def reference_metrics() -> None:
        for name in config.strategies:
            reference_per_column(inputs, config, name)

    def one_pass_only() -> None:
        for name in config.strategies:
            one_pass_metrics(inputs, config, name)

    ours = evaluate(inputs, config)  # each first call compiles or loads its kernels
    floors = {
        "reference": reference_evaluate(inputs, config),
        "one-pass": one_pass_evaluate(inputs, config),
    }
    best = fastest(
        {
            "evaluate": lambda: evaluate(inputs, config),
            "reference": lambda: reference_evaluate(inputs, config),
            "reference metrics": reference_metrics,
            "one-pass": lambda: one_pass_evaluate(inputs, config),
            "one-pass metrics": one_pass_only,
        },
        args.repeat,
    )
    print(
        f"evaluation of the default study: {n_scen} scenarios x {n_paths} paths x {n_assets} "
        f"assets = {n_scen * n_paths * n_assets:,} impacted columns, {n_days:,} days, "
        f"{len(config.strategies)} strategies (fastest of {args.repeat})"
    )
    print(f"  {'':<20}{'wall s':>10}{'CPU s':>10}")
    for name, (wall, cpu) in best.items():
        print(f"  {name:<20}{wall:>10.3f}{cpu:>10.3f}")
    for floor in ("one-pass", "one-pass metrics", "reference", "reference metrics"):
        wall = best["evaluate"][0] / best[floor][0]
        cpu = best["evaluate"][1] / best[floor][1]
        print(f"  evaluate / {floor:<18}{wall:>9.2f}x{cpu:>9.2f}x")
    for floor, table in floors.items():
        difference, same_nan = compare(ours, table)
        print(
            f"  evaluate vs {floor}: max difference {difference:.1e} (relative, absolute "
            f"below 1), same missing cells: {same_nan}"
        )


def compare(ours: pd.DataFrame, theirs: pd.DataFrame) -> tuple[float, bool]:
    """Largest difference of two tables (relative where a number is 1 or more, absolute
    below: differences against the baseline are small numbers made from two large ones) and
    whether they miss the same cells."""
    a, b = ours.to_numpy(), theirs.to_numpy()
    both = np.isfinite(a) & np.isfinite(b)
    difference = float((np.abs(a - b)[both] / np.maximum(np.abs(b)[both], 1.0)).max())
    return difference, bool((np.isnan(a) == np.isnan(b)).all())


if __name__ == "__main__":
    main()
