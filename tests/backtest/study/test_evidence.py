"""The etf_explained_share axis: parsing, solving each scenario on the record, scenarios.csv."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backtest.analogs.evidence import explained_share
from backtest.analogs.hindcast import PARAMETER_KEY
from backtest.study.config import load_study, study_from_mapping
from backtest.study.evidence_config import SHARE_AXIS, as_given
from backtest.study.evidence_step import with_evidence
from backtest.study.results import AnalogsOutcome
from backtest.study.table import scenarios_table
from flowimpact.errors import ConfigError, DataUnavailableError, InputError

N_DAYS, PRIOR = 240, 40


def market(seed: int, drift: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily closes and volumes (base units) and an ETF table over the last N_DAYS days."""
    rng = np.random.default_rng(seed)
    every = pd.date_range("2024-01-01", periods=PRIOR + N_DAYS, freq="D", tz="UTC")
    close = 40_000.0 * np.exp(np.cumsum(rng.normal(drift, 0.03, every.size)))
    daily = pd.DataFrame({"close": close, "volume": rng.uniform(2e4, 6e4, every.size)}, every)
    flow = rng.normal(1.5e8, 4e8, N_DAYS)
    flow[0] = flow[-1] = 2e8
    return daily, pd.DataFrame({"total_usd": flow}, index=every[PRIOR:])


def study(**impact: object):  # type: ignore[no-untyped-def]
    raw = {
        "study": {"start": "2025-01-01"},
        "inflow": {"allocation": [0.01, 0.02], "lag_months": 6, "ramp_months": 12,
                   "reallocation_share": 0.25},
        # a 5-day half-life: under the square-root law a long-lived transient on this noisy
        # synthetic market caps the reachable share near 0.14 (the implied path's σ feeds back)
        "impact": {"model": ["multiplier", "sqrt", "linear"], "volatility_window_days": 10,
                   "volume_window_days": 7, "half_life_days": 5.0, **impact},
    }  # fmt: skip
    return study_from_mapping(raw)


@pytest.fixture(scope="module")
def run_inputs() -> tuple[dict[str, pd.DataFrame], AnalogsOutcome]:
    btc, eth = market(5, 0.004), market(6, 0.002)
    prices = {"BTC": btc[0], "ETH": eth[0]}
    outcome = AnalogsOutcome(
        events=None,  # type: ignore[arg-type]
        etf_flows={"BTC": btc[1], "ETH": eth[1]},
        calibration=None,
    )
    return prices, outcome


def test_the_default_study_has_the_axis_and_btc_as_its_reference() -> None:
    default = load_study()
    assert default.grid_axes[SHARE_AXIS] == (0.1, 0.25, 0.5, 1.0)
    assert default.evidence.reference == "BTC"
    resolved = default.resolved()["impact"]
    assert resolved["etf_explained_share"] == [0.1, 0.25, 0.5, 1.0]
    assert resolved["etf_reference"] == "BTC"
    assert "etf_explained_share" not in default.raw["impact"]  # ImpactConfig never sees it


def test_an_empty_axis_runs_the_parameters_as_given() -> None:
    off = study(etf_explained_share=[], multiplier=7.0)
    assert SHARE_AXIS not in off.grid_axes and not off.evidence.active
    assert {s.impact.multiplier for s in off.scenarios()} == {7.0}


@pytest.mark.parametrize("bad", [0.0, -0.5, "half", True, float("inf")])
def test_a_share_that_is_not_a_positive_number_is_refused(bad: object) -> None:
    with pytest.raises(ConfigError, match="etf_explained_share"):
        study(etf_explained_share=[0.5, bad])


def test_without_a_solver_the_axis_is_refused_naming_the_way_out() -> None:
    with pytest.raises(ConfigError, match=r"etf_explained_share = \[\]"):
        study(etf_explained_share=[0.5]).scenarios()
    # the flows and the validation take the parameters as given
    assert len(study(etf_explained_share=[0.5]).scenarios(solve=as_given)) == 6


def test_every_scenario_is_solved_on_the_reference_and_reports_the_other_asset(
    run_inputs: tuple[dict[str, pd.DataFrame], AnalogsOutcome],
) -> None:
    prices, outcome = run_inputs
    grid = study(etf_explained_share=[0.25, 0.4], permanent_share=[0.3, 0.9])
    outcome = with_evidence(grid, prices, outcome)
    assert outcome.evidence is not None
    scenarios = grid.scenarios(outcome.resolve, outcome.solve)
    assert len(scenarios) == 2 * 3 * 2 * 2
    btc, eth = outcome.evidence.series["BTC"], outcome.evidence.series["ETH"]
    values = {}
    for scenario in scenarios:
        share = scenario.axes[SHARE_AXIS]
        # the hindcast run at the solved parameter gives back φ
        assert explained_share(btc, scenario.impact) == pytest.approx(share, abs=1e-6)
        assert scenario.implied_share["BTC"] == pytest.approx(share, abs=1e-6)
        assert scenario.implied_share["ETH"] == pytest.approx(
            explained_share(eth, scenario.impact), rel=1e-12
        )
        key = PARAMETER_KEY[scenario.impact.model]
        values[(scenario.impact.model, scenario.impact.permanent_share, share)] = getattr(
            scenario.impact, key
        )
    assert len(set(scenarios[i].scenario_id for i in range(len(scenarios)))) == len(scenarios)
    for model in ("multiplier", "sqrt", "linear"):
        # θ matters to the parameter (the level set), the allocation does not
        assert values[(model, 0.3, 0.4)] != pytest.approx(values[(model, 0.9, 0.4)], rel=1e-3)
        assert values[(model, 0.3, 0.4)] > values[(model, 0.3, 0.25)]
    for model in ("multiplier", "linear"):
        # the propagators' transient is their permanent impact decaying: less of it lasting
        # takes a larger parameter (the square-root law's transient is concave in the size
        # and can outweigh its permanent part, so no direction is asserted for it)
        assert values[(model, 0.3, 0.4)] > values[(model, 0.9, 0.4)]
    solved = outcome.evidence.solved_table()
    assert len(solved) == 3 * 2 * 2  # solved once per (model, θ, share), not per allocation
    assert (solved["reach_low"] <= solved["etf_explained_share"]).all()
    assert (solved["etf_explained_share"] <= solved["reach_high"]).all()


def test_scenarios_csv_carries_the_share_the_solved_parameter_and_the_implied_share(
    run_inputs: tuple[dict[str, pd.DataFrame], AnalogsOutcome],
) -> None:
    prices, outcome = run_inputs
    grid = study(etf_explained_share=[0.1, 0.5], model=["multiplier", "sqrt"])
    outcome = with_evidence(grid, prices, outcome)
    scenarios = grid.scenarios(outcome.resolve, outcome.solve)
    n = len(scenarios) * 2
    frame = scenarios_table(
        scenarios, ["BTC", "ETH"], pd.DataFrame(index=range(n)), pd.DataFrame(index=range(n))
    )
    for column in ("etf_explained_share", "multiplier", "sqrt_y", "etf_implied_share"):
        assert column in frame.columns
    own = frame["model"].map(PARAMETER_KEY)
    for row, key in zip(frame.itertuples(), own, strict=True):
        other = "sqrt_y" if key == "multiplier" else "multiplier"
        assert getattr(row, key) > 0 and math.isnan(getattr(row, other))
    on_btc = frame[frame["asset"] == "BTC"]
    np.testing.assert_allclose(on_btc["etf_implied_share"], on_btc["etf_explained_share"],
                               atol=1e-6)  # fmt: skip
    assert frame.loc[frame["asset"] == "ETH", "etf_implied_share"].notna().all()


def test_a_reference_without_a_stored_table_is_exit_3_naming_the_import(
    run_inputs: tuple[dict[str, pd.DataFrame], AnalogsOutcome],
) -> None:
    prices, outcome = run_inputs
    bare = AnalogsOutcome(events=outcome.events, etf_flows={}, calibration=None)
    with pytest.raises(DataUnavailableError) as caught:
        with_evidence(study(etf_explained_share=[0.5]), prices, bare)
    assert caught.value.exit_code == 3
    assert "flowimpact import" in str(caught.value)
    assert "etf_explained_share = [] to run the parameters as given" in str(caught.value)
    # the axis off: nothing needed
    assert with_evidence(study(etf_explained_share=[]), prices, bare) is bare


def test_a_reference_that_is_not_an_asset_of_the_study_is_exit_2(
    run_inputs: tuple[dict[str, pd.DataFrame], AnalogsOutcome],
) -> None:
    prices, outcome = run_inputs
    with pytest.raises(ConfigError, match="etf_reference = 'SOL' is not an asset"):
        with_evidence(study(etf_explained_share=[0.5], etf_reference="sol"), prices, outcome)


def test_a_share_beyond_reach_stops_the_scenarios_with_exit_2(
    run_inputs: tuple[dict[str, pd.DataFrame], AnalogsOutcome],
) -> None:
    prices, outcome = run_inputs
    grid = study(etf_explained_share=[1e6], model="linear")
    outcome = with_evidence(grid, prices, outcome)
    with pytest.raises(InputError, match="beyond reach") as caught:
        grid.scenarios(outcome.resolve, outcome.solve)
    assert caught.value.exit_code == 2


def test_a_grid_over_the_solved_parameter_is_refused_beside_the_axis(
    run_inputs: tuple[dict[str, pd.DataFrame], AnalogsOutcome],
) -> None:
    prices, outcome = run_inputs
    grid = study(etf_explained_share=[0.5], model="multiplier", multiplier=[5.0, 20.0])
    with pytest.raises(ConfigError, match=r"multiplier is a grid axis.*etf_explained_share = \[\]"):
        with_evidence(grid, prices, outcome)
