"""A sensitivity analysis through the real engine (study/sensitivity/analysis.py, samples.py).

Synthetic seeded candles (tests.backtest.fixtures), a short window (2025-06-01..2026-12-31)
and four bootstrap paths keep every analysis to seconds.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest.sim.baseline import BaselinePaths, build_baseline
from backtest.sim.engine import run_engine
from backtest.sim.impact import coverage_table
from backtest.sim.metrics import impact_metrics
from backtest.study import flow_tables, scenario_inputs
from backtest.study.compute import ComputeConfig
from backtest.study.config import Study, load_study
from backtest.study.sensitivity.analysis import analyse, n_runs
from backtest.study.sensitivity.plan import sensitivity_plan
from backtest.study.sensitivity.samples import evaluate_samples, extra_flow_usd
from tests.backtest.fixtures import synthetic_candles

pytestmark = pytest.mark.slow

WINDOW = '[study]\nstart = "2025-06-01"\n[paths]\nhorizon_end = "2026-12-31"\n'


@pytest.fixture(scope="module")
def prices() -> dict[str, pd.DataFrame]:
    return {"BTC": synthetic_candles(30_000.0, 0), "ETH": synthetic_candles(2_000.0, 1)}


def _study(tmp_path: Path, text: str) -> Study:
    path = tmp_path / "study.toml"
    path.write_text(WINDOW + text, encoding="utf-8")
    return load_study(path)


def _baseline(study: Study, prices: dict[str, pd.DataFrame], n_paths: int = 4) -> BaselinePaths:
    paths = dataclasses.replace(study.paths, n_paths=n_paths)
    return build_baseline(prices, paths, study.study.start)


COVERAGE_AND_M = """
[impact]
model = ["multiplier", "sqrt"]
[sensitivity]
samples = 128
outputs = ["log_impact_at_horizon_bps", "price_uplift_at_horizon_pct"]
[sensitivity.ranges]
multiplier = { low = 2, high = 60, scale = "log" }
volume_coverage = [3, 20]
allocation = [0.01, 0.05]
"""


@pytest.fixture(scope="module")
def coverage_and_m(
    tmp_path_factory: pytest.TempPathFactory, prices: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    study = _study(tmp_path_factory.mktemp("cov"), COVERAGE_AND_M)
    plan = sensitivity_plan(study)
    outcome = analyse(plan, _baseline(study, prices))
    assert outcome.n_runs == n_runs(plan) == 2 * (128 * 5 + 7)
    return outcome.table


def _row(table: pd.DataFrame, model: str, asset: str, output: str, key: str) -> pd.Series:
    rows = table[
        (table["model"] == model)
        & (table["asset"] == asset)
        & (table["output"] == output)
        & (table["parameter"] == key)
    ]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize("asset", ["BTC", "ETH"])
def test_volume_coverage_cannot_move_the_multiplier_model(
    coverage_and_m: pd.DataFrame, asset: str
) -> None:
    for output in ("log_impact_at_horizon_bps", "price_uplift_at_horizon_pct"):
        row = _row(coverage_and_m, "multiplier", asset, output, "volume_coverage")
        assert row["ST"] < 0.05
        assert row["ST"] - row["ST_conf"] <= 0.0 <= row["ST"] + row["ST_conf"]
        # ... while M carries most of the variance there
        assert _row(coverage_and_m, "multiplier", asset, output, "multiplier")["ST"] > 0.5
    # under the square-root model the coverage is the volume's scale: it matters, M does not
    sqrt = "log_impact_at_horizon_bps"
    assert _row(coverage_and_m, "sqrt", asset, sqrt, "volume_coverage")["ST"] > 0.1
    m_row = _row(coverage_and_m, "sqrt", asset, sqrt, "multiplier")
    assert m_row["ST"] - m_row["ST_conf"] <= 0.0 <= m_row["ST"] + m_row["ST_conf"]


def test_the_tornado_swings_go_the_models_way(coverage_and_m: pd.DataFrame) -> None:
    output = "log_impact_at_horizon_bps"
    m = _row(coverage_and_m, "multiplier", "BTC", output, "multiplier")
    assert m["output_at_low"] < m["output_at_study"] < m["output_at_high"]  # M 2 < 5 < 60
    coverage = _row(coverage_and_m, "sqrt", "BTC", output, "volume_coverage")
    assert coverage["output_at_low"] > coverage["output_at_high"]  # more volume, less impact
    flat = _row(coverage_and_m, "multiplier", "BTC", output, "volume_coverage")
    assert flat["output_at_low"] == flat["output_at_high"] == flat["output_at_study"]


def test_with_only_m_varying_m_explains_the_variance(
    tmp_path: Path, prices: dict[str, pd.DataFrame]
) -> None:
    study = _study(
        tmp_path,
        '[impact]\nmodel = "multiplier"\n[sensitivity]\nsamples = 64\n'
        '[sensitivity.ranges]\nmultiplier = { low = 2, high = 60, scale = "log" }\n',
    )
    table = analyse(sensitivity_plan(study), _baseline(study, prices)).table
    assert len(table) == 2 * 2  # assets x outputs, one parameter
    assert (table["S1"] > 0.95).all()


def test_an_output_no_parameter_moves_is_reported_as_constant(
    tmp_path: Path, prices: dict[str, pd.DataFrame]
) -> None:
    # the multiplier model does not read the volume coverage: its outputs cannot vary
    study = _study(
        tmp_path,
        '[impact]\nmodel = "multiplier"\n[sensitivity]\nsamples = 8\n'
        '[sensitivity.ranges]\nvolume_coverage = [3, 20]\n',
    )
    outcome = analyse(sensitivity_plan(study), _baseline(study, prices, n_paths=2))
    assert outcome.table["ST"].isna().all()
    constant = [note for note in outcome.notes if "is constant over the samples" in note]
    assert len(constant) == 2 * 2  # assets x outputs
    assert any(note.startswith("log_impact_at_horizon_bps (BTC, multiplier)") for note in constant)


def test_same_seed_same_indices_and_chunks_do_not_matter(
    tmp_path: Path, prices: dict[str, pd.DataFrame]
) -> None:
    study = _study(
        tmp_path,
        '[impact]\nmodel = ["multiplier", "sqrt"]\n[sensitivity]\nsamples = 32\n'
        "[sensitivity.ranges]\npermanent_share = [0.2, 0.9]\nlag_months = [6, 12]\n"
        "reallocation_share = [0.1, 1.0]\n",
    )
    plan = sensitivity_plan(study)
    baseline = _baseline(study, prices)
    once = analyse(plan, baseline)
    again = analyse(plan, baseline)
    pd.testing.assert_frame_equal(once.table, again.table)
    # 16 scenarios per chunk instead of all of them in one: the same numbers, to the bit
    chunked = analyse(plan, baseline, compute=ComputeConfig(chunk_columns=16 * 4 * 2))
    pd.testing.assert_frame_equal(once.table, chunked.table)
    pd.testing.assert_frame_equal(once.samples, chunked.samples)
    other_seed = dataclasses.replace(plan, config=dataclasses.replace(plan.config, seed=7))
    moved = analyse(other_seed, baseline).table
    assert not np.allclose(moved["S1"], once.table["S1"])


def test_samples_table_has_every_point_model_and_asset(
    tmp_path: Path, prices: dict[str, pd.DataFrame]
) -> None:
    study = _study(
        tmp_path,
        '[impact]\nmodel = ["multiplier", "sqrt"]\n[sensitivity]\nmethod = "morris"\n'
        "samples = 6\n[sensitivity.ranges]\nhalf_life_days = [10, 180]\nramp_months = [6, 36]\n",
    )
    outcome = analyse(sensitivity_plan(study), _baseline(study, prices))
    samples = outcome.samples
    per_model_asset = 6 * 3 + 5  # Morris trajectories x (D + 1), then the one-at-a-time points
    assert len(samples) == per_model_asset * 2 * 2
    assert list(samples.columns[:5]) == ["design", "sample", "point", "model", "asset"]
    assert {"half_life_days", "ramp_months", "price_uplift_at_horizon_pct"} <= set(samples)
    assert samples["ramp_months"].dtype == np.int64
    assert set(samples["design"]) == {"morris", "oat"}
    table = outcome.table
    assert set(table["method"]) == {"morris"}
    assert table[["mu_star", "mu_star_conf", "sigma", "output_at_low"]].notna().all().all()
    assert table[["S1", "ST"]].isna().all().all()


def test_each_model_s_rows_are_the_runs_of_that_model_alone(
    tmp_path: Path, prices: dict[str, pd.DataFrame]
) -> None:
    # the engine runs the samples sample-major (each sample's models side by side); the
    # samples table must still give each model the numbers of an analysis of it alone
    ranges = (
        "[sensitivity]\nsamples = 8\n[sensitivity.ranges]\n"
        "allocation = [0.01, 0.05]\nhalf_life_days = [10, 180]\n"
    )
    both = _study(tmp_path, '[impact]\nmodel = ["multiplier", "sqrt"]\n' + ranges)
    baseline = _baseline(both, prices)
    together = analyse(sensitivity_plan(both), baseline).samples
    for model in ("multiplier", "sqrt"):
        alone_study = _study(tmp_path, f'[impact]\nmodel = "{model}"\n' + ranges)
        alone = analyse(sensitivity_plan(alone_study), baseline).samples
        mine = together[together["model"] == model].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone, check_exact=True)
    uplift = "price_uplift_at_horizon_pct"
    models = together.groupby("model")[uplift].sum()
    assert models["multiplier"] != models["sqrt"]


#: two inflows x two lags x a sleeve or none x both models, with anticipation
SLEEVE_GRID = (
    "[inflow]\nallocation = [0.01, 0.04]\nlag_months = [3, 9]\nsleeve_share = [0.0, 0.5]\n"
    '[impact]\nmodel = ["multiplier", "sqrt"]\nanticipation_share = 0.3\n'
    "etf_explained_share = []\n"
)


def test_samples_through_the_engine_match_the_runs_own_steps(
    tmp_path: Path, prices: dict[str, pd.DataFrame]
) -> None:
    # the run's path (FlowSchedule objects, scenario_inputs, run_engine, impact_metrics) and
    # the analysis' path (schedule_batch in chunks) on the same scenarios, sleeve included
    # and a [flows] table that every scenario carries
    (tmp_path / "flows.csv").write_text(
        "date,asset,flow_usd\n2025-09-02,BTC,5e9\n2026-03-02,ETH,-1e9\n2026-06-01,BTC,2e9\n",
        encoding="utf-8",
    )
    study = _study(
        tmp_path,
        SLEEVE_GRID + '[flows]\ntables = ["flows.csv"]\n',
    )
    scenarios = study.scenarios()
    baseline = _baseline(study, prices)
    extra = flow_tables.for_study(study, tmp_path)
    assert extra is not None
    inputs = scenario_inputs.build(scenarios, baseline, prices, extra)
    engine = run_engine(
        baseline,
        inputs.direct_flow_usd,
        [s.impact for s in scenarios],
        inputs.sleeve,
        inputs.announcement_day,
        outputs=("flow_usd", "log_impact", "permanent_log_impact_at_horizon"),
    )
    expected = impact_metrics(
        engine.array("flow_usd"),
        engine.array("log_impact"),
        baseline.volume_usd,
        coverage_table([s.impact for s in scenarios], baseline.assets, baseline.venues)[0],
        engine.array("permanent_log_impact_at_horizon"),
    )
    got = evaluate_samples(
        [s.inflow for s in scenarios],
        [s.impact for s in scenarios],
        baseline,
        extra_flow_usd=extra_flow_usd(extra, baseline),
        compute=ComputeConfig(chunk_columns=5 * 4 * 2),
    )
    # 5 scenarios of 4 paths x 2 assets a chunk: the run's own columns-per-chunk rule
    assert (got.n_chunks, got.scenarios_per_chunk) == (-(-len(scenarios) // 5), 5)
    got = got.table
    assert len(got) == len(scenarios) * 2
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9, atol=1e-9)


def test_samples_of_last_day_outputs_run_the_horizon_mode_with_the_same_numbers(
    tmp_path: Path, prices: dict[str, pd.DataFrame]
) -> None:
    # the default outputs read I_T alone: the engine's horizon mode gives their columns with
    # the very numbers of the full run, sleeve, anticipation and both models included
    study = _study(
        tmp_path,
        SLEEVE_GRID,
    )
    scenarios = study.scenarios()
    baseline = _baseline(study, prices)
    args = ([s.inflow for s in scenarios], [s.impact for s in scenarios], baseline)
    compute = ComputeConfig(chunk_columns=5 * 4 * 2)
    full = evaluate_samples(*args, compute=compute).table
    wanted = ("price_uplift_at_horizon_pct", "log_impact_at_horizon_bps")
    horizon = evaluate_samples(*args, compute=compute, metrics=wanted).table
    assert [c[:-4] for c in horizon.columns[::3]] == [wanted[1], wanted[0]]
    pd.testing.assert_frame_equal(horizon, full[horizon.columns], check_exact=True)
    assert full["price_uplift_at_horizon_pct_p50"].abs().min() > 0.0
    # a metric of every day (the peak) keeps the full mode and every column
    peak = evaluate_samples(*args, compute=compute, metrics=("peak_log_impact_bps",)).table
    pd.testing.assert_frame_equal(peak, full, check_exact=True)


def test_evaluate_true_adds_the_portfolio_outputs(
    tmp_path: Path, prices: dict[str, pd.DataFrame]
) -> None:
    study = _study(
        tmp_path,
        '[impact]\nmodel = "multiplier"\n[evaluate]\nstrategies = ["announcement_hold"]\n'
        '[sensitivity]\nmethod = "oat"\nevaluate = true\n'
        'outputs = ["announcement_hold_total_return_pct_vs_baseline"]\n'
        "[sensitivity.ranges]\nallocation = [0.01, 0.05]\n",
    )
    table = analyse(sensitivity_plan(study), _baseline(study, prices)).table
    row = table[table["asset"] == "BTC"].iloc[0]
    # more money in, more return added to a holder who bought at the announcement
    assert row["output_at_high"] > row["output_at_low"] > 0.0
