"""How a study scales with its grid: wall time and peak memory (a script, not a test).

    .venv/bin/python benchmarks/bench_scale.py [SHARED_DATA] [--skip-largest]
        [--scales 1,4,16] [--modes inprocess,workers2]

SHARED_DATA defaults to ``$FLOWIMPACT_SHARED_DATA``; its daily Binance prices and its ETF-flow
tables are imported into a temporary store once. Each grid is run as ``flowimpact run`` in a
fresh process under ``/usr/bin/time -v`` (so compilation cache loads and imports count, as a
user sees them), in process and with ``--workers 2`` (a local Dask cluster of two worker
processes). Grids:

- ``1x``: the default study at one φ (``etf_explained_share = [0.1]``, as every grid here; the
  default's axis of four values makes it the 4x size), 48 scenarios (3 allocations x 2 lags x 2
  ramps x 2 reallocation shares x 2 models) x 200 paths x 2 assets = 19,200 columns;
- ``4x``: 192 scenarios (6 allocations x 4 lags x 2 x 2 x 2), 76,800 columns;
- ``16x``: 768 scenarios (12 x 4 x 4 x 2 x 2), 307,200 columns;
- ``1M``: 250 scenarios (5 allocations x 5 lags x 5 ramps x 2 models, one reallocation share)
  x 2,000 paths x 2 assets = 1,000,000 columns (``--skip-largest`` leaves it out).

Printed per run: columns, wall time, CPU time (user + system of the run and of the children
it waited for, local Dask workers included: on a machine shared with other jobs far steadier
than the wall time), peak RSS of the largest single process (``time -v``'s "Maximum resident
set size"), peak RSS summed over the process tree (client + Dask workers, sampled every 0.2 s
with psutil), wall and CPU seconds per 1,000 columns, the write floor (the least time this
machine takes to write the grid's cells once: columns x days float64 values, one reused
128 MiB buffer filled again and again, fastest of three, measured right after the run, in the
same benchmark process) and the run's wall time as a multiple of it, the size of report.html,
and the run's own step timings from ``run.json``. A small study runs first, untimed, so that
numba's on-disk cache is warm for every row.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import tomli_w

ROOT = Path(__file__).resolve().parents[1]
FLOWIMPACT = Path(sys.executable).with_name("flowimpact")

#: one φ (the default axis' first value) in every grid: the parameter is still solved on the
#: record as in the default study, and the column counts stay those of the grid names
ONE_SHARE = {"etf_explained_share": [0.1]}
GRIDS: dict[str, dict[str, object]] = {
    "1x": {"impact": ONE_SHARE},
    "4x": {
        "impact": ONE_SHARE,
        "inflow": {
            "allocation": [0.005, 0.01, 0.02, 0.03, 0.05, 0.08],
            "lag_months": [3, 6, 9, 12],
            "ramp_months": [12, 24],
        },
    },
    "16x": {
        "impact": ONE_SHARE,
        "inflow": {
            "allocation": [0.0025 * k for k in (1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 32)],
            "lag_months": [3, 6, 9, 12],
            "ramp_months": [6, 12, 18, 24],
        },
    },
    "1M": {
        "impact": ONE_SHARE,
        "inflow": {
            "allocation": [0.01, 0.02, 0.03, 0.04, 0.05],
            "lag_months": [3, 6, 9, 12, 18],
            "ramp_months": [6, 9, 12, 18, 24],
            "reallocation_share": 0.25,
        },
        "paths": {"n_paths": 2000},
    },
}
WARM_UP = {
    "inflow": {"allocation": 0.01, "lag_months": 6, "ramp_months": 12},
    "impact": {"model": ["multiplier", "sqrt"], **ONE_SHARE},
    "paths": {"n_paths": 4},
}
MODES = {"inprocess": [], "workers2": ["--workers", "2"]}


def import_prices(shared: Path, data_dir: Path) -> None:
    """The daily Binance prices and the ETF-flow tables (the φ solve reads them)."""
    files = [str(shared / "prices" / f"binance_{a}USDT_1d.csv") for a in ("BTC", "ETH")]
    files += [str(path) for path in sorted((shared / "etf_flows").glob("*.csv"))]
    subprocess.run(
        [str(FLOWIMPACT), "import", *files, "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
    )


def tree_rss_bytes(process: psutil.Process) -> int:
    total = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_once(study: Path, data_dir: Path, out_dir: Path, extra: list[str]) -> dict[str, object]:
    command = [
        "/usr/bin/time", "-v", str(FLOWIMPACT), "run", "--config", str(study),
        "--data-dir", str(data_dir), "--out", str(out_dir), "--no-progress",
        "--allow-large-grid", *extra,
    ]  # fmt: skip
    started = time.perf_counter()
    with tempfile.TemporaryFile() as stderr:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        watched = psutil.Process(child.pid)
        peak_tree = 0
        while child.poll() is None:
            peak_tree = max(peak_tree, tree_rss_bytes(watched))
            time.sleep(0.2)
        wall_s = time.perf_counter() - started
        stderr.seek(0)
        text = stderr.read().decode(errors="replace")
    if child.returncode != 0:
        tail = "\n".join(text.splitlines()[-15:])
        raise SystemExit(f"flowimpact run failed ({child.returncode}):\n{tail}")
    max_rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    # CPU seconds of the run and the children it waited for (time -v; Dask workers included
    # when the cluster is local): on a shared machine far steadier than the wall time
    cpu_s = sum(
        float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", text).group(1))
        for kind in ("User", "System")
    )
    manifest = json.loads((out_dir / "run.json").read_text())
    report_mb = (out_dir / "report.html").stat().st_size / 1e6
    return {
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "max_rss_gib": max_rss_kb / 2**20,
        "tree_rss_gib": peak_tree / 2**30,
        "steps": manifest["seconds_by_step"],
        "columns": manifest["scenarios"] * manifest["paths"] * len(manifest["assets"]),
        "days": _days(manifest["window"]),
        "report_mb": report_mb,
    }


#: float64 cells of the write floor's buffer (128 MiB), reused for every pass
_FLOOR_CELLS = 2**24


def write_floor_s(n_cells: int, repeat: int = 3) -> float:
    """Fastest of ``repeat`` times to write ``n_cells`` float64 values once (a reused buffer,
    so no page is faulted in: the least any run writing that grid can cost)."""
    import numpy as np

    buffer = np.empty(min(n_cells, _FLOOR_CELLS))
    buffer.fill(0.0)  # faults the pages in before timing
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        left = n_cells
        while left > 0:
            part = buffer[: min(left, buffer.size)]
            part.fill(1.0)
            left -= part.size
        best = min(best, time.perf_counter() - started)
    return best


def _days(window: dict[str, str]) -> int:
    """Days of the study window in run.json (first and last day included)."""
    from datetime import date

    first, last = (date.fromisoformat(window[k]) for k in ("first_day", "last_day"))
    return (last - first).days + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shared", nargs="?", default=os.environ.get("FLOWIMPACT_SHARED_DATA"))
    parser.add_argument("--skip-largest", action="store_true", help="leave out the 1M study")
    parser.add_argument("--scales", default=",".join(GRIDS), help="comma-separated grid names")
    parser.add_argument("--modes", default=",".join(MODES), help="inprocess, workers2")
    args = parser.parse_args()
    if not args.shared:
        parser.error("give the shared data folder or set FLOWIMPACT_SHARED_DATA")
    scales = [s for s in args.scales.split(",") if not (args.skip_largest and s == "1M")]
    modes = args.modes.split(",")
    header = (
        f"{'grid':<5}{'mode':<11}{'columns':>11}{'wall s':>9}{'cpu s':>9}{'max RSS GiB':>13}"
        f"{'tree RSS GiB':>14}{'s/1k cols':>11}{'cpu s/1k':>10}{'floor s':>9}{'x floor':>9}"
        f"{'report MB':>11}  steps (s)"
    )
    print(header, flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        root = Path(tmp)
        import_prices(Path(args.shared), root / "data")
        # untimed: fills numba's on-disk cache, so no row pays for a cold compile (13 s)
        warm = root / "warm.toml"
        warm.write_text(tomli_w.dumps(WARM_UP), encoding="utf-8")
        run_once(warm, root / "data", root / "out_warm", [])
        for scale in scales:
            study = root / f"study_{scale}.toml"
            study.write_text(tomli_w.dumps(GRIDS[scale]), encoding="utf-8")
            for mode in modes:
                found = run_once(study, root / "data", root / f"out_{scale}_{mode}", MODES[mode])
                steps = ", ".join(f"{k} {v:.1f}" for k, v in found["steps"].items())
                per_k = found["wall_s"] / found["columns"] * 1000
                cpu_per_k = found["cpu_s"] / found["columns"] * 1000
                floor_s = write_floor_s(found["columns"] * found["days"])
                print(
                    f"{scale:<5}{mode:<11}{found['columns']:>11,}{found['wall_s']:>9.1f}"
                    f"{found['cpu_s']:>9.1f}{found['max_rss_gib']:>13.2f}"
                    f"{found['tree_rss_gib']:>14.2f}{per_k:>11.3f}{cpu_per_k:>10.3f}"
                    f"{floor_s:>9.3f}{found['wall_s'] / floor_s:>9.0f}"
                    f"{found['report_mb']:>11.1f}  {steps}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
