"""What a run produces, as data: the leaf module every step and every writer imports.

``StudyRun`` (everything one ``run_study`` computed), ``RunResult`` (where it wrote its files)
and ``AnalogsOutcome`` (the event study, the calibration and the flow comparison of one run)
hold values only. The steps that fill them live in ``backtest.study`` and ``backtest.run``; the
files and pages made from them live in ``backtest.report``. Keeping the types here, below both,
is what lets imports run one way (run → report → study → analogs → sim).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from backtest.analogs.calibrate import CalibrationResult, resolve_calibrated
from backtest.analogs.event_study import EventStudyResult
from backtest.analogs.flow_compare import FlowComparison
from backtest.analogs.hindcast import HindcastResult
from backtest.sim.baseline import BaselinePaths
from backtest.sim.impact import ImpactConfig
from backtest.study.compute import ComputeConfig
from backtest.study.config import Scenario, Study
from backtest.study.evidence import Evidence
from backtest.study.evidence_config import SolvedImpact, as_given
from backtest.study.level_set import LevelSet
from backtest.study.scenario_inputs import ScenarioInputs
from backtest.study.sensitivity_step import RunTornado
from feeds.prices import PriceSource
from flowimpact.errors import ConfigError

HOW_TO_IMPORT_ETF_FLOWS = (
    "import the Farside tables, e.g. `flowimpact import path/to/farside_btc_etf_flows_daily.csv "
    "path/to/farside_eth_etf_flows_daily.csv`"
)


@dataclass(frozen=True)
class AnalogsOutcome:
    """Event study, calibration (if ETF flows are stored) and flow comparison of one run."""

    events: EventStudyResult
    etf_flows: dict[str, pd.DataFrame]
    calibration: CalibrationResult | None
    comparison: FlowComparison | None = None
    calibration_skipped: str | None = None  # why, when ETF flows exist but could not be used
    hindcast: HindcastResult | None = None  # the ETF flows run back through the impact models
    hindcast_skipped: str | None = None  # why, when ETF flows exist but the hindcast could not run
    evidence: Evidence | None = None  # the etf_explained_share axis solved on the record
    level_set: LevelSet | None = None  # the hindcast as a level set (backtest.study.level_set)

    def solve(self, impact: ImpactConfig, share: float) -> SolvedImpact:
        """An ``etf_explained_share`` grid value (``Study.scenarios`` solver).

        Without the evidence step (``backtest.study.evidence_step``: a run whose study has the
        axis always takes it) the parameter runs as given.
        """
        return (self.evidence.solve if self.evidence else as_given)(impact, share)

    def resolve(self, token: str, key: str) -> float:
        """A ``calibrated:<asset>_etf`` grid value as a number (``Study.scenarios`` resolver)."""
        if self.calibration is None:
            raise ConfigError(
                f"[impact] {key} = {token!r} needs ETF flows: {HOW_TO_IMPORT_ETF_FLOWS}"
            )
        return resolve_calibrated(token, key, self.calibration)


@dataclass(frozen=True, eq=False)
class FanBands:
    """The fan charts' bands: close ``[5th/50th/95th percentile over paths, day, asset]``.

    ``scenarios`` are the drawn scenarios' indices (``backtest.report.study_page.
    drawn_scenarios``), ``impacted`` maps each to its band.
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
    (on Dask: time on the workers); ``n_chunks`` is how many chunks the grid ran in.
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

    @property
    def hindcast(self) -> HindcastResult:
        if self.analogs.hindcast is None:
            raise ValueError("HindcastRun without a hindcast")
        return self.analogs.hindcast


@dataclass(frozen=True)
class RunResult:
    """Where a run wrote its files, and the run itself."""

    out_dir: Path
    report_path: Path
    files: dict[str, Path]
    run: StudyRun


__all__ = [
    "HOW_TO_IMPORT_ETF_FLOWS",
    "AnalogsOutcome",
    "FanBands",
    "HindcastRun",
    "RunResult",
    "StudyRun",
]
