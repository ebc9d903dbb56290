"""Many schedules at once (strategies/inflow_batch.py) against the per-config model.

``schedule_flows`` is the reference: every row of a batch must equal it, component by component,
on a varied sample of configs (every ramp shape, payroll calendar, settlement rule, sleeve
schedule, split, growth and withdrawal rate), to 1e-9 relative.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from strategies.inflow import InflowConfig, schedule_flows
from strategies.inflow_batch import schedule_batch

ASSETS = ["BTC", "ETH"]
DAYS = pd.date_range("2025-01-01", "2028-12-31", freq="D", tz="UTC", name="day")
CAPS = {"BTC": 2.3e12, "ETH": 4.5e11}


def varied_configs(n: int, seed: int) -> list[InflowConfig]:
    rng = np.random.default_rng(seed)
    configs = []
    for i in range(n):
        configs.append(
            InflowConfig(
                allocation=float(rng.uniform(0.0, 0.05)),
                lag_months=int(rng.integers(0, 60)),  # some start after the window ends
                ramp_months=int(rng.integers(0, 36)),
                reallocation_share=float(rng.uniform(0.0, 1.0)),
                ramp_shape=str(rng.choice(["linear", "logistic"])),
                ramp_steepness=float(rng.uniform(1.0, 20.0)),
                announcement=str(rng.choice(["2025-08-07", "2024-03-15"])),
                asset_growth_per_year=float(rng.uniform(-0.1, 0.1)),
                contribution_growth_per_year=float(rng.choice([0.0, 0.03])),
                payroll_calendar=str(rng.choice(["biweekly", "semimonthly", "monthly"])),
                settlement=str(rng.choice(["nyse", "every_day"])),
                withdrawal_rate_per_year=float(rng.choice([0.0, 0.02, 0.1])),
                sleeve_share=float(rng.choice([0.0, 0.4])),
                sleeve_rebalance=str(rng.choice(["monthly", "quarterly", "none"])),
                sleeve_drift_band=float(rng.choice([np.inf, 0.01])),
                split="market_cap" if i % 5 == 0 else {"BTC": 0.7, "ETH": 0.3},
            )
        )
    return configs


def _caps(configs: list[InflowConfig]) -> list[dict[str, float] | None]:
    return [CAPS if c.split == "market_cap" else None for c in configs]


def test_every_row_equals_the_per_config_schedule() -> None:
    configs = varied_configs(40, seed=7)
    batch = schedule_batch(configs, DAYS, ASSETS, _caps(configs))
    assert len(batch) == len(configs)
    with_sleeve = flowing = 0
    for row, config in enumerate(configs):
        reference = schedule_flows(config, DAYS, ASSETS, _caps(configs)[row])
        got = batch.schedule(row)
        pd.testing.assert_index_equal(got.flows_usd.index, reference.flows_usd.index)
        pd.testing.assert_index_equal(got.flows_usd.columns, reference.flows_usd.columns)
        np.testing.assert_allclose(
            got.flows_usd.to_numpy(), reference.flows_usd.to_numpy(), rtol=1e-9, atol=1e-6
        )
        assert got.weights == pytest.approx(reference.weights, rel=1e-12)
        np.testing.assert_allclose(
            batch.net_flow_usd([row])[0], reference.net_flow_usd.to_numpy(), rtol=1e-9, atol=1e-6
        )
        pay = (reference.flows_usd.xs("payroll", axis=1, level=1).to_numpy() > 0).any(axis=1)
        np.testing.assert_array_equal(batch.pay_day([row])[0], pay)
        flowing += bool(np.abs(reference.flows_usd.to_numpy()).sum() > 0)
        if reference.sleeve is None:
            assert got.sleeve is None
            continue
        with_sleeve += 1
        assert got.sleeve is not None
        np.testing.assert_allclose(
            got.sleeve.contribution_usd.to_numpy(),
            reference.sleeve.contribution_usd.to_numpy(),
            rtol=1e-9,
            atol=1e-6,
        )
        pd.testing.assert_series_equal(got.sleeve.rebalance_day, reference.sleeve.rebalance_day)
        assert got.sleeve.start_day == reference.sleeve.start_day
        assert got.sleeve.target_weight == pytest.approx(reference.sleeve.target_weight)
        assert got.sleeve.drift_band == reference.sleeve.drift_band
    # the sample really is varied: sleeves and no sleeves, flows and empty windows
    assert 0 < with_sleeve < len(configs)
    assert 0 < flowing < len(configs)


def test_a_window_that_starts_after_some_first_flows_cuts_them_as_the_model_does() -> None:
    days = pd.date_range("2026-09-01", "2027-06-30", freq="D", tz="UTC")
    configs = [InflowConfig(lag_months=lag, ramp_months=12) for lag in (0, 6, 13, 30)]
    batch = schedule_batch(configs, days, ASSETS)
    for row, config in enumerate(configs):
        reference = schedule_flows(config, days, ASSETS).flows_usd.to_numpy()
        np.testing.assert_allclose(
            batch.direct_flows_usd([row])[0].reshape(len(days), -1), reference, rtol=1e-9, atol=1e-6
        )
    assert np.all(batch.totals_usd[3] == 0.0)  # first flow after the window: nothing in it


def test_no_config_gives_an_empty_batch() -> None:
    batch = schedule_batch([], DAYS, ASSETS)
    assert len(batch) == 0
    assert batch.net_flow_usd().shape == (0, len(DAYS), 2)


@pytest.mark.slow
def test_eighteen_thousand_schedules_take_seconds_not_minutes() -> None:
    # a sensitivity analysis's worth of distinct inflows; one schedule_flows call is ~20 ms,
    # so a loop over them would need about six minutes
    rng = np.random.default_rng(3)
    n = 18_000
    configs = [
        InflowConfig(
            allocation=float(a),
            lag_months=int(lag),
            ramp_months=int(ramp),
            reallocation_share=float(share),
        )
        for a, lag, ramp, share in zip(
            rng.uniform(0.01, 0.05, n),
            rng.integers(6, 25, n),
            rng.integers(6, 37, n),
            rng.uniform(0.1, 1.0, n),
            strict=True,
        )
    ]
    started = time.perf_counter()
    batch = schedule_batch(configs, DAYS, ASSETS)
    elapsed = time.perf_counter() - started
    assert elapsed < 60.0, f"{n} schedules took {elapsed:.1f} s"
    for row in (0, n // 2, n - 1):  # and they are the model's schedules
        reference = schedule_flows(configs[row], DAYS, ASSETS).net_flow_usd.to_numpy()
        np.testing.assert_allclose(batch.net_flow_usd([row])[0], reference, rtol=1e-9, atol=1e-6)
