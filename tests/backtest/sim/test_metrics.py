"""backtest/summary.py: impact figures on hand-made arrays, worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backtest.sim.metrics import (
    HORIZON_METRICS,
    QUANTILES,
    horizon_metrics,
    impact_metrics,
    quantile_over_paths,
    quantiles_over_paths,
)

# 1 scenario, 1 path, 4 days, 2 assets
FLOW_USD = np.array([[[[0.0, 10.0], [100.0, 0.0], [0.0, 0.0], [50.0, -20.0]]]])
LOG_IMPACT = np.array([[[[0.0, 0.001], [0.01, 0.0005], [0.02, 0.0002], [0.015, -0.001]]]])
VOLUME_USD = np.array([[[1_000.0, 400.0], [2_000.0, 800.0], [5_000.0, 900.0], [3_000.0, 100.0]]])
# the engine's permanent part on the last day, [scenario, path, asset]
PERMANENT = np.array([[[0.012, -0.0008]]])


def test_impact_metrics_by_hand() -> None:
    frame = impact_metrics(FLOW_USD, LOG_IMPACT, VOLUME_USD, [2.0], PERMANENT)
    assert list(frame.index) == [(0, 0), (0, 1)]
    btc, eth = frame.iloc[0], frame.iloc[1]
    # cumulative flow: the sum of daily flows, selling included
    assert btc["cum_flow_usd_p50"] == pytest.approx(150.0)
    assert eth["cum_flow_usd_p50"] == pytest.approx(-10.0)
    # share of volume over the days with a flow, venue volume x coverage 2
    assert btc["flow_share_of_volume_pct_p50"] == pytest.approx(150 / (2 * (2_000 + 3_000)) * 100)
    assert eth["flow_share_of_volume_pct_p50"] == pytest.approx(-10 / (2 * (400 + 100)) * 100)
    # log impact on the last day and at its peak, in basis points
    assert btc["log_impact_at_horizon_bps_p50"] == pytest.approx(150.0)
    assert btc["peak_log_impact_bps_p50"] == pytest.approx(200.0)
    assert eth["log_impact_at_horizon_bps_p50"] == pytest.approx(-10.0)
    assert eth["peak_log_impact_bps_p50"] == pytest.approx(10.0)
    # the engine's lasting part on the last day, in basis points
    assert btc["permanent_log_impact_at_horizon_bps_p50"] == pytest.approx(120.0)
    assert eth["permanent_log_impact_at_horizon_bps_p50"] == pytest.approx(-8.0)
    # price uplift: exp(I_T) - 1
    assert btc["price_uplift_at_horizon_pct_p50"] == pytest.approx((math.exp(0.015) - 1) * 100)
    assert eth["price_uplift_at_horizon_pct_p50"] == pytest.approx((math.exp(-0.001) - 1) * 100)
    # one path: every quantile is that path
    for name in ("cum_flow_usd", "price_uplift_at_horizon_pct"):
        assert btc[f"{name}_p05"] == btc[f"{name}_p50"] == btc[f"{name}_p95"]


def test_zero_flow_gives_zero_figures() -> None:
    zeros = np.zeros_like(FLOW_USD)
    frame = impact_metrics(
        zeros, np.zeros_like(LOG_IMPACT), VOLUME_USD, [1.0], np.zeros_like(PERMANENT)
    )
    assert np.isfinite(frame.to_numpy()).all()
    np.testing.assert_array_equal(frame.to_numpy(), 0.0)


def test_coverage_is_per_scenario_and_paths_give_quantiles() -> None:
    # 2 scenarios x 3 paths: the paths differ only in the impact's size
    flow = np.repeat(FLOW_USD, 3, axis=1)
    flow = np.concatenate([flow, flow])
    scale = np.array([1.0, 2.0, 4.0])[None, :, None, None]
    log_impact = np.concatenate([LOG_IMPACT * scale, LOG_IMPACT * scale])
    volume = np.repeat(VOLUME_USD, 3, axis=0)
    permanent = np.concatenate([PERMANENT * scale[..., 0], PERMANENT * scale[..., 0]])
    frame = impact_metrics(flow, log_impact, volume, [1.0, 10.0], permanent)
    share_btc = frame.xs(0, level="asset_index")["flow_share_of_volume_pct_p50"].to_numpy()
    np.testing.assert_allclose(share_btc, [150 / 5_000 * 100, 150 / 50_000 * 100])
    horizon = frame.loc[(0, 0)]
    values = [150.0, 300.0, 600.0]  # bps on the three paths
    assert horizon["log_impact_at_horizon_bps_p50"] == pytest.approx(300.0)
    assert horizon["log_impact_at_horizon_bps_p05"] == pytest.approx(150 + 0.1 * (300 - 150))
    assert horizon["log_impact_at_horizon_bps_p95"] == pytest.approx(300 + 0.9 * (600 - 300))
    assert horizon["log_impact_at_horizon_bps_p95"] < max(values)
    assert horizon["permanent_log_impact_at_horizon_bps_p50"] == pytest.approx(240.0)


def test_columns_carry_units_and_quantiles() -> None:
    frame = impact_metrics(FLOW_USD, LOG_IMPACT, VOLUME_USD, [1.0], PERMANENT)
    names = (
        "cum_flow_usd",
        "flow_share_of_volume_pct",
        "log_impact_at_horizon_bps",
        "peak_log_impact_bps",
        "permanent_log_impact_at_horizon_bps",
        "price_uplift_at_horizon_pct",
    )
    assert list(frame.columns) == [f"{n}_{q}" for n in names for q in QUANTILES]


def test_quantile_over_paths_ignores_non_finite_values() -> None:
    cube = np.array(
        [
            [[1.0, np.nan], [np.inf, np.nan], [3.0, np.nan]],  # scenario 0: asset 1 has no value
        ]
    )
    median = quantile_over_paths(cube, 0.5)
    assert median[0] == pytest.approx(2.0)  # the inf path is left out
    assert np.isnan(median[1])


@pytest.mark.parametrize("spoiled", [False, True])
def test_quantiles_over_paths_are_np_quantile_s_numbers_bit_for_bit(spoiled: bool) -> None:
    # the sorted fast path for finite cubes, the per-quantile masking path otherwise
    rng = np.random.default_rng(7)
    cube = rng.normal(0.0, 1.0, (6, 201, 2))
    cube[:, :50] = np.round(cube[:, :50], 1)  # ties, as flat columns give
    if spoiled:
        cube[1, 3, 0], cube[4, :, 1] = np.inf, np.nan
    qs = tuple(QUANTILES.values())
    found = quantiles_over_paths(cube, qs)
    for k, q in enumerate(qs):
        expected = quantile_over_paths(cube, q)
        assert found[k].tobytes() == expected.tobytes()
        if not spoiled:
            assert expected.tobytes() == np.quantile(cube, q, axis=1).reshape(-1).tobytes()
    assert np.isnan(found[:, 9]).all() == spoiled  # scenario 4, asset 1 has no value


def test_the_horizon_metrics_are_the_impact_metrics_columns_of_the_last_day() -> None:
    rng = np.random.default_rng(5)
    flows = rng.normal(0.0, 1e8, (3, 9, 6, 2))
    impact = rng.normal(0.0, 0.05, (3, 9, 6, 2))
    volume = rng.uniform(1e9, 2e9, (9, 6, 2))
    permanent = rng.normal(0.0, 0.02, (3, 9, 2))
    full = impact_metrics(flows, impact, volume, [3.0, 4.0, 5.0], permanent)
    last = np.ascontiguousarray(impact[:, :, -1])
    every = horizon_metrics(last, permanent)
    expected = full[[f"{m}_{q}" for m in HORIZON_METRICS for q in QUANTILES]]
    pd.testing.assert_frame_equal(every, expected, check_exact=True)
    # only what is asked for, in the order of scenarios.csv; no permanent part needed then
    some = horizon_metrics(last, None, ("price_uplift_at_horizon_pct", "log_impact_at_horizon_bps"))
    assert [c[:-4] for c in some.columns[::3]] == [
        "log_impact_at_horizon_bps", "price_uplift_at_horizon_pct",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(some, full[some.columns], check_exact=True)
    with pytest.raises(ValueError, match=r"peak_log_impact_bps.*every day"):
        horizon_metrics(last, permanent, ("peak_log_impact_bps",))
