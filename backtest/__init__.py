"""flowimpact's study: what a steady 401(k) inflow does to BTC and ETH prices.

The public API, for notebooks and scripts (the command line calls the same functions)::

    from backtest import load_study, run_study
    study = load_study("my_study.toml")          # the default study, with the file merged over it
    study = load_study(overrides={"paths": {"n_paths": 50}})  # or a nested mapping merged over
    study = study.replace("inflow", allocation=[0.01, 0.02])  # one section's keys replaced
    result = run_study(study, data_dir, out_dir)  # every step, then report.html and the CSVs
    result.answer()                               # the answer table as the report shows it
    result.table                                  # scenarios.csv as a DataFrame
    result.plot.answer(), result.plot.fan(), result.plot.flows()  # the report's plotly figures

Inside: ``backtest.sim`` (arrays in, arrays out: impact models, decay, baseline paths, the
numba engine, the vectorbt evaluation), ``backtest.analogs`` (event study, calibration, flow
comparison), ``backtest.study`` (the study file, scenarios and the steps of a run),
``backtest.report`` (every file and page), and ``backtest.run`` on top. Names load on first
use, so importing ``backtest`` costs nothing until one is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowimpact.lazy import lazy_exports

if TYPE_CHECKING:
    from backtest.report.views import StudyResult
    from backtest.run import (
        AnalogsResult,
        FlowsResult,
        HindcastOutput,
        SensitivityResult,
        run_analogs,
        run_calibration,
        run_flows,
        run_hindcast,
        run_sensitivity,
        run_study,
    )
    from backtest.sim.baseline import BaselinePaths, build_baseline
    from backtest.sim.engine import EngineResult, run_engine
    from backtest.sim.impact import ImpactConfig, impact_model
    from backtest.study.analogs_step import AnalogsOutcome
    from backtest.study.config import Scenario, Study, load_study
    from backtest.study.results import RunResult, StudyRun

_EXPORTS = {
    "load_study": "backtest.study.config",
    "Study": "backtest.study.config",
    "Scenario": "backtest.study.config",
    "run_study": "backtest.run",
    "run_analogs": "backtest.run",
    "run_calibration": "backtest.run",
    "run_flows": "backtest.run",
    "run_hindcast": "backtest.run",
    "HindcastOutput": "backtest.run",
    "run_sensitivity": "backtest.run",
    "SensitivityResult": "backtest.run",
    "AnalogsResult": "backtest.run",
    "FlowsResult": "backtest.run",
    "RunResult": "backtest.study.results",
    "StudyResult": "backtest.report.views",
    "StudyRun": "backtest.study.results",
    "AnalogsOutcome": "backtest.study.analogs_step",
    "ImpactConfig": "backtest.sim.impact",
    "impact_model": "backtest.sim.impact",
    "BaselinePaths": "backtest.sim.baseline",
    "build_baseline": "backtest.sim.baseline",
    "EngineResult": "backtest.sim.engine",
    "run_engine": "backtest.sim.engine",
}

__all__ = [
    "AnalogsOutcome",
    "AnalogsResult",
    "BaselinePaths",
    "EngineResult",
    "FlowsResult",
    "HindcastOutput",
    "ImpactConfig",
    "RunResult",
    "Scenario",
    "SensitivityResult",
    "Study",
    "StudyResult",
    "StudyRun",
    "build_baseline",
    "impact_model",
    "load_study",
    "run_analogs",
    "run_calibration",
    "run_engine",
    "run_flows",
    "run_hindcast",
    "run_sensitivity",
    "run_study",
]


__getattr__ = lazy_exports("backtest", _EXPORTS)


def __dir__() -> list[str]:
    return __all__
