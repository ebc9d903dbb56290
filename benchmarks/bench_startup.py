"""Benchmark of start-up (a script, not a test): the quick commands beside an empty interpreter.

    .venv/bin/python benchmarks/bench_startup.py [SHARED_DATA] [--repeats 5]

SHARED_DATA defaults to ``$FLOWIMPACT_SHARED_DATA``. Its ``prices/*.csv`` and
``etf_flows/*.csv`` are imported into a temporary store first (not timed); then each of
``python -c pass``, ``flowimpact --help`` and ``flowimpact data list`` runs as a whole process
``--repeats`` times (at least 3), interleaved, and the minimum wall time of each is printed
with its ratio to ``python -c pass``. The commands run as the console script does
(``flowimpact.cli.main``), with the interpreter of this script.
"""

from __future__ import annotations

import argparse
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
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared_data", nargs="?", default=os.environ.get("FLOWIMPACT_SHARED_DATA"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not args.shared_data:
        parser.error("give SHARED_DATA or set FLOWIMPACT_SHARED_DATA")
    repeats = max(3, args.repeats)
    shared = Path(args.shared_data)
    files = sorted([*(shared / "prices").glob("*.csv"), *(shared / "etf_flows").glob("*.csv")])
    with tempfile.TemporaryDirectory() as store:
        env = {**os.environ, "FLOWIMPACT_DATA_DIR": store, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-c", _MAIN, "import", *map(str, files)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "flowimpact --help": [sys.executable, "-c", _MAIN, "--help"],
            "flowimpact data list": [sys.executable, "-c", _MAIN, "data", "list"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(repeats):
            for name, argv in commands.items():
                times[name].append(_wall(argv, env))
    base = min(times["python -c pass"])
    print(f"start-up, wall seconds, minimum of {repeats} whole processes ({len(files)} files "
          "stored):")
    print(f"  {'command':<22} {'min s':>7} {'median s':>9} {'x pass':>7}")
    for name, seen in times.items():
        seen.sort()
        print(f"  {name:<22} {seen[0]:7.3f} {seen[len(seen) // 2]:9.3f} {seen[0] / base:7.1f}")


if __name__ == "__main__":
    main()
