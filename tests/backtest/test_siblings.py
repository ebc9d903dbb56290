"""Siblings in scenarios.csv: fewer dollars never give more permanent impact.

Two scenarios are siblings when they differ in one inflow key alone (same asset, model and
every other key). The grid holds a 14-month ramp still buying its reallocated balances at the
horizon beside a 12-month one that finished a month before: the longer ramp brings fewer
dollars by the horizon. The permanent part of impact is linear in the cumulative dollars for
every model, so it must order as the dollars do. The whole log impact at the horizon also
holds the transient of the buying under way, and there the longer ramp shows more with fewer
dollars (checked, so the grid keeps exercising the case the permanent column is for).
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.backtest.fixtures import small_study_scenarios

pytestmark = pytest.mark.slow

INFLOW_KEYS = ("allocation", "lag_months", "ramp_months", "reallocation_share")
GRID = {
    "inflow": {
        "allocation": [0.01, 0.05],
        "lag_months": 3,
        "ramp_months": [12, 14],
        "reallocation_share": [0.0, 1.0],
    },
    "impact": {"model": ["multiplier", "sqrt"], "etf_explained_share": []},
}


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return small_study_scenarios(tmp_path_factory.mktemp("siblings"), **GRID)


def _fewer_dollar_siblings(scenarios: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    """(fewer, more) pairs: siblings where ``fewer`` brings less cumulative flow."""
    pairs = []
    axes = [k for k in INFLOW_KEYS if k in scenarios.columns]  # one value: not a column
    for key in axes:
        fixed = ["asset", "model", *(k for k in axes if k != key)]
        for _, group in scenarios.groupby(fixed):
            for _, fewer in group.iterrows():
                for _, more in group.iterrows():
                    if fewer["cum_flow_usd_p50"] < more["cum_flow_usd_p50"] * (1 - 1e-9):
                        pairs.append((fewer, more))
    return pairs


def test_fewer_dollars_never_give_more_permanent_impact(scenarios: pd.DataFrame) -> None:
    pairs = _fewer_dollar_siblings(scenarios)
    ramps = [(f, m) for f, m in pairs if f["ramp_months"] != m["ramp_months"]]
    assert ramps, "the grid should hold a longer ramp that brings fewer dollars"
    # the transient of the buying still under way: more log impact with fewer dollars
    whole = "log_impact_at_horizon_bps_p50"
    assert any(fewer[whole] > more[whole] for fewer, more in ramps)
    for fewer, more in pairs:
        column = "permanent_log_impact_at_horizon_bps_p50"
        assert fewer[column] <= more[column] + 1e-9 * abs(more[column]), (
            fewer["scenario_id"],
            more["scenario_id"],
        )


def test_permanent_impact_is_part_of_the_log_impact(scenarios: pd.DataFrame) -> None:
    # buying only: the lasting part is positive and at most the whole (the transient adds)
    some = scenarios[scenarios["allocation"] > 0]
    permanent = some["permanent_log_impact_at_horizon_bps_p50"]
    assert (permanent > 0).all()
    assert (permanent <= some["log_impact_at_horizon_bps_p50"] * (1 + 1e-12)).all()
