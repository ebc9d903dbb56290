"""Every command keeps the other commands' files: run and the side commands in one folder.

The side commands default to their own folders under ``out`` (hindcast, calibration, analogs,
sensitivity); given the run's folder itself, a command that would replace a file of the run's
is refused before any work, and ``--out`` may be ``.`` or a symlink to the user's folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowimpact.cli import main
from tests.backtest.test_run import write_study, write_synthetic_store

SIDE_FILES = {
    "out/hindcast": {"hindcast.csv", "hindcast_paths.csv", "hindcast_explaining.csv",
                     "hindcast_phi_curve.csv", "hindcast_explaining_by_end.csv",
                     "hindcast_noise.csv", "run.json", "report.html"},
    "out/calibration": {"calibration.csv"},
    "out/analogs": {"analogs.csv", "analogs_aligned.csv", "flow_comparison.csv",
                    "flow_cumulative.csv", "analogs.html"},
    "out/sensitivity": {"sensitivity.csv", "sensitivity_samples.csv", "run.json", "report.html"},
}


@pytest.fixture(scope="module")
def workspace(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a synthetic candle store, the real ETF-flow tables and a small study."""
    root = tmp_path_factory.mktemp("shared_out")
    write_synthetic_store(root / "data")
    flows = [str(p) for p in sorted((shared_data / "etf_flows").glob("*.csv"))]
    assert main(["import", "--data-dir", str(root / "data"), *flows]) == 0
    write_study(
        root / "study.toml",
        inflow={"allocation": 0.02},  # one value: a sensitivity analysis runs no grid
        sensitivity={"method": "morris", "samples": 4, "n_paths": 3,
                     "ranges": {"multiplier": [2, 60], "half_life_days": [10, 180]}},
    )
    return root


def _common(root: Path) -> list[str]:
    return ["--config", str(root / "study.toml"), "--data-dir", str(root / "data")]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_every_command_keeps_the_others_files(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(workspace)
    assert main(["run", *_common(workspace)]) == 0
    err = capsys.readouterr().err
    assert "seconds by step:" not in err  # a debugging line: only with -v
    assert "\r" not in err and "\x1b[" not in err  # stderr is no terminal: no progress bar
    run_files = set(json.loads((workspace / "out" / "run.json").read_text())["files"])
    assert {"report.html", "scenarios.csv", "flows.csv", "calibration.csv"} <= run_files
    before = _snapshot(workspace / "out")
    for command in ("hindcast", "calibrate", "analogs", "sensitivity"):
        assert main([command, *_common(workspace)]) == 0, capsys.readouterr().err
    for folder, names in SIDE_FILES.items():
        assert names <= {p.name for p in (workspace / folder).iterdir()}, folder
    assert _snapshot(workspace / "out") == before  # the run's report and tables: untouched

    # the run's own folder given to a side command: refused before any work, nothing replaced
    capsys.readouterr()
    for command in ("hindcast", "calibrate"):
        assert main([command, *_common(workspace), "--out", "out"]) == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert "flowimpact run" in line and f"flowimpact {command}" in line, line
    assert _snapshot(workspace / "out") == before

    # the run again: its files are new, the side commands' folders are still there
    assert main(["run", "-v", *_common(workspace)]) == 0
    assert "seconds by step:" in capsys.readouterr().err  # -v: the debugging lines, logged
    for folder, names in SIDE_FILES.items():
        assert names <= {p.name for p in (workspace / folder).iterdir()}, folder


def test_out_may_be_the_current_folder_or_a_symlink(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    here = workspace / "here"
    here.mkdir()
    (here / "notes.txt").write_text("mine\n", encoding="utf-8")
    monkeypatch.chdir(here)
    assert main(["hindcast", *_common(workspace), "--out", "."]) == 0, capsys.readouterr().err
    assert SIDE_FILES["out/hindcast"] <= {p.name for p in here.iterdir()}
    assert (here / "notes.txt").read_text(encoding="utf-8") == "mine\n"

    real = workspace / "real"
    real.mkdir()
    (real / "notes.txt").write_text("mine\n", encoding="utf-8")
    link = workspace / "link"
    link.symlink_to(real, target_is_directory=True)
    assert main(["hindcast", *_common(workspace), "--out", str(link)]) == 0
    assert link.is_symlink()  # followed, never replaced
    shown = {p.name for p in real.iterdir() if not p.name.startswith(".")}
    assert shown == SIDE_FILES["out/hindcast"] | {"notes.txt"}
    assert (real / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert not [p for p in workspace.iterdir() if "staging" in p.name]
