"""The files of the outside contract: scenarios.csv, analogs.csv, run.json and report.html.

``scenarios.csv`` has one row per scenario and asset: ``scenario_id``, ``label``, ``asset``,
``allocation``, ``model``, the other grid axes, then the impact figures of
``backtest.sim.metrics`` and the portfolio metrics of ``backtest.sim.evaluate``, every number
with its unit in its column name. ``run.json`` holds the resolved study, data fingerprints,
versions and timings (built, for every command, by ``backtest.report.manifest``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backtest.analogs.hindcast import HindcastResult
from backtest.report import headline, hindcast_sections, study_page
from backtest.report.manifest import manifest, write_manifest
from backtest.study.analogs_step import AnalogsOutcome
from backtest.study.chunks import scenarios_per_chunk
from backtest.study.flow_tables import ExtraFlows
from backtest.study.results import HindcastRun, StudyRun
from backtest.study.schedules import flows_table
from feeds.config import DataConfig
from feeds.prices import PriceSource
from flowimpact.atomic import atomic_write_text

#: the one float format of every CSV flowimpact writes: ten significant digits keep cents on
#: a $100 bn flow and 1e-10 relative on a metric, and the same number reads the same everywhere
FLOAT_FORMAT = "%.10g"



def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` (no index) to ``path`` atomically in the one float format."""
    atomic_write_text(path, csv_text(frame))
    return path


def csv_text(frame: pd.DataFrame) -> str:
    """``frame.to_csv(index=False, float_format=FLOAT_FORMAT)``, byte for byte, built a column at
    a time: each column's distinct values are formatted once (``pd.factorize``) and put in
    place by their codes, instead of pandas' formatter objects per cell (flows.csv of a 4x grid
    is 937,000 cells, most of them repeats in its text columns). Columns of any other kind than
    float64, integers, bool or text (object or pandas' str dtype; dates, categories, nullable
    numbers) leave the whole frame to pandas, so the output never differs from ``to_csv``'s."""
    if frame.columns.nlevels != 1 or len(frame.columns) < 2:
        return frame.to_csv(index=False, float_format=FLOAT_FORMAT)
    cells = []
    for position in range(frame.shape[1]):
        column = _csv_cells(frame.iloc[:, position])
        if column is None:
            return frame.to_csv(index=False, float_format=FLOAT_FORMAT)
        cells.append(column)
    header = ",".join(_csv_quoted(str(name)) for name in frame.columns)
    body = "\n".join(map(",".join, zip(*cells, strict=True)))
    return f"{header}\n{body}\n" if len(frame) else f"{header}\n"


def _csv_cells(column: pd.Series) -> list[str] | None:
    """The column's cells as ``to_csv`` writes them, or None for a kind it leaves to pandas."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else ""
    if column.dtype == np.float64:
        values = column.to_numpy()
        # NaN: code -1, the "" (pandas' na_rep) at the end. factorize takes -0.0 for 0.0, which
        # "%g" writes as "-0": a column holding one is coded by its bits instead
        signed_zero = np.any((values == 0.0) & np.signbit(values))
        codes, distinct = pd.factorize(values.view(np.int64) if signed_zero else values)
        if signed_zero:
            codes[np.isnan(values)] = -1
            distinct = distinct.view(np.float64)
        return _by_codes(codes, [*map(FLOAT_FORMAT.__mod__, distinct.tolist()), ""])
    if kind in "iub" and kind:
        return list(map(str, column.tolist()))
    if kind == "O" or isinstance(column.dtype, pd.StringDtype):
        codes, distinct = pd.factorize(column.to_numpy())
        if not all(isinstance(v, str) for v in distinct):
            return None
        if kind == "O" and np.any(codes < 0):
            return None  # None or NaN in an object column: pandas' own formatting
        # pandas 3's text dtype (the default for text): a missing cell is pandas' na_rep ""
        return _by_codes(codes, [*map(_csv_quoted, distinct), ""])
    return None


def _by_codes(codes: np.ndarray, text: list[str]) -> list[str]:
    """``text[code]`` for every code (-1 the last)."""
    return np.asarray(text, dtype=object)[codes].tolist()


def _csv_quoted(text: str) -> str:
    """A text cell under the csv module's minimal quoting (pandas' default).

    Four ``in`` tests rather than ``any`` over a generator: this runs once per text cell
    (130,000 in the default study's tables): 10 ms for them where the generator took 70 ms."""
    if "," in text or '"' in text or "\r" in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


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


def run_manifest(run: StudyRun, files: Sequence[str]) -> dict[str, Any]:
    """run.json of a study run; ``seconds_total`` is the time from the start to now.

    ``seconds_by_step`` is wall time per step (``chunks``: engine, figures and evaluation of
    every chunk; ``report``: report.html); ``seconds_in_chunks`` sums each part of a chunk
    over all chunks (on Dask: time spent on the workers, which may exceed the wall time), and
    gives the once-per-run work the chunks read (``market_windows``, ``baseline_evaluate``:
    ``backtest.study.once_per_run``), computed in the client before them.
    """
    return manifest(
        run.study,
        data_fingerprints(run),
        started=run.started_utc,
        timings_s=run.timings_s,
        files=files,
        compute=compute_record(run),
        warnings=list(run.warnings),  # stale candles, files the scheduler could not import
        seconds_in_chunks=dict(run.chunk_seconds),
        scenarios=len(run.scenarios),
        paths=run.baseline.n_paths,
        assets=list(run.baseline.assets),
        window={
            "first_day": run.baseline.days[0].date().isoformat(),
            "last_day": run.baseline.days[-1].date().isoformat(),
            "last_history_day": run.baseline.last_history_day.date().isoformat(),
        },
        headline=headline.headline(run),  # the one figure every surface leads with
    )


def compute_record(run: StudyRun) -> dict[str, Any]:
    """What ran the run's chunks, for run.json's ``compute`` key."""
    compute = run.compute or run.study.compute
    baseline = run.baseline
    per_chunk = scenarios_per_chunk(compute.chunk_columns, baseline.n_paths, len(baseline.assets))
    return compute.record(run.n_chunks, per_chunk)


def written_flows(run: StudyRun) -> pd.DataFrame:
    """flows.csv: every distinct inflow, or with ``[compute] write_flows = "drawn"`` or
    ``"headline"`` those the report's flow charts draw (``study_page.report_inflows``)."""
    schedules = run.inputs.by_inflow
    if (run.compute or run.study.compute).flows_written != "all":
        drawn = study_page.report_inflows(run)
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
    built = manifest(
        run.study,
        data,
        started=run.started_utc,
        timings_s=run.timings_s,
        files=[*files, "run.json", "report.html"],
        warnings=list(run.warnings),
        assets=list(run.hindcast.table["asset"].unique()),
    )
    files["run.json"] = write_manifest(out_dir / "run.json", built)
    files["report.html"] = hindcast_sections.write_hindcast_page(
        out_dir / "report.html", run, built
    )
    return files
