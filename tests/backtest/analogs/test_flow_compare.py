"""Flow comparison: cumulative ETF flows beside scenario flows, counted from each one's day 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest.analogs.flow_compare import compare_flows
from flowimpact.errors import InputError


def etf_table(start: str, daily_usd: list[float]) -> pd.DataFrame:
    days = pd.date_range(start, periods=len(daily_usd), freq="D", tz="UTC", name="date")
    return pd.DataFrame({"ibit_usd": daily_usd, "total_usd": daily_usd}, index=days)


def scenario_table(columns: dict, start: str = "2026-01-01", n_days: int = 800) -> pd.DataFrame:
    days = pd.date_range(start, periods=n_days, freq="D", tz="UTC")
    return pd.DataFrame({key: fn(np.arange(n_days)) for key, fn in columns.items()}, index=days)


# the ETFs: two days of zeros before launch, then $5M a day for 400 days
ETF = {"BTC": etf_table("2024-01-09", [0.0, 0.0] + [5e6] * 400)}


def test_days_to_match_the_etf_first_year() -> None:
    flows = scenario_table(
        {
            ("fast", "BTC"): lambda d: np.where(d >= 31, 10e6, 0.0),  # starts on day 31
            ("slow", "BTC"): lambda d: np.full(len(d), 1e6),  # 800 days x $1M < $1,825M
            ("fast", "ETH"): lambda d: np.full(len(d), 1e9),  # no ETH ETFs given: no row
        }
    )
    flows.columns = pd.MultiIndex.from_tuples(flows.columns)
    result = compare_flows(ETF, flows)
    table = result.table.set_index("scenario")
    assert list(table.index) == ["fast", "slow"] and set(table["etf_asset"]) == {"BTC"}
    assert table.loc["fast", "etf_launch"] == "2024-01-11"
    assert table.loc["fast", "etf_year1_usd"] == pytest.approx(365 * 5e6)
    assert table.loc["fast", "etf_to_date_usd"] == pytest.approx(400 * 5e6)
    assert table.loc["fast", "scenario_start"] == "2026-02-01"
    # $10M a day reaches $1,825M on the 183rd day, i.e. day 182 counted from 0
    assert table.loc["fast", "days_to_match_etf_year1"] == 182
    assert table.loc["fast", "scenario_year1_usd"] == pytest.approx(365 * 10e6)
    assert table.loc["fast", "scenario_year1_to_etf_year1"] == pytest.approx(2.0)
    assert np.isnan(table.loc["slow", "days_to_match_etf_year1"])


def test_cumulative_curves_start_at_each_day_0() -> None:
    flows = scenario_table({"s1": lambda d: np.where(d >= 10, 2e6, 0.0)}, n_days=50)
    curves = compare_flows(ETF, flows).cumulative
    etf = curves[curves["kind"] == "etf"]
    assert etf["days_since_start"].iloc[0] == 0
    assert etf["date"].iloc[0] == pd.Timestamp("2024-01-11", tz="UTC")
    assert etf["cumulative_usd"].iloc[9] == pytest.approx(10 * 5e6)
    scenario = curves[curves["series"] == "s1"]
    assert len(scenario) == 40 and scenario["days_since_start"].tolist() == list(range(40))
    assert scenario["cumulative_usd"].iloc[0] == 2e6
    assert scenario["cumulative_usd"].iloc[-1] == pytest.approx(40 * 2e6)


def test_a_column_without_an_asset_is_compared_with_every_etf() -> None:
    etfs = {**ETF, "ETH": etf_table("2024-07-23", [1e6] * 400)}
    flows = scenario_table({"s1": lambda d: np.full(len(d), 3e6)})
    table = compare_flows(etfs, flows).table
    assert table["etf_asset"].tolist() == ["BTC", "ETH"]
    # $3M a day: ETH's $365M first year on day 121, BTC's $1,825M on day 608
    assert table["days_to_match_etf_year1"].tolist() == [608, 121]


def test_an_etf_history_shorter_than_the_horizon_gives_no_year_one() -> None:
    flows = scenario_table({"s1": lambda d: np.full(len(d), 3e6)})
    table = compare_flows({"BTC": etf_table("2024-01-11", [1e6] * 100)}, flows).table
    assert np.isnan(table["etf_year1_usd"].iloc[0])
    assert np.isnan(table["days_to_match_etf_year1"].iloc[0])
    short = compare_flows({"BTC": etf_table("2024-01-11", [1e6] * 100)}, flows, horizon_days=30)
    assert short.table["etf_year1_usd"].iloc[0] == pytest.approx(30e6)
    assert short.table["days_to_match_etf_year1"].iloc[0] == 9


def test_bad_inputs_are_input_errors() -> None:
    flows = scenario_table({"s1": lambda d: np.full(len(d), 3e6)})
    with pytest.raises(InputError, match="no total_usd"):
        compare_flows({"BTC": ETF["BTC"].drop(columns="total_usd")}, flows)
    with pytest.raises(InputError, match="scenario flow table is empty"):
        compare_flows(ETF, flows.iloc[:, :0])
    with pytest.raises(InputError, match="horizon_days"):
        compare_flows(ETF, flows, horizon_days=0)
    with pytest.raises(InputError, match="no non-zero day"):
        compare_flows({"BTC": etf_table("2024-01-11", [0.0] * 5)}, flows)


def test_real_btc_etf_first_year_matches_the_raw_table(shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "etf_flows" / "farside_btc_etf_flows_daily.csv")
    table = raw.set_index(pd.DatetimeIndex(pd.to_datetime(raw["date"]), name="date"))
    table = table.drop(columns="date").rename(columns=lambda c: f"{c.lower()}_usd") * 1e6
    flows = scenario_table({"s1": lambda d: np.full(len(d), 100e6)})
    result = compare_flows({"BTC": table}, flows)
    row = result.table.iloc[0]
    first_year_musd = sum(float(v) for v in raw["Total"].iloc[:365])  # rows are calendar days
    assert row["etf_launch"] == "2024-01-11"
    assert row["etf_year1_usd"] == pytest.approx(first_year_musd * 1e6)
    assert row["etf_to_date_usd"] == pytest.approx(54_550e6, rel=0.01)  # SOURCES.md
    expected_day = int(np.ceil(first_year_musd / 100)) - 1
    assert row["days_to_match_etf_year1"] == expected_day
