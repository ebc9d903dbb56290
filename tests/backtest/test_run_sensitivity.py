"""backtest/run.py's run_sensitivity end to end, and the main run's tornado with [sensitivity].

A store of synthetic seeded candles (tests.backtest.fixtures), a short window and a small
Sobol' analysis: the files of the outside contract and what they hold.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest.run import SensitivityResult, run_sensitivity, run_study
from backtest.study.config import load_study
from backtest.study.sensitivity.analysis import sensitivity_requested
from tests.backtest.fixtures import NETWORK_REFERENCE, write_study, write_synthetic_store

pytestmark = pytest.mark.slow

ANALYSIS = {
    "inflow": {"allocation": 0.02},  # the test study's allocation grid would contradict the range
    "impact": {"model": ["multiplier", "sqrt"]},
    "sensitivity": {
        "samples": 32,
        "n_paths": 4,
        "ranges": {
            "multiplier": {"low": 2, "high": 60, "scale": "log"},
            "allocation": [0.01, 0.05],
            "volume_coverage": [3, 20],
        },
    },
}
COLUMNS = [
    "method", "model", "asset", "output", "parameter", "low", "high",
    "S1", "S1_conf", "ST", "ST_conf", "mu_star", "mu_star_conf", "sigma",
    "output_at_low", "output_at_high",
]  # fmt: skip


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> SensitivityResult:
    root = tmp_path_factory.mktemp("sensitivity")
    write_synthetic_store(root / "data")
    study = load_study(write_study(root / "study.toml", **ANALYSIS))
    return run_sensitivity(study, root / "data", root / "out", progress=False)


def test_the_contract_files_exist(result: SensitivityResult) -> None:
    out = result.report_path.parent
    names = {"sensitivity.csv", "sensitivity_samples.csv", "run.json", "report.html"}
    assert names == set(result.files)
    assert all((out / name).stat().st_size > 0 for name in names)
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_sensitivity_csv_follows_the_contract(result: SensitivityResult) -> None:
    table = pd.read_csv(result.files["sensitivity.csv"])
    assert list(table.columns[: len(COLUMNS)]) == COLUMNS
    # 2 models x 2 assets x 2 default outputs x 3 parameters
    assert len(table) == 2 * 2 * 2 * 3
    assert set(table["method"]) == {"sobol"}
    assert set(table["output"]) == {"price_uplift_at_horizon_pct", "log_impact_at_horizon_bps"}
    assert table[["S1", "ST", "S1_conf", "ST_conf", "output_at_low"]].notna().all().all()
    assert table[["mu_star", "sigma"]].isna().all().all()
    pd.testing.assert_frame_equal(
        table, result.outcome.table, check_exact=False, rtol=1e-9, check_dtype=False
    )


def test_samples_csv_holds_every_run(result: SensitivityResult) -> None:
    samples = pd.read_csv(result.files["sensitivity_samples.csv"])
    runs = 32 * (3 + 2) + (2 * 3 + 1)  # Saltelli points + one-at-a-time points, per model
    assert len(samples) == runs * 2 * 2  # x models x assets
    assert result.outcome.n_runs == runs * 2
    for column in ("multiplier", "allocation", "volume_coverage", "price_uplift_at_horizon_pct"):
        assert samples[column].notna().all()
    sobol = samples[samples["design"] == "sobol"]
    assert sobol["multiplier"].between(2, 60).all()
    assert sobol["allocation"].between(0.01, 0.05).all()


def test_run_json_has_config_data_versions_and_timings(result: SensitivityResult) -> None:
    manifest = json.loads(result.files["run.json"].read_text(encoding="utf-8"))
    assert re.fullmatch(r"[0-9a-f]{12}", manifest["run_id"])
    assert manifest["method"] == "sobol"
    assert manifest["models"] == ["multiplier", "sqrt"]
    assert sorted(manifest["parameters"]) == ["allocation", "multiplier", "volume_coverage"]
    assert manifest["paths"] == 4
    assert manifest["versions"]["SALib"] not in ("", "not installed")
    assert {"engine", "analyse", "prices_and_baseline"} <= set(manifest["seconds_by_step"])
    assert [d["asset"] for d in manifest["data"]] == ["BTC", "ETH"]
    config = manifest["config"]
    assert config["impact"]["model"] == ["multiplier", "sqrt"]
    assert config["paths"]["n_paths"] == 4
    assert config["sensitivity"]["ranges"]["multiplier"]["scale"] == "log"
    # one value per [inflow] key: the analysis ran no grid
    assert not any(isinstance(v, list) for v in config["inflow"].values())


def test_report_names_what_drives_each_asset_and_opens_offline(result: SensitivityResult) -> None:
    text = result.report_path.read_text(encoding="utf-8")
    assert NETWORK_REFERENCE.search(text) is None
    for asset in ("BTC", "ETH"):
        sentence = re.search(rf"<b>{asset}, price uplift at the horizon \(%\): (.*?)</b>", text)
        assert sentence, asset
        # under the multiplier model M leads; the coverage, which cannot move it, is not named
        multiplier_part = sentence.group(1).split(";")[0]
        assert "multiplier M (ST" in multiplier_part
        assert "volume coverage" not in multiplier_part
    assert text.count("one at a time") >= 4  # a tornado per asset and model
    assert "against multiplier M" in text  # the scatter against the leading parameter


def test_the_runs_report_shows_the_tornado_when_sensitivity_is_set(tmp_path: Path) -> None:
    write_synthetic_store(tmp_path / "data")
    study = load_study(
        write_study(
            tmp_path / "study.toml",
            inflow={"allocation": 0.02, "lag_months": 6, "ramp_months": 12},
            sensitivity={"ranges": {"multiplier": [2, 60], "permanent_share": [0.2, 0.9]}},
        )
    )
    result = run_study(study, tmp_path / "data", tmp_path / "out", progress=False)
    tornado = result.run.tornado
    assert tornado is not None and tornado.outcome is not None
    table = tornado.outcome.table
    assert set(table["method"]) == {"oat"} and len(table) == 2 * 2 * 2
    # the study point of the swings is the run's own scenario
    uplift = result.run.table.set_index("asset")["price_uplift_at_horizon_pct_p50"]
    at_study = (
        table[table["output"] == "price_uplift_at_horizon_pct"]
        .groupby("asset")["output_at_study"]
        .first()
    )
    np.testing.assert_allclose(at_study.loc[uplift.index], uplift, rtol=1e-12)
    text = result.report_path.read_text(encoding="utf-8")
    assert "Sensitivity: one at a time" in text
    assert "sensitivity" in result.run.timings_s


def test_without_sensitivity_the_run_has_no_tornado(tmp_path: Path) -> None:
    assert not sensitivity_requested(load_study(write_study(tmp_path / "study.toml")))
    assert not sensitivity_requested(load_study(None))
    with_section = write_study(tmp_path / "other.toml", sensitivity={"method": "oat"})
    assert sensitivity_requested(load_study(with_section))
