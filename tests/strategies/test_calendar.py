"""US settlement days and payroll calendars (strategies/calendar.py).

The oracle for holidays is the ``holidays`` package read directly, day by day, so the tests do
not reuse the vectorised code they check.
"""

from __future__ import annotations

import datetime as dt

import holidays
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowimpact.errors import ConfigError
from strategies.calendar import (
    PAY_PERIODS_PER_YEAR,
    is_settlement_day,
    next_settlement_day,
    nyse_holidays,
    pay_dates,
    payroll_settlement_days,
    rebalance_days,
    settlement_days,
    utc_day,
)

NYSE = holidays.financial_holidays("NYSE", years=range(1999, 2041))
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2039, 12, 31))


def _open(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in NYSE


def _as_dates(index: pd.DatetimeIndex) -> list[dt.date]:
    return [stamp.date() for stamp in index]


# --- settlement days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "why"),
    [
        ("2026-07-03", "Independence Day observed (Friday)"),
        ("2026-11-26", "Thanksgiving"),
        ("2025-01-09", "national day of mourning, Jimmy Carter"),
        ("2025-04-18", "Good Friday"),
        ("2025-12-25", "Christmas"),
        ("2025-08-09", "Saturday"),
        ("2025-08-10", "Sunday"),
    ],
)
def test_closed_days_are_not_settlement_days(day, why):
    assert not is_settlement_day([day])[0], why


@pytest.mark.parametrize("day", ["2025-10-13", "2025-11-11", "2025-08-07", "2026-07-06"])
def test_bank_holidays_and_ordinary_days_settle(day):
    # Columbus Day and Veterans Day are NYSE trading days
    assert is_settlement_day([day])[0]


def test_2025_has_250_nyse_trading_days():
    # 261 weekdays minus 11 weekday closures (10 regular holidays and 2025-01-09)
    assert len(settlement_days("2025-01-01", "2025-12-31")) == 250


def test_holidays_in_range_are_weekday_closures():
    closed = nyse_holidays("2026-01-01", "2026-12-31")
    assert pd.Timestamp("2026-07-03", tz="UTC") in closed
    assert pd.Timestamp("2026-11-26", tz="UTC") in closed
    assert len(closed) == 10
    assert nyse_holidays("2026-02-01", "2026-01-01").empty


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-07-03", "2026-07-06"),
        ("2026-07-04", "2026-07-06"),
        ("2026-11-26", "2026-11-27"),
        ("2025-08-09", "2025-08-11"),
        ("2025-12-25", "2025-12-26"),
        ("2025-01-09", "2025-01-10"),
        ("2025-04-18", "2025-04-21"),  # Good Friday, then the weekend
        ("2025-08-07", "2025-08-07"),  # a settlement day maps to itself
    ],
)
def test_next_settlement_day_known_cases(day, expected):
    assert next_settlement_day([day])[0] == pd.Timestamp(expected, tz="UTC")


@settings(max_examples=200, deadline=None)
@given(day=dates)
def test_next_settlement_day_is_the_first_open_day_on_or_after(day):
    rolled = next_settlement_day([day])[0].date()
    assert rolled >= day
    assert _open(rolled)
    gap = [day + dt.timedelta(days=k) for k in range((rolled - day).days)]
    assert not any(_open(d) for d in gap)


@settings(max_examples=50, deadline=None)
@given(start=dates, length_days=st.integers(0, 400))
def test_settlement_days_match_the_day_by_day_oracle(start, length_days):
    end = start + dt.timedelta(days=length_days)
    expected = [
        start + dt.timedelta(days=k)
        for k in range(length_days + 1)
        if _open(start + dt.timedelta(days=k))
    ]
    assert _as_dates(settlement_days(start, end)) == expected


def test_every_day_rule_settles_every_day():
    assert len(settlement_days("2026-07-01", "2026-07-31", rule="every_day")) == 31
    assert next_settlement_day(["2026-07-04"], rule="every_day")[0].date() == dt.date(2026, 7, 4)


def test_outputs_are_utc_days_and_inputs_are_read_as_utc():
    # 23:00 in New York on 2026-07-02 is 2026-07-03 in UTC: a holiday, so it rolls to 07-06
    rolled = next_settlement_day([pd.Timestamp("2026-07-02 23:00", tz="America/New_York")])
    assert str(rolled.tz) == "UTC"
    assert rolled[0] == pd.Timestamp("2026-07-06", tz="UTC")
    # a naive timestamp is a UTC time; the result is its day's midnight
    assert utc_day("2026-07-02 23:00") == pd.Timestamp("2026-07-02", tz="UTC")
    assert str(settlement_days("2026-01-01", "2026-01-10").tz) == "UTC"
    assert next_settlement_day([]).empty


def test_unknown_settlement_rule_is_refused():
    with pytest.raises(ConfigError, match=r"settlement rule 'lse'.*nyse, every_day"):
        settlement_days("2026-01-01", "2026-01-10", rule="lse")


# --- payroll calendars -------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(start=dates, length_days=st.integers(0, 800))
def test_biweekly_pay_dates_are_every_other_friday_from_the_anchor(start, length_days):
    end = start + dt.timedelta(days=length_days)
    anchor = dt.date(2025, 1, 3)
    paid = _as_dates(pay_dates("biweekly", start, end, anchor=anchor))
    assert all(start <= d <= end for d in paid)
    assert all(d.weekday() == 4 and (d - anchor).days % 14 == 0 for d in paid)
    # complete: no pay Friday in range is missing at either end or in between
    every = [
        start + dt.timedelta(days=k)
        for k in range(length_days + 1)
        if ((start + dt.timedelta(days=k)) - anchor).days % 14 == 0
    ]
    assert paid == every


def test_biweekly_calendar_has_26_or_27_pay_dates_a_year():
    counts = {len(pay_dates("biweekly", f"{y}-01-01", f"{y}-12-31")) for y in range(2020, 2040)}
    assert counts == {26, 27}
    assert PAY_PERIODS_PER_YEAR["biweekly"] == pytest.approx(365.25 / 14)


def test_semimonthly_pay_dates_are_the_15th_and_the_last_day():
    paid = _as_dates(pay_dates("semimonthly", "2028-01-20", "2028-03-15"))
    assert paid == [
        dt.date(2028, 1, 31),
        dt.date(2028, 2, 15),
        dt.date(2028, 2, 29),  # leap year
        dt.date(2028, 3, 15),
    ]


def test_monthly_pay_dates_are_month_ends():
    paid = _as_dates(pay_dates("monthly", "2025-01-31", "2025-04-29"))
    assert paid == [dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 3, 31)]
    assert pay_dates("monthly", "2025-02-01", "2025-01-01").empty


def test_pay_dates_roll_to_the_next_settlement_day():
    nominal, settled = payroll_settlement_days(
        "biweekly", "2026-06-01", "2026-07-31", anchor="2026-07-03"
    )
    assert len(nominal) == len(settled)
    pairs = dict(zip(_as_dates(nominal), _as_dates(settled), strict=True))
    assert pairs[dt.date(2026, 7, 3)] == dt.date(2026, 7, 6)  # Independence Day observed
    assert pairs[dt.date(2026, 7, 17)] == dt.date(2026, 7, 17)
    assert all(is_settlement_day(settled))
    assert np.all(settled >= nominal)
    # May 31 2026 is a Sunday: the month-end pay date lands on Monday June 1
    _, monthly = payroll_settlement_days("monthly", "2026-05-01", "2026-05-31")
    assert _as_dates(monthly) == [dt.date(2026, 6, 1)]


def test_bad_payroll_inputs_are_refused():
    with pytest.raises(ConfigError, match="payroll calendar 'weekly' is unknown"):
        pay_dates("weekly", "2025-01-01", "2025-12-31")
    with pytest.raises(ConfigError, match="2025-01-02 is not a Friday"):
        pay_dates("biweekly", "2025-01-01", "2025-12-31", anchor="2025-01-02")


# --- rebalance days ----------------------------------------------------------------------------


def test_monthly_rebalances_fall_on_each_months_last_settlement_day():
    days = _as_dates(rebalance_days("monthly", "2025-01-01", "2025-12-31"))
    assert len(days) == 12
    assert dt.date(2025, 5, 30) in days  # May 31 is a Saturday
    assert dt.date(2025, 8, 29) in days  # Aug 30-31 are a weekend
    for day in days:
        after = next_settlement_day([day + dt.timedelta(days=1)])[0].date()
        assert _open(day) and after.month != day.month


def test_quarterly_rebalances_and_incomplete_periods():
    days = _as_dates(rebalance_days("quarterly", "2026-01-01", "2026-12-31"))
    assert days == [
        dt.date(2026, 3, 31),
        dt.date(2026, 6, 30),
        dt.date(2026, 9, 30),
        dt.date(2026, 12, 31),
    ]
    # May 2025 is not over on the 29th (the 30th settles), so it has no rebalance yet
    assert _as_dates(rebalance_days("monthly", "2025-05-01", "2025-05-29")) == []
    # ... but it is over on the 30th even though the 31st is still ahead (a Saturday)
    assert _as_dates(rebalance_days("monthly", "2025-05-01", "2025-05-30")) == [
        dt.date(2025, 5, 30)
    ]
    assert rebalance_days("none", "2025-01-01", "2025-12-31").empty
    with pytest.raises(ConfigError, match="rebalance schedule 'yearly'"):
        rebalance_days("yearly", "2025-01-01", "2025-12-31")


def test_settlement_days_once_per_range_give_every_caller_its_own_index() -> None:
    first = settlement_days("2026-06-29", "2026-07-10")
    first.name = "renamed by a caller"
    again = settlement_days("2026-06-29", "2026-07-10")
    assert again.name is None
    assert again.equals(first) and pd.Timestamp("2026-07-03", tz="UTC") not in again
