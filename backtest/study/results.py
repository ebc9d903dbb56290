"""What a run produces, as data: the result types every writer reads.

``StudyRun`` (everything one ``run_study`` computed), ``HindcastRun``, and ``Written`` /
``RunResult`` (where a job wrote its files, and how to write them) hold values only;
``AnalogsOutcome`` lives beside the analogs step that fills it (``backtest.study.analogs_step``).
The steps that fill these live in ``backtest.study`` and ``backtest.run``; the files and pages
made from them live in ``backtest.report``. Keeping the types here, below both, is what lets
imports run one way (run → report → study → analogs → sim).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from backtest.analogs.hindcast import HindcastResult
from backtest.sim.baseline import BaselinePaths
from backtest.study.analogs_step import HOW_TO_IMPORT_ETF_FLOWS, AnalogsOutcome
from backtest.study.compute import ComputeConfig
from backtest.study.config import Scenario, Study
from backtest.study.scenario_inputs import ScenarioInputs
from backtest.study.sensitivity.analysis import RunTornado
from feeds.prices import PriceSource


@dataclass(frozen=True, eq=False)
class FanBands:
    """The fan charts' bands: close ``[5th/50th/95th percentile over paths, day, asset]``.

    ``scenarios`` are the drawn scenarios' indices (``backtest.study.drawn.drawn_scenarios``),
    ``impacted`` maps each to its band.
    """

    scenarios: tuple[int, ...]
    impacted: dict[int, np.ndarray]


@dataclass(frozen=True, eq=False)
class StudyRun:
    """Everything one run computed, for the report and for notebooks.

    The engine's full arrays ``[scenario, path, day, asset]`` are not kept (a large grid would
    not fit in memory): the run keeps ``table`` (scenarios.csv) and the drawn scenarios' bands;
    ``backtest.study.chunks.scenario_paths(run.baseline, run.inputs, run.scenarios, i)``
    recomputes any scenario's paths. ``chunk_seconds`` sums each step's time over the chunks
    (on Dask: time on the workers), with the once-per-run work they read; ``n_chunks`` is how
    many chunks the grid ran in.
    """

    study: Study
    scenarios: list[Scenario]
    prices: dict[str, pd.DataFrame]
    baseline: BaselinePaths
    inputs: ScenarioInputs
    fans: FanBands
    table: pd.DataFrame  # scenarios.csv
    analogs: AnalogsOutcome
    timings_s: dict[str, float] = field(default_factory=dict)
    chunk_seconds: dict[str, float] = field(default_factory=dict)
    n_chunks: int = 1
    compute: ComputeConfig | None = None  # as run (a caller may override the study's)
    started_utc: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_candle_day: date | None = None  # the newest daily close the prices hold
    price_sources: Mapping[str, PriceSource] = field(default_factory=dict)  # venue per asset
    warnings: tuple[str, ...] = ()  # said on stderr and at the top of the report
    tornado: RunTornado | None = None  # the [sensitivity] ranges one at a time, if asked for


@dataclass(frozen=True, eq=False)
class HindcastRun:
    """What one ``flowimpact hindcast`` computed: the analogs outcome holds the hindcast."""

    study: Study
    prices: dict[str, pd.DataFrame]
    analogs: AnalogsOutcome
    timings_s: dict[str, float] = field(default_factory=dict)
    started_utc: datetime = field(default_factory=lambda: datetime.now(UTC))
    warnings: tuple[str, ...] = ()  # stale prices or ETF tables: stderr, run.json, the page

    @property
    def hindcast(self) -> HindcastResult:
        if self.analogs.hindcast is None:
            raise ValueError("HindcastRun without a hindcast")
        return self.analogs.hindcast


@dataclass(frozen=True, kw_only=True)
class Written:
    """Where a job wrote its files (none when it ran without ``out_dir``), and how to write them.

    ``write(out_dir)`` writes the files the job's command writes, as one set, and returns them
    by name; ``writer`` is the job's own file writer (``backtest.run``), kept so that a result
    computed in a notebook can be written later.
    """

    out_dir: Path | None
    files: dict[str, Path]
    writer: Callable[[Path], dict[str, Path]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def report_path(self) -> Path:
        """``report.html`` as written; ValueError when nothing was written yet."""
        if "report.html" not in self.files:
            raise ValueError("nothing written yet: call result.write(out_dir) first")
        return self.files["report.html"]

    def write(self, out_dir: Path) -> dict[str, Path]:
        """The command's files into ``out_dir`` (see the class docstring)."""
        if self.writer is None:
            raise ValueError("this result cannot write its files")
        return self.writer(Path(out_dir))


@dataclass(frozen=True, kw_only=True)
class RunResult(Written):
    """Where a run wrote its files, and the run itself."""

    run: StudyRun


__all__ = [
    "HOW_TO_IMPORT_ETF_FLOWS",
    "AnalogsOutcome",
    "FanBands",
    "HindcastRun",
    "RunResult",
    "StudyRun",
    "Written",
]
