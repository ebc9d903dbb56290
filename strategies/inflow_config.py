"""``InflowConfig``: the study section ``[inflow]``, every parameter of the 401(k) inflow model.

The field names are the study-file keys; field types are plain (float, int, str, dict) because
``backtest.study.config`` fills them from TOML, and dates are ``"YYYY-MM-DD"`` strings read by
properties. The model itself (formulas) is documented in ``strategies.inflow``.

Sources of the defaults (one line each; "assumption" where no source fixes the number):

- plan assets $8.7T on 2025-03-31: ICI, "Quarterly Retirement Market Data, First Quarter 2025"
  (2025-06-18): $12.2T in all DC plans, of which $8.7T in 401(k) plans.
- about 70 million active 401(k) participants: ICI (401(k) plan facts, the figure the design cites).
- contributions per active participant, $10,680 a year = 12.0% x $89,000: Vanguard, "How America
  Saves 2025" (2024 data): average total contribution rate, employee plus employer, 12.0% of pay
  (employee deferral 7.7%); median income of participants who save in the plan, $89,000. Using a
  median income for a mean is an approximation. 70M x $10,680 = about $748B a year, about 8.6% of
  plan assets.
- IRS 2025 limits (IRS Notice 2024-80): employee deferral $23,500 (402(g)), catch-up $7,500 at
  age 50+, $11,250 at ages 60-63 (SECURE 2.0), total additions $70,000 (415(c); catch-up sits on
  top). An average contribution above $70,000 + $11,250 is impossible and is refused.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

import pandas as pd

from flowimpact.config import choice, day, fraction, frozen, number, whole
from flowimpact.errors import ConfigError
from strategies.calendar import (
    PAYROLL_CALENDARS,
    REBALANCE_SCHEDULES,
    SETTLEMENT_RULES,
    PayrollCalendar,
    RebalanceSchedule,
    SettlementRule,
    utc_day,
)

ICI_401K_ASSETS_USD = 8.7e12  # ICI, 401(k) plan assets on 2025-03-31
ICI_401K_ASSETS_DATE = "2025-03-31"
ICI_ACTIVE_PARTICIPANTS = 70e6  # ICI, active 401(k) participants (about)
HAS_2025_TOTAL_CONTRIBUTION_RATE = 0.12  # Vanguard How America Saves 2025, employee + employer
HAS_2025_MEDIAN_SAVER_INCOME_USD = 89_000.0  # Vanguard How America Saves 2025
CONTRIBUTION_PER_PARTICIPANT_USD = (
    HAS_2025_TOTAL_CONTRIBUTION_RATE * HAS_2025_MEDIAN_SAVER_INCOME_USD
)  # = 10,680 USD a year
IRS_2025_DEFERRAL_LIMIT_USD = 23_500.0  # 402(g)
IRS_2025_CATCH_UP_50_USD = 7_500.0  # age 50+
IRS_2025_CATCH_UP_60_63_USD = 11_250.0  # ages 60-63, SECURE 2.0
IRS_2025_TOTAL_ADDITIONS_LIMIT_USD = 70_000.0  # 415(c), employee + employer, catch-up excluded
MAX_CONTRIBUTION_PER_PARTICIPANT_USD = (
    IRS_2025_TOTAL_ADDITIONS_LIMIT_USD + IRS_2025_CATCH_UP_60_63_USD
)  # = 81,250 USD: no one can receive more in a year

ANNOUNCEMENT_DATE = "2025-08-07"  # US executive order on alternative assets in 401(k) plans
RampShape = Literal["linear", "logistic"]
RAMP_SHAPES: tuple[str, ...] = get_args(RampShape)
MARKET_CAP_SPLIT = "market_cap"
_WEIGHT_TOLERANCE = 1e-6
_SECTION = "inflow"


def _default_split() -> Mapping[str, float]:
    return frozen({"BTC": 0.8, "ETH": 0.2})


@dataclass(frozen=True, kw_only=True)
class InflowConfig:
    """The 401(k) inflow scenario (study section ``[inflow]``); see ``strategies.inflow``.

    Fractions are plain numbers in [0, 1] (``allocation = 0.01`` is 1%); rates ``_per_year`` are
    fractions per year; months are calendar months from a date.

    Scenario:
      allocation: share of 401(k) plan assets that goes to crypto. Default 0.01: the low end of
        the 1-5% commentators quote (1% of $8.7T = $87bn); a study grid usually spans it.
      lag_months: months from ``announcement`` to the first dollar (rules, products, menus).
        Default 6: assumption, the short end of the 6-24 months quoted in the design.
      ramp_months: months from the first dollar to the full allocation; 0 = at once.
        Default 12: assumption, inside the 6-24 months quoted in the design.
      ramp_shape: ``"linear"`` or ``"logistic"`` (an S-curve: slow start, fast middle, slow end).
        Default linear: assumption, the neutral choice.
      ramp_steepness: logistic slope k over the ramp scaled to [0, 1]. Default 10: assumption
        (10% to 90% of the ramp in the middle 43% of its time).
      announcement: the order's date. Default 2025-08-07 (the executive order).

    Plan and contributions:
      plan_assets_usd, plan_assets_date: 401(k) assets and their date. Default $8.7T on
        2025-03-31 (ICI, first quarter 2025).
      asset_growth_per_year: growth of plan assets (markets plus net contributions), compounded
        from ``plan_assets_date``. Default 0.06: assumption, near the pace of ICI's 401(k) asset
        series over the decade to 2024.
      reallocation_share: share of an adopter's crypto target that is moved from existing
        balances at adoption; the rest builds only from new contributions. Default 0.25:
        assumption (participants rarely trade; Vanguard's How America Saves finds few
        participant-initiated exchanges a year, while managed products could move balances).
      active_participants, contribution_per_participant_usd: annual contributions are their
        product. Defaults 70 million (ICI) and $10,680 (Vanguard How America Saves 2025: 12.0%
        total contribution rate x $89,000 median saver income); see the module docstring.
      contribution_growth_per_year: growth of contributions (pay growth). Default 0.03:
        assumption, about US nominal wage growth.
      payroll_calendar: ``"biweekly"``, ``"semimonthly"`` or ``"monthly"``. Default biweekly:
        the most common US pay frequency (BLS, Current Employment Statistics pay-period data).
      payroll_anchor: one bi-weekly pay Friday. Default 2025-01-03: assumption (first Friday of
        2025).
      settlement: ``"nyse"`` (flows settle on NYSE business days) or ``"every_day"``.
        Default nyse: fund purchases and ETF creations settle on US business days.
      withdrawal_rate_per_year: share of the crypto holdings (at cost) sold each year for
        distributions, loans and hardship withdrawals. Default 0.02: assumption (the 10% penalty
        before 59.5 keeps early withdrawals rare).

    Split between assets:
      split: fixed weights per asset summing to 1, or ``"market_cap"`` (weights from market caps
        at the announcement, supplied by the caller). Default {"BTC": 0.8, "ETH": 0.2}: market
        caps on 2025-08-07 were about $2.34T and $0.47T (closes 117,472 and 3,910 USDT times
        circulating supply of about 19.9M BTC and 120.7M ETH), i.e. about 83/17, rounded.

    Balanced-fund sleeve (off by default):
      sleeve_share: share of the crypto allocation held through balanced funds. Default 0:
        assumption (no such fund exists yet).
      sleeve_crypto_weight: crypto weight inside those funds. Default 0.02: assumption (the low
        single digits proposed for multi-asset funds).
      sleeve_rebalance: ``"monthly"``, ``"quarterly"`` or ``"none"``. Default quarterly:
        assumption (common for balanced and target-date funds).
      sleeve_drift_band: absolute drift of the crypto weight from target that also triggers a
        rebalance; ``inf`` = calendar only. Default inf: assumption.
    """

    allocation: float = 0.01
    lag_months: int = 6
    ramp_months: int = 12
    ramp_shape: RampShape = "linear"
    ramp_steepness: float = 10.0
    announcement: str = ANNOUNCEMENT_DATE
    plan_assets_usd: float = ICI_401K_ASSETS_USD
    plan_assets_date: str = ICI_401K_ASSETS_DATE
    asset_growth_per_year: float = 0.06
    reallocation_share: float = 0.25
    active_participants: float = ICI_ACTIVE_PARTICIPANTS
    contribution_per_participant_usd: float = CONTRIBUTION_PER_PARTICIPANT_USD
    contribution_growth_per_year: float = 0.03
    payroll_calendar: PayrollCalendar = "biweekly"
    payroll_anchor: str = "2025-01-03"
    settlement: SettlementRule = "nyse"
    withdrawal_rate_per_year: float = 0.02
    split: Mapping[str, float] | str = field(default_factory=_default_split)
    sleeve_share: float = 0.0
    sleeve_crypto_weight: float = 0.02
    sleeve_rebalance: RebalanceSchedule = "quarterly"
    sleeve_drift_band: float = math.inf

    def __post_init__(self) -> None:
        _check_fractions(self)
        _check_rates_and_sizes(self)
        _check_choices(self)
        for key in ("announcement", "plan_assets_date", "payroll_anchor"):
            day(_SECTION, key, getattr(self, key))
        if self.payroll_day_anchor.day_of_week != 4:
            raise ConfigError(
                f"[inflow] payroll_anchor: {self.payroll_anchor} is not a Friday; give a pay Friday"
            )
        if isinstance(self.split, Mapping):
            # a read-only copy, so the caller's dict cannot change a frozen config afterwards
            object.__setattr__(self, "split", frozen(_checked_weights(self.split)))
        elif self.split != MARKET_CAP_SPLIT:
            raise ConfigError(
                f"[inflow] split: {self.split!r} is unknown; give weights per asset such as "
                f'{{BTC = 0.8, ETH = 0.2}} or "{MARKET_CAP_SPLIT}"'
            )

    def __hash__(self) -> int:
        # ``split`` arrives from TOML as a dict; hashing its items lets configs key caches and sets
        values = (getattr(self, f.name) for f in dataclasses.fields(self))
        return hash(
            tuple(tuple(sorted(v.items())) if isinstance(v, Mapping) else v for v in values)
        )

    @property
    def announcement_day(self) -> pd.Timestamp:
        """The announcement as a UTC day."""
        return utc_day(self.announcement)

    @property
    def first_flow_day(self) -> pd.Timestamp:
        """Announcement + ``lag_months``: the first day money can arrive (before settlement)."""
        return _months_after(self.announcement_day, self.lag_months)

    @property
    def ramp_end_day(self) -> pd.Timestamp:
        """First flow day + ``ramp_months``: the day the allocation is complete."""
        return _months_after(self.first_flow_day, self.ramp_months)

    @property
    def plan_assets_day(self) -> pd.Timestamp:
        return utc_day(self.plan_assets_date)

    @property
    def payroll_day_anchor(self) -> pd.Timestamp:
        return utc_day(self.payroll_anchor)

    @property
    def annual_contributions_usd(self) -> float:
        """All 401(k) contributions a year at ``plan_assets_date`` (employee + employer)."""
        return self.active_participants * self.contribution_per_participant_usd

    @property
    def has_sleeve(self) -> bool:
        return self.sleeve_share > 0.0


def _check_fractions(config: InflowConfig) -> None:
    for key in ("allocation", "reallocation_share", "sleeve_share"):
        fraction(_SECTION, key, getattr(config, key))
    number(_SECTION, "sleeve_crypto_weight", config.sleeve_crypto_weight, low=0.0, low_open=True,
           high=1.0)
    number(_SECTION, "withdrawal_rate_per_year", config.withdrawal_rate_per_year, low=0.0,
           high=1.0, high_open=True)


def _check_rates_and_sizes(config: InflowConfig) -> None:
    for key in ("lag_months", "ramp_months"):
        whole(_SECTION, key, getattr(config, key), low=0, high=1200)
    for key in ("asset_growth_per_year", "contribution_growth_per_year"):
        number(_SECTION, key, getattr(config, key), low=-1.0, low_open=True)
    number(_SECTION, "plan_assets_usd", config.plan_assets_usd, low=0.0, low_open=True)
    number(_SECTION, "active_participants", config.active_participants, low=0.0)
    per_head = config.contribution_per_participant_usd
    if not (_finite(per_head) and 0.0 <= per_head <= MAX_CONTRIBUTION_PER_PARTICIPANT_USD):
        raise ConfigError(
            f"[inflow] contribution_per_participant_usd: {per_head!r} must be from 0 to "
            f"{MAX_CONTRIBUTION_PER_PARTICIPANT_USD:,.0f} (IRS 2025 $70,000 total additions plus "
            "the $11,250 age 60-63 catch-up)"
        )
    number(_SECTION, "ramp_steepness", config.ramp_steepness, low=0.0, low_open=True, high=100.0)
    # inf = calendar rebalances only
    number(_SECTION, "sleeve_drift_band", config.sleeve_drift_band, low=0.0, low_open=True,
           allow_inf=True)


def _check_choices(config: InflowConfig) -> None:
    choices = {
        "ramp_shape": RAMP_SHAPES,
        "payroll_calendar": PAYROLL_CALENDARS,
        "settlement": SETTLEMENT_RULES,
        "sleeve_rebalance": REBALANCE_SCHEDULES,
    }
    for key, allowed in choices.items():
        choice(_SECTION, key, getattr(config, key), allowed)


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _checked_weights(split: Mapping[str, float]) -> dict[str, float]:
    if not split:
        raise ConfigError("[inflow] split: give at least one asset weight, e.g. {BTC = 1.0}")
    weights = {}
    for asset, weight in split.items():
        if not isinstance(asset, str) or not asset:
            raise ConfigError(f"[inflow] split: asset names must be text, got {asset!r}")
        weights[asset] = number(_SECTION, f"split.{asset}", weight, low=0.0)
    total = sum(weights.values())
    if abs(total - 1.0) > _WEIGHT_TOLERANCE:
        raise ConfigError(f"[inflow] split: weights must sum to 1, they sum to {total:g}")
    return weights



@functools.lru_cache(maxsize=4096)
def _months_after(day: pd.Timestamp, months: int) -> pd.Timestamp:
    """``day + pd.DateOffset(months=months)``, once per (day, months): pandas' calendar offset
    costs about 20 µs, and a sensitivity analysis asks for the same few dozen dates for each
    of its tens of thousands of samples."""
    return day + pd.DateOffset(months=months)

__all__ = [
    "ANNOUNCEMENT_DATE",
    "CONTRIBUTION_PER_PARTICIPANT_USD",
    "ICI_401K_ASSETS_USD",
    "IRS_2025_CATCH_UP_50_USD",
    "IRS_2025_CATCH_UP_60_63_USD",
    "IRS_2025_DEFERRAL_LIMIT_USD",
    "IRS_2025_TOTAL_ADDITIONS_LIMIT_USD",
    "MARKET_CAP_SPLIT",
    "MAX_CONTRIBUTION_PER_PARTICIPANT_USD",
    "RAMP_SHAPES",
    "InflowConfig",
]
