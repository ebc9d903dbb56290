"""Do the default sensitivity analysis' rankings hold? Its top three at two seeds (a script).

    .venv/bin/python benchmarks/bench_sensitivity_seeds.py [SHARED_DATA] [--samples 128]
        [--seeds 20250807 1]

SHARED_DATA defaults to ``$FLOWIMPACT_SHARED_DATA``; its ``prices/binance_{BTC,ETH}USDT_1d.csv``
are imported into a temporary store. The packaged default analysis (its ranges, outputs and
paths) runs with a smaller Sobol' base sample N at each seed (the seed moves the samples and
the bootstrap intervals; the paths are the study's). Per model, asset and output it prints the
three parameters with the largest total index ST at each seed, and whether the two top threes
agree (same parameters in the same order). Only a ranking that agrees belongs in the README.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feeds
from backtest.sim.baseline import build_baseline
from backtest.study.config import load_study
from backtest.study.prices import load_daily_prices
from backtest.study.sensitivity.analysis import analyse
from backtest.study.sensitivity.plan import market_caps, sensitivity_plan

TOP = 3


def top_three(table: pd.DataFrame, model: str, asset: str, output: str) -> list[str]:
    here = (table["model"] == model) & (table["asset"] == asset) & (table["output"] == output)
    rows = table[here]
    return list(rows.sort_values("ST", ascending=False)["parameter"].head(TOP))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared", nargs="?", default=os.environ.get("FLOWIMPACT_SHARED_DATA"))
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--seeds", type=int, nargs=2, default=[20250807, 1])
    args = parser.parse_args()
    if not args.shared:
        parser.error("give SHARED_DATA or set FLOWIMPACT_SHARED_DATA")
    with tempfile.TemporaryDirectory() as tmp:
        store = feeds.CandleStore(Path(tmp))
        for asset in ("BTC", "ETH"):
            feeds.import_csv(Path(args.shared) / "prices" / f"binance_{asset}USDT_1d.csv", store)
        study = load_study()
        prices = load_daily_prices(study, Path(tmp), progress=False)
        tables = {}
        for seed in args.seeds:
            plan = sensitivity_plan(study)
            config = dataclasses.replace(plan.config, samples=args.samples, seed=seed)
            plan = dataclasses.replace(plan, config=config)
            paths = dataclasses.replace(study.paths, n_paths=config.n_paths)
            baseline = build_baseline(prices, paths, study.study.start)
            started = time.perf_counter()
            outcome = analyse(plan, baseline, market_caps_usd=market_caps(plan, prices))
            print(f"seed {seed}: N = {args.samples}, {outcome.n_runs} runs, "
                  f"{time.perf_counter() - started:.0f} s")  # fmt: skip
            tables[seed] = outcome.table
    first, second = args.seeds
    table = tables[first]
    agree = 0
    keys = list(dict.fromkeys(zip(table["model"], table["asset"], table["output"], strict=True)))
    for model, asset, output in keys:
        a = top_three(tables[first], model, asset, output)
        b = top_three(tables[second], model, asset, output)
        same = a == b
        agree += same
        print(f"{model:10s} {asset} {output:28s} seed {first}: {', '.join(a)} | "
              f"seed {second}: {', '.join(b)} | {'agree' if same else 'DIFFER'}")  # fmt: skip
    print(f"{agree} of {len(keys)} agree")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
