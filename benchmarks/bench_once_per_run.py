"""Once per run against once per chunk, and reused output buffers, side by side (a script).

    .venv/bin/python benchmarks/bench_once_per_run.py [SHARED_DATA] [--repeat 3]
        [--n-paths N] [--chunks K]

SHARED_DATA defaults to ``$FLOWIMPACT_SHARED_DATA``. The default study runs once on the real
data (``prices/binance_{BTC,ETH}USDT_1d.csv`` and the ETF flow tables of ``etf_flows/``
imported into a temporary store) for its baseline, scenarios and schedules; ``--n-paths``
redraws the baseline with that many paths (the grid's chunks then hold fewer scenarios
each), ``--chunks`` times only the first K chunks of the plan. Then, ``--repeat`` rounds,
interleaved, the fastest of each printed (the machine is shared: the minimum is the least
disturbed run; CPU seconds do not count waits for a core):

- ``per chunk``: every chunk through ``run_chunk`` with nothing precomputed
  (``SharedInputs.precomputed`` empty): each chunk computes its σ and volume windows and
  evaluates its scenarios' baseline columns, as before issue 21 item 2;
- ``once per run``: the same chunks reading the run's ``once_per_run.precompute`` (built
  once, timed on its own and added to the total);
- ``+ workspace``: those chunks again, their engine writing into one
  ``backtest.sim.workspace.Workspace`` made for the round (as ``map_chunks`` lends one per
  map): the first chunk faults its output pages in, the others reuse them;
- the fan-chart bands of the drawn scenarios of the first chunk: ``np.percentile(...,
  axis=0)`` per scenario against ``backtest.sim.percentiles`` (same numbers, checked equal).

Printed: the chunks' parts (engine, metrics, evaluate as ``run_chunk`` times them) and the
totals (wall, CPU, the system part of the CPU, and minor page faults from ``getrusage``), the
ratio once per run / per chunk, and whether all give the same tables (bit for bit). The first
call of everything (numba's cache load) is not timed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backtest.run import run_study
from backtest.sim.baseline import build_baseline
from backtest.sim.percentiles import percentiles_over_first_axis
from backtest.sim.workspace import Workspace
from backtest.study.chunks import (
    BAND_PERCENTILES,
    ChunkResult,
    ChunkSpec,
    SharedInputs,
    chunk_plan,
    combine,
    run_chunk,
    scenario_paths,
)
from backtest.study.config import load_study
from backtest.study.drawn import drawn_scenarios
from backtest.study.once_per_run import Precomputed
from backtest.study.results import StudyRun

T = TypeVar("T")
FLOWIMPACT = Path(sys.executable).with_name("flowimpact")


def default_run(shared: Path) -> StudyRun:
    """The default study on the real prices and ETF flows (nothing written)."""
    files = [shared / "prices" / f"binance_{asset}USDT_1d.csv" for asset in ("BTC", "ETH")]
    files += sorted((shared / "etf_flows").glob("farside_*_etf_flows_daily.csv"))
    with tempfile.TemporaryDirectory(prefix="bench_once_per_run_") as tmp:
        data_dir = Path(tmp) / "data"
        subprocess.run(
            [str(FLOWIMPACT), "import", *map(str, files), "--data-dir", str(data_dir)],
            check=True,
            capture_output=True,
        )
        return run_study(load_study(), data_dir, None, progress=False).run


def with_paths(run: StudyRun, n_paths: int) -> StudyRun:
    """``run`` on a baseline redrawn with ``n_paths`` paths (the same venues)."""
    paths = dataclasses.replace(run.study.paths, n_paths=n_paths)
    baseline = build_baseline(run.prices, paths, run.study.study.start)
    baseline = dataclasses.replace(baseline, venues=run.baseline.venues)
    return dataclasses.replace(run, baseline=baseline)


@dataclasses.dataclass
class Cost:
    """What one call took: wall and CPU seconds, the system part of the CPU, minor faults."""

    wall: float
    cpu: float
    system: float = 0.0
    faults: int = 0


@dataclasses.dataclass
class Best:
    """The fastest wall and CPU seconds seen (the least system time and fewest faults), and
    each part's fastest sum over chunks."""

    wall: float = float("inf")
    cpu: float = float("inf")
    system: float = float("inf")
    faults: float = float("inf")
    parts: dict[str, float] = dataclasses.field(default_factory=dict)

    def add(self, cost: Cost, parts: dict[str, float]) -> None:
        self.wall, self.cpu = min(self.wall, cost.wall), min(self.cpu, cost.cpu)
        self.system, self.faults = min(self.system, cost.system), min(self.faults, cost.faults)
        for name, value in parts.items():
            self.parts[name] = min(self.parts.get(name, float("inf")), value)


def timed(call: Callable[[], T]) -> tuple[T, Cost]:
    """``call()`` and what it cost (``getrusage`` of this process: its threads included)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_SELF)
    system = after.ru_stime - before.ru_stime
    return result, Cost(wall, cpu, system, after.ru_minflt - before.ru_minflt)


def run_chunks(
    specs: list[ChunkSpec], shared: SharedInputs, workspace: Workspace | None = None
) -> list[ChunkResult]:
    return [run_chunk(spec, shared, workspace) for spec in specs]


def summed(results: list[ChunkResult]) -> dict[str, float]:
    parts: dict[str, float] = {}
    for result in results:
        for name, value in result.seconds.items():
            parts[name] = parts.get(name, 0.0) + value
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shared", nargs="?", default=os.environ.get("FLOWIMPACT_SHARED_DATA"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-paths", type=int, default=0, help="redraw the baseline's paths")
    parser.add_argument("--chunks", type=int, default=0, help="time only the first K chunks")
    args = parser.parse_args()
    if not args.shared:
        parser.error("give the shared data folder or set FLOWIMPACT_SHARED_DATA")
    run = default_run(Path(args.shared))
    if args.n_paths:
        run = with_paths(run, args.n_paths)
    baseline = run.baseline
    drawn, _ = drawn_scenarios(run.study, run.scenarios)
    specs = chunk_plan(len(run.scenarios), run.study.compute, baseline, drawn)
    specs = specs[: args.chunks] if args.chunks else specs
    n_assets = len(baseline.assets)

    shared = SharedInputs.build(baseline, run.inputs, run.scenarios, run.study.evaluate)
    bare = dataclasses.replace(shared, precomputed=Precomputed())
    run_chunks(specs[:1], shared)  # untimed: numba's and vectorbt's first calls
    run_chunks(specs[:1], bare)

    before, after, once, reused = Best(), Best(), Best(), Best()
    tables: dict[str, pd.DataFrame] = {}
    for _ in range(args.repeat):
        results, cost = timed(lambda: run_chunks(specs, bare))
        before.add(cost, summed(results))
        tables["per chunk"] = combine(results, n_assets).metrics()
        fresh, cost = timed(
            lambda: SharedInputs.build(baseline, run.inputs, run.scenarios, run.study.evaluate)
        )
        once.add(cost, fresh.precomputed.seconds)
        results, cost = timed(partial(run_chunks, specs, fresh))
        after.add(cost, summed(results))
        tables["once per run"] = combine(results, n_assets).metrics()
        del results
        results, cost = timed(partial(run_chunks, specs, fresh, Workspace()))
        reused.add(cost, summed(results))
        tables["+ workspace"] = combine(results, n_assets).metrics()
        del results

    n_scen = sum(spec.n_scenarios for spec in specs)
    print(
        f"default study: {n_scen} of {len(run.scenarios)} scenarios x {baseline.n_paths} paths "
        f"x {n_assets} assets in {len(specs)} chunks of up to {specs[0].n_scenarios} "
        f"scenarios (fastest of {args.repeat})"
    )
    names = sorted(set(before.parts) | set(after.parts))
    header = "".join(f"{name:>10}" for name in names)
    print(f"  {'':<26}{header}{'wall s':>10}{'CPU s':>10}{'sys s':>10}{'minflt':>10}")
    rows = (
        ("per chunk", before),
        ("once per run: chunks", after),
        ("  + workspace", reused),
    )
    for label, best in rows:
        row = "".join(f"{best.parts.get(name, 0.0):>10.3f}" for name in names)
        print(
            f"  {label:<26}{row}{best.wall:>10.3f}{best.cpu:>10.3f}{best.system:>10.3f}"
            f"{best.faults:>10.0f}"
        )
    parts = ", ".join(f"{k} {v:.3f}" for k, v in once.parts.items())
    print(f"  {'once per run: precompute':<26}{'':>{10 * len(names)}}{once.wall:>10.3f}"
          f"{once.cpu:>10.3f}  ({parts})")  # fmt: skip
    total_wall, total_cpu = after.wall + once.wall, after.cpu + once.cpu
    print(f"  {'once per run: total':<26}{'':>{10 * len(names)}}{total_wall:>10.3f}"
          f"{total_cpu:>10.3f}")  # fmt: skip
    print(
        f"  once per run / per chunk: {total_wall / before.wall:.2f}x wall, "
        f"{total_cpu / before.cpu:.2f}x CPU; per chunk saved: "
        f"{(before.wall - total_wall) / len(specs):.3f} s wall"
    )
    print(
        f"  + workspace / once per run: {reused.wall / after.wall:.2f}x wall, "
        f"{reused.cpu / after.cpu:.2f}x CPU, {reused.system - after.system:+.3f} s system, "
        f"{reused.faults - after.faults:+.0f} minor faults"
    )
    same = all(
        table.equals(tables["per chunk"])
        and table.to_numpy().tobytes() == tables["per chunk"].to_numpy().tobytes()
        for table in tables.values()
    )
    print(f"  same tables, all three (bit for bit): {same}")

    chosen = [i for spec in specs[:1] for i in spec.drawn] or [specs[0].start]
    close = scenario_paths(baseline, run.inputs, run.scenarios, chosen).array("close_usd")
    numpy_bands = [np.percentile(c, BAND_PERCENTILES, axis=0) for c in close]
    sorted_bands = [percentiles_over_first_axis(c, BAND_PERCENTILES) for c in close]
    equal = all(np.array_equal(a, b) for a, b in zip(numpy_bands, sorted_bands, strict=True))
    def numpy_way() -> object:
        return [np.percentile(c, BAND_PERCENTILES, axis=0) for c in close]

    def sorted_way() -> object:
        return [percentiles_over_first_axis(c, BAND_PERCENTILES) for c in close]

    slow = fast = float("inf")
    for _ in range(args.repeat):
        slow = min(slow, timed(numpy_way)[1].wall)
        fast = min(fast, timed(sorted_way)[1].wall)
    print(
        f"  fan bands of {len(close)} drawn scenarios: np.percentile {slow:.3f} s, "
        f"percentiles_over_first_axis {fast:.3f} s ({fast / slow:.2f}x), equal: {equal}"
    )


if __name__ == "__main__":
    main()
