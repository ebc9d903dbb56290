"""FlowSchedule and SleeveSpec (strategies/inflow_schedule.py) on hand-written flow tables."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from strategies.inflow_schedule import COMPONENTS, FlowSchedule, SleeveSpec, _day_text

DAYS = pd.date_range("2026-03-02", periods=5, freq="D", tz="UTC")


def _schedule(sleeve: SleeveSpec | None = None) -> FlowSchedule:
    columns = pd.MultiIndex.from_product([["BTC", "ETH"], COMPONENTS], names=["asset", "component"])
    #        BTC: realloc payroll withdrawal | ETH: realloc payroll withdrawal
    values = np.array(
        [
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [100.0, 0.0, 0.0, 25.0, 0.0, 0.0],
            [0.0, 40.0, -1.0, 0.0, 10.0, -0.5],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, -300.0, 0.0, 0.0, 0.0],
        ]
    )
    flows = pd.DataFrame(values, index=DAYS, columns=columns)
    return FlowSchedule(flows_usd=flows, weights={"BTC": 0.8, "ETH": 0.2}, sleeve=sleeve)


def _sleeve() -> SleeveSpec:
    return SleeveSpec(
        target_weight={"BTC": 0.04, "ETH": 0.01},
        initial_fund_usd=0.0,
        contribution_usd=pd.Series([0.0, 1000.0, 0.0, 0.0, -200.0], index=DAYS),
        rebalance_day=pd.Series([False, False, False, True, False], index=DAYS),
        drift_band=math.inf,
        start_day=DAYS[1],
    )


def test_net_flow_adds_the_components_per_asset():
    net = _schedule().net_flow_usd
    assert list(net.columns) == ["BTC", "ETH"]
    assert net["BTC"].tolist() == [0.0, 100.0, 39.0, 0.0, -300.0]
    assert net["ETH"].tolist() == [0.0, 25.0, 9.5, 0.0, 0.0]


def test_summary_by_hand():
    summary = _schedule().summary()
    btc, eth = summary.loc["BTC"], summary.loc["ETH"]
    assert btc["total_usd"] == pytest.approx(-161.0)
    assert btc["reallocation_usd"] == 100.0 and btc["withdrawal_usd"] == -301.0
    assert btc["first_flow_day"] == DAYS[1] and btc["last_flow_day"] == DAYS[4]
    assert btc["peak_daily_flow_usd"] == -300.0  # the largest day, with its sign
    assert btc["flow_days"] == 3
    assert eth["total_usd"] == pytest.approx(34.5)
    assert eth["last_flow_day"] == DAYS[2] and eth["flow_days"] == 2
    assert eth["peak_daily_flow_usd"] == 25.0
    assert "sleeve_contribution_usd" not in summary.columns


def test_summary_of_an_empty_schedule_has_no_flow_days():
    schedule = _schedule()
    quiet = FlowSchedule(flows_usd=schedule.flows_usd * 0.0, weights=schedule.weights)
    summary = quiet.summary()
    assert summary["flow_days"].eq(0).all()
    assert summary["first_flow_day"].isna().all()
    assert summary["peak_daily_flow_usd"].eq(0.0).all()


def test_headline_by_hand_and_as_the_summary_says():
    schedule = _schedule()
    headline = schedule.headline()
    assert headline.first_index.tolist() == [1, 1] and headline.last_index.tolist() == [4, 2]
    assert headline.peak_daily_flow_usd.tolist() == [-300.0, 25.0]
    assert headline.day(headline.last_index) == [DAYS[4], DAYS[2]]
    summary = schedule.summary()
    assert summary["total_usd"].tolist() == headline.total_usd.tolist()
    quiet = FlowSchedule(flows_usd=schedule.flows_usd * 0.0, weights=schedule.weights)
    assert quiet.headline().first_index.tolist() == [-1, -1]
    assert quiet.headline().day(quiet.headline().first_index) == [None, None]


def test_to_frame_is_one_row_per_day_and_asset():
    table = _schedule().to_frame()
    assert list(table.columns) == [
        "day",
        "asset",
        "reallocation_usd",
        "payroll_usd",
        "withdrawal_usd",
        "net_usd",
    ]
    assert len(table) == 10
    assert table.loc[2, ["day", "asset", "net_usd"]].tolist() == ["2026-03-03", "BTC", 100.0]
    assert table["net_usd"].sum() == pytest.approx(-161.0 + 34.5)
    nonzero = _schedule().to_frame(nonzero_only=True)
    assert len(nonzero) == 5
    assert (nonzero[["reallocation_usd", "payroll_usd", "withdrawal_usd"]].ne(0).any(axis=1)).all()


def _pandas_to_frame(schedule: FlowSchedule, *, nonzero_only: bool) -> pd.DataFrame:
    """The table as pandas builds it (stack, reindex, row sums): the oracle of to_frame."""
    long = schedule.flows_usd.stack("asset", future_stack=True)
    long = long.reindex(columns=list(COMPONENTS))
    long.columns = [f"{component}_usd" for component in COMPONENTS]
    long["net_usd"] = long.sum(axis=1)
    if schedule.sleeve is not None:
        bought = schedule.sleeve.contribution_purchases_usd()
        bought = bought.reindex(columns=schedule.assets, fill_value=0.0)
        long["sleeve_contribution_usd"] = bought.stack().reindex(long.index).fillna(0.0)
    long = long.reset_index()
    long = long.rename(columns={long.columns[0]: "day"})
    days = pd.DatetimeIndex(schedule.flows_usd.index)
    long["day"] = _day_text(days).take(days.get_indexer(pd.DatetimeIndex(long["day"])))
    if nonzero_only:
        value_columns = [c for c in long.columns if c.endswith("_usd")]
        long = long[long[value_columns].ne(0.0).any(axis=1)].reset_index(drop=True)
    return long


@pytest.mark.parametrize("with_sleeve", [False, True])
@pytest.mark.parametrize("nonzero_only", [False, True])
def test_to_frame_is_pandas_table_bit_for_bit(with_sleeve: bool, nonzero_only: bool) -> None:
    rng = np.random.default_rng(3)
    days = pd.date_range("2026-03-02", periods=300, freq="D", tz="UTC")
    # three components of mixed signs and sizes: sums whose rounding depends on their order
    values = rng.normal(0.0, 1e8, (len(days), 6)) * 10.0 ** rng.integers(-3, 4, (len(days), 6))
    values[rng.random(values.shape) < 0.1] = 0.0
    values[3] = 0.0  # a day without flow on either asset
    sleeve = None
    if with_sleeve:
        contribution = pd.Series(rng.uniform(0.0, 1e3, len(days)), index=days)
        contribution.iloc[3] = 0.0
        sleeve = dataclasses.replace(
            _sleeve(),
            contribution_usd=contribution,
            rebalance_day=pd.Series(False, index=days),
            start_day=days[1],
        )
    flows = pd.DataFrame(values, index=days, columns=_schedule().flows_usd.columns)
    schedule = FlowSchedule(flows_usd=flows, weights={"BTC": 0.8, "ETH": 0.2}, sleeve=sleeve)
    found = schedule.to_frame(nonzero_only=nonzero_only)
    expected = _pandas_to_frame(schedule, nonzero_only=nonzero_only)
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
    assert found["net_usd"].to_numpy().tobytes() == expected["net_usd"].to_numpy().tobytes()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_component_totals_are_pandas_sums_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2026-03-02", periods=700, freq="D", tz="UTC")
    # mixed signs over seven decades: sums whose rounding depends on their order
    values = rng.normal(0.0, 1e8, (len(days), 6)) * 10.0 ** rng.integers(-3, 4, (len(days), 6))
    values[rng.random(values.shape) < 0.05] = np.nan
    values[:, 5] = -0.0  # ETH's withdrawal: -0.0 on every day, its total -0.0 as in pandas
    flows = pd.DataFrame(values, index=days, columns=_schedule().flows_usd.columns)
    schedule = FlowSchedule(flows_usd=flows, weights={"BTC": 0.8, "ETH": 0.2})
    found = schedule.component_totals_usd()
    for component in COMPONENTS:
        expected = float(flows.xs(component, axis=1, level="component").sum().sum())
        assert np.float64(found[component]).tobytes() == np.float64(expected).tobytes()


def test_sleeve_purchases_show_in_summary_and_table():
    schedule = _schedule(_sleeve())
    bought = schedule.sleeve.contribution_purchases_usd()
    assert bought.loc[DAYS[1]].tolist() == [40.0, 10.0]
    assert bought.loc[DAYS[4]].tolist() == [-8.0, -2.0]
    summary = schedule.summary()
    assert summary.loc["BTC", "sleeve_contribution_usd"] == pytest.approx(32.0)
    table = schedule.to_frame()
    row = table[(table["day"] == "2026-03-03") & (table["asset"] == "ETH")]
    assert row["sleeve_contribution_usd"].item() == 10.0


def test_sleeve_spec_refuses_inconsistent_inputs():
    good = _sleeve()
    with pytest.raises(ValueError, match="same days"):
        SleeveSpec(**{**good.__dict__, "rebalance_day": good.rebalance_day.iloc[1:]})
    with pytest.raises(ValueError, match="boolean"):
        SleeveSpec(**{**good.__dict__, "rebalance_day": good.rebalance_day.astype(int)})
    with pytest.raises(ValueError, match="more than the whole fund"):
        SleeveSpec(**{**good.__dict__, "target_weight": {"BTC": 0.9, "ETH": 0.2}})
    with pytest.raises(ValueError, match="initial_fund_usd"):
        SleeveSpec(**{**good.__dict__, "initial_fund_usd": -1.0})


def test_to_frame_round_trips_through_csv(tmp_path):
    path = tmp_path / "flows.csv"
    _schedule(_sleeve()).to_frame().to_csv(path, index=False)
    back = pd.read_csv(path)
    assert back["day"].iloc[0] == "2026-03-02"
    assert back["net_usd"].sum() == pytest.approx(-161.0 + 34.5)
    assert back["sleeve_contribution_usd"].sum() == pytest.approx(800.0 * 0.05)
