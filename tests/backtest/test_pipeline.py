"""One chunk pipeline and one compute setting for every command (issue: one pipeline).

A sensitivity analysis cut into chunks of 300 columns or of 8,000 writes the same bytes
under the same run_id, and run.json says how many chunks ran; ``--workers 0`` over
``[compute] workers = 2`` runs every command in this process; a result computed without an
``out_dir`` writes the command's files later, the same bytes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from backtest.run import run_sensitivity
from backtest.study import executors
from backtest.study.config import load_study
from flowimpact.cli import main
from tests.backtest.fixtures import write_study, write_synthetic_store
from tests.backtest.test_run_sensitivity import ANALYSIS

pytestmark = pytest.mark.slow
COLUMNS_PER_SAMPLE = 4 * 2  # [sensitivity] n_paths = 4, two assets


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    write_synthetic_store(root / "data")
    return root / "data"


def _analysis(store: Path, root: Path, **compute: Any) -> tuple[bytes, dict[str, Any]]:
    root.mkdir()
    study = load_study(write_study(root / "study.toml", **ANALYSIS, compute=compute))
    result = run_sensitivity(study, store, root / "out", progress=False)
    manifest = json.loads(result.files["run.json"].read_text(encoding="utf-8"))
    return result.files["sensitivity.csv"].read_bytes(), manifest


def test_chunk_columns_change_no_byte_and_no_run_id(store: Path, tmp_path: Path) -> None:
    small, small_run = _analysis(store, tmp_path / "small", chunk_columns=300)
    large, large_run = _analysis(store, tmp_path / "large", chunk_columns=8000)
    assert small == large
    assert small_run["run_id"] == large_run["run_id"]
    runs = small_run["runs"]
    for manifest, columns in ((small_run, 300), (large_run, 8000)):
        per_chunk = columns // COLUMNS_PER_SAMPLE
        assert manifest["compute"] == {
            "executor": "in-process",
            "workers": 0,
            "scheduler": "",
            "chunk_columns": columns,
            "scenarios_per_chunk": per_chunk,
            "chunks": math.ceil(runs / per_chunk),
        }
    assert small_run["compute"]["chunks"] > 1 == large_run["compute"]["chunks"]
    # the study as it ran, not patched afterwards: [sensitivity] n_paths is its [paths] n_paths
    assert small_run["config"]["paths"]["n_paths"] == small_run["paths"] == 4
    assert small_run["warnings"] == large_run["warnings"]


def test_workers_0_over_compute_workers_2_runs_in_this_process(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_dask(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a Dask client was started")

    monkeypatch.setattr(executors, "dask_client", no_dask)
    # the run with a [sensitivity] section: its tornado's chunks go the same way
    study = write_study(tmp_path / "study.toml", **ANALYSIS, compute={"workers": 2})
    for command in ("run", "sensitivity"):
        out = tmp_path / command
        code = main(
            [command, "--config", str(study), "--data-dir", str(store), "--out", str(out),
             "--workers", "0", "--no-progress"]
        )  # fmt: skip
        err = capsys.readouterr().err
        assert code == 0, err
        manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
        assert manifest["compute"]["executor"] == "in-process"
        assert manifest["compute"]["workers"] == 0


def test_a_result_without_out_dir_writes_the_same_files_later(store: Path, tmp_path: Path) -> None:
    study = load_study(write_study(tmp_path / "study.toml", **ANALYSIS))
    written = run_sensitivity(study, store, tmp_path / "now", progress=False)
    held = run_sensitivity(study, store, None, progress=False)
    assert held.files == {} and not (tmp_path / "later").exists()
    with pytest.raises(ValueError, match="write"):
        _ = held.report_path
    files = held.write(tmp_path / "later")
    assert set(files) == set(written.files)
    for name in ("sensitivity.csv", "sensitivity_samples.csv"):
        assert files[name].read_bytes() == written.files[name].read_bytes()
