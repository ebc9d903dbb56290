"""Start-up: the quick commands do not import the heavy numeric and plotting libraries.

pandas, pyarrow, ccxt, SQLAlchemy, APScheduler, vectorbt, numba and plotly take seconds to
import; ``flowimpact --help`` and ``flowimpact data list`` need none of them, and ``--help``
needs nothing but click (the command modules load on first use:
``flowimpact.cli._app.LazyGroup``); ``data list`` reads the store's JSON summaries
(``feeds.listing``). Each command runs in a fresh interpreter, which then reports what it had
imported.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest

import feeds
from flowimpact.cli import _app
from tests.scheduler.helpers import REPO_ROOT, subprocess_env

HEAVY = ("pandas", "pyarrow", "ccxt", "sqlalchemy", "apscheduler", "vectorbt", "numba", "plotly")

_RUN_AND_REPORT = f"""
import json, sys
from flowimpact.cli import main
code = main(sys.argv[1:])
packages = sorted({{name.split(".")[0] for name in sys.modules}} - set(sys.stdlib_module_names))
print(json.dumps({{
    "code": code,
    "heavy": [m for m in {HEAVY!r} if m in sys.modules],
    "packages": packages,
    "modules": sorted(name for name in sys.modules if name.startswith("flowimpact")),
}}))
"""


def _run(*args: str, data_dir: Path) -> tuple[str, dict[str, object]]:
    env = subprocess_env()
    env["FLOWIMPACT_DATA_DIR"] = str(data_dir)
    out = subprocess.run(
        [sys.executable, "-c", _RUN_AND_REPORT, *args],
        capture_output=True, text=True, check=True, cwd=REPO_ROOT, env=env,
    )
    *printed, report = out.stdout.strip().splitlines()
    return "\n".join(printed), json.loads(report)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one daily series, so ``data list`` has rows to show."""
    data_dir = tmp_path_factory.mktemp("store")
    days = pd.date_range("2024-01-01", periods=30, freq="D", tz="UTC")
    close = 100.0 + np.arange(30.0)
    candles = pd.DataFrame(
        {"open": close, "high": close + 1, "low": close - 1, "close": close, "volume": 10.0},
        index=days,
    )
    candles["source"] = "test"
    feeds.CandleStore(data_dir).merge("binance", "BTC/USDT", "1d", candles)
    return data_dir


def test_help_imports_no_heavy_library(store_dir: Path) -> None:
    printed, report = _run("--help", data_dir=store_dir)
    assert report["code"] == 0
    assert "data" in printed and "run" in printed  # the help text itself was printed
    assert report["heavy"] == []


def test_help_loads_click_and_the_command_line_only(store_dir: Path) -> None:
    # the packages --help may load, pinned: pandas, numpy, ccxt, pyarrow, SQLAlchemy and
    # APScheduler cost 1.4 s of start-up between them; none of the command modules loads
    _, report = _run("--help", data_dir=store_dir)
    packages = {p for p in report["packages"] if not p.startswith(("_", "__"))}
    assert packages == {"click", "flowimpact"}, packages
    assert report["modules"] == [
        "flowimpact", "flowimpact.cli", "flowimpact.cli._app", "flowimpact.cli._errors",
        "flowimpact.errors",
    ]  # fmt: skip


def test_the_lazy_command_table_matches_the_commands() -> None:
    # --help lists each command from the table without importing it: the table must say what
    # the command's own help says, at any terminal width
    group = _app.cli
    names = group.list_commands(click.Context(group))
    assert names == sorted(_app.COMMANDS)
    for name in names:
        command = group.get_command(click.Context(group), name)
        assert command is not None and command.callback.__module__ == _app.COMMANDS[name][0]
        for limit in (30, 45, 74, 200):
            from_table = click.Command(name, help=_app.COMMANDS[name][1])
            assert from_table.get_short_help_str(limit) == command.get_short_help_str(limit), name
    assert "drop" in group.get_command(click.Context(group), "data").commands  # data repair


def test_data_list_imports_no_heavy_library(store_dir: Path) -> None:
    printed, report = _run("data", "list", data_dir=store_dir)
    assert report["code"] == 0
    assert "BTC/USDT" in printed  # the store was really read and listed
    assert report["heavy"] == []
    printed, report = _run("data", data_dir=store_dir)  # `data` alone is `data list`
    assert "BTC/USDT" in printed and report["heavy"] == []


def test_data_list_without_summaries_reads_the_files_and_says_the_same(
    store_dir: Path, tmp_path: Path
) -> None:
    # a store written by an older version (no summaries) or changed by another tool (the
    # summary's checksum no longer matches): the files are read whole, the listing is the same
    listed, _ = _run("data", "list", data_dir=store_dir)
    old = tmp_path / "old"
    shutil.copytree(store_dir, old)
    summaries = sorted(old.rglob("*.summary.json"))
    assert summaries  # the store's writes left them
    summaries[0].unlink()
    stale = tmp_path / "stale"
    shutil.copytree(store_dir, stale)
    for summary in stale.rglob("*.summary.json"):  # every figure wrong, the checksum too
        summary.write_text(summary.read_text().replace('"rows": 30', '"rows": 31'))
        summary.write_text(re.sub(r'"sha256": "[0-9a-f]+"', '"sha256": "00"',
                                  summary.read_text()))
    for folder in (old, stale):
        printed, report = _run("data", "list", data_dir=folder)
        assert printed == listed.replace(str(store_dir), str(folder))
        assert "pandas" in report["heavy"]  # it really read the Parquet file


@pytest.mark.slow
def test_the_check_sees_a_heavy_import() -> None:
    # the same report after a command that evaluates portfolios: the check can fail
    code = f"import sys, backtest.sim.portfolio; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=REPO_ROOT, env=subprocess_env(),
    )
    assert "vectorbt" in out.stdout and "numba" in out.stdout and "pandas" in out.stdout
