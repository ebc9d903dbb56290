"""``scenarios.csv`` as a frame: one row per scenario and asset.

Identity columns first (``scenario_id``, ``label``, ``asset``, ``allocation``, ``model``, the
other grid axes, ``flow_source``: which flows the scenario carries into the asset, e.g.
``401(k) + etf:BTC``; with an ``etf_explained_share`` axis also the solved parameter in its own
column, ``multiplier``, ``sqrt_y`` or ``lambda_per_billion_usd``, empty for the other models, and
``etf_implied_share``: the share of this asset's ETF-era move the parameter attributes to its
ETF flows, empty without a stored table), then the impact figures of ``backtest.sim.metrics``
and the portfolio metrics of ``backtest.sim.evaluate``, each with its unit in its name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from backtest.analogs.hindcast import PARAMETER_KEY
from backtest.study.config import Scenario
from backtest.study.evidence_config import SHARE_AXIS


def scenarios_table(
    scenarios: Sequence[Scenario],
    assets: Sequence[str],
    impacts: pd.DataFrame,
    evaluation: pd.DataFrame,
    flow_sources: Sequence[Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """scenarios.csv as a frame: identity columns, then impact figures, then portfolio metrics.

    Grid-axis columns hold the value the scenario ran with: a ``calibrated:`` token shows as
    the number it resolved to (the label keeps the token). ``flow_sources`` (one mapping asset
    -> text per scenario, ``ScenarioInputs.flow_sources``) fills ``flow_source``; without it
    every scenario carries its 401(k) flows alone.
    """
    rows = []
    solved_keys = list(dict.fromkeys(PARAMETER_KEY[s.impact.model] for s in scenarios))
    for index, scenario in enumerate(scenarios):
        sections = {"inflow": scenario.inflow, "impact": scenario.impact}
        axes = {
            key.name: (
                scenario.axes[key]
                if key == SHARE_AXIS
                else getattr(sections[key.section], key.name)
            )
            for key in scenario.axes
        }
        if SHARE_AXIS in scenario.axes:
            own = PARAMETER_KEY[scenario.impact.model]
            axes.update(
                {k: getattr(scenario.impact, k) if k == own else math.nan for k in solved_keys}
            )
        for asset in assets:
            rows.append(
                {
                    "scenario_id": scenario.scenario_id,
                    "label": scenario.label,
                    "asset": asset,
                    "allocation": scenario.inflow.allocation,
                    "model": scenario.impact.model,
                    **{k: v for k, v in axes.items() if k not in ("allocation", "model")},
                    **(
                        {"etf_implied_share": scenario.implied_share.get(asset, math.nan)}
                        if SHARE_AXIS in scenario.axes
                        else {}
                    ),
                    "flow_source": (
                        flow_sources[index][asset] if flow_sources is not None else "401(k)"
                    ),
                }
            )
    identity = pd.DataFrame(rows)
    metrics = pd.concat([impacts, evaluation], axis=1).reset_index(drop=True)
    return pd.concat([identity, metrics], axis=1)


__all__ = ["scenarios_table"]
