"""``flowimpact flows``: every scenario's 401(k) inflow schedule, without prices or the engine.

Prices are read only when a scenario splits money by market cap at the announcement; with the
default fixed split the command needs no data at all. The sleeve's trades depend on the
impacted price, so they are not part of this file (the sleeve's contributions are).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from backtest.study import Study
from flowimpact.atomic import atomic_write_text
from strategies.inflow import schedule_flows


def write_flow_schedules(study: Study, data_dir: Path, out_dir: Path) -> tuple[Path, pd.DataFrame]:
    """Write ``out_dir/flows.csv`` (one row per scenario, asset and flow day); return a summary."""
    days = pd.date_range(study.study.start, study.paths.horizon_end, freq="D", tz="UTC")
    assets = study.data.assets
    scenarios = study.scenarios()
    caps = _market_caps_if_needed(study, data_dir, scenarios)
    seen: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    tables, summaries = [], []
    for scenario in scenarios:
        inflow_key = json.dumps(asdict(scenario.inflow), sort_keys=True, default=str)
        if inflow_key not in seen:
            schedule = schedule_flows(scenario.inflow, days, assets, caps)
            seen[inflow_key] = (schedule.to_frame(nonzero_only=True), schedule.summary())
        table, summary = seen[inflow_key]
        tables.append(table.assign(scenario_id=scenario.scenario_id, label=scenario.label))
        summaries.append(summary.assign(scenario_id=scenario.scenario_id, label=scenario.label))
    path = out_dir / "flows.csv"
    flows = pd.concat(tables, ignore_index=True)
    flows = flows[["scenario_id", "label", *[c for c in flows.columns if c not in ("scenario_id", "label")]]]
    atomic_write_text(path, flows.to_csv(index=False, float_format="%.2f"))
    return path, pd.concat(summaries, ignore_index=True)


def _market_caps_if_needed(study: Study, data_dir: Path, scenarios: list) -> dict[str, float] | None:
    if not any(s.inflow.split == "market_cap" for s in scenarios):
        return None
    import feeds

    prices = feeds.load_prices(data_dir, study.data)
    announcement = scenarios[0].inflow.announcement_day
    caps = {}
    for asset, frame in prices.items():
        close = frame["close"].loc[: pd.Timestamp(announcement)]
        caps[asset] = float(close.iloc[-1]) * scenarios[0].impact.supply_coins(asset)
    return caps
