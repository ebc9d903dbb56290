"""The [sensitivity] section and its plan (backtest/study/sensitivity/config.py, plan.py).

Bad ranges and contradicting grids are refused before any work with one line naming the key
(a ConfigError: exit 2); the packaged default analysis is the eight sourced ranges.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backtest.study.config import Study, load_study
from backtest.study.sensitivity.config import DEFAULT_RANGES, SensitivityConfig, output_columns
from backtest.study.sensitivity.plan import sensitivity_plan
from flowimpact.errors import ConfigError


def _study(tmp_path: Path, text: str) -> Study:
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return load_study(path)


def test_the_default_analysis_is_the_eight_sourced_ranges() -> None:
    plan = sensitivity_plan(load_study(None))
    assert [p.key for p in plan.parameters] == [
        "allocation",
        "lag_months",
        "ramp_months",
        "reallocation_share",
        "multiplier",
        "permanent_share",
        "half_life_days",
        "volume_coverage",
    ]
    ranges = {p.key: (p.low, p.high, p.scale, p.integer) for p in plan.parameters}
    assert ranges["allocation"] == (0.01, 0.05, "linear", False)
    assert ranges["lag_months"] == (6, 24, "linear", True)
    assert ranges["ramp_months"] == (6, 36, "linear", True)
    assert ranges["reallocation_share"] == (0.1, 1.0, "linear", False)
    assert ranges["multiplier"] == (2.0, 60.0, "log", False)
    assert ranges["permanent_share"] == (0.2, 0.9, "linear", False)
    assert ranges["half_life_days"] == (10.0, 180.0, "linear", False)
    assert ranges["volume_coverage"] == (3.0, 20.0, "linear", False)
    config = plan.config
    assert (config.method, config.samples, config.n_paths) == ("sobol", 1024, 50)
    assert config.outputs == ("price_uplift_at_horizon_pct", "log_impact_at_horizon_bps")
    # each impact model of the default study gets its own analysis
    assert plan.models == ("multiplier", "sqrt")
    # the default grid's lists give way to the ranges; study values are its first values
    values = dict(zip((p.key for p in plan.parameters), plan.study_values, strict=True))
    assert values["allocation"] == 0.01 and values["lag_months"] == 6 and values["multiplier"] == 5


def test_a_list_for_a_ranged_key_is_refused_naming_it(tmp_path: Path) -> None:
    study = _study(tmp_path, "[inflow]\nallocation = [0.02, 0.03]\n")
    with pytest.raises(ConfigError, match=r"\[inflow\] allocation is a list") as caught:
        sensitivity_plan(study)
    assert "\n" not in str(caught.value)


def test_a_list_for_a_key_without_range_is_refused(tmp_path: Path) -> None:
    study = _study(tmp_path, "[impact]\nsqrt_y = [0.5, 1.0]\n")
    with pytest.raises(ConfigError, match=r"\[impact\] sqrt_y is a list"):
        sensitivity_plan(study)


def test_a_single_value_is_the_study_value_of_a_ranged_key(tmp_path: Path) -> None:
    study = _study(
        tmp_path,
        '[inflow]\nallocation = 0.03\n[impact]\nmodel = "multiplier"\nmultiplier = 12.0\n',
    )
    plan = sensitivity_plan(study)
    values = dict(zip((p.key for p in plan.parameters), plan.study_values, strict=True))
    assert values["allocation"] == 0.03 and values["multiplier"] == 12.0
    assert plan.models == ("multiplier",)


def test_a_one_element_list_is_one_value_in_a_sensitivity_analysis(tmp_path: Path) -> None:
    study = _study(
        tmp_path,
        '[inflow]\nallocation = [0.03]\nlag_months = [9]\n[impact]\nmodel = ["multiplier"]\n'
        "sqrt_y = [0.7]\n",
    )
    plan = sensitivity_plan(study)
    values = dict(zip((p.key for p in plan.parameters), plan.study_values, strict=True))
    assert values["allocation"] == 0.03 and values["lag_months"] == 9
    assert plan.models == ("multiplier",) and plan.impact.sqrt_y == 0.7


def test_a_one_element_list_is_one_value_outside_the_grid_sections(tmp_path: Path) -> None:
    study = _study(tmp_path, '[data]\nexchange = ["kraken"]\n[paths]\nn_paths = [30]\n')
    assert study.data.exchange == "kraken" and study.paths.n_paths == 30
    assert study.n_scenarios == load_study(None).n_scenarios


def test_calibrated_values_are_refused(tmp_path: Path) -> None:
    study = _study(
        tmp_path, '[impact]\nmodel = "multiplier"\nmultiplier = ["calibrated:btc_etf"]\n'
    )
    with pytest.raises(ConfigError, match="multiplier"):
        sensitivity_plan(study)


BAD_RANGES = {
    "low above high": ("permanent_share = [0.9, 0.2]", "permanent_share"),
    "low equals high": ("permanent_share = [0.5, 0.5]", "permanent_share"),
    "outside the key's values": ("permanent_share = [0.2, 1.5]", "permanent_share"),
    "negative allocation": ("allocation = [-0.01, 0.05]", "allocation"),
    "unknown key": ("multiplyer = [2, 60]", "multiplyer"),
    "not numeric": ('model = ["linear", "sqrt"]', "model"),
    "log scale from zero": ('sqrt_y = { low = 0, high = 2, scale = "log" }', "sqrt_y"),
    "unknown scale": ('multiplier = { low = 2, high = 60, scale = "cubic" }', "multiplier"),
    "whole number key with a fraction": ("lag_months = [6.5, 24]", "lag_months"),
    "whole number key on a log scale": (
        'ramp_months = { low = 6, high = 36, scale = "log" }',
        "ramp_months",
    ),
    "three numbers": ("multiplier = [2, 5, 60]", "multiplier"),
    "table without high": ("multiplier = { low = 2 }", "multiplier"),
    "a lag the config refuses": ("lag_months = [6, 2000]", "lag_months"),
}


@pytest.mark.parametrize("case", sorted(BAD_RANGES))
def test_bad_ranges_are_one_line_naming_the_key(tmp_path: Path, case: str) -> None:
    line, key = BAD_RANGES[case]
    with pytest.raises(ConfigError) as caught:
        sensitivity_plan(_study(tmp_path, f"[sensitivity.ranges]\n{line}\n"))
    message = str(caught.value)
    assert key in message and "\n" not in message
    assert caught.value.exit_code == 2


BAD_KEYS = {
    "unknown method": ('method = "fast"', "method"),
    "sobol needs a power of two": ("samples = 1000", "samples"),
    "one sample": ("samples = 1", "samples"),
    "unknown output": ('outputs = ["uplift"]', "outputs"),
    "portfolio output without evaluate": (
        'outputs = ["payroll_dca_total_return_pct_vs_baseline"]',
        "evaluate",
    ),
    "odd morris levels": ('method = "morris"\nmorris_levels = 5', "morris_levels"),
    "no path": ("n_paths = 0", "n_paths"),
    "confidence of one": ("confidence = 1.0", "confidence"),
    "unknown key": ("sample = 64", "sample"),
}


@pytest.mark.parametrize("case", sorted(BAD_KEYS))
def test_bad_sensitivity_keys_are_refused(tmp_path: Path, case: str) -> None:
    line, key = BAD_KEYS[case]
    with pytest.raises(ConfigError, match=key):
        _study(tmp_path, f"[sensitivity]\n{line}\n")


@pytest.mark.parametrize("samples", [2, 4, 8, 16, 32, 64, 128, 4096])
def test_any_power_of_two_is_a_sobol_sample_size(tmp_path: Path, samples: int) -> None:
    assert _study(tmp_path, f"[sensitivity]\nsamples = {samples}\n").sensitivity.samples == samples


def test_a_sample_size_between_powers_of_two_names_the_two_around_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"samples: 100 is not a power of two.*give 64 or 128"):
        _study(tmp_path, "[sensitivity]\nsamples = 100\n")


def test_a_misspelt_range_key_gets_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"multiplyer: .*\(did you mean 'multiplier'\?\)"):
        sensitivity_plan(_study(tmp_path, "[sensitivity.ranges]\nmultiplyer = [2, 60]\n"))


def test_user_ranges_replace_the_default_ones(tmp_path: Path) -> None:
    study = _study(
        tmp_path,
        '[sensitivity]\nmethod = "morris"\nsamples = 20\n'
        '[sensitivity.ranges]\nmultiplier = { low = 2, high = 60, scale = "log" }\n'
        "permanent_share = [0.2, 0.9]\n",
    )
    plan = sensitivity_plan(study)
    assert [p.key for p in plan.parameters] == ["multiplier", "permanent_share"]
    assert plan.config.method == "morris"
    # the default study's allocation list gives way to its first value
    assert plan.inflow.allocation == 0.01 and plan.inflow.lag_months == 6


def test_outputs_read_the_median_unless_a_quantile_is_named() -> None:
    config = SensitivityConfig(
        outputs=("price_uplift_at_horizon_pct", "peak_log_impact_bps_p95"),
        ranges=DEFAULT_RANGES,
    )
    assert output_columns(config.outputs) == {
        "price_uplift_at_horizon_pct": "price_uplift_at_horizon_pct_p50",
        "peak_log_impact_bps_p95": "peak_log_impact_bps_p95",
    }
    SensitivityConfig(outputs=("buy_and_hold_sharpe_vs_baseline",), evaluate=True)


def test_samples_become_configs_shared_where_their_values_are() -> None:
    plan = sensitivity_plan(load_study(None))
    values = np.array([plan.study_values, plan.study_values])
    values[1, [p.key for p in plan.parameters].index("multiplier")] = 40.0
    inflows, impacts = plan.configs(values)
    assert inflows[0] is inflows[1]  # same inflow values: one config, one schedule
    assert impacts["multiplier"][1].multiplier == 40.0
    assert impacts["sqrt"][1].model == "sqrt"
    assert isinstance(inflows[0].lag_months, int)
