"""Benchmark of a run's costs that scale with its schedules, not its paths (a script, not a test).

    .venv/bin/python benchmarks/bench_fixed_costs.py [SHARED_DATA] [--repeats 3]

SHARED_DATA defaults to ``$FLOWIMPACT_SHARED_DATA``; its daily Binance prices are imported into
a temporary store first. The study is bench_scale.py's ``4x`` grid (192 scenarios, 96 distinct
inflow schedules) with ``etf_explained_share = []`` (M and Y as given, so no analogs are
needed to build its scenarios). Timed, each the minimum of ``--repeats`` (at least 3), in this
process: the flows step (``scenario_inputs.build``: schedules, ``flow_source`` per schedule,
engine arrays), the report's flow summary (``summary_table`` over every distinct schedule),
flows.csv as a table (``flows_table``) and as text (``csv_text``), and scenarios.csv's text
for a table of the grid's shape (192 x 2 rows of the real column names, random values).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feeds
from backtest.report.files import csv_text
from backtest.sim.baseline import build_baseline
from backtest.study import scenario_inputs
from backtest.study.config import load_study
from backtest.study.schedules import flows_table, summary_table

GRID = {
    "inflow": {
        "allocation": [0.005, 0.01, 0.02, 0.03, 0.05, 0.08],
        "lag_months": [3, 6, 9, 12],
        "ramp_months": [12, 24],
    },
    "impact": {"etf_explained_share": []},
}


def _best(repeats: int, work: Callable[[], object]) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = work()
        times.append(time.perf_counter() - start)
    return min(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared_data", nargs="?", default=os.environ.get("FLOWIMPACT_SHARED_DATA"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not args.shared_data:
        parser.error("give SHARED_DATA or set FLOWIMPACT_SHARED_DATA")
    repeats = max(3, args.repeats)
    study = load_study(overrides=GRID)
    with tempfile.TemporaryDirectory() as store_dir:
        store = feeds.CandleStore(Path(store_dir))
        for path in sorted((Path(args.shared_data) / "prices").glob("binance_*USDT_1d.csv")):
            feeds.import_csv(path, store)
        prices = feeds.load_prices(Path(store_dir), study.data)
    scenarios = study.scenarios()
    baseline = build_baseline(prices, study.paths, study.study.start)
    rows: list[tuple[str, float]] = []
    seconds, inputs = _best(repeats, lambda: scenario_inputs.build(scenarios, baseline, prices))
    rows.append(("flows step (scenario_inputs.build)", seconds))
    by_inflow = inputs.by_inflow  # type: ignore[attr-defined]
    seconds, _ = _best(repeats, lambda: summary_table(by_inflow))
    rows.append(("flow summary (summary_table)", seconds))
    seconds, flows = _best(repeats, lambda: flows_table(by_inflow))
    rows.append(("flows.csv table (flows_table)", seconds))
    seconds, text = _best(repeats, lambda: csv_text(flows))  # type: ignore[arg-type]
    rows.append((f"flows.csv text ({len(text) / 2**20:.1f} MiB)", seconds))  # type: ignore[arg-type]
    table = _scenarios_like(len(scenarios) * len(baseline.assets))
    seconds, text = _best(repeats, lambda: csv_text(table))
    rows.append((f"scenarios.csv text ({len(text) / 2**20:.1f} MiB)", seconds))  # type: ignore[arg-type]
    print(f"{len(scenarios)} scenarios, {len(by_inflow)} distinct inflow schedules, "
          f"{len(baseline.days)} days; seconds, minimum of {repeats}:")
    for name, value in rows:
        print(f"  {name:<42} {value:7.3f}")


def _scenarios_like(n_rows: int) -> pd.DataFrame:
    """A table of scenarios.csv's shape: a few text columns, then 150 float columns."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"scenario_id": [f"s{i:04d}" for i in range(n_rows)],
                          "label": [f"alloc=1% model=linear #{i}" for i in range(n_rows)],
                          "asset": ["BTC", "ETH"] * (n_rows // 2)})
    values = rng.standard_normal((n_rows, 150)) * 10.0 ** rng.integers(-3, 9, (n_rows, 150))
    return pd.concat([frame, pd.DataFrame(values, columns=[f"m{j}_p50" for j in range(150)])],
                     axis=1)


if __name__ == "__main__":
    main()
