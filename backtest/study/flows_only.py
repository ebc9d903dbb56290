"""``flowimpact flows``: every distinct 401(k) inflow schedule of a study, without the engine.

Prices are read only when a scenario splits money by market cap at the announcement; with the
default fixed split the command needs no data at all. The sleeve's rebalancing trades depend on
the impacted price, so they are not in these tables (the sleeve's contributions are).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backtest.study.config import Study
from backtest.study.schedules import build_schedules, flows_table, summary_table
from flowimpact.atomic import atomic_write_text
from strategies.inflow_config import MARKET_CAP_SPLIT


def write_flow_schedules(study: Study, data_dir: Path, out_dir: Path) -> tuple[Path, pd.DataFrame]:
    """Write ``out_dir/flows.csv``; return its path and the summary table."""
    days = pd.date_range(study.study.start, study.paths.horizon_end, freq="D", tz="UTC")
    scenarios = study.inflow_scenarios()
    prices = None
    if any(s.inflow.split == MARKET_CAP_SPLIT for s in scenarios):
        from backtest.study.prices import load_daily_prices

        prices = load_daily_prices(study, data_dir, progress=False)
    schedules = build_schedules(scenarios, days, study.data.assets, prices)
    path = out_dir / "flows.csv"
    atomic_write_text(path, flows_table(schedules).to_csv(index=False, float_format="%.2f"))
    return path, summary_table(schedules)
