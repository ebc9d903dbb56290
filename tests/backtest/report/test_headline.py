"""One headline, the same number everywhere: run.json, the terminal, the report, the archive.

One small study on synthetic candles (``tests.backtest.test_run``) with two allocations and
two reallocation readings, run through the command line; the day's folder is then published
by the scheduler. The numbers come from whatever the models compute today: the test pins that
every surface shows the one scenario's figure, not what that figure is.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from flowimpact.cli import main
from flowimpact.headline import band_text, headline_text, median_text
from scheduler.job import run_once
from scheduler.steps import UpdateSteps
from tests.backtest.test_run import write_study, write_synthetic_store


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("headline")
    write_synthetic_store(root / "data")
    study = write_study(
        root / "study.toml",
        inflow={"allocation": [0.02, 0.01], "reallocation_share": [0.25, 1.0]},
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run", "--no-progress", "--config", str(study), "--data-dir",
                     str(root / "data"), "--out", str(root / "out")])
    assert code == 0
    return root / "out", out.getvalue()


@pytest.fixture(scope="module")
def headline(ran: tuple[Path, str]) -> dict[str, object]:
    out, _ = ran
    return json.loads((out / "run.json").read_text(encoding="utf-8"))["headline"]


def test_the_headline_is_one_scenario_chosen_by_the_rule(
    ran: tuple[Path, str], headline: dict[str, object]
) -> None:
    out, _ = ran
    table = pd.read_csv(out / "scenarios.csv")
    # BTC, 1 % (though 2 % comes first in the file), the first reallocation reading
    assert (headline["asset"], headline["allocation"], headline["reallocation_share"],
            headline["model"]) == ("BTC", 0.01, 0.25, "multiplier")
    assert headline["parameter"] == "multiplier" and headline["parameter_value"] == 5.0
    assert headline["etf_explained_share"] is None
    row = table[(table["scenario_id"] == headline["scenario_id"]) & (table["asset"] == "BTC")]
    assert len(row) == 1
    band = headline["price_uplift_at_horizon_pct"]
    for q in ("p05", "p50", "p95"):
        assert band[q] == pytest.approx(row[f"price_uplift_at_horizon_pct_{q}"].iloc[0], rel=1e-9)
    assert band["p05"] < band["p50"] < band["p95"]
    permanent_bps = row["permanent_log_impact_at_horizon_bps_p50"].iloc[0]
    assert headline["permanent_uplift_at_horizon_pct"] == pytest.approx(
        math.expm1(permanent_bps / 1e4) * 100, rel=1e-9
    )
    # buying only: the lasting part is positive and below the whole (the transient adds)
    assert 0 < headline["permanent_uplift_at_horizon_pct"] < band["p50"]
    assert headline["cum_flow_usd"] == pytest.approx(row["cum_flow_usd_p50"].iloc[0], rel=1e-9)
    # not the median over the reallocation axis, which the old summary printed
    at = table[(table["asset"] == "BTC") & (table["allocation"] == 0.01)]
    assert at["price_uplift_at_horizon_pct_p50"].median() != pytest.approx(band["p50"])


def test_the_terminal_leads_with_the_headline(
    ran: tuple[Path, str], headline: dict[str, object]
) -> None:
    _, stdout = ran
    assert f"headline: {headline_text(headline)}" in stdout
    assert "median over other axes" not in stdout


def test_the_reports_first_sentence_is_the_headline(
    ran: tuple[Path, str], headline: dict[str, object]
) -> None:
    out, _ = ran
    page = (out / "report.html").read_text(encoding="utf-8")
    body = page[page.index("<body>"):]
    first = re.search(r'<p class="headline"><b>(.*?)</b>', body)
    assert first is not None
    assert body.index('<p class="headline">') < body.index("<table")  # before any table
    assert median_text(headline) in first.group(1) and band_text(headline) in first.group(1)


def test_the_archive_row_and_chart_show_the_same_number(
    ran: tuple[Path, str], headline: dict[str, object], tmp_path: Path
) -> None:
    out, _ = ran

    def study(staging: Path, _now: datetime) -> None:
        for path in out.iterdir():
            shutil.copy2(path, staging / path.name)

    reports = tmp_path / "reports"
    outcome = run_once(
        datetime(2026, 1, 6, 0, 15, tzinfo=UTC),
        steps=UpdateSteps(fetch=lambda _now: None, study=study),
        data_dir=tmp_path / "data",
        out_dir=reports,
        keep_days=30,
    )
    assert outcome.ok, outcome.describe()
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert f"<td>{median_text(headline)}</td>" in index
    payload = re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", index, re.S)
    assert payload is not None
    [trace] = json.loads(payload.group(1))
    assert trace["y"] == [pytest.approx(headline["price_uplift_at_horizon_pct"]["p50"])]
