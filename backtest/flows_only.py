"""``flowimpact flows``: every scenario's 401(k) inflow schedule, without the engine.

Prices are read only when a scenario splits money by market cap at the announcement; with the
default fixed split the command needs no data at all. The sleeve's rebalancing trades depend on
the impacted price, so they are not in these tables (the sleeve's contributions are).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from backtest.study import Scenario, Study
from flowimpact.atomic import atomic_write_text
from strategies.inflow import FlowSchedule, schedule_flows


def inflow_label(scenario: Scenario) -> str:
    """The scenario's ``[inflow]`` grid values: scenarios that differ only in impact share it."""
    parts = [
        f"{k.split('.', 1)[1]}={v}" for k, v in scenario.axes.items() if k.startswith("inflow.")
    ]
    return ", ".join(parts) or "default inflow"


def flows_table(scenarios: Sequence[Scenario], schedules: Sequence[FlowSchedule]) -> pd.DataFrame:
    """flows.csv: one row per scenario, day with a flow, and asset; USD by component."""
    frames = [
        schedule.to_frame(nonzero_only=True).assign(
            scenario_id=scenario.scenario_id, inflow=inflow_label(scenario)
        )
        for scenario, schedule in zip(scenarios, schedules, strict=True)
    ]
    table = pd.concat(frames, ignore_index=True)
    first = ["scenario_id", "inflow"]
    return table[[*first, *(c for c in table.columns if c not in first)]]


def summary_table(scenarios: Sequence[Scenario], schedules: Sequence[FlowSchedule]) -> pd.DataFrame:
    """Per distinct inflow scenario and asset: total, first and last flow day, peak daily flow."""
    rows = []
    seen = set()
    for scenario, schedule in zip(scenarios, schedules, strict=True):
        label = inflow_label(scenario)
        if label in seen:
            continue
        seen.add(label)
        summary = schedule.summary()
        for asset, row in summary.iterrows():
            rows.append(
                {
                    "inflow": label,
                    "asset": asset,
                    "total_usd_bn": row["total_usd"] / 1e9,
                    "first_flow_day": _day(row["first_flow_day"]),
                    "last_flow_day": _day(row["last_flow_day"]),
                    "peak_daily_flow_usd_m": row["peak_daily_flow_usd"] / 1e6,
                }
            )
    return pd.DataFrame(rows)


def write_flow_schedules(study: Study, data_dir: Path, out_dir: Path) -> tuple[Path, pd.DataFrame]:
    """Write ``out_dir/flows.csv``; return its path and the summary table."""
    days = pd.date_range(study.study.start, study.paths.horizon_end, freq="D", tz="UTC")
    scenarios = study.scenarios()
    caps = _market_caps_if_needed(study, data_dir, scenarios)
    cache: dict[str, FlowSchedule] = {}
    schedules = []
    for scenario in scenarios:
        key = json.dumps(asdict(scenario.inflow), sort_keys=True, default=str)
        if key not in cache:
            cache[key] = schedule_flows(scenario.inflow, days, study.data.assets, caps)
        schedules.append(cache[key])
    path = out_dir / "flows.csv"
    atomic_write_text(
        path, flows_table(scenarios, schedules).to_csv(index=False, float_format="%.2f")
    )
    return path, summary_table(scenarios, schedules)


def _day(value: object) -> str:
    return "-" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _market_caps_if_needed(
    study: Study, data_dir: Path, scenarios: Sequence[Scenario]
) -> dict[str, float] | None:
    if not any(s.inflow.split == "market_cap" for s in scenarios):
        return None
    import feeds

    prices = feeds.load_prices(data_dir, study.data)
    announcement = pd.Timestamp(scenarios[0].inflow.announcement_day)
    return {
        asset: float(frame["close"].loc[:announcement].iloc[-1])
        * scenarios[0].impact.supply_coins(asset)
        for asset, frame in prices.items()
    }
