"""Benchmark of ``flowimpact sensitivity`` as a user runs it, against a reference checkout
(a script, not a test): whole fresh processes, start-up included, side by side.

    .venv/bin/python benchmarks/bench_sensitivity.py --reference CHECKOUT [--config STUDY]
        [--repeats 3] [--data-dir STORE] [--no-warmup]

Without ``--config`` the packaged default analysis runs (Sobol', N = 1024, 8 ranged keys, 2
models, 50 paths, 2 assets: 20,514 engine runs). The same interpreter runs ``python -m
flowimpact sensitivity --out <temporary folder>`` with its working directory at this
checkout and at ``--reference`` (say, the main branch's), one untimed run of each first (numba
compiles into each checkout's cache), then ``--repeats`` timed rounds, interleaved (reference,
this, reference, ...), so a neighbour's load falls on both alike. Printed per round: the wall
seconds and the 1-minute load average before and after each run; then the minimum of each,
the ratio, and whether ``sensitivity.csv`` and ``sensitivity_samples.csv`` of the two
checkouts' last runs are byte-identical. ``--no-warmup`` skips the untimed runs, for caches
known to be warm (each default run takes minutes). On a shared machine the minimum is the figure to
compare. The data come from ``--data-dir`` or ``$FLOWIMPACT_DATA_DIR``.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPARED = ("sensitivity.csv", "sensitivity_samples.csv")


def _load() -> float:
    return os.getloadavg()[0]


def _run(checkout: Path, config: str | None, out: Path, env: dict[str, str]) -> float:
    """Wall seconds of one ``flowimpact sensitivity`` in a fresh process run from ``checkout``."""
    argv = [sys.executable, "-m", "flowimpact", "sensitivity", "--out", str(out)]
    if config:
        argv += ["--config", config]
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env, cwd=checkout)  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True, help="checkout to compare with")
    parser.add_argument("--config", default=None, help="study file (default: the packaged one)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("FLOWIMPACT_DATA_DIR"))
    parser.add_argument("--no-warmup", action="store_true", help="caches are warm already")
    args = parser.parse_args()
    if args.repeats < 2:
        parser.error("--repeats: give at least 2, the minimum is reported")
    env = dict(os.environ)
    if args.data_dir:
        env["FLOWIMPACT_DATA_DIR"] = args.data_dir
    env.pop("PYTHONPATH", None)  # each process imports the checkout it runs in
    checkouts = {"reference": args.reference.resolve(), "this": ROOT}
    with tempfile.TemporaryDirectory() as scratch:
        outs = {name: Path(scratch) / name for name in checkouts}
        for name, checkout in checkouts.items():  # numba's cache, page cache: not timed
            if not args.no_warmup:
                _run(checkout, args.config, outs[name], env)
        walls: dict[str, list[float]] = {name: [] for name in checkouts}
        for round_ in range(args.repeats):
            for name, checkout in checkouts.items():
                before = _load()
                wall = _run(checkout, args.config, outs[name], env)
                walls[name].append(wall)
                print(f"round {round_ + 1} {name:9s} {wall:8.1f} s wall  "
                      f"load {before:.2f} -> {_load():.2f}", flush=True)  # fmt: skip
        same = {f: filecmp.cmp(outs["reference"] / f, outs["this"] / f, shallow=False)
                for f in COMPARED}  # fmt: skip
    best = {name: min(values) for name, values in walls.items()}
    print(f"minimum of {args.repeats}: reference {best['reference']:.1f} s, "
          f"this {best['this']:.1f} s, ratio {best['reference'] / best['this']:.2f}x")
    for name, identical in same.items():
        print(f"{name}: {'identical' if identical else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
