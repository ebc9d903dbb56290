"""Start-up: the quick commands do not import the heavy numeric and plotting libraries.

vectorbt, numba and plotly take seconds to import; ``flowimpact --help`` and ``flowimpact data
list`` need none of them. Each command runs in a fresh interpreter, which then reports what it
had imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import feeds
from tests.scheduler.helpers import REPO_ROOT, subprocess_env

HEAVY = ("vectorbt", "numba", "plotly")

_RUN_AND_REPORT = f"""
import json, sys
from flowimpact.cli import main
code = main(sys.argv[1:])
print(json.dumps({{"code": code, "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
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


def test_data_list_imports_no_heavy_library(store_dir: Path) -> None:
    printed, report = _run("data", "list", data_dir=store_dir)
    assert report["code"] == 0
    assert "BTC/USDT" in printed  # the store was really read and listed
    assert report["heavy"] == []


@pytest.mark.slow
def test_the_check_sees_a_heavy_import() -> None:
    # the same report after a command that evaluates portfolios: the check can fail
    code = f"import sys, backtest.sim.portfolio; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=REPO_ROOT, env=subprocess_env(),
    )
    assert "vectorbt" in out.stdout and "numba" in out.stdout
