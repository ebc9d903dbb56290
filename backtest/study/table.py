"""``scenarios.csv`` as a frame: one row per scenario and asset.

Identity columns first (``scenario_id``, ``label``, ``asset``, ``allocation``, ``model``, the
other grid axes, ``flow_source``: which flows the scenario carries into the asset, e.g.
``401(k) + etf:BTC``), then the impact figures of ``backtest.sim.metrics`` and the portfolio metrics
of ``backtest.sim.evaluate``, each with its unit in its name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from backtest.study.config import Scenario


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
    for index, scenario in enumerate(scenarios):
        sections = {"inflow": scenario.inflow, "impact": scenario.impact}
        axes = {
            name: getattr(sections[section], name)
            for section, name in ((key.section, key.name) for key in scenario.axes)
        }
        for asset in assets:
            rows.append(
                {
                    "scenario_id": scenario.scenario_id,
                    "label": scenario.label,
                    "asset": asset,
                    "allocation": scenario.inflow.allocation,
                    "model": scenario.impact.model,
                    **{k: v for k, v in axes.items() if k not in ("allocation", "model")},
                    "flow_source": (
                        flow_sources[index][asset] if flow_sources is not None else "401(k)"
                    ),
                }
            )
    identity = pd.DataFrame(rows)
    metrics = pd.concat([impacts, evaluation], axis=1).reset_index(drop=True)
    return pd.concat([identity, metrics], axis=1)


__all__ = ["scenarios_table"]
