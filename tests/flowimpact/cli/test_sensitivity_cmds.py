"""flowimpact sensitivity through the real entry point: exit codes, one-line errors, outputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowimpact.cli import main
from tests.backtest.fixtures import write_study, write_synthetic_store

BAD = {
    "low above high": ("[sensitivity.ranges]\npermanent_share = [0.9, 0.2]\n", "permanent_share"),
    "outside the key's values": ("[sensitivity.ranges]\nallocation = [0.01, 3]\n", "allocation"),
    "unknown key": ("[sensitivity.ranges]\nmultiplyer = [2, 60]\n", "multiplyer"),
    "list for a ranged key": (
        "[inflow]\nallocation = [0.01, 0.02]\n[sensitivity.ranges]\nallocation = [0.01, 0.05]\n",
        "allocation",
    ),
    "samples not a power of two": ("[sensitivity]\nsamples = 1000\n", "samples"),
}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_analysis_exits_2_with_one_line_naming_the_key(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, key = BAD[case]
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = _run(
        capsys, "sensitivity", "--config", str(path), "--data-dir", str(tmp_path / "data"),
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flowimpact: error: "), err
    assert key in lines[0]
    assert out == ""
    assert not (tmp_path / "out").exists() and not (tmp_path / "data").exists()


def test_a_scheduler_that_is_no_address_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "sensitivity", "--scheduler", "localhost", "--out", str(tmp_path))
    assert code == 2 and "--scheduler" in err


def test_help_lists_the_command_and_its_flags(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "sensitivity", "--help")
    assert code == 0
    for flag in ("--config", "--out", "--workers", "--scheduler", "--data-dir"):
        assert flag in out


@pytest.mark.dask
@pytest.mark.slow
def test_a_small_analysis_on_two_dask_workers_gives_the_in_process_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_synthetic_store(tmp_path / "data")
    study = write_study(
        tmp_path / "study.toml",
        inflow={"allocation": 0.02},
        sensitivity={
            "method": "morris",
            "samples": 4,
            "n_paths": 3,
            "ranges": {"multiplier": [2, 60], "half_life_days": [10, 180]},
        },
    )
    code, out, err = _run(
        capsys, "sensitivity", "--config", str(study), "--data-dir", str(tmp_path / "data"),
        "--out", str(tmp_path / "out"), "--workers", "2", "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = _run(
        capsys, "sensitivity", "--config", str(study), "--data-dir", str(tmp_path / "data"),
        "--out", str(tmp_path / "in_process"), "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    for name in ("sensitivity.csv", "sensitivity_samples.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (
            tmp_path / "in_process" / name
        ).read_bytes(), name
    assert "morris, 2 parameters" in out
    assert "BTC multiplier:" in out and "report:" in out
    table = pd.read_csv(tmp_path / "out" / "sensitivity.csv")
    assert set(table["method"]) == {"morris"}
    assert table["mu_star"].notna().all()
    assert (tmp_path / "out" / "report.html").exists()
