"""InflowConfig (strategies/inflow_config.py): defaults, derived figures, validation."""

from __future__ import annotations

import dataclasses
import math
import tomllib

import pandas as pd
import pytest

from flowimpact.errors import ConfigError
from strategies.inflow_config import (
    IRS_2025_CATCH_UP_60_63_USD,
    IRS_2025_TOTAL_ADDITIONS_LIMIT_USD,
    InflowConfig,
)


def test_defaults_carry_the_cited_figures():
    config = InflowConfig()
    assert config.allocation == 0.01
    assert config.plan_assets_usd == 8.7e12
    assert config.announcement_day == pd.Timestamp("2025-08-07", tz="UTC")
    # 70 million participants x 12% of $89,000 (Vanguard How America Saves 2025)
    assert config.annual_contributions_usd == pytest.approx(70e6 * 0.12 * 89_000)
    assert config.contribution_per_participant_usd <= IRS_2025_TOTAL_ADDITIONS_LIMIT_USD
    assert config.split == {"BTC": 0.8, "ETH": 0.2}
    assert not config.has_sleeve
    assert math.isinf(config.sleeve_drift_band)


def test_lag_and_ramp_are_calendar_months():
    config = InflowConfig(lag_months=6, ramp_months=12)
    assert config.first_flow_day == pd.Timestamp("2026-02-07", tz="UTC")
    assert config.ramp_end_day == pd.Timestamp("2027-02-07", tz="UTC")
    assert InflowConfig(lag_months=0).first_flow_day == config.announcement_day


def test_config_is_frozen_and_keyword_only():
    config = InflowConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.allocation = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        InflowConfig(0.02)  # type: ignore[misc]


def test_equal_configs_hash_alike_despite_the_split_dict():
    assert hash(InflowConfig()) == hash(InflowConfig(split={"ETH": 0.2, "BTC": 0.8}))
    assert len({InflowConfig(), InflowConfig(), InflowConfig(allocation=0.02)}) == 2


def test_split_is_copied_so_the_callers_dict_cannot_change_it():
    weights = {"BTC": 0.5, "ETH": 0.5}
    config = InflowConfig(split=weights)
    weights["BTC"] = 0.9
    assert config.split == {"BTC": 0.5, "ETH": 0.5}


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"allocation": -0.01}, "allocation"),
        ({"allocation": 1.5}, "allocation"),
        ({"allocation": math.nan}, "allocation"),
        ({"lag_months": -1}, "lag_months"),
        ({"ramp_months": -3}, "ramp_months"),
        ({"ramp_months": 1.5}, "ramp_months"),
        ({"ramp_shape": "cubic"}, "ramp_shape"),
        ({"ramp_steepness": 0.0}, "ramp_steepness"),
        ({"announcement": "2025-13-01"}, "announcement"),
        ({"plan_assets_usd": 0.0}, "plan_assets_usd"),
        ({"plan_assets_date": "March 2025"}, "plan_assets_date"),
        ({"asset_growth_per_year": -1.0}, "asset_growth_per_year"),
        ({"asset_growth_per_year": math.inf}, "asset_growth_per_year"),
        ({"reallocation_share": 1.01}, "reallocation_share"),
        ({"active_participants": -1.0}, "active_participants"),
        ({"contribution_per_participant_usd": -5.0}, "contribution_per_participant_usd"),
        ({"contribution_per_participant_usd": 90_000.0}, "contribution_per_participant_usd"),
        ({"contribution_growth_per_year": -2.0}, "contribution_growth_per_year"),
        ({"payroll_calendar": "weekly"}, "payroll_calendar"),
        ({"payroll_anchor": "2025-01-02"}, "payroll_anchor"),
        ({"settlement": "lse"}, "settlement"),
        ({"withdrawal_rate_per_year": 1.0}, "withdrawal_rate_per_year"),
        ({"withdrawal_rate_per_year": -0.1}, "withdrawal_rate_per_year"),
        ({"split": {"BTC": 0.7, "ETH": 0.2}}, "split"),
        ({"split": {"BTC": 1.2, "ETH": -0.2}}, "split.ETH"),
        ({"split": {}}, "split"),
        ({"split": "equal"}, "split"),
        ({"sleeve_share": -0.1}, "sleeve_share"),
        ({"sleeve_crypto_weight": 0.0}, "sleeve_crypto_weight"),
        ({"sleeve_rebalance": "yearly"}, "sleeve_rebalance"),
        ({"sleeve_drift_band": 0.0}, "sleeve_drift_band"),
        ({"sleeve_drift_band": math.nan}, "sleeve_drift_band"),
    ],
)
def test_each_bad_value_is_refused_with_a_one_line_message_naming_its_key(kwargs, key):
    with pytest.raises(ConfigError) as caught:
        InflowConfig(**kwargs)
    message = str(caught.value)
    assert f"[inflow] {key}" in message
    assert "\n" not in message


def test_limits_accept_their_edges():
    top = IRS_2025_TOTAL_ADDITIONS_LIMIT_USD + IRS_2025_CATCH_UP_60_63_USD
    InflowConfig(
        allocation=1.0,
        reallocation_share=0.0,
        contribution_per_participant_usd=top,
        lag_months=0,
        ramp_months=0,
        sleeve_share=1.0,
        sleeve_crypto_weight=1.0,
        withdrawal_rate_per_year=0.0,
        split={"BTC": 1.0},
    )
    InflowConfig(split="market_cap")


def test_a_toml_inflow_section_builds_the_config():
    # the study loader fills the fields from TOML; every field type must be one TOML can carry
    from backtest.study.config import build_config

    section = tomllib.loads(
        """
        allocation = 0.02
        lag_months = 12
        ramp_months = 24
        ramp_shape = "logistic"
        plan_assets_usd = 9.3e12
        plan_assets_date = "2025-06-30"
        payroll_calendar = "semimonthly"
        split = { BTC = 0.6, ETH = 0.4 }
        sleeve_share = 0.5
        sleeve_rebalance = "monthly"
        sleeve_drift_band = inf
        """
    )
    config = build_config("inflow", section)
    assert config == InflowConfig(
        allocation=0.02,
        lag_months=12,
        ramp_months=24,
        ramp_shape="logistic",
        plan_assets_usd=9.3e12,
        plan_assets_date="2025-06-30",
        payroll_calendar="semimonthly",
        split={"BTC": 0.6, "ETH": 0.4},
        sleeve_share=0.5,
        sleeve_rebalance="monthly",
        sleeve_drift_band=math.inf,
    )
    with pytest.raises(ConfigError, match=r"\[inflow\] split"):
        build_config("inflow", {"split": {"BTC": 0.9}})


def test_every_field_is_documented_with_its_default_source():
    doc = InflowConfig.__doc__ or ""
    undocumented = [name for name in InflowConfig.__dataclass_fields__ if name not in doc]
    assert undocumented == []
