"""φ in the sensitivity analysis: every sample's implied share, and φ ranged in place of M."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import feeds
from backtest.run import SensitivityResult, run_sensitivity
from backtest.study.config import load_study
from flowimpact.errors import ConfigError, DataUnavailableError
from tests.backtest.test_run import write_study, write_synthetic_store
from tests.backtest.test_run_evidence import rising_etf_table


def analysis(ranges: dict[str, object]) -> dict[str, object]:
    return {
        "inflow": {"allocation": 0.02},
        "impact": {"model": ["multiplier", "sqrt"]},
        "sensitivity": {"samples": 8, "n_paths": 4, "ranges": ranges},
    }


def run(root: Path, ranges: dict[str, object], *, etf: bool = True) -> SensitivityResult:
    frames = write_synthetic_store(root / "data")
    if etf:
        feeds.write_etf_flows(root / "data", "BTC", rising_etf_table(frames["BTC/USDT"]))
    study = load_study(write_study(root / "study.toml", **analysis(ranges)))
    return run_sensitivity(study, root / "data", root / "out", progress=False)


@pytest.fixture(scope="module")
def ranged_share(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    ranges = {"etf_explained_share": [0.05, 1.0], "permanent_share": [0.2, 0.9]}
    result = run(tmp_path_factory.mktemp("share"), ranges)
    return pd.read_csv(result.files["sensitivity_samples.csv"])


def test_a_ranged_share_is_what_each_sample_implies(ranged_share: pd.DataFrame) -> None:
    samples = ranged_share
    assert samples["etf_explained_share"].between(0.05, 1.0).all()
    np.testing.assert_allclose(
        samples["implied_etf_explained_share"], samples["etf_explained_share"], atol=1e-6
    )
    btc = samples[samples["asset"] == "BTC"]
    np.testing.assert_allclose(btc["etf_implied_share"], btc["etf_explained_share"], atol=1e-6)
    assert samples.loc[samples["asset"] == "ETH", "etf_implied_share"].isna().all()


def test_a_larger_share_gives_more_log_impact_at_the_same_theta(
    ranged_share: pd.DataFrame,
) -> None:
    oat = ranged_share[(ranged_share["design"] == "oat")]
    output = next(c for c in oat.columns if c.startswith("price_uplift_at_horizon_pct"))
    for _, group in oat.groupby(["model", "asset"]):
        theta = group["permanent_share"].mode()[0]
        same = group[group["permanent_share"] == theta].sort_values("etf_explained_share")
        assert same["etf_explained_share"].nunique() >= 2
        assert np.all(np.diff(same[output].to_numpy()) > 0)


def test_every_sample_of_a_multiplier_range_has_its_implied_share(tmp_path: Path) -> None:
    ranges = {"multiplier": {"low": 2, "high": 60, "scale": "log"}, "permanent_share": [0.2, 0.9]}
    result = run(tmp_path, ranges)
    samples = pd.read_csv(result.files["sensitivity_samples.csv"])
    multiplier = samples[(samples["model"] == "multiplier") & (samples["asset"] == "BTC")]
    assert multiplier["implied_etf_explained_share"].notna().all()
    # at one θ, φ grows with M
    oat = multiplier[multiplier["design"] == "oat"]
    theta = oat["permanent_share"].mode()[0]
    same = oat[oat["permanent_share"] == theta].sort_values("multiplier")
    assert np.all(np.diff(same["implied_etf_explained_share"].to_numpy()) > 0)
    page = result.report_path.read_text(encoding="utf-8")
    assert "of the box has φ &gt; 1" in page or "of the box has φ > 1" in page


def test_ranging_the_share_and_its_parameter_together_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="both ranged"):
        run(tmp_path, {"etf_explained_share": [0.05, 1.0], "multiplier": [2, 60]})


def test_a_ranged_share_without_the_reference_table_is_exit_3(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError, match="flowimpact import"):
        run(tmp_path, {"etf_explained_share": [0.05, 1.0]}, etf=False)
