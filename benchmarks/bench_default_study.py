"""Benchmark of the default study as a user runs it (a script, not a test): ``flowimpact run``
in fresh processes, start-up included.

    .venv/bin/python benchmarks/bench_default_study.py [SHARED_DATA] [--repeats 3]
        [--data-dir STORE]

SHARED_DATA defaults to ``$FLOWIMPACT_SHARED_DATA``; its ``prices/*.csv`` and
``etf_flows/*.csv`` are imported into a temporary store first (not timed), unless
``--data-dir`` names a store that holds them already. One untimed run warms numba's cache;
then ``python -c pass`` and ``flowimpact run --out <temporary folder>`` run as whole
processes ``--repeats`` times (at least 3), interleaved. Printed: the minimum and median wall
seconds of each, the run's ratio to the empty interpreter, and the fastest run's own
``run.json`` (``seconds_total``, ``seconds_by_step``); the wall time less ``seconds_total``
is start-up (imports) and the writing of the summary. On a shared machine the minimum is the
figure to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_MAIN = "import sys; from flowimpact.cli import main; sys.exit(main(sys.argv[1:]))"


def _wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env, cwd=ROOT)
    return time.perf_counter() - start


def _import_store(shared: Path, store: str, env: dict[str, str]) -> None:
    files = sorted([*(shared / "prices").glob("*.csv"), *(shared / "etf_flows").glob("*.csv")])
    subprocess.run([sys.executable, "-c", _MAIN, "import", *map(str, files)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**env, "FLOWIMPACT_DATA_DIR": store}, cwd=ROOT)


def _bench(store: str, repeats: int) -> None:
    env = {**os.environ, "FLOWIMPACT_DATA_DIR": store, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as out:
        run = [sys.executable, "-c", _MAIN, "run", "--out", out]
        _wall(run, env)  # numba's cache warm from here on
        times: dict[str, list[float]] = {"python -c pass": [], "flowimpact run": []}
        fastest: dict[str, object] = {}
        for _ in range(repeats):
            times["python -c pass"].append(_wall([sys.executable, "-c", "pass"], env))
            seconds = _wall(run, env)
            if seconds <= min(times["flowimpact run"], default=seconds):
                fastest = json.loads((Path(out) / "run.json").read_text())
            times["flowimpact run"].append(seconds)
    base = min(times["python -c pass"])
    print(f"default study, wall seconds, minimum of {repeats} whole processes (numba cache warm):")
    print(f"  {'command':<16} {'min s':>7} {'median s':>9} {'x pass':>8}")
    for name, seen in times.items():
        seen.sort()
        print(f"  {name:<16} {seen[0]:7.2f} {seen[len(seen) // 2]:9.2f} {seen[0] / base:8.1f}")
    total = float(fastest.get("seconds_total", float("nan")))  # type: ignore[arg-type]
    print(f"fastest run: seconds_total {total:.2f} (wall - total = "
          f"{min(times['flowimpact run']) - total:.2f} s start-up and summary)")
    steps = fastest.get("seconds_by_step", {})
    for step, seconds in steps.items():  # type: ignore[union-attr]
        print(f"  {step:<10} {seconds:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared_data", nargs="?", default=os.environ.get("FLOWIMPACT_SHARED_DATA"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", help="a store holding the data already (not imported)")
    args = parser.parse_args()
    repeats = max(3, args.repeats)
    if args.data_dir:
        _bench(args.data_dir, repeats)
        return
    if not args.shared_data:
        parser.error("give SHARED_DATA, set FLOWIMPACT_SHARED_DATA or give --data-dir")
    with tempfile.TemporaryDirectory() as store:
        _import_store(Path(args.shared_data), store, dict(os.environ))
        _bench(store, repeats)


if __name__ == "__main__":
    main()
