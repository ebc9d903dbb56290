"""30 kept days of the default study's archive stay under 60 MB (a measured size).

The default study (48 scenarios, 24 inflow schedules; fewer paths, which do not change any
file's size: the charts and tables are per scenario) on the real reference data, published by
the scheduler's real steps with the fetch left out (no network here). A dated folder shares
the archive's one plotly.js and keeps only the schedules its report draws (``[compute]
write_flows = "auto"``: the headline's, one per allocation); ``run --out`` keeps every one.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import tomli_w

import feeds
from flowimpact.cli.update_steps import default_steps
from scheduler.job import run_once
from scheduler.shared_js import plotly_file_name

MB = 1e6
KEEP_DAYS = 30
DAY1 = datetime(2026, 1, 6, 0, 15, tzinfo=UTC)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    root = tmp_path_factory.mktemp("archive-size")
    store = feeds.CandleStore(root / "data")
    for name in ("binance_BTCUSDT_1d.csv", "binance_ETHUSDT_1d.csv"):
        feeds.import_csv(shared_data / "prices" / name, store)
    for path in sorted((shared_data / "etf_flows").glob("*.csv")):
        feeds.import_csv(path, store)
    study = root / "study.toml"
    study.write_text(tomli_w.dumps({"paths": {"n_paths": 16}}), encoding="utf-8")
    steps = dataclasses.replace(default_steps(root / "data", study), fetch=lambda _now: None)
    for day in range(2):
        outcome = run_once(DAY1 + timedelta(days=day), steps=steps, data_dir=root / "data",
                           out_dir=root / "reports", keep_days=KEEP_DAYS)
        assert outcome.ok, outcome.describe()
    return root / "reports"


def test_thirty_kept_days_stay_under_60_mb(archive: Path) -> None:
    days = sorted(p for p in archive.iterdir() if p.name.startswith("2026-"))
    assert len(days) == 2
    shared = [p for p in archive.iterdir() if p.is_file()]
    assert sorted(p.name for p in shared) == sorted(["LATEST", "index.html", plotly_file_name()])
    per_day = max(_size(day) for day in days)
    projected = sum(p.stat().st_size for p in shared) + KEEP_DAYS * per_day
    # measured with the etf_explained_share axis (4x the scenarios): report.html 1.24 MB, the
    # tables 1.9 MB as CSV and a fifth of that as .csv.gz, + 4.8 MB of plotly.js once; was
    # 10.8 MB a day, 323 MB
    assert projected < 60 * MB, f"{KEEP_DAYS} days: {projected / MB:.1f} MB ({per_day:,} a day)"
    assert (archive / "index.html").stat().st_size < 0.1 * MB


def test_a_dated_folder_keeps_only_the_schedules_its_report_draws(archive: Path) -> None:
    folder = archive / "2026-01-06"
    inflows = set(pd.read_csv(folder / "flows.csv.gz")["inflow"])  # kept compressed
    # the headline's lag, ramp and reallocation reading, at each of the three allocations
    assert len(inflows) == 3
    assert all("lag_months=6, ramp_months=12, reallocation_share=0.25" in i for i in inflows)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "The chart draws 3 of the 24 schedules" in page
