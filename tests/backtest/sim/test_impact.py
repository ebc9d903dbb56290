"""ImpactConfig validation, the registry and the impact models' formulas (NumPy and numba)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.sim import impact_steps
from backtest.sim.impact import (
    GENERIC_VOLUME_COVERAGE,
    MODELS,
    ImpactConfig,
    ImpactModel,
    LinearImpact,
    MultiplierImpact,
    SquareRootImpact,
    coverage_table,
    impact_model,
)
from backtest.sim.models import SPECS, ImpactModelCode
from backtest.study.config import build_config
from flowimpact.errors import ConfigError

flows = st.floats(-1e10, 1e10, allow_nan=False)


def test_defaults_are_valid_and_name_their_model() -> None:
    config = ImpactConfig()
    assert config.model == "multiplier"
    assert config.supply_coins("BTC") == pytest.approx(19.9e6)
    assert isinstance(impact_model(config), MultiplierImpact)
    assert impact_model(config).parameter == 5.0


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"model": "cubic"}, "model"),
        ({"decay": "linear"}, "decay"),
        ({"multiplier": -1.0}, "multiplier"),
        ({"sqrt_y": math.nan}, "sqrt_y"),
        ({"permanent_share": 1.5}, "permanent_share"),
        ({"anticipation_share": -0.1}, "anticipation_share"),
        ({"half_life_days": 0.0}, "half_life_days"),
        ({"power_beta": math.inf}, "power_beta"),
        ({"volume_coverage": 0}, "volume_coverage"),
        ({"volatility_window_days": 1}, "volatility_window_days"),
        ({"volume_window_days": True}, "volume_window_days"),
        ({"circulating_supply": {}}, "circulating_supply"),
        ({"circulating_supply": {"BTC": -5.0}}, "circulating_supply.BTC"),
    ],
)
def test_bad_values_raise_config_error_naming_the_key(overrides, key) -> None:
    with pytest.raises(ConfigError, match=rf"\[impact\] {key}") as caught:
        ImpactConfig(**overrides)
    assert "\n" not in str(caught.value)


def test_missing_supply_for_an_asset_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no entry for SOL"):
        ImpactConfig().supply_coins("SOL")


def test_the_study_loader_builds_it_from_toml_values() -> None:
    built = build_config("impact", {"model": "sqrt", "sqrt_y": 1, "half_life_days": "inf"})
    assert built == ImpactConfig(model="sqrt", sqrt_y=1.0, half_life_days=math.inf)
    assert isinstance(built.sqrt_y, float)
    with pytest.raises(ConfigError, match="volatility_window_days"):
        build_config("impact", {"volatility_window_days": 0})


def test_every_model_follows_the_protocol() -> None:
    for model in (LinearImpact(1e-12), SquareRootImpact(1.0), MultiplierImpact(5.0)):
        assert isinstance(model, ImpactModel)
    # one kernel code per model, named as the study file names the model
    classes = (LinearImpact, SquareRootImpact, MultiplierImpact)
    assert sorted(cls.code for cls in classes) == list(ImpactModelCode)
    assert all(cls.code.model_name == cls.name for cls in classes)
    assert MODELS == ("linear", "sqrt", "multiplier")  # the study-file values, a contract
    assert tuple(code.model_name for code in ImpactModelCode) == MODELS
    for name in MODELS:
        assert impact_model(ImpactConfig(model=name)).name == name


def test_the_registry_names_every_model_once_with_its_parameter() -> None:
    assert set(SPECS) == set(MODELS)
    assert sorted(spec.code for spec in SPECS.values()) == list(ImpactModelCode)
    for name, spec in SPECS.items():
        config = ImpactConfig(model=name, **{spec.parameter_key: 7.0})
        model = impact_model(config)
        assert isinstance(model, spec.model_class) and model.code == spec.code
        assert model.parameter == pytest.approx(7.0 * spec.parameter_scale)
        assert spec.bracket_high > 0 and spec.label and spec.symbol and spec.unit


REFERENCE = {"reference_cap_usd": 2e12, "reference_sigma": 0.03, "reference_volume_usd": 4e10}


def test_per_dollar_coefficients_on_hand_computed_values() -> None:
    linear = impact_model(ImpactConfig(model="linear", lambda_per_billion_usd=0.002))
    assert linear.per_dollar(**REFERENCE) == pytest.approx(0.002 / 1e9)  # log price per USD
    assert MultiplierImpact(5.0).per_dollar(**REFERENCE) == pytest.approx(5.0)  # USD per USD
    # the square-root law at Q = V gives Y·σ of log price: Y·σ·MC/V of market value per dollar
    assert SquareRootImpact(0.5).per_dollar(**REFERENCE) == pytest.approx(0.5 * 0.03 * 50.0)


def test_each_model_s_price_on_hand_computed_values() -> None:
    cap, supply, close = 2e12, 2e7, 1e5  # MC = B × supply: B = 1e5
    lasting, fading, theta = 4e11, 2e11, 0.25  # USD of value (multiplier), log (linear)
    multiplier = MultiplierImpact(5.0)
    expected = math.log1p((4e11 + 0.75 * 2e11) / 2e12)
    assert multiplier.log_impact(theta, lasting, fading, cap) == pytest.approx(expected)
    assert multiplier.baseline_close(theta, lasting, fading, close * math.exp(expected), supply) \
        == pytest.approx(close, rel=1e-14)
    root = SquareRootImpact(1.0)
    expected = math.log1p(4e11 / 2e12) + 0.75 * 0.01
    assert root.log_impact(theta, lasting, 0.01, cap) == pytest.approx(expected)
    assert root.baseline_close(theta, lasting, 0.01, close * math.exp(expected), supply) \
        == pytest.approx(close, rel=1e-14)
    linear = LinearImpact(1e-12)
    assert linear.log_impact(theta, 0.02, 0.01, cap) == pytest.approx(0.02 + 0.75 * 0.01)
    assert linear.baseline_close(theta, 0.02, 0.01, close * math.exp(0.0275), supply) \
        == pytest.approx(close, rel=1e-14)


def test_the_square_root_transient_is_the_law_on_the_accumulated_size() -> None:
    model = SquareRootImpact(0.5)
    sizes = np.array([-1e9, 0.0, 4e9])
    transient = model.transient_part(sizes, 0.03, 4e10)
    np.testing.assert_allclose(
        transient, [-0.5 * 0.03 * math.sqrt(1e9 / 4e10), 0.0, 0.5 * 0.03 * math.sqrt(0.1)]
    )
    assert model.transient_part(0.0, 0.03, 0.0) == 0.0  # no metaorder, no V needed
    np.testing.assert_array_equal(model.transient_feed(np.array([2e8, -1e8]), 99.0), [2e8, -1e8])
    for propagator in (LinearImpact(1e-12), MultiplierImpact(5.0)):
        assert propagator.transient_feed(2e8, 0.003) == 0.003
        assert propagator.transient_part(0.003, math.nan, math.nan) == 0.003


@pytest.mark.parametrize("name", MODELS)
@settings(deadline=None)  # the first call compiles the numba functions
@given(
    flow=flows,
    cap=st.floats(1e9, 1e13),
    sigma=st.floats(1e-3, 0.2),
    volume=st.floats(1e6, 1e12),
    accumulated=flows,
    lasting=st.floats(-5e8, 1e12),
    theta=st.floats(0.0, 1.0),
)
def test_the_numba_steps_are_the_numpy_formulas(
    name, flow, cap, sigma, volume, accumulated, lasting, theta
):
    model = impact_model(ImpactConfig(model=name))
    code, parameter = int(model.code), model.parameter
    kappa = impact_steps.per_dollar(code, parameter, cap, sigma, volume)
    assert kappa == pytest.approx(float(model.per_dollar(cap, sigma, volume)), rel=1e-14)
    feed = impact_steps.transient_feed(code, flow, kappa * flow)
    assert feed == pytest.approx(float(model.transient_feed(flow, kappa * flow)), rel=1e-14)
    fading = impact_steps.transient_part(code, parameter, accumulated, sigma, volume)
    expected = float(model.transient_part(accumulated, sigma, volume))
    assert fading == pytest.approx(expected, rel=1e-14, abs=1e-300)
    if name == "linear":  # its parts are log moves: keep them of a log's size
        lasting, fading = lasting / 1e12, fading / 1e12
    elif name == "multiplier":
        fading = accumulated / 10.0
    impact = impact_steps.log_impact(code, theta, lasting, fading, cap)
    expected = float(model.log_impact(theta, lasting, fading, cap))
    assert impact == pytest.approx(expected, rel=1e-13, abs=1e-15, nan_ok=True)
    supply = 2e7
    close = impact_steps.impacted_close(code, theta, lasting, fading, cap / supply, supply)
    if np.isfinite(impact) and close > 0:
        assert close == pytest.approx(cap / supply * math.exp(impact), rel=1e-12)
        back = impact_steps.baseline_close(code, theta, lasting, fading, close, supply)
        # B = P' − value / supply cancels digits as the flows' value outgrows the market's
        digits = 1e-14 * (1.0 + abs(lasting) / cap + abs(fading) / cap)
        assert back == pytest.approx(cap / supply, rel=digits)
        numpy_back = float(model.baseline_close(theta, lasting, fading, close, supply))
        assert back == pytest.approx(numpy_back, rel=digits)
    permanent = impact_steps.lasting_log_impact(code, lasting, cap)
    expected = float(model.log_impact(1.0, lasting, 0.0, cap))
    assert permanent == pytest.approx(expected, rel=1e-13, abs=1e-15, nan_ok=True)
    assert impact_steps.reads_sigma_and_volume(code) == model.reads_sigma_and_volume


def test_an_unknown_code_gives_nan_in_every_step() -> None:
    unknown = max(ImpactModelCode) + 1
    assert math.isnan(impact_steps.per_dollar(unknown, 1.0, 1e12, 0.03, 1e10))
    assert math.isnan(impact_steps.transient_feed(unknown, 1e8, 1e-4))
    assert math.isnan(impact_steps.transient_part(unknown, 1.0, 1e8, 0.03, 1e10))
    assert math.isnan(impact_steps.log_impact(unknown, 0.5, 1e8, 1e8, 1e12))
    assert math.isnan(impact_steps.lasting_log_impact(unknown, 1e8, 1e12))
    assert math.isnan(impact_steps.impacted_close(unknown, 0.5, 1e8, 1e8, 1e5, 2e7))
    assert math.isnan(impact_steps.baseline_close(unknown, 0.5, 1e8, 1e8, 1e5, 2e7))


@pytest.mark.parametrize(
    "model", [LinearImpact(3e-12), SquareRootImpact(1.0), MultiplierImpact(5.0)]
)
def test_a_model_that_says_it_reads_no_sigma_or_volume_does_not(model) -> None:
    # the kernel and the reference engine skip σ and V for such a model: it must not need them
    known = model.per_dollar(1.2e12, 0.04, 3e10)
    unknown = model.per_dollar(1.2e12, math.nan, math.nan)
    assert np.isfinite(known)
    assert np.isnan(unknown) == model.reads_sigma_and_volume
    if not model.reads_sigma_and_volume:
        assert unknown == known
        assert np.isfinite(model.transient_part(1e8, math.nan, math.nan))


def test_volume_coverage_is_a_number_or_a_table_per_venue() -> None:
    default = ImpactConfig()
    assert default.volume_coverage_for("binance") == (10.0, "")
    assert default.volume_coverage_for("coinbaseexchange") == (27.0, "")
    value, warning = default.volume_coverage_for("kraken")
    assert value == GENERIC_VOLUME_COVERAGE
    assert "kraken" in warning and "assumption" in warning and "\n" not in warning
    assert default.volume_coverage_for(None) == (GENERIC_VOLUME_COVERAGE, "")
    plain = ImpactConfig(volume_coverage=4.0)
    assert plain.volume_coverage_for("kraken") == (4.0, "")  # a number is every venue's
    table = build_config("impact", {"volume_coverage": {"binance": 8, "kraken": 30}})
    assert table.volume_coverage_for("kraken") == (30.0, "")
    assert hash(table) == hash(ImpactConfig(volume_coverage={"binance": 8.0, "kraken": 30.0}))
    with pytest.raises(ConfigError, match=r"\[impact\] volume_coverage.kraken"):
        ImpactConfig(volume_coverage={"kraken": -1.0})
    with pytest.raises(ConfigError, match=r"\[impact\] volume_coverage: give a number or a table"):
        ImpactConfig(volume_coverage={})


def test_the_coverage_table_is_per_scenario_and_asset_with_each_warning_once() -> None:
    impacts = [ImpactConfig(), ImpactConfig(volume_coverage=3.0), ImpactConfig()]
    table, warnings = coverage_table(impacts, ("BTC", "ETH"), ("coinbaseexchange", "kraken"))
    np.testing.assert_array_equal(table, [[27.0, 10.0], [3.0, 3.0], [27.0, 10.0]])
    assert len(warnings) == 1 and "kraken" in warnings[0]
    unknown, none = coverage_table(impacts, ("BTC", "ETH"), ())
    np.testing.assert_array_equal(unknown, [[10.0, 10.0], [3.0, 3.0], [10.0, 10.0]])
    assert none == ()
