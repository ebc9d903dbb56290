"""ImpactConfig validation and the three impact models' formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backtest.sim.codes import ImpactModelCode
from backtest.sim.impact import (
    MODELS,
    ImpactConfig,
    ImpactModel,
    LinearImpact,
    MultiplierImpact,
    SquareRootImpact,
    impact_model,
)
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


def test_formulas_on_hand_computed_values() -> None:
    args = {"close_usd": 1e5, "volume_usd": 4e10, "sigma": 0.03, "market_cap_usd": 2e12}
    linear = impact_model(ImpactConfig(model="linear", lambda_per_billion_usd=0.002))
    assert linear.instant_log_impact(1e9, **args) == pytest.approx(0.002)
    root = SquareRootImpact(0.5).instant_log_impact(-1e9, **args)
    assert root == pytest.approx(-0.5 * 0.03 * math.sqrt(1e9 / 4e10))
    multiplier = MultiplierImpact(5.0).instant_log_impact(1e10, **args)
    assert multiplier == pytest.approx(math.log(1 + 5 * 1e10 / 2e12))
    assert np.isnan(MultiplierImpact(5.0).instant_log_impact(-1e12, **args))


@given(first=flows, second=flows)
def test_linear_model_adds_up(first, second) -> None:
    model = LinearImpact(3e-12)
    args = (1.0, 1.0, 1.0, 1.0)
    total = model.instant_log_impact(first + second, *args)
    parts = model.instant_log_impact(first, *args) + model.instant_log_impact(second, *args)
    assert total == pytest.approx(parts, abs=1e-15)


@given(
    low=flows,
    extra=st.floats(0, 1e10),
    model_name=st.sampled_from(["linear", "sqrt", "multiplier"]),
)
def test_more_flow_never_gives_less_instant_impact(low, extra, model_name) -> None:
    model = impact_model(ImpactConfig(model=model_name))
    args = (6e4, 3e10, 0.04, 1.2e12)
    assert model.instant_log_impact(low + extra, *args) >= model.instant_log_impact(low, *args)


def test_square_root_scales_with_the_root_of_the_flow() -> None:
    model = SquareRootImpact(1.0)
    one, four = model.instant_log_impact(np.array([1e8, 4e8]), 1.0, 1e10, 0.02, 1.0)
    assert four == pytest.approx(2 * one)
    assert model.instant_log_impact(0.0, 1.0, 1e10, 0.02, 1.0) == 0.0


@pytest.mark.parametrize(
    "model", [LinearImpact(3e-12), SquareRootImpact(1.0), MultiplierImpact(5.0)]
)
def test_a_model_that_says_it_reads_no_sigma_or_volume_does_not(model) -> None:
    # the kernel and the reference engine skip σ and V for such a model: it must not need them
    flow, close, cap = 2e8, 6e4, 1.2e12
    known = model.instant_log_impact(flow, close, 3e10, 0.04, cap)
    unknown = model.instant_log_impact(flow, close, math.nan, math.nan, cap)
    assert np.isfinite(known)
    assert np.isnan(unknown) == model.reads_sigma_and_volume
    if not model.reads_sigma_and_volume:
        assert unknown == known
