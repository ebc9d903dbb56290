"""The analogs and the calibration inside a study run.

Before the scenarios are built, the event study runs on the study's prices and, when ETF-flow
tables are stored, the calibration runs on them, so a ``calibrated:`` grid value can be
resolved. Once the scenarios' flow schedules exist, the flow comparison sets them beside the
ETFs' own cumulative flows. Without stored ETF flows the calibration and the comparison are
left out (the report says so); a study that asks for a calibrated value then fails with exit 2.
A calibration that cannot run on the stored data (too few days where prices and flows overlap)
is skipped with its reason in the report, unless the grid needs a calibrated value.
"""

from __future__ import annotations

import html
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
from backtest.report.analogs_sections import report_sections
from backtest.report.html import Section
from backtest.study.config import Study
from flowimpact.errors import ConfigError, InputError
from strategies.inflow import FlowSchedule


@dataclass(frozen=True)
class AnalogsOutcome:
    """Event study, calibration (if ETF flows are stored) and flow comparison of one run."""

    events: EventStudyResult
    etf_flows: dict[str, pd.DataFrame]
    calibration: CalibrationResult | None
    comparison: FlowComparison | None = None
    calibration_skipped: str | None = None  # why, when ETF flows exist but could not be used

    def resolve(self, token: str, key: str) -> float:
        """A ``calibrated:<asset>_etf`` grid value as a number (``Study.scenarios`` resolver)."""
        if self.calibration is None:
            raise ConfigError(
                f"[impact] {key} = {token!r} needs ETF flows: import the Farside tables, e.g. "
                "`flowimpact import ../shared/data/etf_flows/*.csv`"
            )
        return resolve_calibrated(token, key, self.calibration)

    def with_comparison(self, schedules: Mapping[str, FlowSchedule]) -> AnalogsOutcome:
        """Add the comparison of the ETFs' flows with each distinct inflow schedule."""
        if not self.etf_flows:
            return self
        columns = {label: schedule.net_flow_usd for label, schedule in schedules.items()}
        comparison = compare_flows(self.etf_flows, pd.concat(columns, axis=1))
        return replace(self, comparison=comparison)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Output file name → table."""
        tables = {"analogs.csv": self.events.table}
        if self.calibration is not None:
            tables["calibration.csv"] = self.calibration.table
        if self.comparison is not None:
            tables["flow_comparison.csv"] = self.comparison.table
        return tables

    def sections(self) -> list[Section]:
        """The report's sections on the analogs, the flow comparison and the calibration."""
        sections = report_sections(self.events, self.comparison, self.calibration)
        if self.calibration_skipped is not None:
            sections.append(
                Section(
                    "Impact calibration skipped",
                    f"<p>The calibration did not run: {html.escape(self.calibration_skipped)}.</p>",
                )
            )
        elif self.calibration is None:
            sections.append(
                Section(
                    "ETF flows and calibration",
                    "<p>No ETF-flow tables are stored, so the flow comparison and the impact "
                    "calibration are left out. Import the Farside tables "
                    "(<code>flowimpact import farside_btc_etf_flows_daily.csv ...</code>) to "
                    "add them.</p>",
                )
            )
        return sections


def run_analogs(study: Study, prices: dict[str, pd.DataFrame], data_dir: Path) -> AnalogsOutcome:
    """The event study on ``prices`` and, where ETF flows are stored, the calibration."""
    from feeds import read_stored_etf_flows

    events = event_study(prices, study.analogs)
    etf_flows = read_stored_etf_flows(data_dir, prices)
    if not etf_flows:
        return AnalogsOutcome(events=events, etf_flows=etf_flows, calibration=None)
    try:
        calibration = calibrate(prices, etf_flows, CalibrationConfig.from_study(study))
    except InputError as exc:
        if study.calibrated_tokens:  # the grid needs it: the study cannot run without it
            raise
        # the calibration is context in the report; too little overlap must not stop the study
        return AnalogsOutcome(
            events=events, etf_flows=etf_flows, calibration=None, calibration_skipped=str(exc)
        )
    return AnalogsOutcome(events=events, etf_flows=etf_flows, calibration=calibration)
