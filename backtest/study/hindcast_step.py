"""The hindcast of a study: which impact configs it runs, with which calibrated values, on what.

The models and values are the study's own: every distinct (impact model, parameter value) of
its scenarios, a ``calibrated:`` grid token resolved as the run resolves it, each with the
impact config of the first scenario that has it (so every other ``[impact]`` axis at its first
grid value). When the calibration ran, each asset also gets its own calibrated value of every
model's parameter (``calibrated:<asset>_etf``, the same-day estimate of
``backtest.analogs.calibrate``), set beside the explaining value in the result. The realized
data: the study's daily prices and the stored ETF-flow tables (only their ``total_usd``
column, whatever else a table holds), over each table's span (``backtest.analogs.hindcast``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pandas as pd

from backtest.analogs.hindcast import (
    PARAMETER_KEY,
    Calibrated,
    Candidate,
    HindcastResult,
    hindcast,
    prior_days_needed,
    realized_series,
    with_parameter,
)
from backtest.study.analogs_step import HOW_TO_IMPORT_ETF_FLOWS, AnalogsOutcome
from backtest.study.config import Study
from backtest.study.level_set import level_set
from flowimpact.errors import ConfigError, DataUnavailableError, InputError


def hindcast_study(
    study: Study,
    prices: Mapping[str, pd.DataFrame],
    outcome: AnalogsOutcome,
    venues: Mapping[str, str] | None = None,
) -> HindcastResult:
    """The hindcast of every asset with prices and a stored ETF-flow table; exit 3 if none.

    ``venues`` names the ccxt venue of each asset's prices, for the volume coverage.
    """
    assets = [asset for asset in outcome.etf_flows if asset in prices]
    if not assets:
        raise DataUnavailableError(
            f"no ETF flow table for {', '.join(prices) or 'any asset'}: {HOW_TO_IMPORT_ETF_FLOWS}"
        )
    study_candidates = _study_candidates(study, outcome)
    candidates: dict[str, list[Candidate]] = {}
    calibrated: dict[str, dict[str, Calibrated]] = {}
    for asset in assets:
        candidates[asset], calibrated[asset] = _with_calibrated(asset, study_candidates, outcome)
    prior_days = prior_days_needed([c.impact for cs in candidates.values() for c in cs])
    series = {
        asset: realized_series(
            asset, prices[asset], outcome.etf_flows[asset], prior_days=prior_days,
            venue=(venues or {}).get(asset),
        )
        for asset in assets
    }
    return hindcast(series, candidates, calibrated)


def with_hindcast(
    study: Study,
    prices: Mapping[str, pd.DataFrame],
    outcome: AnalogsOutcome,
    venues: Mapping[str, str] | None = None,
) -> AnalogsOutcome:
    """``outcome`` with the hindcast when ETF flows are stored; skipped with its reason when the
    stored data cannot carry it (the hindcast is context in the run's report, not its answer)."""
    if not outcome.etf_flows:
        return outcome
    try:
        result = hindcast_study(study, prices, outcome, venues)
    except (InputError, DataUnavailableError) as exc:
        return dataclasses.replace(outcome, hindcast_skipped=str(exc))
    return with_level_set(study, prices, dataclasses.replace(outcome, hindcast=result))


def with_level_set(
    study: Study, prices: Mapping[str, pd.DataFrame], outcome: AnalogsOutcome
) -> AnalogsOutcome:
    """``outcome`` with the hindcast's level set (``backtest.study.level_set``); left out (the
    hindcast's own tables stand) when the stored data cannot carry it."""
    try:
        found = level_set(study, prices, outcome.etf_flows)
    except (InputError, DataUnavailableError):
        return outcome
    return dataclasses.replace(outcome, level_set=found)


def _study_candidates(study: Study, outcome: AnalogsOutcome) -> list[Candidate]:
    seen: dict[tuple[str, float], Candidate] = {}
    for scenario in study.scenarios(outcome.resolve, outcome.solve):
        candidate = Candidate(scenario.impact)
        seen.setdefault((candidate.impact.model, candidate.value), candidate)
    return list(seen.values())


def _with_calibrated(
    asset: str, study_candidates: list[Candidate], outcome: AnalogsOutcome
) -> tuple[list[Candidate], dict[str, Calibrated]]:
    """The study's candidates plus ``asset``'s own calibrated value of each model's parameter."""
    token = f"calibrated:{asset.lower()}_etf"
    out = list(study_candidates)
    notes: dict[str, Calibrated] = {}
    for model in dict.fromkeys(c.impact.model for c in study_candidates):
        key = PARAMETER_KEY[model]
        if outcome.calibration is None:
            why = outcome.calibration_skipped or "the calibration did not run"
            notes[model] = Calibrated(token, note=why)
            continue
        try:
            value = outcome.resolve(token, key)  # as a grid token resolves
        except ConfigError as exc:
            notes[model] = Calibrated(token, note=str(exc))
            continue
        notes[model] = Calibrated(token, value)
        if not any(c.impact.model == model and c.value == value for c in out):
            base = next(c for c in study_candidates if c.impact.model == model)
            out.append(Candidate(with_parameter(base.impact, value), token))
    return out, notes


__all__ = ["hindcast_study", "with_hindcast", "with_level_set"]
