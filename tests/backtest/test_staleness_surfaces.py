"""Staleness on every surface: each command's terminal, page and run.json say how old the data is.

The real reference data (``FLOWIMPACT_SHARED_DATA``): daily candles that end 2026-01-05 and
Farside tables that end earlier, both older than ``[data] stale_after_days`` on any day this
test runs. ``hindcast``, ``analogs``, ``calibrate`` and ``sensitivity`` run through the
command line, each into its own folder; a study that allows a century of age warns nowhere.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
import tomli_w

import feeds
from flowimpact.cli import main

STUDY = {
    "study": {"name": "staleness test study", "start": "2025-06-01"},
    "paths": {"n_paths": 4, "horizon_end": "2026-06-30"},
    "inflow": {"allocation": 0.01, "reallocation_share": 0.25, "lag_months": 1,
               "ramp_months": 3},
    "impact": {"model": "multiplier"},
    "sensitivity": {"samples": 8, "n_paths": 2,
                    "ranges": {"multiplier": [2, 20], "allocation": [0.005, 0.02]}},
}
COMMANDS = ("hindcast", "analogs", "calibrate", "sensitivity")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    root = tmp_path_factory.mktemp("stale") / "data"
    store = feeds.CandleStore(root)
    for name in ("binance_BTCUSDT_1d.csv", "binance_ETHUSDT_1d.csv"):
        feeds.import_csv(shared_data / "prices" / name, store)
    for path in sorted((shared_data / "etf_flows").glob("*.csv")):
        feeds.import_csv(path, store)
    return root


def _run(command: str, data_dir: Path, out: Path, study: dict[str, object],
         capsys: pytest.CaptureFixture[str]) -> str:
    path = out.parent / f"{out.name}.toml"
    path.write_text(tomli_w.dumps(study), encoding="utf-8")
    args = [command, "--config", str(path), "--data-dir", str(data_dir), "--out", str(out)]
    if command == "sensitivity":
        args.append("--no-progress")
    capsys.readouterr()
    code = main(args)
    err = capsys.readouterr().err
    assert code == 0, err
    return err


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_says_the_data_is_stale(
    command: str, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / command
    err = _run(command, data_dir, out, STUDY, capsys)
    warnings = [line.removeprefix("flowimpact: warning: ") for line in err.splitlines()
                if line.startswith("flowimpact: warning: ")]
    assert any(w.startswith("the newest candle is from 2026-01-05") for w in warnings), err
    assert any(w.startswith("the BTC ETF flow table ends") for w in warnings), err
    assert any(w.startswith("the ETH ETF flow table ends") for w in warnings), err
    page = {"analogs": "analogs.html", "calibrate": None}.get(command, "report.html")
    if page is not None:
        text = (out / page).read_text(encoding="utf-8")
        for warning in warnings:
            assert f"Warning: {html.escape(warning)}" in text, (page, warning)
        assert '<meta name="viewport"' in text
    if (out / "run.json").exists():
        manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
        assert manifest["warnings"] == warnings


def test_fresh_enough_data_warns_nowhere(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = {**STUDY, "data": {"stale_after_days": 36_500}}
    out = tmp_path / "hindcast"
    assert "warning" not in _run("hindcast", data_dir, out, study, capsys)
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["warnings"] == []
    assert 'class="warning"' not in (out / "report.html").read_text(encoding="utf-8")
