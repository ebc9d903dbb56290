"""numba's on-disk cache is on for every kernel and serves a second process.

A cold compile of the study's kernels costs seconds (13.7 s measured for the whole study); with
``cache=True`` a later process loads them from ``__pycache__`` instead. Checked here: every
numba function of ``backtest.sim`` has the cache on, and a second process that evaluates
portfolios (the package's kernels and the vectorbt kernels they call) compiles nothing.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import pytest
from numba.core.registry import CPUDispatcher

import backtest.sim
from tests.scheduler.helpers import REPO_ROOT, subprocess_env

pytestmark = pytest.mark.slow  # compiles every kernel in a fresh process, twice


def _sim_kernels() -> dict[str, CPUDispatcher]:
    kernels = {}
    for info in pkgutil.iter_modules(backtest.sim.__path__, "backtest.sim."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == info.name:
                kernels[f"{info.name}.{name}"] = value
    return kernels


def test_every_sim_kernel_has_the_cache_on() -> None:
    kernels = _sim_kernels()
    assert "backtest.sim.portfolio.column_metrics_nb" in kernels
    assert any(name.startswith("backtest.sim.kernels.") for name in kernels)
    uncached = [name for name, kernel in kernels.items() if kernel.stats.cache_path is None]
    assert uncached == []


# Evaluates a small grid with every strategy, then reports each compiled numba function of
# backtest and vectorbt that has the cache on: how many signatures came from the cache, how
# many were compiled.
_EVALUATE_AND_REPORT = """
import json, sys
import numpy as np, pandas as pd
from numba.core.registry import CPUDispatcher
from backtest.sim.evaluate import EvaluateConfig, EvaluationInput, evaluate

rng = np.random.default_rng(0)
baseline = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, (3, 60, 2)), axis=1))
pay_day = np.zeros((2, 60), dtype=bool)
pay_day[:, 5::9] = True
evaluate(
    EvaluationInput(
        days=pd.date_range("2025-01-01", periods=60, freq="D", tz="UTC"),
        impacted_close_usd=np.stack([baseline, baseline * 1.01]),
        baseline_close_usd=baseline, announcement_day=3,
        first_flow_day=np.array([20, 25]), ramp_end_day=np.array([40, 50]), pay_day=pay_day,
    ),
    EvaluateConfig(hold_days=20),
)
report = {}
for name, module in list(sys.modules.items()):
    if not name.startswith(("backtest.", "vectorbt.")):
        continue
    for attr, value in list(vars(module).items()):
        if isinstance(value, CPUDispatcher) and value.signatures:
            stats = value.stats
            if stats.cache_path is not None:
                key = value.py_func.__module__ + "." + attr
                report[key] = [sum(stats.cache_hits.values()), sum(stats.cache_misses.values())]
print(json.dumps(report))
"""


def _evaluate_in_a_new_process() -> dict[str, list[int]]:
    out = subprocess.run(
        [sys.executable, "-c", _EVALUATE_AND_REPORT], capture_output=True, text=True,
        check=True, cwd=REPO_ROOT, env=subprocess_env(),
    )
    return json.loads(out.stdout)


def test_a_second_process_loads_every_kernel_from_the_cache() -> None:
    _evaluate_in_a_new_process()  # compiles and writes the cache if it is cold
    report = _evaluate_in_a_new_process()
    assert report["backtest.sim.portfolio.column_metrics_nb"][0] >= 1
    assert "vectorbt.records.nb.col_map_nb" in report  # a vectorbt kernel the evaluation calls
    compiled = {name: counts for name, counts in report.items() if counts[1] > 0}
    assert compiled == {}
