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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from backtest.report import files as outputs
from backtest.report.analogs_sections import write_analogs_page
from backtest.report.sensitivity.files import write_sensitivity_outputs
from backtest.report.sources import price_source
from backtest.report.views import HindcastViews, SensitivityViews, StudyResult
from backtest.sim.baseline import BaselinePaths, build_baseline
from backtest.sim.impact import coverage_table
from backtest.study import (
    analogs_step,
    evidence_step,
    flow_tables,
    hindcast_step,
    scenario_inputs,
)
from backtest.study.analogs_step import HOW_TO_IMPORT_ETF_FLOWS, AnalogsOutcome
from backtest.study.chunks import SharedInputs, chunk_plan, combine, run_chunk
from backtest.study.compute import ComputeConfig, duration_text, estimated_seconds
from backtest.study.config import Study, check_memory
from backtest.study.drawn import drawn_scenarios
from backtest.study.executors import check_scheduler, map_chunks
from backtest.study.job import Job, file_writer, final_files, staged
from backtest.study.prices import (
    data_warnings,
    freshness,
    load_daily_price_set,
    load_daily_prices,
)
from backtest.study.results import FanBands, HindcastRun, RunResult, StudyRun, Written
from backtest.study.schedules import build_schedules, flows_table, inflow_axes, summary_table
from backtest.study.sensitivity import analysis as sensitivity_analysis
from backtest.study.sensitivity import evidence as sensitivity_evidence
from backtest.study.sensitivity.analysis import SensitivityOutcome
from backtest.study.sensitivity.plan import market_caps, sensitivity_plan
from backtest.study.table import scenarios_table
from feeds.prices import PriceSource
from flowimpact.data_dir import data_dir_or_default
from flowimpact.errors import ConfigError, DataUnavailableError
from strategies.inflow import FlowSchedule
from strategies.inflow_config import MARKET_CAP_SPLIT

STEPS = ("prices", "analogs", "baseline", "flows", "chunks", "outputs", "report")
# Files each job surely writes: another command's in the same --out are refused before any work.
RUN_FILES = ("report.html", "run.json", "scenarios.csv", "flows.csv", "analogs.csv")
HINDCAST_FILES = ("report.html", "run.json", "hindcast.csv", "hindcast_paths.csv")
SENSITIVITY_FILES = ("report.html", "run.json", "sensitivity.csv", "sensitivity_samples.csv")


def run_study(
    study: Study,
    data_dir: Path | str | None = None,
    out_dir: Path | None = None,
    *,
    progress: bool = True,
    now: datetime | None = None,
    allow_large_grid: bool = False,
    notices: Sequence[str] = (),
    compute: ComputeConfig | None = None,
) -> StudyResult:
    """Run the whole study and write its report into ``out_dir``, all files as one set.

    The grid runs in chunks of whole scenarios (``backtest.study.chunks``), in this process or
    on Dask as ``compute`` (default: the study's ``[compute]``) says; the results depend on
    neither. The files are written as one set (``job.staged``): a killed run or a full disk
    leaves the previous set, and an ``out_dir`` that cannot be written is refused (exit 2)
    before any computing. Without ``out_dir`` nothing is written; ``result.write(dir)``
    writes the same files later.
    ``notices``: more warnings about the data for the report, run.json and stderr (the
    scheduler's files that could not be imported, say).
    """
    data_dir = data_dir_or_default(data_dir)  # $FLOWIMPACT_DATA_DIR, else the user's
    compute = compute or study.compute
    # the grid's size is known before calibration (a token is one value): refuse before any work
    check_run_time(study, compute, allow_large_grid)
    _check_cluster(compute)
    with staged(out_dir, command="run", claims=RUN_FILES) as staging:
        job = Job(STEPS, progress=progress, now=now, desc="study")
        with job:
            run = _compute_study(study, data_dir, job, tuple(notices), compute)
            job.bar.set_postfix_str("outputs")
            files = outputs.write_outputs(run, staging) if staging else {}  # times its steps
            job.bar.update(2)
    return StudyResult(
        out_dir=out_dir,
        files=final_files(files, out_dir),
        run=run,
        writer=file_writer(
            lambda staging: outputs.write_outputs(run, staging), command="run", claims=RUN_FILES
        ),
    )


def _compute_study(
    study: Study,
    data_dir: Path,
    job: Job,
    notices: tuple[str, ...],
    compute: ComputeConfig,
) -> StudyRun:
    """Everything ``run_study`` computes, before any file is written."""
    timings = job.timings
    extra_flows = flow_tables.for_study(study, data_dir)  # [flows]: refused before any work
    with job.step("prices"):
        price_set = load_daily_price_set(study, data_dir, progress=job.progress)
        prices = price_set.prices
        last_day, _ = freshness(prices, job.started, study.data.stale_after_days)
        warnings = (*notices, *data_warnings(study, data_dir, prices, job.started))
    with job.step("analogs"):
        analogs = analogs_step.run_analogs(study, prices, data_dir)
        analogs = evidence_step.with_evidence(study, prices, analogs)
        analogs = hindcast_step.with_hindcast(
            study, prices, analogs, venues=_venues(price_set.sources)
        )
    scenarios = study.scenarios(analogs.resolve, analogs.solve)
    with job.step("baseline"):
        baseline = _with_venues(
            build_baseline(prices, study.paths, study.study.start), price_set.sources
        )
        # a venue the [impact] volume_coverage table does not name: said everywhere
        _, assumed = coverage_table(
            [scenario.impact for scenario in scenarios], baseline.assets, baseline.venues
        )
        warnings = (*warnings, *assumed)
    with job.step("flows"):
        inputs = scenario_inputs.build(scenarios, baseline, prices, extra_flows)
        analogs = analogs_step.with_comparison(analogs, inputs.by_inflow)
    with job.step("chunks"):
        drawn, _ = drawn_scenarios(study, scenarios)
        specs = chunk_plan(len(scenarios), compute, baseline, drawn)
        shared = SharedInputs.build(baseline, inputs, scenarios, study.evaluate)
        results = map_chunks(run_chunk, specs, shared, compute, progress=job.progress)
        combined = combine((result for _, result in results), len(baseline.assets))
        assert combined.evaluation is not None  # the run always evaluates
        table = scenarios_table(
            scenarios, baseline.assets, combined.impacts, combined.evaluation, inputs.flow_sources
        )
    tornado = sensitivity_analysis.run_tornado(
        study, baseline, prices, timings, extra_flows, compute=compute
    )
    return StudyRun(
        study=study,
        scenarios=scenarios,
        prices=prices,
        baseline=baseline,
        inputs=inputs,
        fans=FanBands(scenarios=tuple(drawn), impacted=combined.bands),
        table=table,
        analogs=analogs,
        timings_s=timings,
        chunk_seconds={**combined.seconds, **shared.precomputed.seconds},
        n_chunks=len(specs),
        compute=compute,
        started_utc=job.started,
        last_candle_day=last_day,
        price_sources=price_set.sources,
        warnings=warnings,
        tornado=tornado,
    )


def _venues(sources: Mapping[str, PriceSource]) -> dict[str, str]:
    """The ccxt venue of each asset's prices."""
    return {asset: source.exchange for asset, source in sources.items()}


def _with_venues(baseline: BaselinePaths, sources: Mapping[str, PriceSource]) -> BaselinePaths:
    """``baseline`` naming the venue of each asset's prices (for the volume coverage)."""
    venues = _venues(sources)
    if not all(asset in venues for asset in baseline.assets):
        return baseline
    return replace(baseline, venues=tuple(venues[asset] for asset in baseline.assets))


@dataclass(frozen=True)
class AnalogsResult:
    """What ``run_analogs`` computed and where it wrote it."""

    outcome: AnalogsOutcome
    files: dict[str, Path]
    warnings: tuple[str, ...] = ()  # stale prices or ETF tables


def run_analogs(
    study: Study, data_dir: Path, out_dir: Path, *, progress: bool = False
) -> AnalogsResult:
    """The event study and (when ETF flows are stored) the flow comparison, as the run does them.

    Writes ``analogs.csv`` and ``analogs_aligned.csv`` (the window's days aligned on day 0),
    ``flow_comparison.csv`` and ``flow_cumulative.csv`` when ETF flows are stored, and
    ``analogs.html``. The calibration is not run (``run_calibration`` is).
    """
    prices = load_daily_prices(study, data_dir, progress=progress)
    outcome = analogs_step.run_analogs(study, prices, data_dir, calibrate_flows=False)
    outcome = analogs_step.with_comparison(outcome, _inflow_schedules(study, prices))
    tables = {"analogs.csv": outcome.events.table, "analogs_aligned.csv": outcome.events.aligned}
    if outcome.comparison is not None:
        tables["flow_comparison.csv"] = outcome.comparison.table
        tables["flow_cumulative.csv"] = outcome.comparison.cumulative
    claims = (*tables, "analogs.html")
    warnings = data_warnings(study, data_dir, prices, datetime.now(UTC))
    with staged(out_dir, command="analogs", claims=claims) as staging:
        assert staging is not None  # out_dir is required here
        files = outputs.write_tables(staging, tables)
        files["analogs.html"] = write_analogs_page(
            staging / "analogs.html",
            outcome,
            prices=price_source(study.data),
            axes_of=inflow_axes(study.inflow_scenarios()),
            warnings=warnings,
        )
    return AnalogsResult(outcome=outcome, files=final_files(files, out_dir), warnings=warnings)


def run_calibration(
    study: Study, data_dir: Path, out_dir: Path, *, progress: bool = False
) -> AnalogsResult:
    """Impact parameters (M, Y, λ) from stored ETF flows: ``calibration.csv``; exit 3 if none."""
    prices = load_daily_prices(study, data_dir, progress=progress)
    outcome = analogs_step.run_analogs(study, prices, data_dir, strict_calibration=True)
    if outcome.calibration is None:
        raise DataUnavailableError(
            f"no ETF flow table for {', '.join(prices)} in {data_dir}: {HOW_TO_IMPORT_ETF_FLOWS}"
        )
    tables = {"calibration.csv": outcome.calibration.table}
    warnings = data_warnings(study, data_dir, prices, datetime.now(UTC), outcome.etf_flows)
    with staged(out_dir, command="calibrate", claims=tuple(tables)) as staging:
        assert staging is not None  # out_dir is required here
        files = outputs.write_tables(staging, tables)
    return AnalogsResult(outcome=outcome, files=final_files(files, out_dir), warnings=warnings)


@dataclass(frozen=True)
class FlowsResult:
    """``flows.csv`` of ``run_flows`` and its per-inflow summary."""

    path: Path
    summary: pd.DataFrame


def run_flows(
    study: Study, data_dir: Path, out_dir: Path, *, progress: bool = False
) -> FlowsResult:
    """Every distinct 401(k) inflow schedule of the study (``flows.csv``), without the engine.

    Prices are read only when a scenario splits money by market cap at the announcement; with
    the default fixed split this needs no data at all (``[flows]`` tables are read, and an
    ``etf:`` table needs the store); they are in every inflow's rows. The sleeve's rebalancing
    trades depend on the impacted price, so they are not in these tables (the sleeve's
    contributions are).
    """
    extra = flow_tables.for_study(study, data_dir)
    needs_prices = any(s.inflow.split == MARKET_CAP_SPLIT for s in study.inflow_scenarios())
    prices = load_daily_prices(study, data_dir, progress=progress) if needs_prices else None
    schedules = _inflow_schedules(study, prices)
    with staged(out_dir, command="flows", claims=("flows.csv",)) as staging:
        assert staging is not None  # out_dir is required here
        written = outputs.write_tables(staging, {"flows.csv": flows_table(schedules, extra)})
    files = final_files(written, out_dir)
    return FlowsResult(path=files["flows.csv"], summary=summary_table(schedules, extra))


@dataclass(frozen=True, kw_only=True)
class HindcastOutput(HindcastViews, Written):
    """What ``run_hindcast`` computed and where it wrote it (``write`` writes it again)."""

    run: HindcastRun


def run_hindcast(
    study: Study,
    data_dir: Path | str | None = None,
    out_dir: Path | None = None,
    *,
    now: datetime | None = None,
    progress: bool = False,
) -> HindcastOutput:
    """The stored ETF flows through the study's impact models over history; exit 3 if none.

    Writes hindcast.csv, hindcast_paths.csv, hindcast_explaining.csv, run.json, report.html,
    as one set as the run does (``job.staged``; nothing without ``out_dir``). The calibration
    runs first, so a ``calibrated:`` grid value and each asset's own calibrated value are in
    the table.
    """
    data_dir = data_dir_or_default(data_dir)  # $FLOWIMPACT_DATA_DIR, else the user's
    with staged(out_dir, command="hindcast", claims=HINDCAST_FILES) as staging:
        job = Job(("prices", "calibration", "hindcast"), progress=False, now=now)
        with job:
            with job.step("prices"):
                price_set = load_daily_price_set(study, data_dir, progress=progress)
                prices = price_set.prices
            with job.step("calibration"):
                outcome = analogs_step.run_analogs(study, prices, data_dir)
            with job.step("hindcast"):
                result = hindcast_step.hindcast_study(
                    study, prices, outcome, _venues(price_set.sources)
                )
        run = HindcastRun(
            study=study,
            prices=prices,
            analogs=hindcast_step.with_level_set(
                study, prices, dataclasses.replace(outcome, hindcast=result)
            ),
            timings_s=job.timings,
            started_utc=job.started,
            warnings=data_warnings(study, data_dir, prices, job.started, outcome.etf_flows),
        )
        files = outputs.write_hindcast_outputs(run, staging) if staging else {}
    return HindcastOutput(
        out_dir=out_dir,
        run=run,
        files=final_files(files, out_dir),
        writer=file_writer(
            lambda staging: outputs.write_hindcast_outputs(run, staging),
            command="hindcast",
            claims=HINDCAST_FILES,
        ),
    )


@dataclass(frozen=True, kw_only=True)
class SensitivityResult(SensitivityViews, Written):
    """What ``run_sensitivity`` computed and where it wrote it (``write`` writes it again)."""

    outcome: SensitivityOutcome
    warnings: tuple[str, ...] = ()  # stale prices or ETF tables


def run_sensitivity(
    study: Study,
    data_dir: Path | str | None = None,
    out_dir: Path | None = None,
    *,
    progress: bool = True,
    compute: ComputeConfig | None = None,
    now: datetime | None = None,
) -> SensitivityResult:
    """The global sensitivity analysis of ``[sensitivity]`` (``flowimpact sensitivity``).

    The plan is checked before any work (exit 2 naming the key); then the daily prices, the
    baseline with ``[sensitivity] n_paths`` paths (the study as it runs has them as its
    ``[paths] n_paths``), every sample through the run's chunk path, SALib's indices, and
    ``sensitivity.csv``, ``sensitivity_samples.csv``, ``run.json`` and ``report.html``, written
    as one set as the run's (``job.staged``; nothing without ``out_dir``). The ``[flows]`` tables
    are added to every sample, as the run adds them to every scenario. ``compute`` (default:
    the study's ``[compute]``) cuts the chunks and says where they run, with the same numbers.
    """
    data_dir = data_dir_or_default(data_dir)  # $FLOWIMPACT_DATA_DIR, else the user's
    plan = sensitivity_plan(study)
    check_memory(study, n_paths=plan.config.n_paths)  # the baseline is held whole
    ran = dataclasses.replace(study, paths=replace(study.paths, n_paths=plan.config.n_paths))
    compute = compute or study.compute
    _check_cluster(compute)
    extra_flows = flow_tables.for_study(study, data_dir)  # [flows]: refused before any work
    with staged(out_dir, command="sensitivity", claims=SENSITIVITY_FILES) as staging:
        job = Job(("prices_and_baseline",), progress=False, now=now)
        with job, job.step("prices_and_baseline"):
            price_set = load_daily_price_set(ran, data_dir, progress=progress)
            prices = price_set.prices
            baseline = _with_venues(
                build_baseline(prices, ran.paths, ran.study.start), price_set.sources
            )
        plan, evidence = sensitivity_evidence.prepare(plan, study, prices, data_dir)
        outcome = sensitivity_analysis.analyse(
            plan,
            baseline,
            market_caps_usd=market_caps(plan, prices),
            extra_flows=extra_flows,
            compute=compute,
            progress=progress,
        )
        outcome = sensitivity_evidence.with_implied_share(outcome, evidence)
        job.timings.update(outcome.timings_s)
        warnings = data_warnings(study, data_dir, prices, job.started)

        def write(into: Path) -> dict[str, Path]:
            return write_sensitivity_outputs(
                outcome,
                ran,
                prices,
                baseline,
                into,
                started_utc=job.started,
                timings_s=job.timings,
                extra_flows=extra_flows,
                price_sources=price_set.sources,
                warnings=warnings,
            )

        files = write(staging) if staging else {}
    return SensitivityResult(
        out_dir=out_dir,
        files=final_files(files, out_dir),
        writer=file_writer(write, command="sensitivity", claims=SENSITIVITY_FILES),
        outcome=outcome,
        warnings=warnings,
    )


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
    check_memory(study)  # even with --allow-large-grid: the baseline is held whole
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


def _check_cluster(compute: ComputeConfig) -> None:
    """A ``scheduler`` that cannot serve is refused before any work (exit 3, bounded time)."""
    if compute.scheduler:
        check_scheduler(compute.scheduler, compute.connect_timeout_seconds)


__all__ = [
    "STEPS",
    "AnalogsResult",
    "FlowsResult",
    "HindcastOutput",
    "RunResult",
    "SensitivityResult",
    "StudyResult",
    "StudyRun",
    "check_run_time",
    "run_analogs",
    "run_calibration",
    "run_flows",
    "run_hindcast",
    "run_sensitivity",
    "run_study",
]
