"""φ in a sensitivity analysis: each sample's implied share, and φ ranged in place of a parameter.

Every row of ``sensitivity_samples.csv`` gets ``implied_etf_explained_share``: the φ its impact
config implies on ``[impact] etf_reference``'s ETF window (``backtest.analogs.evidence``), and
``etf_implied_share``: the φ on the row's own asset (NaN without its stored table). Without the
reference's stored table the columns are NaN and the report says why. A ``[sensitivity.ranges]
etf_explained_share`` range is solved per sample by the reference's ``Evidence.solve`` (set on
the plan here, before the samples run): exit 3 without the table.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from backtest.analogs.hindcast import prior_days_needed, realized_series
from backtest.study.analogs_step import HOW_TO_IMPORT_ETF_FLOWS
from backtest.study.config import Study
from backtest.study.evidence import Evidence
from backtest.study.evidence_config import SHARE_KEY
from backtest.study.sensitivity.analysis import SensitivityOutcome
from backtest.study.sensitivity.plan import SensitivityPlan
from flowimpact.errors import DataUnavailableError, InputError

IMPLIED_COLUMN = "implied_etf_explained_share"
OWN_COLUMN = "etf_implied_share"


def prepare(
    plan: SensitivityPlan, study: Study, prices: Mapping[str, pd.DataFrame], data_dir: Path
) -> tuple[SensitivityPlan, Evidence | None]:
    """The plan with its φ solver (when φ is ranged) and the record's ``Evidence`` (or None)."""
    from feeds.etf_flows import read_stored_etf_flows

    reference = study.evidence.reference
    flows = read_stored_etf_flows(data_dir, dict(prices))
    if reference not in flows or reference not in prices:
        if plan.ranges_share:
            raise DataUnavailableError(
                f"[sensitivity.ranges] {SHARE_KEY} needs the stored {reference} ETF-flow table "
                f"([impact] etf_reference): {HOW_TO_IMPORT_ETF_FLOWS}"
            )
        return plan, None
    impacts = [dataclasses.replace(plan.impact, model=m) for m in plan.models]
    prior_days = prior_days_needed(impacts)
    assets = [reference, *(a for a in flows if a in prices and a != reference)]
    series = {a: realized_series(a, prices[a], flows[a], prior_days=prior_days) for a in assets}
    evidence = Evidence(study.evidence, series)
    if plan.ranges_share:
        plan = dataclasses.replace(plan, solve=evidence.solve)
    return plan, evidence


def with_implied_share(
    outcome: SensitivityOutcome, evidence: Evidence | None
) -> SensitivityOutcome:
    """``outcome`` with the φ columns in its samples (NaN without the record)."""
    samples = outcome.samples.copy()
    if evidence is None:
        samples[IMPLIED_COLUMN] = math.nan
        samples[OWN_COLUMN] = math.nan
        return dataclasses.replace(outcome, samples=samples)
    reference = evidence.config.reference
    implied = np.full(len(samples), math.nan)
    own = np.full(len(samples), math.nan)
    assets = samples["asset"].astype(str).to_numpy()
    models = samples["model"].astype(str).to_numpy()
    # each (model, asset) block of the samples lists the design points in order
    points = samples.groupby(["model", "asset"], sort=False).cumcount().to_numpy()
    # points with the same impact values share one config object (SensitivityPlan.configs):
    # one hindcast per object, found by identity; hashing every field of every row's config
    # cost more than the hindcasts at N = 128 (the objects live in ``outcome.impacts``)
    shares: dict[int, dict[str, float]] = {}
    for row in range(len(samples)):
        impact = outcome.impacts[models[row]][points[row]]
        found = shares.get(id(impact))
        if found is None:
            try:
                found = evidence.implied_shares(impact)
            except InputError:
                found = {}
            shares[id(impact)] = found
        implied[row] = found.get(reference, math.nan)
        own[row] = found.get(assets[row], math.nan)
    samples[IMPLIED_COLUMN] = implied
    samples[OWN_COLUMN] = own
    return dataclasses.replace(outcome, samples=samples)


def share_of_box(samples: pd.DataFrame, above: float) -> dict[str, float]:
    """Per model: the share of the main design's samples whose implied φ exceeds ``above``."""
    if IMPLIED_COLUMN not in samples or samples[IMPLIED_COLUMN].isna().all():
        return {}
    main = samples[samples["design"] == samples["design"].iloc[0]]
    first_asset = main["asset"].iloc[0]
    main = main[main["asset"] == first_asset]  # φ is the reference's: one row per sample
    return {
        str(model): float((group[IMPLIED_COLUMN] > above).mean())
        for model, group in main.groupby("model", sort=False)
    }


__all__ = ["IMPLIED_COLUMN", "OWN_COLUMN", "prepare", "share_of_box", "with_implied_share"]
