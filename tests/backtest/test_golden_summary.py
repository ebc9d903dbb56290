"""A golden summary of one small seeded study: a refactor that changes a result fails here.

The study: synthetic seeded candles (``tests.backtest.fixtures``), two allocations × two lags ×
two impact models, 8 bootstrap paths. Every number of its ``scenarios.csv`` is pinned in
``golden/small_study_scenarios.csv`` to 1e-9 relative. When a change is meant to move results
(a model fix, a new default), regenerate the file with
``FLOWIMPACT_UPDATE_GOLDEN=1 scripts/test tests/backtest/test_golden_summary.py`` and say why in
the commit.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.backtest.fixtures import small_study_scenarios

pytestmark = pytest.mark.slow

GOLDEN = Path(__file__).parent / "golden" / "small_study_scenarios.csv"
GRID = {
    "inflow": {"allocation": [0.01, 0.05], "lag_months": [3, 6], "ramp_months": 12},
    "impact": {"model": ["multiplier", "sqrt"], "etf_explained_share": []},
}


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return small_study_scenarios(tmp_path_factory.mktemp("golden"), **GRID)


def test_scenarios_csv_matches_the_golden_summary(scenarios: pd.DataFrame) -> None:
    if os.environ.get("FLOWIMPACT_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        scenarios.to_csv(GOLDEN, index=False, float_format="%.17g")
    golden = pd.read_csv(GOLDEN)
    assert list(scenarios.columns) == list(golden.columns)
    assert len(scenarios) == len(golden) == 2 * 2 * 2 * 2
    text = [c for c in golden.columns if not pd.api.types.is_numeric_dtype(golden[c])]
    pd.testing.assert_frame_equal(scenarios[text], golden[text])
    numbers = [c for c in golden.columns if c not in text]
    np.testing.assert_allclose(
        scenarios[numbers].to_numpy(float), golden[numbers].to_numpy(float), rtol=1e-9, atol=1e-9
    )
    # the pinned numbers are not degenerate: inflows lift prices, more money lifts them more
    uplift = golden.pivot_table(
        index=["asset", "model"], columns="allocation", values="price_uplift_at_horizon_pct_p50"
    )
    assert (uplift[0.05] > uplift[0.01]).all() and (uplift[0.01] > 0).all()
