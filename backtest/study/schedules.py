"""Every distinct 401(k) flow schedule of a study, built once.

Scenarios that differ only in ``[impact]`` share their flows, so schedules are keyed by the
scenario's ``[inflow]`` grid values (``inflow_label``) and built once per key, all together by
``strategies.inflow_batch.schedule_batch`` (NumPy over [schedule, day], the numbers of
``schedule_flows``). The run, the
``flows`` command and the flow comparison all take their schedules from here, as do the
``flows.csv`` table and its summary.

Market caps, needed only for ``split = "market_cap"``, are the last daily close on or before
the announcement day × the impact config's circulating supply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from backtest.study.config import Scenario
from backtest.study.flow_tables import ExtraFlows, flow_source
from flowimpact.errors import DataUnavailableError
from flowimpact.units import USD_PER_BILLION, USD_PER_MILLION
from strategies.inflow import FlowSchedule
from strategies.inflow_batch import ScheduleBatch, schedule_batch
from strategies.inflow_config import MARKET_CAP_SPLIT


def inflow_label(scenario: Scenario) -> str:
    """The scenario's ``[inflow]`` grid values: scenarios that differ only in impact share it."""
    parts = [
        f"{key.name}={value}" for key, value in scenario.axes.items() if key.section == "inflow"
    ]
    return ", ".join(parts) or "default inflow"


def inflow_axes(scenarios: Sequence[Scenario]) -> dict[str, dict[str, object]]:
    """``inflow_label`` → that inflow's grid values by key name (``{"lag_months": 6, ...}``).

    ``allocation`` is always there (the charts group by it), an axis or not.
    """
    return {
        inflow_label(scenario): {
            "allocation": scenario.inflow.allocation,
            **{
                key.name: value
                for key, value in scenario.axes.items()
                if key.section == "inflow"
            },
        }
        for scenario in scenarios
    }


def build_schedules(
    scenarios: Sequence[Scenario],
    days: pd.DatetimeIndex,
    assets: Sequence[str],
    daily_prices: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, FlowSchedule]:
    """One schedule per distinct inflow, keyed by ``inflow_label``, in the scenarios' order."""
    batch, rows = schedule_rows(scenarios, days, assets, daily_prices)
    return {label: batch.schedule(row) for label, row in rows.items()}


def schedule_rows(
    scenarios: Sequence[Scenario],
    days: pd.DatetimeIndex,
    assets: Sequence[str],
    daily_prices: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[ScheduleBatch, dict[str, int]]:
    """The batch of every distinct inflow and each ``inflow_label``'s row in it."""
    distinct: dict[str, Scenario] = {}
    for scenario in scenarios:
        distinct.setdefault(inflow_label(scenario), scenario)
    caps = [
        market_caps_usd(s, daily_prices) if s.inflow.split == MARKET_CAP_SPLIT else None
        for s in distinct.values()
    ]
    batch = schedule_batch([s.inflow for s in distinct.values()], days, assets, caps)
    return batch, {label: row for row, label in enumerate(distinct)}


def market_caps_usd(
    scenario: Scenario, daily_prices: Mapping[str, pd.DataFrame] | None
) -> dict[str, float]:
    """Each asset's market cap at the announcement: last close on or before it × supply."""
    day = pd.Timestamp(scenario.inflow.announcement_day)
    if not daily_prices:
        raise DataUnavailableError(
            '[inflow] split = "market_cap" needs prices: fetch or import them first'
        )
    caps = {}
    for asset, frame in daily_prices.items():
        before = frame["close"].loc[:day]
        if before.empty:
            raise DataUnavailableError(
                f"no {asset} price on or before the announcement {day.date()} for the "
                "market-cap split: fetch or import older candles"
            )
        caps[asset] = float(before.iloc[-1]) * scenario.impact.supply_coins(asset)
    return caps


def flows_table(
    schedules: Mapping[str, FlowSchedule], extra: ExtraFlows | None = None
) -> pd.DataFrame:
    """flows.csv: one row per distinct inflow, day with a flow, and asset; USD by component.

    With ``[flows]`` tables (``extra``), every inflow's rows also carry ``table_usd`` (the
    tables' flows, the same for every scenario) inside ``net_usd``, and ``flow_source`` names
    what the row's flows come from, so ``net_usd`` is what the engine receives.
    """
    frames = []
    for label, schedule in schedules.items():
        frame = schedule.to_frame(nonzero_only=extra is None).assign(inflow=label)
        if extra is not None:
            frame = _with_tables(frame, schedule, extra)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    return table[["inflow", *(c for c in table.columns if c != "inflow")]]


def _with_tables(frame: pd.DataFrame, schedule: FlowSchedule, extra: ExtraFlows) -> pd.DataFrame:
    tables = extra.total_usd.stack()
    tables.index = tables.index.set_names(["day", "asset"])
    tables = tables.rename("table_usd").reset_index()
    tables["day"] = pd.DatetimeIndex(tables["day"]).strftime("%Y-%m-%d")
    frame = frame.merge(tables, on=["day", "asset"], how="left").fillna({"table_usd": 0.0})
    frame["net_usd"] = frame["net_usd"] + frame["table_usd"]
    sources = flow_source(schedule, extra.assets, extra)
    frame["flow_source"] = frame["asset"].map(sources)
    value_columns = [c for c in frame.columns if c.endswith("_usd")]
    return frame[frame[value_columns].ne(0.0).any(axis=1)].reset_index(drop=True)


def summary_table(
    schedules: Mapping[str, FlowSchedule], extra: ExtraFlows | None = None
) -> pd.DataFrame:
    """Per distinct inflow and asset: total, first and last flow day, peak daily flow.

    ``[flows]`` sources (``extra``) follow as rows of their own (``inflow`` = the source, with
    ``[flows]`` before it), carried by every scenario.
    """
    rows = []
    for label, schedule in schedules.items():
        # the schedule's figures in NumPy (FlowSchedule.headline), not a summary frame each
        headline = schedule.headline()
        first, last = headline.day(headline.first_index), headline.day(headline.last_index)
        for k, asset in enumerate(schedule.assets):
            rows.append(
                {
                    "inflow": label,
                    "asset": asset,
                    "total_usd_bn": float(headline.total_usd[k]) / USD_PER_BILLION,
                    "first_flow_day": _day(first[k]),
                    "last_flow_day": _day(last[k]),
                    "peak_daily_flow_usd_m": float(headline.peak_daily_flow_usd[k])
                    / USD_PER_MILLION,
                }
            )
    for label, frame in (extra.by_source if extra is not None else {}).items():
        for asset in extra.assets:  # type: ignore[union-attr]
            flowing = frame.index[frame[asset].ne(0.0)]
            peak = frame[asset].to_numpy()[frame[asset].abs().to_numpy().argmax()]
            rows.append(
                {
                    "inflow": f"[flows] {label}",
                    "asset": asset,
                    "total_usd_bn": float(frame[asset].sum()) / USD_PER_BILLION,
                    "first_flow_day": _day(flowing[0]) if len(flowing) else "-",
                    "last_flow_day": _day(flowing[-1]) if len(flowing) else "-",
                    "peak_daily_flow_usd_m": float(peak) / USD_PER_MILLION,
                }
            )
    return pd.DataFrame(rows)


def _day(value: object) -> str:
    return "-" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")
