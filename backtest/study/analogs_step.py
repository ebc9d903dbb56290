"""The analogs and the calibration inside a study run (and ``flowimpact analogs`` alone).

Before the scenarios are built, the event study runs on the study's daily prices and, when
ETF-flow tables are stored, the calibration runs on them, so a ``calibrated:`` grid value can be
resolved. Once the scenarios' flow schedules exist, the flow comparison sets them beside the
ETFs' own cumulative flows. Without stored ETF flows the calibration and the comparison are
left out (the report says so); a study that asks for a calibrated value then fails with exit 2.
A calibration that cannot run on the stored data (too few days where prices and flows overlap)
is skipped with its reason in the report, unless the grid needs a calibrated value.

``flowimpact analogs`` and ``flowimpact run`` call the same functions on the same daily
prices, so they write the same ``analogs.csv`` for the same study.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from backtest.analogs.calibrate import (
    CalibrationConfig,
    CalibrationResult,
    calibrate,
    resolve_calibrated,
)
from backtest.analogs.event_study import EventStudyResult, event_study
from backtest.analogs.flow_compare import FlowComparison, compare_flows
from backtest.analogs.hindcast import HindcastResult
from backtest.sim.impact import ImpactConfig
from backtest.study.config import Study
from backtest.study.evidence import Evidence
from backtest.study.evidence_config import SolvedImpact, as_given
from backtest.study.level_set import LevelSet
from flowimpact.errors import ConfigError, InputError
from strategies.inflow import FlowSchedule

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


def run_analogs(
    study: Study,
    prices: Mapping[str, pd.DataFrame],
    data_dir: Path,
    *,
    calibrate_flows: bool = True,
    strict_calibration: bool = False,
) -> AnalogsOutcome:
    """The event study on daily ``prices`` and, where ETF flows are stored, the calibration.

    ``calibrate_flows=False`` leaves the calibration out; ``strict_calibration=True`` lets a
    calibration that cannot run raise (exit 2) instead of being skipped with its reason.
    """
    from feeds.etf_flows import read_stored_etf_flows

    events = event_study(dict(prices), study.analogs)
    etf_flows = read_stored_etf_flows(data_dir, dict(prices))
    if not etf_flows or not calibrate_flows:
        return AnalogsOutcome(events=events, etf_flows=etf_flows, calibration=None)
    try:
        calibration = calibrate(dict(prices), etf_flows, CalibrationConfig.from_study(study))
    except InputError as exc:
        if strict_calibration or study.calibrated_tokens:  # the study cannot go on without it
            raise
        # the calibration is context in the report; too little overlap must not stop the study
        return AnalogsOutcome(
            events=events, etf_flows=etf_flows, calibration=None, calibration_skipped=str(exc)
        )
    return AnalogsOutcome(events=events, etf_flows=etf_flows, calibration=calibration)


def with_comparison(
    outcome: AnalogsOutcome, schedules: Mapping[str, FlowSchedule]
) -> AnalogsOutcome:
    """``outcome`` plus the comparison of the ETFs' flows with each distinct inflow schedule."""
    if not outcome.etf_flows:
        return outcome
    columns = {label: schedule.net_flow_usd for label, schedule in schedules.items()}
    comparison = compare_flows(outcome.etf_flows, pd.concat(columns, axis=1))
    return replace(outcome, comparison=comparison)


__all__ = ["run_analogs", "with_comparison"]
