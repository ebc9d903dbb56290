"""The headline scenario of a study run and the ``headline`` object of its ``run.json``.

The rule (``RULE``): the reference asset (BTC, else the study's first asset); the allocation
1 % when the grid holds it, else its smallest positive allocation, else its first; every other
grid axis (reallocation_share, model, lag_months, ...) at its first value in the study file's
order. The figure is that one scenario's price uplift at the horizon: the median and the 5th
and 95th percentile over its bootstrap paths, never a median taken across a grid axis. The
object's keys are defined in ``flowimpact.headline`` (and docs/contracts.md), which also
formats it for every surface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from backtest.study.config import AxisKey, Scenario, Study
from backtest.study.evidence_config import SHARE_AXIS
from backtest.study.results import StudyRun
from flowimpact.headline import PERMANENT_KEY, UPLIFT_KEY
from flowimpact.units import BPS_PER_UNIT

RULE = (
    "the reference asset (BTC, else the first asset); allocation 1% if the grid holds it, "
    "else the smallest positive allocation; every other grid axis at its first value"
)
REFERENCE_ASSET = "BTC"
HEADLINE_ALLOCATION = 0.01
#: the parameter that sets each model's strength (``[impact]`` key)
MODEL_PARAMETER = {
    "multiplier": "multiplier",
    "sqrt": "sqrt_y",
    "linear": "lambda_per_billion_usd",
}


def headline_asset(assets: Sequence[str]) -> str:
    """The reference asset when the study has it, else its first asset."""
    return REFERENCE_ASSET if REFERENCE_ASSET in assets else assets[0]


def headline_axes(study: Study) -> dict[AxisKey, object]:
    """Grid key (``inflow.allocation``) → the headline's value on that axis."""
    chosen: dict[AxisKey, object] = {key: values[0] for key, values in study.grid_axes.items()}
    allocations = study.grid_axes.get(AxisKey.of("inflow", "allocation"))
    if allocations:
        numbers = [a for a in allocations if isinstance(a, int | float)]
        positive = sorted(a for a in numbers if a > 0)
        if HEADLINE_ALLOCATION in numbers:
            chosen[AxisKey.of("inflow", "allocation")] = HEADLINE_ALLOCATION
        elif positive:
            chosen[AxisKey.of("inflow", "allocation")] = positive[0]
    return chosen


def headline_scenario(study: Study, scenarios: Sequence[Scenario]) -> Scenario:
    """The one scenario whose grid values are ``headline_axes``."""
    chosen = headline_axes(study)
    for scenario in scenarios:
        if all(scenario.axes.get(key) == value for key, value in chosen.items()):
            return scenario
    return scenarios[0]  # unreachable for a full grid; a hand-made list still gets a headline


def at_headline_values(run: StudyRun, free: Sequence[str]) -> pd.DataFrame:
    """The rows of scenarios.csv whose grid values, except the ``free`` axes (by key name,
    ``allocation``), are the headline's: every cell of a table on the free axes is then one
    scenario, never a median over the others. Matched on the scenarios' own grid values (a
    ``calibrated:`` token stays a token there), then by ``scenario_id``."""
    chosen = {
        key: value for key, value in headline_axes(run.study).items()
        if key.split(".", 1)[1] not in free
    }
    ids = [
        s.scenario_id for s in run.scenarios
        if all(s.axes.get(key) == value for key, value in chosen.items())
    ]
    return run.table[run.table["scenario_id"].isin(ids)]


def answer_grid(run: StudyRun) -> pd.DataFrame:
    """The median uplift (%) per (asset, model, reallocation_share) and allocation, one
    scenario per cell (the other axes at the headline's values): the terminal's table."""
    rows = [c for c in ("asset", "model", "reallocation_share") if c in run.table.columns]
    cells = at_headline_values(run, free=[*rows, "allocation"])
    return cells.pivot_table(
        index=rows, columns="allocation", values=f"{UPLIFT_KEY}_p50", aggfunc="first"
    )


def fixed_axes(study: Study, shown: Sequence[str]) -> dict[str, object]:
    """Axis name → the headline's value, for the grid axes not in ``shown`` (nor allocation)."""
    return {
        key.split(".", 1)[1]: value
        for key, value in headline_axes(study).items()
        if key.split(".", 1)[1] not in (*shown, "allocation")
    }


def headline(run: StudyRun) -> dict[str, Any]:
    """The ``headline`` object of run.json for ``run`` (keys: ``flowimpact.headline``)."""
    scenario = headline_scenario(run.study, run.scenarios)
    asset = headline_asset(list(run.baseline.assets))
    table = run.table
    row = table[(table["scenario_id"] == scenario.scenario_id) & (table["asset"] == asset)]
    figures: Mapping[str, Any] = row.iloc[0].to_dict()
    impact, inflow = scenario.impact, scenario.inflow
    parameter = MODEL_PARAMETER.get(impact.model)
    return {
        "rule": RULE,
        "scenario_id": scenario.scenario_id,
        "label": scenario.label,
        "asset": asset,
        "allocation": float(inflow.allocation),
        "reallocation_share": float(inflow.reallocation_share),
        "model": impact.model,
        "parameter": parameter,
        "parameter_value": float(getattr(impact, parameter)) if parameter else None,
        # φ: the share of the reference's ETF-era move the solved parameter attributes to the
        # ETF flows (None when the study runs its parameters as given)
        "etf_explained_share": _share(scenario),
        "horizon": run.baseline.days[-1].date().isoformat(),
        UPLIFT_KEY: {q: float(figures[f"{UPLIFT_KEY}_{q}"]) for q in ("p05", "p50", "p95")},
        # the median of exp(x) - 1 is exp(median x) - 1: the permanent log impact's median
        PERMANENT_KEY: float(
            np.expm1(figures["permanent_log_impact_at_horizon_bps_p50"] / BPS_PER_UNIT) * 100
        ),
        "cum_flow_usd": float(figures["cum_flow_usd_p50"]),
        "sources_usd": float(inflow.allocation * inflow.plan_assets_usd),
    }


def _share(scenario: Scenario) -> float | None:
    value = scenario.axes.get(AxisKey(SHARE_AXIS))
    return None if value is None else float(value)


__all__ = [
    "HEADLINE_ALLOCATION",
    "MODEL_PARAMETER",
    "REFERENCE_ASSET",
    "RULE",
    "answer_grid",
    "at_headline_values",
    "fixed_axes",
    "headline",
    "headline_asset",
    "headline_axes",
    "headline_scenario",
]
