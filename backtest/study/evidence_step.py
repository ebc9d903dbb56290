"""The evidence step of a run: the reference's ETF window, before the scenarios are built.

A study with an ``[impact] etf_explained_share`` axis needs the stored ETF-flow table of its
``etf_reference`` asset (default BTC): without it the run stops with exit 3 naming how to import
the tables, or how to run the parameters as given (``etf_explained_share = []``). A reference
that is not an asset of the study is exit 2, and so is a grid axis over a parameter the share
solves (``multiplier = [5, 20]`` or a ``calibrated:`` token beside the axis: every value would
give the same scenario). Every other asset with a stored table gets its
window too, for the φ the solved parameter implies on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pandas as pd

from backtest.analogs.hindcast import PARAMETER_KEY, prior_days_needed, realized_series
from backtest.study.analogs_step import HOW_TO_IMPORT_ETF_FLOWS, AnalogsOutcome
from backtest.study.config import Study
from backtest.study.evidence import Evidence
from backtest.study.evidence_config import REFERENCE_KEY, SHARE_KEY
from flowimpact.errors import ConfigError, DataUnavailableError


def with_evidence(
    study: Study, prices: Mapping[str, pd.DataFrame], outcome: AnalogsOutcome
) -> AnalogsOutcome:
    """``outcome`` with the ``Evidence`` of ``study`` (unchanged when the axis is off)."""
    config = study.evidence
    if not config.active:
        return outcome
    solved_axes = [k for k in study.grid_axes if k.split(".", 1)[1] in PARAMETER_KEY.values()]
    if solved_axes:
        key = solved_axes[0].split(".", 1)[1]
        raise ConfigError(
            f"[impact] {key} is a grid axis, and {SHARE_KEY} solves it per scenario: give one "
            f"{key} (or none), or set {SHARE_KEY} = [] to run the {key} values as given"
        )
    reference = config.reference
    if reference not in prices:
        raise ConfigError(
            f"[impact] {REFERENCE_KEY} = {reference!r} is not an asset of the study "
            f"({', '.join(prices)}); give one of them"
        )
    if reference not in outcome.etf_flows:
        raise DataUnavailableError(
            f"[impact] {SHARE_KEY} needs the stored {reference} ETF-flow table (the "
            f"{REFERENCE_KEY}) to solve the impact parameter: {HOW_TO_IMPORT_ETF_FLOWS}; or set "
            f"[impact] {SHARE_KEY} = [] to run the parameters as given"
        )
    prior_days = prior_days_needed([s.impact for s in study.inflow_scenarios()])
    assets = [reference, *(a for a in outcome.etf_flows if a in prices and a != reference)]
    series = {
        asset: realized_series(
            asset, prices[asset], outcome.etf_flows[asset], prior_days=prior_days
        )
        for asset in assets
    }
    return dataclasses.replace(outcome, evidence=Evidence(config, series))


__all__ = ["with_evidence"]
