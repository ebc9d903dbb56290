"""``run_study``: the main job, from stored prices to the files of the outside contract.

Steps, in order: load prices (fetching through ccxt only when nothing is stored), the analogs
and the calibration (they also resolve ``calibrated:`` grid values), baseline paths, every
scenario's 401(k) flow schedule, the engine, the vectorbt evaluation, then ``scenarios.csv``,
``analogs.csv``, ``run.json`` and ``report.html``. Each output is written atomically.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from backtest.sim.baseline import BaselinePaths, build_baseline
from backtest.sim.engine import EngineResult, run_engine
from backtest.sim.evaluate import EvaluationInput, evaluate
from backtest.sim.metrics import impact_metrics
from backtest.study import analogs_step, scenario_inputs
from backtest.study.analogs_step import AnalogsOutcome
from backtest.study.config import Scenario, Study
from flowimpact.errors import ConfigError

STEPS = ("prices", "analogs", "baseline", "flows", "engine", "evaluate", "outputs")


@dataclass(frozen=True, eq=False)
class StudyRun:
    """Everything one run computed, for the report and for notebooks."""

    study: Study
    scenarios: list[Scenario]
    prices: dict[str, pd.DataFrame]
    baseline: BaselinePaths
    inputs: scenario_inputs.ScenarioInputs
    engine: EngineResult
    table: pd.DataFrame  # scenarios.csv
    analogs: AnalogsOutcome
    timings_s: dict[str, float] = field(default_factory=dict)
    started_utc: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class RunResult:
    """Where a run wrote its files, and the run itself."""

    out_dir: Path
    report_path: Path
    files: dict[str, Path]
    run: StudyRun


def run_study(
    study: Study,
    data_dir: Path,
    out_dir: Path,
    *,
    progress: bool = True,
    now: datetime | None = None,
    allow_large_grid: bool = False,
) -> RunResult:
    """Run the whole study and write its report into ``out_dir``."""
    from backtest.report import files as outputs
    from backtest.study import prices as prices_step

    started = now or datetime.now(UTC)
    timings: dict[str, float] = {}
    with tqdm(
        total=len(STEPS) + len(study.evaluate.strategies),
        desc="study",
        unit="step",
        disable=not progress,
        leave=False,
    ) as bar:

        def step(name: str) -> _Timer:
            bar.set_postfix_str(name)
            return _Timer(name, timings, bar)

        # the grid's size is known before calibration (a token is one value): refuse before any work
        _check_grid(study, study.n_scenarios, allow_large_grid)
        with step("prices"):
            prices = prices_step.load_daily_prices(study, data_dir, progress=progress)
        with step("analogs"):
            analogs = analogs_step.run_analogs(study, prices, data_dir)
        scenarios = study.scenarios(analogs.resolve)
        with step("baseline"):
            baseline = build_baseline(prices, study.paths, study.study.start)
        with step("flows"):
            inputs = scenario_inputs.build(scenarios, baseline, prices)
            analogs = analogs.with_comparison(inputs.by_inflow)
        with step("engine"):
            engine = run_engine(
                baseline,
                inputs.direct_flow_usd,
                [s.impact for s in scenarios],
                inputs.sleeve,
                inputs.announcement_day,
            )
        with step("evaluate"):
            evaluation = evaluate(
                EvaluationInput(
                    days=baseline.days,
                    impacted_close_usd=engine.close_usd,
                    baseline_close_usd=baseline.close_usd,
                    announcement_day=inputs.announcement_day,
                    first_flow_day=inputs.first_flow_day,
                    ramp_end_day=inputs.ramp_end_day,
                    pay_day=inputs.pay_day,
                ),
                study.evaluate,
                on_strategy_done=lambda name: (
                    bar.set_postfix_str(f"evaluated {name}"),
                    bar.update(1),
                ),
            )
            impacts = impact_metrics(
                engine.flow_usd,
                engine.log_impact,
                baseline.volume_usd,
                [s.impact.volume_coverage for s in scenarios],
            )
            table = outputs.scenarios_table(scenarios, baseline.assets, impacts, evaluation)
        run = StudyRun(
            study=study,
            scenarios=scenarios,
            prices=prices,
            baseline=baseline,
            inputs=inputs,
            engine=engine,
            table=table,
            analogs=analogs,
            timings_s=timings,
            started_utc=started,
        )
        with step("outputs"):
            files = outputs.write_outputs(run, out_dir, data_dir)
    return RunResult(out_dir=out_dir, report_path=files["report.html"], files=files, run=run)


def _check_grid(study: Study, n_scenarios: int, allow_large_grid: bool) -> None:
    n_columns = n_scenarios * study.paths.n_paths * len(study.data.symbols)
    if n_columns > study.study.max_columns and not allow_large_grid:
        raise ConfigError(
            f"the grid has {n_scenarios} scenarios x {study.paths.n_paths} paths x "
            f"{len(study.data.symbols)} assets = {n_columns:,} columns, over [study] "
            f"max_columns = {study.study.max_columns:,}; pass --allow-large-grid or shrink it"
        )


class _Timer:
    """Times one step into ``timings`` and advances the progress bar."""

    def __init__(self, name: str, timings: dict[str, float], bar: tqdm) -> None:
        self.name, self.timings, self.bar = name, timings, bar

    def __enter__(self) -> _Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timings[self.name] = round(time.perf_counter() - self.start, 3)
        self.bar.update(1)
