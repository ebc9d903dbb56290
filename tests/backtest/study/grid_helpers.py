"""The grid study the chunk and executor tests share, and how they compare outputs.

Synthetic seeded candles (``tests.backtest.fixtures``), 3 allocations x 2 lags x 2 impact
models = 12 scenarios, a balanced-fund sleeve (so sleeve arrays are sliced by chunk too), 4
paths x 2 assets = 8 columns per scenario.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from backtest.run import RunResult, run_study
from backtest.study.compute import ComputeConfig
from backtest.study.config import Study

GRID = {
    "inflow": {
        "allocation": [0.01, 0.03, 0.05],
        "lag_months": [3, 6],
        "ramp_months": 12,
        "sleeve_share": 0.3,
        "sleeve_rebalance": "monthly",
    },
    "impact": {"model": ["multiplier", "sqrt"], "etf_explained_share": []},
    "paths": {"n_paths": 4},
}
COLUMNS_PER_SCENARIO = 4 * 2
OUTPUT_FILES = ("scenarios.csv", "flows.csv", "analogs.csv")


def chunked(study: Study, **changes: object) -> ComputeConfig:
    return replace(study.compute, **changes)


def run_with(study: Study, root: Path, name: str, compute: ComputeConfig) -> RunResult:
    return run_study(study, root / "data", root / name, progress=False, compute=compute)


def assert_same_outputs(result: RunResult, reference: RunResult) -> None:
    """Every number of every output equal to 1e-12 relative; the CSV files byte for byte."""
    pd.testing.assert_frame_equal(
        result.run.table, reference.run.table, check_exact=False, rtol=1e-12, atol=0
    )
    for name in OUTPUT_FILES:
        assert (result.out_dir / name).read_bytes() == (reference.out_dir / name).read_bytes(), name
    assert result.run.fans.scenarios == reference.run.fans.scenarios
    for index, band in reference.run.fans.impacted.items():
        np.testing.assert_allclose(result.run.fans.impacted[index], band, rtol=1e-12, atol=0)
    manifests = [json.loads((r.out_dir / "run.json").read_text()) for r in (result, reference)]
    assert manifests[0]["run_id"] == manifests[1]["run_id"]
