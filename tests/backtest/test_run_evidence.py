"""A run with the etf_explained_share axis: scenarios.csv, hindcast and report agree on φ."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import feeds
from backtest.run import run_study
from backtest.study.config import load_study
from backtest.study.results import RunResult
from flowimpact.errors import DataUnavailableError
from flowimpact.headline import headline_text
from tests.backtest.test_run import write_study, write_synthetic_store

SHARES = [0.25, 1.0]
UPLIFT = "price_uplift_at_horizon_pct_p50"


def rising_etf_table(btc: pd.DataFrame) -> pd.DataFrame:
    """Net buying from the synthetic path's low to its later high (a window that rose)."""
    close = btc["close"]
    early = close[(close.index >= "2023-08-01") & (close.index <= "2025-03-31")]
    start = early.idxmin() + pd.Timedelta(days=1)
    end = close[close.index >= start + pd.Timedelta(days=120)].idxmax()
    assert close[end] > 1.1 * early.min(), "the synthetic BTC path has no rising window"
    days = close.index[(close.index >= start) & (close.index <= end)]
    total = np.random.default_rng(4).normal(1.5e8, 3e8, len(days))
    return pd.DataFrame({"total_usd": total}, index=days.rename("date"))


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    root = tmp_path_factory.mktemp("evidence")
    frames = write_synthetic_store(root / "data")
    feeds.write_etf_flows(root / "data", "BTC", rising_etf_table(frames["BTC/USDT"]))
    study = load_study(
        write_study(
            root / "study.toml",
            inflow={"allocation": [0.01, 0.05]},
            impact={"model": ["multiplier", "sqrt"], "etf_explained_share": SHARES},
        )
    )
    return run_study(study, root / "data", root / "out", progress=False)


def test_scenarios_csv_is_indexed_by_the_share_with_the_solved_parameter(
    result: RunResult,
) -> None:
    table = pd.read_csv(result.out_dir / "scenarios.csv")
    assert len(table) == 2 * 2 * 2 * 2  # allocation x model x share x asset
    assert sorted(table["etf_explained_share"].unique()) == SHARES
    btc = table[table["asset"] == "BTC"]
    np.testing.assert_allclose(btc["etf_implied_share"], btc["etf_explained_share"], atol=1e-6)
    assert table.loc[table["asset"] == "ETH", "etf_implied_share"].isna().all()  # no ETH table
    multiplier = table[table["model"] == "multiplier"]
    assert multiplier["multiplier"].gt(0).all() and multiplier["sqrt_y"].isna().all()
    # the same parameter for every asset, a larger one for a larger share
    by_share = multiplier.groupby("etf_explained_share")["multiplier"]
    assert (by_share.nunique() == 1).all() and by_share.first().is_monotonic_increasing


def test_the_hindcast_at_the_solved_parameter_gives_back_the_share(result: RunResult) -> None:
    table = pd.read_csv(result.out_dir / "scenarios.csv")
    hindcast = pd.read_csv(result.out_dir / "hindcast.csv")
    checked = 0
    for row in table[table["asset"] == "BTC"].itertuples():
        key = "multiplier" if row.model == "multiplier" else "sqrt_y"
        value = getattr(row, key)
        match = hindcast[
            (hindcast["asset"] == "BTC")
            & (hindcast["model"] == row.model)
            & np.isclose(hindcast["value"], value, rtol=1e-12)
        ]
        assert len(match) == 1
        share = match["attributed_share_pct"].iloc[0] / 100.0
        assert share == pytest.approx(row.etf_explained_share, abs=1e-6)
        checked += 1
    assert checked == 2 * 2 * 2


def test_more_of_the_move_explained_means_more_uplift(result: RunResult) -> None:
    table = pd.read_csv(result.out_dir / "scenarios.csv")
    for _, group in table.groupby(["asset", "model", "allocation"]):
        ordered = group.sort_values("etf_explained_share")[UPLIFT].to_numpy()
        assert np.all(np.diff(ordered) > 0)


def test_the_report_leads_with_the_answer_by_phi(result: RunResult) -> None:
    page = result.report_path.read_text(encoding="utf-8")
    first = page.index("The answer by what the ETF flows did")
    assert first < page.index(">The answer<")
    assert "zero-drift bootstrap" in page and "φ" in page
    assert "M = 5 implies φ" in page  # the parameter as given, a reference line
    # the page's first sentence is run.json's headline, φ in it
    headline = json.loads(result.files["run.json"].read_text(encoding="utf-8"))["headline"]
    first_share = result.run.scenarios[0].axes["impact.etf_explained_share"]
    assert headline["etf_explained_share"] == first_share
    sentence = html.escape(headline_text(headline))
    body = page[page.index("<h2"):]
    assert body.index('class="headline"') < body.index("<table")
    assert sentence in body[: body.index("<table")]


def test_the_axis_without_the_reference_table_is_exit_3(tmp_path: Path) -> None:
    write_synthetic_store(tmp_path / "data")
    study = load_study(write_study(tmp_path / "study.toml", impact={"etf_explained_share": [0.5]}))
    with pytest.raises(DataUnavailableError, match="flowimpact import") as caught:
        run_study(study, tmp_path / "data", tmp_path / "out", progress=False)
    assert caught.value.exit_code == 3
