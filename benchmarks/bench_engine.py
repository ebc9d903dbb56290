"""Benchmark of the numba engine (a script, not a test).

    .venv/bin/python benchmarks/bench_engine.py [--scenarios 50] [--paths 200] [--days 3000]

Runs ``run_engine`` over scenarios × paths columns (default 50 × 200 = 10,000) for ``days``
days and 2 assets on a synthetic random-walk baseline, with payday flows and a rebalancing
sleeve, and prints, measured in the same run:

- the first engine call's time (numba compilation, or loading numba's cache: run the script
  twice, the second run's first call shows whether the cache works across processes);
- cells (scenario × path × day × asset) per second;
- the speed ratio against the plain-Python reference (tests/backtest/sim/reference_engine.py,
  stepping the same exponential kernel recursively, and computing σ and the trailing volume
  only for a model that reads them, as the engine does) on a few columns of the first
  scenario;
- two ratios against a memory-bound floor, numpy's cumulative sum over days of a float64
  array of the output's shape into a fresh array: the fair one writes as many fresh output
  arrays as the engine does (one cumsum per output), the old-style one writes a single array
  (kept for comparison with earlier figures; it is not like for like).

The engine fills the study's outputs (close_usd, flow_usd, log_impact: three arrays of that
shape); ``--all-outputs`` adds instant_log_impact. Engine, reference and floor run
``--repeat`` times each (at least 5) and the fastest of each is reported: the team's machines
are shared, and the minimum is the least disturbed run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backtest.sim.baseline import BaselinePaths
from backtest.sim.engine import DEFAULT_OUTPUTS, ENGINE_OUTPUTS, SleeveArrays, run_engine
from backtest.sim.impact import ImpactConfig
from tests.backtest.sim.reference_engine import reference_engine

WARMUP_DAYS = 60
MIN_REPEAT = 5


def synthetic_baseline(n_paths: int, n_days: int, seed: int = 1) -> BaselinePaths:
    rng = np.random.default_rng(seed)
    total = WARMUP_DAYS + n_days
    close = np.array([60_000.0, 3_000.0]) * np.exp(
        np.cumsum(rng.normal(0.0, 0.03, (n_paths, total, 2)), axis=1)
    )
    volume = close * rng.uniform(5_000.0, 20_000.0, (n_paths, total, 2))
    days = pd.date_range("2020-01-01", periods=n_days, freq="D", tz="UTC")
    return BaselinePaths(
        days=days, assets=("BTC", "ETH"),
        close_usd=close[:, WARMUP_DAYS:], volume_usd=volume[:, WARMUP_DAYS:],
        last_history_day=days[0] - pd.Timedelta(days=1),
        prior_close_usd=close[:, :WARMUP_DAYS], prior_volume_usd=volume[:, :WARMUP_DAYS],
    )


def scenario_grid(n_scenarios: int, n_days: int) -> tuple[np.ndarray, list, SleeveArrays]:
    models = ("multiplier", "sqrt", "linear")
    # Y = 0.2: on the random-walk paths that fall a hundredfold the square-root law's permanent
    # κ = Y·σ/V grows so large that the sleeve's rebalancing feedback diverges at Y = 1 (the
    # same branches run at any Y, so the timing does not depend on it)
    impacts = [
        ImpactConfig(model=models[i % 3], permanent_share=0.3 + 0.4 * (i % 2),
                     anticipation_share=0.25 * (i % 4), sqrt_y=0.2)
        for i in range(n_scenarios)
    ]
    flows = np.zeros((n_scenarios, n_days, 2))
    paydays = np.arange(200, n_days, 14)
    scale = np.linspace(0.5, 2.0, n_scenarios)[:, None, None]
    flows[:, paydays] = scale * np.array([3e8, 1e8])
    rebalance = np.zeros((n_scenarios, n_days), dtype=bool)
    rebalance[:, ::91] = True
    sleeve = SleeveArrays(
        target_weight=np.tile([0.02, 0.01], (n_scenarios, 1)),
        initial_fund_usd=np.full(n_scenarios, 5e10),
        contribution_usd=np.full((n_scenarios, n_days), 1e7),
        rebalance_day=rebalance,
        drift_band=np.full(n_scenarios, 0.01),
        start_day_index=np.full(n_scenarios, 150, dtype=np.int64),
    )
    return flows, impacts, sleeve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=50)
    parser.add_argument("--paths", type=int, default=200)
    parser.add_argument("--days", type=int, default=3000)
    parser.add_argument("--reference-columns", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--all-outputs", action="store_true")
    args = parser.parse_args()
    if args.repeat < MIN_REPEAT:
        parser.error(f"--repeat {args.repeat}: give at least {MIN_REPEAT}, the minimum is reported")
    outputs = ENGINE_OUTPUTS if args.all_outputs else DEFAULT_OUTPUTS

    baseline = synthetic_baseline(args.paths, args.days)
    flows, impacts, sleeve = scenario_grid(args.scenarios, args.days)
    announce = 100
    small = synthetic_baseline(2, 50)
    start = time.perf_counter()
    run_engine(small, flows[:1, :50], impacts[:1], _rows(sleeve, 1, 50), announce)
    first_call_s = time.perf_counter() - start

    engine_s = float("inf")
    for _ in range(args.repeat):
        result = None  # free the previous run's outputs before the next allocates its own
        start = time.perf_counter()
        result = run_engine(baseline, flows, impacts, sleeve, announce, outputs=outputs)
        engine_s = min(engine_s, time.perf_counter() - start)
    cells = result.close_usd.size
    shape = result.close_usd.shape
    columns = args.scenarios * args.paths

    sub = args.reference_columns
    reference_s = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        reference = reference_engine(
            baseline, flows[:1], impacts[:1], _rows(sleeve, 1, args.days), announce,
            paths=range(sub), exact_decay=False,
        )
        reference_s = min(reference_s, time.perf_counter() - start)
    reference_cells = reference["close_usd"].size
    agree = np.max(np.abs(reference["log_impact"] - result.log_impact[:1, :sub]))
    del result

    # the floor reads one array and writes fresh ones, as the engine writes fresh outputs
    floor_input = np.ones(shape)
    one_s = _floor_seconds(floor_input, 1, args.repeat)
    fair_s = _floor_seconds(floor_input, len(outputs), args.repeat)
    del floor_input

    engine_rate = cells / engine_s
    reference_rate = reference_cells / reference_s
    print(f"grid: {args.scenarios} scenarios x {args.paths} paths = {columns} columns, "
          f"{args.days} days, 2 assets = {cells:,} cells; fastest of {args.repeat} runs")
    print(f"first call: {first_call_s:8.3f} s  (numba compilation, or its cache loaded)")
    print(f"engine:     {engine_s:8.3f} s  {engine_rate:14,.0f} cells/s "
          f"({len(outputs)} output arrays)")
    print(f"reference:  {reference_s:8.3f} s  {reference_rate:14,.0f} cells/s "
          f"({reference_cells:,} cells, {impacts[0].model} model, "
          f"max |dI| vs engine {agree:.1e})")
    print(f"floor:      {fair_s:8.3f} s  {cells / fair_s:14,.0f} cells/s "
          f"(numpy cumsum into {len(outputs)} fresh arrays)")
    print(f"floor, 1:   {one_s:8.3f} s  {cells / one_s:14,.0f} cells/s "
          "(numpy cumsum into 1 fresh array, the old-style floor)")
    print(f"speed-up over the Python reference: {engine_rate / reference_rate:,.0f}x "
          "(target >= 200x)")
    print(f"engine time / fair floor ({len(outputs)} arrays written by each): "
          f"{engine_s / fair_s:.2f}x")
    print(f"engine time / old-style floor (1 array written): {engine_s / one_s:.2f}x "
          "(aim <= 5x)")


def _floor_seconds(floor_input: np.ndarray, n_outputs: int, repeat: int) -> float:
    """Fastest of ``repeat`` timings of ``n_outputs`` cumsums over days into fresh arrays."""
    fastest = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        written = [np.cumsum(floor_input, axis=2) for _ in range(n_outputs)]
        fastest = min(fastest, time.perf_counter() - start)
        del written
    return fastest


def _rows(sleeve: SleeveArrays, n: int, days: int) -> SleeveArrays:
    return SleeveArrays(
        target_weight=sleeve.target_weight[:n], initial_fund_usd=sleeve.initial_fund_usd[:n],
        contribution_usd=sleeve.contribution_usd[:n, :days],
        rebalance_day=sleeve.rebalance_day[:n, :days], drift_band=sleeve.drift_band[:n],
        start_day_index=np.minimum(sleeve.start_day_index[:n], days - 1),
    )


if __name__ == "__main__":
    main()
