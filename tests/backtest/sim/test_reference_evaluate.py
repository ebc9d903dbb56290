"""The benchmark's one-pass reference evaluator gives the package evaluation's numbers.

``benchmarks/reference_evaluate.py`` is the floor ``benchmarks/bench_evaluate.py`` times the
package against; a floor that computed something else would make its ratio meaningless. Both
evaluate the same grid (every strategy, fees on, impacted and baseline columns, a scenario
whose orders fall outside the window) and must agree to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest.sim.evaluate import METRICS, EvaluateConfig, EvaluationInput, _run_vectorbt, evaluate
from backtest.sim.evaluate import _scenario_plan as scenario_plan
from benchmarks.reference_evaluate import reference_evaluate, reference_per_column

N_SCEN, N_PATHS, N_DAYS, N_ASSETS = 4, 25, 400, 2
CONFIG = EvaluateConfig(hold_days=120, front_run_lead_days=20, fees_bps=10.0)


@pytest.fixture(scope="module")
def inputs() -> EvaluationInput:
    rng = np.random.default_rng(3)
    baseline = 100 * np.exp(np.cumsum(rng.normal(0.0, 0.03, (N_PATHS, N_DAYS, N_ASSETS)), axis=1))
    uplift = np.linspace(0.0, 1.0, N_DAYS)[None, None, :, None] * np.array(
        [0.02, 0.05, 0.1, 0.02]
    )[:, None, None, None]
    pay_day = np.zeros((N_SCEN, N_DAYS), dtype=bool)
    pay_day[0, 40::14] = True
    pay_day[1, 40::14] = True  # scenarios 0 and 1 share their orders (one baseline group)
    pay_day[2, 100::30] = True
    pay_day[3, 10::15] = True
    return EvaluationInput(
        days=pd.date_range("2025-01-01", periods=N_DAYS, freq="D", tz="UTC"),
        impacted_close_usd=baseline[None] * np.exp(uplift),
        baseline_close_usd=baseline,
        announcement_day=30,
        # scenario 3 starts its flows after the window: the front-runner's exit is past the end
        first_flow_day=np.array([60, 60, 150, 380]),
        ramp_end_day=np.array([300, 300, 390, 500]),
        pay_day=pay_day,
    )


def test_the_reference_table_equals_the_evaluation(inputs: EvaluationInput) -> None:
    ours = evaluate(inputs, CONFIG)
    reference = reference_evaluate(inputs, CONFIG)
    assert list(reference.columns) == list(ours.columns)
    assert list(reference.index) == list(ours.index)
    a, b = ours.to_numpy(), reference.to_numpy()
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    # differences against the baseline are small numbers made from two large ones: there the
    # tolerance is absolute (1e-10 of a percent or of a ratio)
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, equal_nan=True)
    assert np.isfinite(a).sum() > 0.9 * a.size  # the comparison is not over empty cells


@pytest.mark.parametrize("strategy", CONFIG.strategies)
def test_reference_metrics_equal_vectorbts_per_column(
    inputs: EvaluationInput, strategy: str
) -> None:
    impacted, _, _ = reference_per_column(inputs, CONFIG, strategy)
    plan = scenario_plan(strategy, inputs, CONFIG, N_DAYS, N_SCEN)
    per_path = N_PATHS * N_ASSETS
    close = np.moveaxis(inputs.impacted_close_usd, 2, 0).reshape(N_DAYS, -1)
    ours = _run_vectorbt(
        close,
        np.repeat(plan.size, per_path, axis=1),
        plan.size_type,
        np.repeat(plan.init_cash_usd, per_path),
        CONFIG.fees_bps,
    )
    for k, metric in enumerate(METRICS):
        np.testing.assert_allclose(
            impacted[k].reshape(-1), ours[metric], rtol=1e-10, atol=1e-12, err_msg=metric
        )
    # the numbers are not degenerate: returns move, and differ between columns
    assert np.ptp(ours["total_return_pct"]) > 1.0
