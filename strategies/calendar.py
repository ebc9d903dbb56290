"""US settlement days and payroll calendars, as UTC day indexes.

Every function returns a tz-aware UTC ``DatetimeIndex`` of midnights (one UTC day per entry, the
project's convention). Inputs may be naive (read as UTC days) or tz-aware (converted to UTC, then
cut to the day). Everything is computed with array operations: no Python loop per day.

Settlement days. 401(k) money reaches crypto through funds and ETFs: a contribution or a
reallocation buys fund shares, and the fund creates ETF shares, on US business days only. So a
flow dated on a weekend or an NYSE holiday is executed on the next settlement day (the money
waits; it does not arrive early). NYSE holidays come from the ``holidays`` package
(``holidays.financial_holidays("NYSE")``), special closures included (e.g. 2025-01-09). Bank
holidays on which the NYSE trades (Columbus Day, Veterans Day) count as settlement days: a
simplification, since fund trades are struck on NYSE days. The rule ``"every_day"`` turns the
calendar off (every calendar day settles), for idealised studies and closed-form checks.

Payroll calendars (pay dates before settlement):

- ``biweekly``: every other Friday, counted from an anchor Friday;
- ``semimonthly``: the 15th and the last day of each month;
- ``monthly``: the last day of each month.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Literal, TypeAlias, get_args

import holidays
import numpy as np
import pandas as pd

from flowimpact.errors import ConfigError
from flowimpact.units import MEAN_CALENDAR_YEAR_DAYS

SettlementRule = Literal["nyse", "every_day"]
PayrollCalendar = Literal["biweekly", "semimonthly", "monthly"]
RebalanceSchedule = Literal["monthly", "quarterly", "none"]
SETTLEMENT_RULES: tuple[str, ...] = get_args(SettlementRule)
PAYROLL_CALENDARS: tuple[str, ...] = get_args(PayrollCalendar)
REBALANCE_SCHEDULES: tuple[str, ...] = get_args(RebalanceSchedule)

#: Pay dates per year of each calendar. Bi-weekly uses the long-run average (365.25 / 14, about
#: 26.09) so that an annual contribution spread over it adds up to the annual figure on average,
#: whether a year has 26 or 27 bi-weekly Fridays.
PAY_PERIODS_PER_YEAR: dict[str, float] = {
    "biweekly": MEAN_CALENDAR_YEAR_DAYS / 14,
    "semimonthly": 24.0,
    "monthly": 12.0,
}

_FRIDAY = 4
# The longest run of consecutive non-settlement days is a holiday weekend plus special closures
# (e.g. 2001-09-11..14); 20 days of look-ahead covers any of them.
_LOOKAHEAD_DAYS = 20

DayLike: TypeAlias = str | dt.date | pd.Timestamp


def utc_day(value: DayLike) -> pd.Timestamp:
    """``value`` as the UTC midnight of its day (naive input is read as UTC)."""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.normalize()


def utc_days(values: Iterable[DayLike] | pd.DatetimeIndex) -> pd.DatetimeIndex:
    """``values`` as a UTC ``DatetimeIndex`` of midnights (naive input is read as UTC)."""
    index = pd.DatetimeIndex(values)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return index.normalize()


def nyse_holidays(start: DayLike, end: DayLike) -> pd.DatetimeIndex:
    """NYSE full-day closures (weekday holidays and special closures) from ``start`` to ``end``."""
    first, last = utc_day(start), utc_day(end)
    if last < first:
        return utc_days([])
    closed = _nyse_closures(first.year, last.year)
    return closed[(closed >= first) & (closed <= last)]


@functools.lru_cache(maxsize=32)
def _nyse_closures(first_year: int, last_year: int) -> pd.DatetimeIndex:
    """The NYSE closures of those years, built once per range: a sensitivity analysis asks for
    the same years in every chunk, and ``holidays`` takes about 3 ms to build them (an index
    is immutable, so every caller can share it)."""
    calendar = holidays.financial_holidays("NYSE", years=range(first_year, last_year + 1))
    return utc_days(sorted(calendar.keys()))


def settlement_days(start: DayLike, end: DayLike, *, rule: str = "nyse") -> pd.DatetimeIndex:
    """Every settlement day from ``start`` to ``end`` (both included) under ``rule``."""
    _check_rule(rule)
    # a new Index object over the cached days: a caller that renames it renames its own
    return _settlement_days(utc_day(start), utc_day(end), rule).copy()


@functools.lru_cache(maxsize=64)
def _settlement_days(first: pd.Timestamp, last: pd.Timestamp, rule: str) -> pd.DatetimeIndex:
    """``settlement_days`` of UTC midnights, once per range and rule: the schedules of every
    chunk of a run or analysis roll their days over the same window (an immutable index)."""
    every_day = pd.date_range(first, last, freq="D")
    if rule == "every_day":
        return every_day
    weekday = every_day[every_day.day_of_week < 5]
    return weekday[~weekday.isin(nyse_holidays(first, last))]


def is_settlement_day(days: Iterable[DayLike], *, rule: str = "nyse") -> np.ndarray:
    """Boolean array: is each of ``days`` a settlement day under ``rule``."""
    index = utc_days(days)
    if index.empty:
        return np.zeros(0, dtype=bool)
    return np.asarray(index.isin(settlement_days(index.min(), index.max(), rule=rule)))


def next_settlement_day(days: Iterable[DayLike], *, rule: str = "nyse") -> pd.DatetimeIndex:
    """Each of ``days`` rolled forward to the first settlement day on or after it.

    A settlement day maps to itself; a Saturday before an ordinary Monday maps to that Monday;
    2026-07-03 (Independence Day observed, a Friday) maps to Monday 2026-07-06.
    """
    index = utc_days(days)
    if index.empty:
        return index
    open_days = settlement_days(
        index.min(), index.max() + pd.Timedelta(days=_LOOKAHEAD_DAYS), rule=rule
    )
    position = np.searchsorted(open_days.asi8, index.as_unit(open_days.unit).asi8, side="left")
    return pd.DatetimeIndex(open_days[position])


def pay_dates(
    calendar: str, start: DayLike, end: DayLike, *, anchor: DayLike = "2025-01-03"
) -> pd.DatetimeIndex:
    """Nominal pay dates of ``calendar`` from ``start`` to ``end`` (both included), unrolled.

    ``anchor`` is one pay Friday of a bi-weekly calendar (ignored by the others); pay dates are
    ``anchor + 14·k`` days for every whole ``k``, before or after the anchor.
    """
    first, last = utc_day(start), utc_day(end)
    if calendar not in PAYROLL_CALENDARS:
        raise ConfigError(
            f"payroll calendar {calendar!r} is unknown; allowed: {', '.join(PAYROLL_CALENDARS)}"
        )
    if last < first:
        return utc_days([])
    if calendar == "biweekly":
        anchor_day = utc_day(anchor)
        if anchor_day.day_of_week != _FRIDAY:
            raise ConfigError(f"payroll anchor {anchor_day.date()} is not a Friday; give a Friday")
        k_first = -((anchor_day - first).days // 14)  # ceil((first - anchor) / 14)
        k_last = (last - anchor_day).days // 14
        return anchor_day + pd.to_timedelta(np.arange(k_first, k_last + 1) * 14, unit="D")
    month_ends = pd.date_range(first, last + pd.offsets.MonthEnd(0), freq="ME")
    if calendar == "monthly":
        dates = month_ends
    else:
        month_starts = pd.date_range(first - pd.offsets.MonthBegin(1), last, freq="MS")
        dates = month_ends.union(month_starts + pd.Timedelta(days=14))
    return dates[(dates >= first) & (dates <= last)]


def payroll_settlement_days(
    calendar: str,
    start: DayLike,
    end: DayLike,
    *,
    anchor: DayLike = "2025-01-03",
    rule: str = "nyse",
) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Nominal pay dates in ``[start, end]`` and the settlement day each one's money lands on.

    Both indexes have one entry per pay date, in the same order; a settlement day may lie after
    ``end`` when the last pay date falls on a closed day.
    """
    nominal = pay_dates(calendar, start, end, anchor=anchor)
    return nominal, next_settlement_day(nominal, rule=rule)


def rebalance_days(
    schedule: str, start: DayLike, end: DayLike, *, rule: str = "nyse"
) -> pd.DatetimeIndex:
    """The last settlement day of each month (``monthly``) or quarter (``quarterly``) in range.

    Funds rebalance on their last trading day of the period (assumption: the common practice of
    month- and quarter-end rebalancing). ``none`` gives no day. A period whose last settlement day
    lies after ``end`` has no rebalance in range.
    """
    if schedule not in REBALANCE_SCHEDULES:
        raise ConfigError(
            f"rebalance schedule {schedule!r} is unknown; allowed: {', '.join(REBALANCE_SCHEDULES)}"
        )
    first, last = utc_day(start), utc_day(end)
    if schedule == "none" or last < first:
        return utc_days([])
    open_days = settlement_days(first, last, rule=rule)
    if open_days.empty:
        return open_days
    months = open_days.month if schedule == "monthly" else (open_days.month - 1) // 3
    period = open_days.year * 12 + months
    is_last = np.r_[period[1:] != period[:-1], True]
    candidates = open_days[is_last]
    # the last open day in range closes its period only if no settlement day follows in it
    period_end = (
        candidates + pd.offsets.MonthEnd(0)
        if schedule == "monthly"
        else candidates + pd.offsets.QuarterEnd(0)
    )
    complete = period_end <= last
    if not complete[-1]:
        tail = settlement_days(candidates[-1] + pd.Timedelta(days=1), period_end[-1], rule=rule)
        complete[-1] = tail.empty
    return candidates[complete]


def _check_rule(rule: str) -> None:
    if rule not in SETTLEMENT_RULES:
        raise ConfigError(
            f"settlement rule {rule!r} is unknown; allowed: {', '.join(SETTLEMENT_RULES)}"
        )


__all__ = [
    "PAYROLL_CALENDARS",
    "PAY_PERIODS_PER_YEAR",
    "REBALANCE_SCHEDULES",
    "SETTLEMENT_RULES",
    "is_settlement_day",
    "next_settlement_day",
    "nyse_holidays",
    "pay_dates",
    "payroll_settlement_days",
    "rebalance_days",
    "settlement_days",
    "utc_day",
    "utc_days",
]
