"""Benchmark of the study (a script, not a test).

    .venv/bin/python benchmarks/bench_study.py [SHARED_DATA] [--loop-columns 200] [--warm]

SHARED_DATA defaults to ``$FLOWIMPACT_SHARED_DATA``. In one run it prints:

(a) the default study end to end on the real data: ``prices/binance_{BTC,ETH}USDT_1d.csv``
    and the ETF-flow tables ``etf_flows/*.csv`` (the φ axis solves the impact parameters on
    them) are imported into a temporary store first (timed), then ``run_study`` writes its report
    into a temporary folder; the time of every step as the run measured it. The first run in a
    fresh process includes numba's and vectorbt's compilation (or cache load); ``--warm`` runs
    the study once before the timed run to show the steady-state cost.
(b) vectorbt's evaluation of the grid against per-column loops, on the same columns (every
    scenario × path × asset of the run's impacted prices, front-run orders, the study's fee):
    one broadcast ``Portfolio.from_orders`` call with its metrics over all columns; vectorbt
    called once per column on the first ``--loop-columns`` columns, extrapolated to all; and a
    plain-NumPy per-column loop (value path and the five metrics, one column at a time) over
    all columns. The loops' numbers are checked against the broadcast call's.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feeds
from backtest.run import RunResult, run_study
from backtest.sim.evaluate import EvaluationInput, _run_vectorbt, _scenario_plan
from backtest.study.chunks import scenario_paths
from backtest.study.config import load_study
from flowimpact.units import BPS_PER_UNIT, DAYS_PER_YEAR


def import_prices(shared: Path, data_dir: Path) -> float:
    started = time.perf_counter()
    store = feeds.CandleStore(data_dir)
    for asset in ("BTC", "ETH"):
        feeds.import_csv(shared / "prices" / f"binance_{asset}USDT_1d.csv", store)
    for table in sorted((shared / "etf_flows").glob("*.csv")):
        feeds.import_csv(table, store)
    return time.perf_counter() - started


def end_to_end(data_dir: Path, out_dir: Path) -> tuple[RunResult, float, float]:
    """The run, its wall seconds and its CPU seconds (this process: on a shared machine the
    wall time also counts the waits for a core)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = run_study(load_study(), data_dir, out_dir, progress=False)
    return result, time.perf_counter() - started, time.process_time() - cpu


def front_run_columns(result: RunResult) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Close prices [day, column], orders [day, column], init cash [column], fee fraction."""
    run = result.run
    # the run keeps figures, not paths: recompute every scenario's (the same numbers)
    every = range(len(run.scenarios))
    close = scenario_paths(run.baseline, run.inputs, run.scenarios, every).array("close_usd")
    n_scen, n_paths, n_days, n_assets = close.shape
    inputs = EvaluationInput(
        days=run.baseline.days,
        impacted_close_usd=close,
        baseline_close_usd=run.baseline.close_usd,
        announcement_day=run.inputs.announcement_day,
        first_flow_day=run.inputs.first_flow_day,
        ramp_end_day=run.inputs.ramp_end_day,
        pay_day=run.inputs.pay_day,
    )
    config = run.study.evaluate
    plan = _scenario_plan("front_run", inputs, config, n_days, n_scen)
    close_2d = np.ascontiguousarray(np.moveaxis(close, 2, 0).reshape(n_days, -1))
    per_scenario = n_paths * n_assets
    size = np.repeat(plan.size, per_scenario, axis=1)
    cash = np.repeat(plan.init_cash_usd, per_scenario)
    return close_2d, size, cash, config.fees_bps / BPS_PER_UNIT


def numpy_metrics(close: np.ndarray, size: np.ndarray, cash: float, fee: float) -> np.ndarray:
    """One column: all-in buy and all-out sell at the close; the five metrics (vectorbt's
    definitions: see tests/backtest/sim/test_evaluate.py)."""
    entry = np.flatnonzero(size > 0)
    exits = np.flatnonzero(size < 0)
    value = np.full(close.shape, cash)
    if entry.size:
        start = entry[0]
        shares = cash / (close[start] * (1 + fee))
        stop = exits[0] if exits.size else close.size
        value[start:stop] = shares * close[start:stop]
        if exits.size:
            value[stop:] = shares * close[stop] * (1 - fee)
    returns = np.diff(value, prepend=cash) / np.r_[cash, value[:-1]]
    total = value[-1] / cash - 1
    std = returns.std(ddof=1)
    downside = math.sqrt(np.mean(np.minimum(returns, 0.0) ** 2))
    mean = returns.mean()
    return np.array(
        [
            total * 100,
            ((1 + total) ** (DAYS_PER_YEAR / returns.size) - 1) * 100,
            mean / std * math.sqrt(DAYS_PER_YEAR) if std else math.inf,
            mean * DAYS_PER_YEAR / (downside * math.sqrt(DAYS_PER_YEAR)) if downside else math.inf,
            (value / np.maximum.accumulate(value) - 1).min() * 100,
        ]
    )


def compare_evaluation(result: RunResult, loop_columns: int) -> None:
    close, size, cash, fee = front_run_columns(result)
    n_days, n_columns = close.shape
    fee_bps = fee * BPS_PER_UNIT
    _run_vectorbt(close[:, :2], size[:, :2], "amount", cash[:2], fee_bps)  # compiled already

    started = time.perf_counter()
    broadcast = _run_vectorbt(close, size, "amount", cash, fee_bps)
    broadcast_s = time.perf_counter() - started

    subset = min(loop_columns, n_columns)
    started = time.perf_counter()
    looped = [
        _run_vectorbt(close[:, [c]], size[:, [c]], "amount", cash[[c]], fee_bps)
        for c in range(subset)
    ]
    vbt_loop_s = (time.perf_counter() - started) * n_columns / subset

    started = time.perf_counter()
    by_numpy = np.stack(
        [numpy_metrics(close[:, c], size[:, c], cash[c], fee) for c in range(n_columns)]
    )
    numpy_loop_s = time.perf_counter() - started

    names = list(broadcast)
    vbt_all = np.column_stack([broadcast[name] for name in names])
    vbt_loop = np.stack([[float(np.ravel(one[name])[0]) for name in names] for one in looped])
    loop_diff = float(np.nanmax(np.abs(vbt_loop - vbt_all[:subset])))
    with np.errstate(invalid="ignore"):
        numpy_diff = float(np.nanmax(np.abs(by_numpy - vbt_all) / np.maximum(1, np.abs(vbt_all))))

    print(f"\n(b) evaluation of {n_columns:,} columns x {n_days:,} days (front_run orders)")
    print(f"  {'method':<52}{'seconds':>10}{'x broadcast':>14}")
    rows = [
        ("vectorbt, one broadcast call over all columns", broadcast_s),
        (f"vectorbt, one call per column ({subset} run, extrapolated)", vbt_loop_s),
        ("plain NumPy, one column at a time (all columns)", numpy_loop_s),
    ]
    for label, seconds in rows:
        print(f"  {label:<52}{seconds:>10.2f}{seconds / broadcast_s:>14.1f}")
    print(f"  per-column vectorbt vs broadcast: max abs difference {loop_diff:.2e}")
    print(f"  NumPy loop vs broadcast: max relative difference {numpy_diff:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shared", nargs="?", default=os.environ.get("FLOWIMPACT_SHARED_DATA"))
    parser.add_argument("--loop-columns", type=int, default=200)
    parser.add_argument("--warm", action="store_true", help="run the study once untimed first")
    args = parser.parse_args()
    if not args.shared:
        parser.error("give the shared data folder or set FLOWIMPACT_SHARED_DATA")
    shared = Path(args.shared)
    with tempfile.TemporaryDirectory(prefix="bench_study_") as tmp:
        data_dir, out_dir = Path(tmp) / "data", Path(tmp) / "out"
        import_s = import_prices(shared, data_dir)
        if args.warm:
            end_to_end(data_dir, Path(tmp) / "warm")
        result, total_s, total_cpu_s = end_to_end(data_dir, out_dir)
        run = result.run
        n_columns = len(run.scenarios) * run.baseline.n_paths * len(run.baseline.assets)
        print(
            f"(a) default study end to end: {len(run.scenarios)} scenarios x "
            f"{run.baseline.n_paths} paths x {len(run.baseline.assets)} assets = "
            f"{n_columns:,} columns, {len(run.baseline.days):,} days "
            f"({'warm' if args.warm else 'cold: compilation included'})"
        )
        print(f"  {'import CSV (2 files)':<24}{import_s:>8.2f} s")
        for step, seconds in run.timings_s.items():
            print(f"  {step:<24}{seconds:>8.2f} s")
        print(f"  {'total run_study':<24}{total_s:>8.2f} s (CPU {total_cpu_s:.2f} s)")
        compare_evaluation(result, args.loop_columns)


if __name__ == "__main__":
    main()
