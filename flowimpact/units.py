"""Unit and calendar numbers that several packages share: the one home of each.

A number that is merely equal to one of these but means something else (a 30-day window, a
minimum of 30 observations, a one-year default horizon chosen as an assumption) is not one of
them and stays where it is decided.
"""

from __future__ import annotations

#: Days in a year of crypto trading: the market never closes, so annualising a daily return
#: or volatility uses all 365 calendar days (not an equity market's 252 trading days).
DAYS_PER_YEAR = 365

#: Mean length of a calendar year in days, leap years included (the Julian year): turns
#: elapsed days into years for growth and withdrawal rates, and gives 365.25 / 14 bi-weekly
#: pay dates a year on average.
MEAN_CALENDAR_YEAR_DAYS = 365.25

USD_PER_MILLION = 1_000_000.0
USD_PER_BILLION = 1_000_000_000.0

#: Basis points in one whole (a fraction × 10,000 = basis points).
BPS_PER_UNIT = 10_000.0

__all__ = [
    "BPS_PER_UNIT",
    "DAYS_PER_YEAR",
    "MEAN_CALENDAR_YEAR_DAYS",
    "USD_PER_BILLION",
    "USD_PER_MILLION",
]
