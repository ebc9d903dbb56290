"""The files of the outside contract: scenarios.csv, analogs.csv, run.json and report.html.

``scenarios.csv`` has one row per scenario and asset: ``scenario_id``, ``label``, ``asset``,
``allocation``, ``model``, the other grid axes, then the impact figures of
``backtest.sim.metrics`` and the portfolio metrics of ``backtest.sim.evaluate``, every number
with its unit in its column name. ``run.json`` holds the resolved study, data fingerprints,
versions and timings, and a ``run_id`` derived from the resolved study and the data, so two
runs with the same id computed the same thing. ``[compute]`` (chunk size, workers, scheduler,
which flows to write) is left out of the id: it changes where and in what pieces the numbers
are computed, never the numbers.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from backtest.analogs.hindcast import HindcastResult
from backtest.report import hindcast_sections, study_page
from backtest.study.config import Study
from backtest.study.flow_tables import ExtraFlows
from backtest.study.results import AnalogsOutcome, HindcastRun, StudyRun
from backtest.study.schedules import flows_table
from feeds.config import DataConfig
from feeds.prices import PriceSource
from flowimpact.atomic import atomic_write_text
from flowimpact.config import config_id

#: the one float format of every CSV flowimpact writes: ten significant digits keep cents on
#: a $100 bn flow and 1e-10 relative on a metric, and the same number reads the same everywhere
FLOAT_FORMAT = "%.10g"

#: study sections that say how a run is computed, not what: not part of ``run_id``
NOT_IN_RUN_ID = ("compute",)
VERSIONED = ("flowimpact", "pandas", "numpy", "numba", "vectorbt", "ccxt", "plotly")


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` (no index) to ``path`` atomically in the one float format."""
    atomic_write_text(path, frame.to_csv(index=False, float_format=FLOAT_FORMAT))
    return path


def analogs_tables(outcome: AnalogsOutcome) -> dict[str, pd.DataFrame]:
    """Output file name → table, for the analogs of a run."""
    tables = {"analogs.csv": outcome.events.table}
    if outcome.calibration is not None:
        tables["calibration.csv"] = outcome.calibration.table
    if outcome.comparison is not None:
        tables["flow_comparison.csv"] = outcome.comparison.table
    if outcome.hindcast is not None:
        tables.update(hindcast_tables(outcome.hindcast))
    if outcome.level_set is not None:
        tables.update(outcome.level_set.tables())
    return tables


def write_tables(out_dir: Path, tables: Mapping[str, pd.DataFrame]) -> dict[str, Path]:
    """Every table as ``out_dir/name`` through ``write_csv``; name → path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return {name: write_csv(out_dir / name, frame) for name, frame in tables.items()}


def data_fingerprints(run: StudyRun) -> list[dict[str, Any]]:
    """Per input table: where it came from, its span, and a hash of the values used.

    Prices (one entry per asset), the stored ETF-flow tables, which the calibration, the
    flow comparison, the hindcast and any ``calibrated:`` scenario depend on, and the
    ``[flows]`` tables every scenario carries.
    """
    out = fingerprints(run.study.data, run.prices, run.analogs.etf_flows, run.price_sources)
    return out + flows_fingerprints(run.inputs.extra_flows)


def flows_fingerprints(extra: ExtraFlows | None) -> list[dict[str, Any]]:
    """Per ``[flows]`` table: its label, span, rows and sha256 (none without ``[flows]``)."""
    out = []
    for label, table in (extra.tables if extra is not None else {}).items():
        out.append(
            {
                "asset": ",".join(table.columns),
                "table": "flows",
                "source": label,
                "first": table.index[0].isoformat(),
                "last": table.index[-1].isoformat(),
                "rows": len(table),
                "sha256": _sha256(table),
            }
        )
    return out


def fingerprints(
    data: DataConfig,
    prices: Mapping[str, pd.DataFrame],
    etf_flows: Mapping[str, pd.DataFrame],
    sources: Mapping[str, PriceSource] | None = None,
) -> list[dict[str, Any]]:
    """``data_fingerprints`` from its parts: the ``[data]`` config, prices and ETF-flow tables.

    ``sources`` name the venue each asset's prices were read from (a ``[data] fallbacks``
    venue may have served); without them the ``[data]`` venue is named.
    """
    out = []
    for (asset, frame), symbol in zip(prices.items(), data.symbols, strict=True):
        digest = _sha256(frame[["close", "volume"]])
        source = (sources or {}).get(asset)
        out.append(
            {
                "asset": asset,
                "table": "prices",
                "exchange": source.exchange if source else data.exchange,
                "symbol": source.symbol if source else symbol,
                "fallback": bool(source.fallback) if source else False,
                "timeframe": data.timeframe,
                "first": frame.index[0].isoformat(),
                "last": frame.index[-1].isoformat(),
                "rows": len(frame),
                "sha256": digest,
            }
        )
    for asset, flows in etf_flows.items():
        out.append(
            {
                "asset": asset,
                "table": "etf_flows",
                "source": "Farside Investors (imported)",
                "first": flows.index[0].isoformat(),
                "last": flows.index[-1].isoformat(),
                "rows": len(flows),
                "sha256": _sha256(flows),
            }
        )
    return out


def _sha256(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
    return hashlib.sha256(hashed).hexdigest()


def versions(extra: Sequence[str] = ()) -> dict[str, str]:
    """Python's and every ``VERSIONED`` package's version (plus ``extra`` packages)."""
    found = {"python": platform.python_version()}
    for name in (*VERSIONED, *extra):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def run_manifest(run: StudyRun, files: Sequence[str]) -> dict[str, Any]:
    """run.json of a study run; ``seconds_total`` is the time from the start to now.

    ``seconds_by_step`` is wall time per step (``chunks``: engine, figures and evaluation of
    every chunk; ``report``: report.html); ``seconds_in_chunks`` sums each part of a chunk
    over all chunks (on Dask: time spent on the workers, which may exceed the wall time).
    """
    return job_manifest(
        run.study,
        data_fingerprints(run),
        started=run.started_utc,
        timings_s=run.timings_s,
        files=files,
        seconds_in_chunks=dict(run.chunk_seconds),
        chunks=run.n_chunks,
        scenarios=len(run.scenarios),
        paths=run.baseline.n_paths,
        assets=list(run.baseline.assets),
        window={
            "first_day": run.baseline.days[0].date().isoformat(),
            "last_day": run.baseline.days[-1].date().isoformat(),
            "last_history_day": run.baseline.last_history_day.date().isoformat(),
        },
        warnings=list(run.warnings),  # stale candles, files the scheduler could not import
    )


def run_id(resolved: Mapping[str, Any], data: Sequence[Mapping[str, Any]]) -> str:
    """12 hex digits of the resolved study (less ``NOT_IN_RUN_ID``) and the data fingerprints."""
    # the resolved study and the data it read: equal ids, equal inputs (one hash: config_id)
    what = {k: v for k, v in resolved.items() if k not in NOT_IN_RUN_ID}
    return config_id(what, list(data), length=12)


def job_manifest(
    study: Study,
    data: list[dict[str, Any]],
    *,
    started: datetime,
    timings_s: Mapping[str, float],
    files: Sequence[str],
    **fields: Any,
) -> dict[str, Any]:
    """run.json of any job: ``run_id`` (a hash of the resolved study and the data), the study,
    times, the job's own ``fields``, data fingerprints, versions, the resolved study, files."""
    resolved = study.resolved()
    finished = datetime.now(UTC)
    return {
        "run_id": run_id(resolved, data),
        "study": study.source,
        "started_utc": started.isoformat(),
        "finished_utc": finished.isoformat(),
        "seconds_total": round((finished - started).total_seconds(), 3),
        "seconds_by_step": dict(timings_s),
        **fields,
        "data": data,
        "versions": versions(),
        "config": resolved,
        "files": sorted(files),
    }


def write_manifest(path: Path, manifest: Mapping[str, Any]) -> Path:
    atomic_write_text(path, json.dumps(manifest, indent=2, default=str) + "\n")
    return path


def written_flows(run: StudyRun) -> pd.DataFrame:
    """flows.csv: every distinct inflow, or with ``[compute] write_flows = "drawn"`` those the
    report's flow charts draw (``study_page.drawn_inflows``)."""
    schedules = run.inputs.by_inflow
    if (run.compute or run.study.compute).write_flows == "drawn":
        drawn = study_page.drawn_inflows(run.scenarios, schedules)
        schedules = {label: schedule for label, schedule in schedules.items() if label in drawn}
    return flows_table(schedules, run.inputs.extra_flows)


def write_outputs(run: StudyRun, out_dir: Path) -> dict[str, Path]:
    """Write every output atomically; ``report.html`` and then ``run.json`` come last.

    The tables' and the report's times go into ``run.timings_s`` (``outputs``, ``report``),
    so ``run.json``, written last, has both in its steps and its total.
    """
    started = time.perf_counter()
    tables = {
        "scenarios.csv": run.table,
        "flows.csv": written_flows(run),
        **analogs_tables(run.analogs),
    }
    files = write_tables(out_dir, tables)
    names = [*files, "report.html", "run.json"]
    run.timings_s["outputs"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    files["report.html"] = study_page.write(run, out_dir / "report.html", run_manifest(run, names))
    run.timings_s["report"] = round(time.perf_counter() - started, 3)
    files["run.json"] = write_manifest(out_dir / "run.json", run_manifest(run, names))
    return files


def hindcast_tables(result: HindcastResult) -> dict[str, pd.DataFrame]:
    """Output file name → table, for a hindcast."""
    return {
        "hindcast.csv": result.table,
        "hindcast_paths.csv": result.paths,
        "hindcast_explaining.csv": result.explaining,
    }


def write_hindcast_outputs(run: HindcastRun, out_dir: Path) -> dict[str, Path]:
    """hindcast.csv, hindcast_paths.csv, hindcast_explaining.csv, then run.json and report.html."""
    level_set = run.analogs.level_set.tables() if run.analogs.level_set else {}
    files = write_tables(out_dir, {**hindcast_tables(run.hindcast), **level_set})
    data = fingerprints(run.study.data, run.prices, run.analogs.etf_flows)
    manifest = job_manifest(
        run.study,
        data,
        started=run.started_utc,
        timings_s=run.timings_s,
        files=[*files, "run.json", "report.html"],
        assets=list(run.hindcast.table["asset"].unique()),
    )
    files["run.json"] = write_manifest(out_dir / "run.json", manifest)
    files["report.html"] = hindcast_sections.write_hindcast_page(
        out_dir / "report.html", run, manifest
    )
    return files
