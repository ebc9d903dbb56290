"""The jobs of flowimpact, each one call: the one module that calls every other part.

- ``run_study``: the main job, from stored prices to the files of the outside contract. Steps,
  in order: load daily prices (fetching through ccxt only when nothing is stored), the analogs
  and the calibration (they also resolve ``calibrated:`` grid values), baseline paths, every
  scenario's 401(k) flow schedule, then the chunks (engine, impact figures and vectorbt
  evaluation of whole scenarios at a time, ``backtest.study.chunks``, in this process or on
  Dask), then ``scenarios.csv``, ``flows.csv``, ``analogs.csv`` (and the calibration and flow
  comparison), ``report.html`` and ``run.json``. Each output is written atomically.
- ``run_analogs``: the event study and the flow comparison alone (``flowimpact analogs``),
  through the same steps and writer as the run, so both write the same ``analogs.csv``.
- ``run_calibration``: impact parameters from the stored ETF flows (``flowimpact calibrate``).
- ``run_flows``: every distinct inflow schedule (``flowimpact flows``), without the engine.
- ``run_hindcast``: the stored ETF flows run back through the study's impact models over
  history (``flowimpact hindcast``; ``backtest.analogs.hindcast``). The run does it too, in
  its analogs step, for its report.
- ``run_sensitivity``: the global sensitivity analysis of ``[sensitivity]`` (Sobol', Morris or
  one at a time; ``flowimpact sensitivity``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from backtest.report import files as outputs
from backtest.report import study_page
from backtest.report.analogs_sections import write_analogs_page
from backtest.report.sensitivity_files import write_sensitivity_outputs
from backtest.report.sources import price_source
from backtest.sim.baseline import build_baseline
from backtest.study import (
    analogs_step,
    evidence_step,
    flow_tables,
    hindcast_step,
    scenario_inputs,
    sensitivity_evidence,
    sensitivity_step,
)
from backtest.study.chunks import (
    SharedInputs,
    combine,
    plan_chunks,
    run_chunk,
    scenarios_per_chunk,
)
from backtest.study.compute import ComputeConfig, duration_text, estimated_seconds
from backtest.study.config import Study
from backtest.study.executors import map_chunks
from backtest.study.prices import freshness, load_daily_price_set, load_daily_prices
from backtest.study.results import (
    HOW_TO_IMPORT_ETF_FLOWS,
    AnalogsOutcome,
    FanBands,
    HindcastRun,
    RunResult,
    StudyRun,
)
from backtest.study.schedules import build_schedules, flows_table, inflow_axes, summary_table
from backtest.study.sensitivity_plan import market_caps, sensitivity_plan
from backtest.study.sensitivity_step import SensitivityOutcome
from backtest.study.table import scenarios_table
from flowimpact.errors import ConfigError, DataUnavailableError
from flowimpact.staging import staged_directory
from strategies.inflow import FlowSchedule
from strategies.inflow_config import MARKET_CAP_SPLIT

STEPS = ("prices", "analogs", "baseline", "flows", "chunks", "outputs", "report")


def run_study(
    study: Study,
    data_dir: Path,
    out_dir: Path,
    *,
    progress: bool = True,
    now: datetime | None = None,
    allow_large_grid: bool = False,
    notices: Sequence[str] = (),
    compute: ComputeConfig | None = None,
) -> RunResult:
    """Run the whole study and write its report into ``out_dir``, all files as one set.

    The grid runs in chunks of whole scenarios (``backtest.study.chunks``), in this process or
    on Dask as ``compute`` (default: the study's ``[compute]``) says; the results depend on
    neither. The files are written into a staging folder beside ``out_dir`` and swapped in
    when all are complete (``flowimpact.staging``): a killed run or a full disk leaves the
    previous set. An ``out_dir`` that cannot be written is refused (exit 2) before any
    computing.
    ``notices``: more warnings about the data for the report, run.json and stderr (the
    scheduler's files that could not be imported, say).
    """
    with staged_directory(Path(out_dir)) as staging:
        staged = _run_study(
            study,
            data_dir,
            staging,
            progress=progress,
            now=now,
            allow_large_grid=allow_large_grid,
            notices=tuple(notices),
            compute=compute or study.compute,
        )
    files = {name: Path(out_dir) / path.name for name, path in staged.files.items()}
    return RunResult(
        out_dir=Path(out_dir), report_path=files["report.html"], files=files, run=staged.run
    )


def _run_study(
    study: Study,
    data_dir: Path,
    out_dir: Path,
    *,
    progress: bool,
    now: datetime | None,
    allow_large_grid: bool,
    notices: tuple[str, ...] = (),
    compute: ComputeConfig,
) -> RunResult:
    started = now or datetime.now(UTC)
    timings: dict[str, float] = {}
    with tqdm(
        total=len(STEPS), desc="study", unit="step", disable=not progress, leave=False
    ) as bar:

        def step(name: str) -> _Timer:
            bar.set_postfix_str(name)
            return _Timer(name, timings, bar)

        # the grid's size is known before calibration (a token is one value): refuse before any work
        check_run_time(study, compute, allow_large_grid)
        extra_flows = flow_tables.for_study(study, data_dir)  # [flows]: refused before any work
        with step("prices"):
            price_set = load_daily_price_set(study, data_dir, progress=progress)
            prices = price_set.prices
            last_day, stale = freshness(prices, started, study.data.stale_after_days)
            warnings = (*notices, *stale)
        with step("analogs"):
            analogs = analogs_step.run_analogs(study, prices, data_dir)
            analogs = evidence_step.with_evidence(study, prices, analogs)
            analogs = hindcast_step.with_hindcast(study, prices, analogs)
        scenarios = study.scenarios(analogs.resolve, analogs.solve)
        with step("baseline"):
            baseline = build_baseline(prices, study.paths, study.study.start)
        with step("flows"):
            inputs = scenario_inputs.build(scenarios, baseline, prices, extra_flows)
            analogs = analogs_step.with_comparison(analogs, inputs.by_inflow)
        with step("chunks"):
            drawn, _ = study_page.drawn_scenarios(study, scenarios)
            specs = plan_chunks(
                len(scenarios),
                scenarios_per_chunk(compute.chunk_columns, baseline.n_paths, len(baseline.assets)),
                drawn,
            )
            shared = SharedInputs.build(baseline, inputs, scenarios, study.evaluate)
            results = map_chunks(run_chunk, specs, shared, compute, progress=progress)
            combined = combine((result for _, result in results), len(baseline.assets))
            table = scenarios_table(
                scenarios,
                baseline.assets,
                combined.impacts,
                combined.evaluation,
                inputs.flow_sources,
            )
        tornado = sensitivity_step.run_tornado(study, baseline, prices, timings, extra_flows)
        run = StudyRun(
            study=study,
            scenarios=scenarios,
            prices=prices,
            baseline=baseline,
            inputs=inputs,
            fans=FanBands(scenarios=tuple(drawn), impacted=combined.bands),
            table=table,
            analogs=analogs,
            timings_s=timings,
            chunk_seconds=combined.seconds,
            n_chunks=len(specs),
            compute=compute,
            started_utc=started,
            last_candle_day=last_day,
            price_sources=price_set.sources,
            warnings=warnings,
            tornado=tornado,
        )
        bar.set_postfix_str("outputs")
        files = outputs.write_outputs(run, out_dir)  # times "outputs" and "report" itself
        bar.update(2)
    return RunResult(out_dir=out_dir, report_path=files["report.html"], files=files, run=run)


@dataclass(frozen=True)
class AnalogsResult:
    """What ``run_analogs`` computed and where it wrote it."""

    outcome: AnalogsOutcome
    files: dict[str, Path]


def run_analogs(study: Study, data_dir: Path, out_dir: Path) -> AnalogsResult:
    """The event study and (when ETF flows are stored) the flow comparison, as the run does them.

    Writes ``analogs.csv`` and ``analogs_aligned.csv`` (the window's days aligned on day 0),
    ``flow_comparison.csv`` and ``flow_cumulative.csv`` when ETF flows are stored, and
    ``analogs.html``. The calibration is not run (``run_calibration`` is).
    """
    prices = load_daily_prices(study, data_dir, progress=False)
    outcome = analogs_step.run_analogs(study, prices, data_dir, calibrate_flows=False)
    outcome = analogs_step.with_comparison(outcome, _inflow_schedules(study, prices))
    tables = {"analogs.csv": outcome.events.table, "analogs_aligned.csv": outcome.events.aligned}
    if outcome.comparison is not None:
        tables["flow_comparison.csv"] = outcome.comparison.table
        tables["flow_cumulative.csv"] = outcome.comparison.cumulative
    files = outputs.write_tables(out_dir, tables)
    files["analogs.html"] = write_analogs_page(
        out_dir / "analogs.html",
        outcome,
        prices=price_source(study.data),
        axes_of=inflow_axes(study.inflow_scenarios()),
    )
    return AnalogsResult(outcome=outcome, files=files)


def run_calibration(study: Study, data_dir: Path, out_dir: Path) -> AnalogsResult:
    """Impact parameters (M, Y, λ) from stored ETF flows: ``calibration.csv``; exit 3 if none."""
    prices = load_daily_prices(study, data_dir, progress=False)
    outcome = analogs_step.run_analogs(study, prices, data_dir, strict_calibration=True)
    if outcome.calibration is None:
        raise DataUnavailableError(
            f"no ETF flow table for {', '.join(prices)} in {data_dir}: {HOW_TO_IMPORT_ETF_FLOWS}"
        )
    files = outputs.write_tables(out_dir, {"calibration.csv": outcome.calibration.table})
    return AnalogsResult(outcome=outcome, files=files)


@dataclass(frozen=True)
class FlowsResult:
    """``flows.csv`` of ``run_flows`` and its per-inflow summary."""

    path: Path
    summary: pd.DataFrame


def run_flows(study: Study, data_dir: Path, out_dir: Path) -> FlowsResult:
    """Every distinct 401(k) inflow schedule of the study (``flows.csv``), without the engine.

    Prices are read only when a scenario splits money by market cap at the announcement; with
    the default fixed split this needs no data at all (``[flows]`` tables are read, and an
    ``etf:`` table needs the store); they are in every inflow's rows. The sleeve's rebalancing
    trades depend on the impacted price, so they are not in these tables (the sleeve's
    contributions are).
    """
    extra = flow_tables.for_study(study, data_dir)
    needs_prices = any(s.inflow.split == MARKET_CAP_SPLIT for s in study.inflow_scenarios())
    prices = load_daily_prices(study, data_dir, progress=False) if needs_prices else None
    schedules = _inflow_schedules(study, prices)
    files = outputs.write_tables(out_dir, {"flows.csv": flows_table(schedules, extra)})
    return FlowsResult(path=files["flows.csv"], summary=summary_table(schedules, extra))


@dataclass(frozen=True)
class HindcastOutput:
    """What ``run_hindcast`` computed and where it wrote it."""

    run: HindcastRun
    files: dict[str, Path]


def run_hindcast(
    study: Study, data_dir: Path, out_dir: Path, *, now: datetime | None = None
) -> HindcastOutput:
    """The stored ETF flows through the study's impact models over history; exit 3 if none.

    Writes hindcast.csv, hindcast_paths.csv, hindcast_explaining.csv, run.json, report.html,
    as one set as the run does (``flowimpact.staging``). The calibration runs first, so a
    ``calibrated:`` grid value and each asset's own calibrated value are in the table.
    """
    started = now or datetime.now(UTC)
    timings: dict[str, float] = {}
    with staged_directory(Path(out_dir)) as staging, tqdm(total=3, disable=True) as bar:
        with _Timer("prices", timings, bar):
            prices = load_daily_prices(study, data_dir, progress=False)
        with _Timer("calibration", timings, bar):
            outcome = analogs_step.run_analogs(study, prices, data_dir)
        with _Timer("hindcast", timings, bar):
            result = hindcast_step.hindcast_study(study, prices, outcome)
        run = HindcastRun(
            study=study,
            prices=prices,
            analogs=hindcast_step.with_level_set(
                study, prices, dataclasses.replace(outcome, hindcast=result)
            ),
            timings_s=timings,
            started_utc=started,
        )
        staged = outputs.write_hindcast_outputs(run, staging)
    files = {name: Path(out_dir) / path.name for name, path in staged.items()}
    return HindcastOutput(run=run, files=files)


@dataclass(frozen=True)
class SensitivityResult:
    """What ``run_sensitivity`` computed and where it wrote it."""

    outcome: SensitivityOutcome
    files: dict[str, Path]
    report_path: Path


def run_sensitivity(
    study: Study,
    data_dir: Path,
    out_dir: Path,
    *,
    progress: bool = True,
    workers: int = 0,
    scheduler: str = "",
    now: datetime | None = None,
) -> SensitivityResult:
    """The global sensitivity analysis of ``[sensitivity]`` (``flowimpact sensitivity``).

    The plan is checked before any work (exit 2 naming the key); then the daily prices, the
    baseline with ``[sensitivity] n_paths`` paths, every sample through the engine in chunks,
    SALib's indices, and ``sensitivity.csv``, ``sensitivity_samples.csv``, ``run.json`` and
    ``report.html``, written as one set as the run's (``flowimpact.staging``). The ``[flows]``
    tables are added to every sample, as the run adds them to every scenario. ``workers`` and
    ``scheduler`` (else ``[compute]``'s) run the chunks on Dask, with the same numbers.
    """
    started = now or datetime.now(UTC)
    plan = sensitivity_plan(study)
    extra_flows = flow_tables.for_study(study, data_dir)  # [flows]: refused before any work
    timings: dict[str, float] = {}
    with staged_directory(Path(out_dir)) as staging:
        clock = time.perf_counter()
        price_set = load_daily_price_set(study, data_dir, progress=progress)
        prices = price_set.prices
        paths = replace(study.paths, n_paths=plan.config.n_paths)
        baseline = build_baseline(prices, paths, study.study.start)
        timings["prices_and_baseline"] = round(time.perf_counter() - clock, 3)
        plan, evidence = sensitivity_evidence.prepare(plan, study, prices, data_dir)
        outcome = sensitivity_step.analyse(
            plan,
            baseline,
            market_caps_usd=market_caps(plan, prices),
            extra_flows=extra_flows,
            workers=workers or study.compute.workers,
            scheduler=scheduler or study.compute.scheduler,
            progress=progress,
        )
        outcome = sensitivity_evidence.with_implied_share(outcome, evidence)
        timings.update(outcome.timings_s)
        staged = write_sensitivity_outputs(
            outcome,
            study,
            prices,
            baseline,
            staging,
            started_utc=started,
            timings_s=timings,
            extra_flows=extra_flows,
            price_sources=price_set.sources,
        )
    files = {name: Path(out_dir) / path.name for name, path in staged.items()}
    return SensitivityResult(outcome=outcome, files=files, report_path=files["report.html"])


def _inflow_schedules(
    study: Study, prices: dict[str, pd.DataFrame] | None
) -> dict[str, FlowSchedule]:
    return build_schedules(study.inflow_scenarios(), study.days, study.data.assets, prices)


def check_run_time(study: Study, compute: ComputeConfig, allow_large_grid: bool) -> float:
    """The estimated run time in seconds; ConfigError over ``[study] max_minutes``.

    The estimate is ``backtest.study.compute.estimated_seconds``; memory needs no guard, since
    the grid runs in chunks. A remote cluster counts as one process (its size is not known
    before connecting).
    """
    n_columns = study.n_scenarios * study.paths.n_paths * len(study.data.symbols)
    seconds = estimated_seconds(n_columns, len(study.days), max(compute.workers, 1))
    grid = (
        f"the grid has {study.n_scenarios} scenarios x {study.paths.n_paths} paths x "
        f"{len(study.data.symbols)} assets = {n_columns:,} columns"
    )
    limits = study.study
    if allow_large_grid:
        return seconds
    if seconds > limits.max_minutes * 60:
        raise ConfigError(
            f"{grid}, estimated {duration_text(seconds)} {compute.describe()}, over [study] "
            f"max_minutes = {limits.max_minutes:g}; pass --allow-large-grid, add --workers, "
            "or shrink the grid"
        )
    if limits.max_columns and n_columns > limits.max_columns:
        raise ConfigError(
            f"{grid}, over [study] max_columns = {limits.max_columns:,}; pass "
            "--allow-large-grid or shrink it"
        )
    return seconds


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


__all__ = [
    "STEPS",
    "AnalogsResult",
    "FlowsResult",
    "HindcastOutput",
    "RunResult",
    "SensitivityResult",
    "StudyRun",
    "check_run_time",
    "run_analogs",
    "run_calibration",
    "run_flows",
    "run_hindcast",
    "run_sensitivity",
    "run_study",
]
