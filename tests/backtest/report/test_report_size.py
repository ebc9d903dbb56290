"""report.html stays about the same size whatever the grid; flows.csv can hold the drawn only.

Two runs on synthetic candles (``tests.backtest.fixtures``), 2 paths, one impact model: 120
distinct inflow schedules (40 allocations x 3 lags) with ``[compute] write_flows = "drawn"``,
and 240 (80 x 3). Drawing every scenario and schedule would double the charts from one to
the other; the report draws a bounded selection (``study_page.MAX_DRAWN``) and says so.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from backtest.run import RunResult, run_study
from backtest.study.config import load_study
from backtest.study.drawn import MAX_DRAWN, drawn_inflows
from tests.backtest.fixtures import write_study, write_synthetic_store

pytestmark = pytest.mark.slow

MB = 1e6


def run(root: Path, name: str, allocations: int, **sections: dict[str, object]) -> RunResult:
    inflow = {"allocation": [0.001 * (k + 1) for k in range(allocations)], "lag_months": [3, 6, 9]}
    path = write_study(root / f"{name}.toml", paths={"n_paths": 2}, inflow=inflow, **sections)
    return run_study(load_study(path), root / "data", root / name, progress=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, RunResult]:
    root = tmp_path_factory.mktemp("size")
    write_synthetic_store(root / "data")
    large = run(root, "large", 40, compute={"write_flows": "drawn"})
    larger = run(root, "larger", 80)
    return large, larger


def test_the_report_does_not_grow_with_the_grid(runs: tuple[RunResult, RunResult]) -> None:
    assert [len(r.run.inputs.by_inflow) for r in runs] == [120, 240]
    sizes = [r.report_path.stat().st_size for r in runs]
    assert max(sizes) < 10 * MB, sizes
    grew = f"report grew from {sizes[0]:,} to {sizes[1]:,} bytes"
    assert abs(sizes[1] - sizes[0]) < 0.05 * sizes[0], grew
    for result in runs:
        page = result.report_path.read_text(encoding="utf-8")
        n = len(result.run.scenarios)
        assert f"of the {n} scenarios (at most {MAX_DRAWN}" in page
        assert f"of the {n} schedules (at most {MAX_DRAWN}" in page
        # the full table is still in the CSV
        assert len(pd.read_csv(result.out_dir / "scenarios.csv")) == n * 2


def test_flows_csv_holds_every_schedule_or_only_the_drawn(
    runs: tuple[RunResult, RunResult],
) -> None:
    large, larger = runs
    every = set(pd.read_csv(larger.out_dir / "flows.csv")["inflow"])
    assert every == set(larger.run.inputs.by_inflow)  # "all", the default
    drawn = set(pd.read_csv(large.out_dir / "flows.csv")["inflow"])
    assert drawn == set(drawn_inflows(large.run.scenarios, large.run.inputs.by_inflow))
    assert 0 < len(drawn) <= MAX_DRAWN < len(large.run.inputs.by_inflow)
