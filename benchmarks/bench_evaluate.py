"""Benchmark of the evaluation against its floor (a script, not a test).

    .venv/bin/python benchmarks/bench_evaluate.py [SHARED_DATA] [--repeat 5]

SHARED_DATA defaults to ``$FLOWIMPACT_SHARED_DATA``. The default study runs once on the real
data (``prices/binance_{BTC,ETH}USDT_1d.csv`` imported into a temporary store) to get its
engine output; then, on those columns (every scenario × path × asset, impacted and baseline,
every strategy of the study), it times ``--repeat`` times each, interleaved, and prints the
fastest of each, in wall and in CPU seconds of this process (the machine is shared: the
minimum is the least disturbed run, and CPU time does not count the waits for a core):

- ``evaluate``: the package's evaluation, ``backtest.sim.evaluate.evaluate`` (vectorbt);
- ``reference``: ``benchmarks/reference_evaluate.py``, a one-pass numba evaluator of the same
  metrics reading the engine's arrays in place, summarised by the same quantile code into the
  same table;
- ``reference metrics``: the reference's per-column metrics alone (no summary over paths).

The ratio evaluate / reference is the figure issue 11 asks to bring to 4 or less. The two
tables are compared (largest difference printed: relative, absolute for numbers below 1).
The first call of each (numba compilation or cache load) is not timed.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feeds
from backtest.run import run_study
from backtest.sim.evaluate import EvaluateConfig, EvaluationInput, evaluate
from backtest.study.config import load_study
from benchmarks.reference_evaluate import reference_evaluate, reference_per_column


def study_inputs(shared: Path) -> tuple[EvaluationInput, EvaluateConfig]:
    """The default study's evaluation input, from one run on the real prices."""
    with tempfile.TemporaryDirectory(prefix="bench_evaluate_") as tmp:
        data_dir = Path(tmp) / "data"
        store = feeds.CandleStore(data_dir)
        for asset in ("BTC", "ETH"):
            feeds.import_csv(shared / "prices" / f"binance_{asset}USDT_1d.csv", store)
        run = run_study(load_study(), data_dir, Path(tmp) / "out", progress=False).run
    inputs = EvaluationInput(
        days=run.baseline.days,
        impacted_close_usd=run.engine.close_usd,
        baseline_close_usd=run.baseline.close_usd,
        announcement_day=run.inputs.announcement_day,
        first_flow_day=run.inputs.first_flow_day,
        ramp_end_day=run.inputs.ramp_end_day,
        pay_day=run.inputs.pay_day,
    )
    return inputs, run.study.evaluate


def fastest(
    calls: dict[str, Callable[[], object]], repeat: int
) -> dict[str, tuple[float, float]]:
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

    ours, theirs = evaluate(inputs, config), reference_evaluate(inputs, config)  # compile/load
    a, b = ours.to_numpy(), theirs.to_numpy()
    both = np.isfinite(a) & np.isfinite(b)
    # relative where the number is 1 or more, absolute below (differences against the
    # baseline are small numbers made from two large ones): the test's rtol = atol = 1e-10
    difference = float((np.abs(a - b)[both] / np.maximum(np.abs(b)[both], 1.0)).max())
    same_nan = bool((np.isnan(a) == np.isnan(b)).all())
    best = fastest(
        {
            "evaluate": lambda: evaluate(inputs, config),
            "reference": lambda: reference_evaluate(inputs, config),
            "reference metrics": reference_metrics,
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
    for floor in ("reference", "reference metrics"):
        wall = best["evaluate"][0] / best[floor][0]
        cpu = best["evaluate"][1] / best[floor][1]
        print(f"  evaluate / {floor:<18}{wall:>9.1f}x{cpu:>9.1f}x")
    print(
        f"  tables: max difference {difference:.1e} (relative, absolute below 1), "
        f"same missing cells: {same_nan}"
    )


if __name__ == "__main__":
    main()
