"""The 401(k) inflow model (strategies/inflow.py).

Expected totals are computed here from the parameters with plain Python date arithmetic, not
with the vectorised code under test.
"""

from __future__ import annotations

import datetime as dt
import math

import holidays
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowimpact.errors import ConfigError, InputError
from strategies.inflow import InflowConfig, ramp_fraction, schedule_flows

NYSE = holidays.financial_holidays("NYSE", years=range(2024, 2035))
ASSETS = ["BTC", "ETH"]
# a closed-form world: no growth, no withdrawals, every calendar day settles
PLAIN = {
    "asset_growth_per_year": 0.0,
    "contribution_growth_per_year": 0.0,
    "withdrawal_rate_per_year": 0.0,
    "settlement": "every_day",
}


def _days(start: str, end: str) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="D", tz="UTC")


def _month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    out, year, month = [], first.year, first.month
    while True:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        end = following - dt.timedelta(days=1)
        if end > last:
            return out
        if end >= first:
            out.append(end)
        year, month = following.year, following.month


def _total(schedule, component: str | None = None) -> float:
    flows = schedule.flows_usd
    if component is not None:
        flows = flows.xs(component, axis=1, level="component")
    return float(flows.to_numpy().sum())


configs = st.builds(
    InflowConfig,
    allocation=st.floats(0.0, 0.1),
    lag_months=st.integers(0, 18),
    ramp_months=st.integers(0, 24),
    ramp_shape=st.sampled_from(["linear", "logistic"]),
    reallocation_share=st.floats(0.0, 1.0),
    payroll_calendar=st.sampled_from(["biweekly", "semimonthly", "monthly"]),
    withdrawal_rate_per_year=st.floats(0.0, 0.2),
    asset_growth_per_year=st.floats(-0.2, 0.2),
    announcement=st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)).map(str),
)


# --- totals ------------------------------------------------------------------------------------


def test_reallocation_total_is_allocation_times_reallocated_share_of_plan_assets():
    config = InflowConfig(allocation=0.02, reallocation_share=0.4, **PLAIN)
    schedule = schedule_flows(config, _days("2025-01-01", "2028-12-31"), ASSETS)
    assert _total(schedule, "reallocation") == pytest.approx(0.02 * 0.4 * 8.7e12, rel=1e-9)


def test_payroll_total_is_the_contribution_per_pay_date_times_the_pay_dates():
    # instant ramp: every month end from the first flow day on pays allocation x C / 12
    config = InflowConfig(
        allocation=0.03, lag_months=3, ramp_months=0, payroll_calendar="monthly", **PLAIN
    )
    schedule = schedule_flows(config, _days("2025-01-01", "2027-06-30"), ASSETS)
    pay_days = _month_ends(dt.date(2025, 11, 7), dt.date(2027, 6, 30))
    annual_usd = 70e6 * 0.12 * 89_000
    assert len(pay_days) == 20  # Nov-Dec 2025, 2026, Jan-Jun 2027
    assert _total(schedule, "payroll") == pytest.approx(0.03 * annual_usd / 12 * len(pay_days))


def test_payroll_during_a_linear_ramp_scales_with_the_adopted_share():
    config = InflowConfig(
        allocation=0.01, lag_months=0, ramp_months=6, payroll_calendar="monthly", **PLAIN
    )
    schedule = schedule_flows(config, _days("2025-08-01", "2026-06-30"), ASSETS)
    start, end = dt.date(2025, 8, 7), dt.date(2026, 2, 7)
    ramp_days = (end - start).days
    per_month_usd = 0.01 * config.annual_contributions_usd / 12
    expected = sum(
        per_month_usd * min(1.0, ((day - start).days + 1) / ramp_days)
        for day in _month_ends(start, dt.date(2026, 6, 30))
    )
    assert _total(schedule, "payroll") == pytest.approx(expected, rel=1e-12)


def test_growth_puts_the_reallocation_between_its_bounds_at_ramp_start_and_end():
    config = InflowConfig(
        allocation=0.01, reallocation_share=1.0, asset_growth_per_year=0.1, settlement="every_day"
    )
    schedule = schedule_flows(config, _days("2025-01-01", "2028-12-31"), ASSETS)
    years = [
        (day.date() - dt.date(2025, 3, 31)).days / 365.25
        for day in (config.first_flow_day, config.ramp_end_day)
    ]
    low, high = (0.01 * 8.7e12 * 1.1**y for y in years)
    assert low < _total(schedule, "reallocation") < high


def test_withdrawals_follow_the_annual_rate_in_closed_form():
    # one lump on the first flow day, then d = 1 - (1 - w)^(1/365.25) of the holdings a day
    config = InflowConfig(
        allocation=0.01,
        reallocation_share=1.0,
        ramp_months=0,
        active_participants=0.0,
        asset_growth_per_year=0.0,
        withdrawal_rate_per_year=0.1,
        settlement="every_day",
    )
    schedule = schedule_flows(config, _days("2025-01-01", "2027-12-31"), ASSETS)
    lump_usd = 0.01 * 8.7e12
    days_after = (dt.date(2027, 12, 31) - dt.date(2026, 2, 7)).days
    kept = (1 - 0.1) ** (days_after / 365.25)
    assert _total(schedule, "withdrawal") == pytest.approx(-lump_usd * (1 - kept), rel=1e-9)
    # one year on, 10% has gone
    year_on = schedule.flows_usd.loc[: pd.Timestamp("2027-02-07", tz="UTC")]
    withdrawn = year_on.xs("withdrawal", axis=1, level="component").to_numpy().sum()
    assert withdrawn == pytest.approx(-0.1 * lump_usd, rel=2e-3)


def test_nyse_settlement_moves_dollars_but_keeps_the_total():
    plain = InflowConfig(allocation=0.01, **PLAIN)
    nyse = InflowConfig(allocation=0.01, **{**PLAIN, "settlement": "nyse"})
    days = _days("2025-01-01", "2028-12-29")  # ends on a Friday settlement day
    by_day = schedule_flows(plain, days, ASSETS)
    by_settlement = schedule_flows(nyse, days, ASSETS)
    assert _total(by_settlement) == pytest.approx(_total(by_day), rel=1e-12)
    assert not by_settlement.flows_usd.equals(by_day.flows_usd)


@settings(max_examples=30, deadline=None)
@given(config=configs)
def test_zero_allocation_gives_no_flow_at_all(config):
    zero = InflowConfig(**{**_fields(config), "allocation": 0.0, "sleeve_share": 0.3})
    schedule = schedule_flows(zero, _days("2024-06-01", "2027-12-31"), ASSETS)
    assert not schedule.flows_usd.to_numpy().any()
    assert schedule.sleeve is not None
    assert not schedule.sleeve.contribution_usd.to_numpy().any()


@settings(max_examples=30, deadline=None)
@given(config=configs, extra=st.floats(0.0, 0.5))
def test_more_allocation_never_gives_fewer_dollars(config, extra):
    more = InflowConfig(**{**_fields(config), "allocation": min(1.0, config.allocation + extra)})
    # the window holds every flow day: holdings built before a window would be withdrawn inside
    # it, where more allocation means more withdrawals (documented in strategies.inflow)
    days = _days("2024-01-01", "2027-12-31")
    low, high = (schedule_flows(c, days, ASSETS).net_flow_usd for c in (config, more))
    assert (high.cumsum() >= low.cumsum() - 1e-6).to_numpy().all()
    assert (high.sum() >= low.sum() - 1e-6).all()


# --- timing ------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(config=configs)
def test_no_flow_on_a_weekend_a_nyse_holiday_or_before_announcement_plus_lag(config):
    config = InflowConfig(**{**_fields(config), "allocation": max(config.allocation, 1e-4)})
    schedule = schedule_flows(config, _days("2024-01-01", "2028-12-31"), ASSETS)
    active = schedule.flows_usd.ne(0.0).any(axis=1)
    flow_days = [stamp.date() for stamp in active.index[active.to_numpy()]]
    assert flow_days, "a positive allocation over five years must produce flows"
    first = config.announcement_day + pd.DateOffset(months=config.lag_months)
    assert min(flow_days) >= first.date()
    assert all(day.weekday() < 5 and day not in NYSE for day in flow_days)


def test_holiday_pay_dates_settle_on_the_next_business_day():
    # a bi-weekly pay Friday on 2026-07-03 (Independence Day observed), the ramp over by then
    config = InflowConfig(
        lag_months=0,
        ramp_months=1,
        payroll_anchor="2026-07-03",
        withdrawal_rate_per_year=0.0,
        contribution_growth_per_year=0.0,
    )
    schedule = schedule_flows(config, _days("2026-06-01", "2026-12-31"), ASSETS)
    payroll = schedule.flows_usd.xs("payroll", axis=1, level="component").sum(axis=1)
    net = schedule.net_flow_usd.sum(axis=1)
    for closed in ("2026-07-03", "2026-07-04", "2026-11-26"):
        assert net[pd.Timestamp(closed, tz="UTC")] == 0.0
    assert payroll[pd.Timestamp("2026-07-06", tz="UTC")] > 0.0
    # one pay date's money, no more, no less: the next pay Friday pays the same
    assert payroll[pd.Timestamp("2026-07-17", tz="UTC")] == pytest.approx(
        payroll[pd.Timestamp("2026-07-06", tz="UTC")], rel=1e-12
    )


def test_summary_of_the_default_scenario():
    config = InflowConfig()
    schedule = schedule_flows(config, _days("2025-01-01", "2027-12-31"), ASSETS)
    summary = schedule.summary()
    # 2025-08-07 + 6 months is Saturday 2026-02-07: the first dollar settles on Monday
    assert (summary["first_flow_day"] == pd.Timestamp("2026-02-09", tz="UTC")).all()
    assert summary["last_flow_day"].max() <= pd.Timestamp("2027-12-31", tz="UTC")
    np.testing.assert_allclose(summary["total_usd"], schedule.net_flow_usd.sum())
    assert summary.loc["BTC", "total_usd"] == pytest.approx(4 * summary.loc["ETH", "total_usd"])
    assert (summary["peak_daily_flow_usd"] > 0).all()
    assert (summary["withdrawal_usd"] < 0).all()


def test_a_window_that_starts_late_keeps_the_later_flows_unchanged():
    config = InflowConfig()
    full = schedule_flows(config, _days("2025-01-01", "2027-12-31"), ASSETS)
    late = schedule_flows(config, _days("2026-06-01", "2027-12-31"), ASSETS)
    pd.testing.assert_frame_equal(late.flows_usd, full.flows_usd.loc["2026-06-01":])


def test_a_window_that_ends_before_the_first_flow_is_all_zero():
    days = _days("2025-01-01", "2026-08-06")  # the first dollar may come on 2026-08-07
    schedule = schedule_flows(InflowConfig(lag_months=12), days, ASSETS)
    assert not schedule.flows_usd.to_numpy().any()
    assert schedule.summary()["flow_days"].eq(0).all()


# --- ramp --------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(steepness=st.floats(0.1, 100.0), shape=st.sampled_from(["linear", "logistic"]))
def test_ramp_is_monotone_from_zero_to_one(steepness, shape):
    x = np.linspace(-0.5, 1.5, 2001)
    adopted = ramp_fraction(x, shape, steepness)
    assert np.all(np.diff(adopted) >= -1e-15)
    assert adopted[x <= 0].max() == pytest.approx(0.0, abs=1e-12)
    assert adopted[x >= 1].min() == pytest.approx(1.0, abs=1e-12)


def test_logistic_starts_slower_than_linear_and_ends_level():
    x = np.array([0.1, 0.5, 0.9])
    logistic = ramp_fraction(x, "logistic", 10.0)
    assert logistic[0] < 0.1 and logistic[1] == pytest.approx(0.5) and logistic[2] > 0.9
    with pytest.raises(ConfigError, match="ramp_shape"):
        ramp_fraction(x, "cubic")


@pytest.mark.parametrize("ramp_months", [1, 12, 24])
def test_linear_and_logistic_ramps_reach_the_same_total(ramp_months):
    days = _days("2025-01-01", "2029-12-31")
    base = {**PLAIN, "active_participants": 0.0, "ramp_months": ramp_months}
    linear, logistic = (
        schedule_flows(InflowConfig(**base, ramp_shape=shape), days, ASSETS)
        for shape in ("linear", "logistic")
    )
    assert _total(logistic) == pytest.approx(_total(linear), rel=1e-12)
    cumulative = linear.net_flow_usd.sum(axis=1).cumsum()
    assert (np.diff(cumulative.to_numpy()) >= 0).all()
    # a tenth into the ramp, the S-curve has brought less than the straight line
    early = pd.Timestamp("2026-02-07", tz="UTC") + pd.Timedelta(days=3 * ramp_months)
    logistic_early = logistic.net_flow_usd.sum(axis=1).cumsum()
    assert logistic_early[early] < cumulative[early]


# --- split, sleeve, inputs ---------------------------------------------------------------------


def test_fixed_weights_split_every_component():
    config = InflowConfig(split={"BTC": 0.7, "ETH": 0.3})
    schedule = schedule_flows(config, _days("2025-01-01", "2027-12-31"), ASSETS)
    net = schedule.net_flow_usd
    assert list(net.columns) == ASSETS
    np.testing.assert_allclose(net["ETH"].to_numpy() * 0.7, net["BTC"].to_numpy() * 0.3)
    assert schedule.weights == {"BTC": 0.7, "ETH": 0.3}


def test_market_cap_split_uses_the_callers_caps():
    config = InflowConfig(split="market_cap")
    caps = {"BTC": 2.34e12, "ETH": 0.47e12, "SOL": 1e11}
    schedule = schedule_flows(config, _days("2025-01-01", "2027-12-31"), ASSETS, caps)
    assert schedule.weights["BTC"] == pytest.approx(2.34 / 2.81)
    totals = schedule.net_flow_usd.sum()
    assert totals["BTC"] / totals["ETH"] == pytest.approx(2.34 / 0.47)
    with pytest.raises(ConfigError, match=r"market cap.*ETH"):
        schedule_flows(config, _days("2025-01-01", "2025-12-31"), ASSETS, {"BTC": 1e12})
    with pytest.raises(ConfigError, match="market_caps_usd"):
        schedule_flows(config, _days("2025-01-01", "2025-12-31"), ASSETS)


def test_split_must_fit_the_studys_assets():
    days = _days("2025-01-01", "2027-12-31")
    with pytest.raises(ConfigError, match="split names ETH"):
        schedule_flows(InflowConfig(), days, ["BTC"])
    # a zero weight for an asset the study lacks loses no money, so it is allowed
    zero_eth = schedule_flows(InflowConfig(split={"BTC": 1.0, "ETH": 0.0}), days, ["BTC"])
    assert zero_eth.assets == ["BTC"]
    only_btc = schedule_flows(InflowConfig(split={"BTC": 1.0}), days, ASSETS)
    assert not only_btc.net_flow_usd["ETH"].any()
    assert only_btc.net_flow_usd["BTC"].sum() > 0


def test_direct_flows_plus_the_sleeves_contributions_are_the_whole_allocation():
    days = _days("2025-01-01", "2028-12-31")
    whole = schedule_flows(InflowConfig(), days, ASSETS)
    split = schedule_flows(InflowConfig(sleeve_share=0.4, sleeve_crypto_weight=0.05), days, ASSETS)
    sleeve = split.sleeve
    assert sleeve is not None
    assert sleeve.target_weight == pytest.approx({"BTC": 0.04, "ETH": 0.01})
    recombined = split.net_flow_usd + sleeve.contribution_purchases_usd()
    np.testing.assert_allclose(recombined.to_numpy(), whole.net_flow_usd.to_numpy(), rtol=1e-12)
    # the fund receives 1 / 0.05 = 20 dollars of new money per sleeve dollar of crypto
    assert sleeve.contribution_usd.sum() == pytest.approx(0.4 * _total(whole) / 0.05)
    assert sleeve.initial_fund_usd == 0.0
    assert math.isinf(sleeve.drift_band)


def test_sleeve_rebalances_on_calendar_days_from_its_start():
    config = InflowConfig(sleeve_share=0.5, sleeve_rebalance="monthly", sleeve_drift_band=0.01)
    sleeve = schedule_flows(config, _days("2025-01-01", "2026-12-31"), ASSETS).sleeve
    assert sleeve is not None
    assert sleeve.start_day == pd.Timestamp("2026-02-09", tz="UTC")  # 02-07 is a Saturday
    flagged = [stamp.date() for stamp in sleeve.rebalance_day.index[sleeve.rebalance_day]]
    assert flagged[0] == dt.date(2026, 2, 27) and len(flagged) == 11
    assert dt.date(2026, 7, 31) in flagged and dt.date(2025, 12, 31) not in flagged
    assert sleeve.drift_band == 0.01
    never = InflowConfig(sleeve_share=0.5, sleeve_rebalance="none")
    none_sleeve = schedule_flows(never, _days("2025-01-01", "2026-12-31"), ASSETS).sleeve
    assert none_sleeve is not None and not none_sleeve.rebalance_day.any()


def test_bad_study_days_are_refused():
    config = InflowConfig()
    gappy = _days("2025-01-01", "2025-01-10").delete(3)
    with pytest.raises(InputError, match="every calendar day"):
        schedule_flows(config, gappy, ASSETS)
    with pytest.raises(InputError, match="no days"):
        schedule_flows(config, pd.DatetimeIndex([], tz="UTC"), ASSETS)
    with pytest.raises(InputError, match="at least one asset"):
        schedule_flows(config, _days("2025-01-01", "2025-01-10"), [])


def test_naive_days_are_read_as_utc():
    naive = pd.date_range("2025-01-01", "2027-12-31", freq="D")
    schedule = schedule_flows(InflowConfig(), naive, ASSETS)
    assert str(schedule.days.tz) == "UTC"
    assert schedule.flows_usd.equals(
        schedule_flows(InflowConfig(), _days("2025-01-01", "2027-12-31"), ASSETS).flows_usd
    )


def _fields(config: InflowConfig) -> dict:
    return {name: getattr(config, name) for name in InflowConfig.__dataclass_fields__}
