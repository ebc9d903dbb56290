"""From a study to the scenarios of a sensitivity analysis: the plan and the configs per sample.

Every key of ``[inflow]`` and ``[impact]`` has one value in a sensitivity analysis, except
``model``: each impact model listed gets its own analysis over the same samples. A key with a
range in ``[sensitivity.ranges]`` takes its values from the samples; its study value (the
value written in ``[inflow]``/``[impact]``, else the default) is where the one-at-a-time design
holds it while another key moves. A one-element list is that one value, as everywhere in a
study. Longer lists (grid axes) are refused, with one line naming the key, when you wrote
them: a list for a ranged key contradicts the range, a list for another key is a grid the
analysis does not run. The default study's own lists (allocation, lag, ramp) give
way: a range replaces such a list, and a key without one keeps the list's first value.
Calibrated tokens (``calibrated:btc_etf``) are not resolved here and are refused: give a number
or a range. A range over ``etf_explained_share`` (φ) stands in for the model's parameter: each
sample's parameter is solved for its φ by ``solve`` (set from the stored ETF table before the
samples run, ``backtest.study.sensitivity.evidence``); its study value is the first of the
study's ``[impact] etf_explained_share``, else the range's geometric middle. Ranging φ and the
parameter it solves for together is refused.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.analogs.hindcast import PARAMETER_KEY
from backtest.sim.evaluate_config import EvaluateConfig
from backtest.sim.impact import MODELS, ImpactConfig, ImpactModelName
from backtest.study.config import CALIBRATED_PREFIX, Scenario, Study, build_config, load_study
from backtest.study.evidence_config import SHARE_KEY, EvidenceSolver
from backtest.study.schedules import market_caps_usd
from backtest.study.sensitivity.config import ParameterRange, SensitivityConfig
from flowimpact.config import choice
from flowimpact.errors import ConfigError
from strategies.inflow_config import MARKET_CAP_SPLIT, InflowConfig

_RANGES = "sensitivity.ranges"


@dataclass(frozen=True, eq=False)
class SensitivityPlan:
    """What a study's ``[sensitivity]`` section asks for, checked against the study.

    ``inflow`` and ``impact`` are the study's configs (one value per key; ``impact.model`` is
    the first of ``models``); ``study_values`` each parameter's study value, in the order of
    ``parameters``.
    """

    config: SensitivityConfig
    parameters: tuple[ParameterRange, ...]
    models: tuple[ImpactModelName, ...]
    inflow: InflowConfig
    impact: ImpactConfig
    study_values: tuple[float, ...]
    evaluate: EvaluateConfig | None = None  # the study's [evaluate], for evaluate = true
    solve: EvidenceSolver | None = None  # φ -> the model's parameter, when φ is ranged

    def configs(
        self, values: npt.NDArray[np.float64]
    ) -> tuple[list[InflowConfig], dict[str, list[ImpactConfig]]]:
        """Per sample (a row of ``values``) its inflow config and, per model, its impact config.

        Samples that share their inflow (or impact) values share one config object, so the
        schedules of a batch are built once per distinct inflow.
        """
        inflow_keys = [(j, p) for j, p in enumerate(self.parameters) if p.section == "inflow"]
        impact_keys = [(j, p) for j, p in enumerate(self.parameters) if p.section == "impact"]
        inflows: list[InflowConfig] = []
        built: dict[tuple[float | int, ...], InflowConfig] = {}
        for row in values:
            key = tuple(p.typed(row[j]) for j, p in inflow_keys)
            if key not in built:
                built[key] = _replaced(
                    self.inflow, dict(zip((p.key for _, p in inflow_keys), key, strict=True))
                )
            inflows.append(built[key])
        impacts: dict[str, list[ImpactConfig]] = {}
        for model in self.models:
            base = dataclasses.replace(self.impact, model=model)
            cache: dict[tuple[float | int, ...], ImpactConfig] = {}
            column = []
            for row in values:
                key = tuple(p.typed(row[j]) for j, p in impact_keys)
                if key not in cache:
                    named = dict(zip((p.key for _, p in impact_keys), key, strict=True))
                    share = named.pop(SHARE_KEY, None)
                    cache[key] = _replaced(base, named)
                    if share is not None:
                        cache[key] = self._solver()(cache[key], float(share)).impact
                column.append(cache[key])
            impacts[model] = column
        return inflows, impacts

    @property
    def ranges_share(self) -> bool:
        return any(p.key == SHARE_KEY for p in self.parameters)

    def _solver(self) -> EvidenceSolver:
        if self.solve is None:
            raise ConfigError(
                f"[{_RANGES}] {SHARE_KEY} needs the stored ETF-flow table of [impact] "
                "etf_reference to solve each sample's parameter: import it (flowimpact import)"
            )
        return self.solve


def sensitivity_plan(study: Study) -> SensitivityPlan:
    """The plan of ``study.sensitivity``; ConfigError (exit 2) naming the key if it cannot run."""
    config = study.sensitivity
    parameters = config.parameters
    ranged = {p.key for p in parameters}
    default_axes = load_study(None).grid_axes
    models: tuple[ImpactModelName, ...] = (study.impact.model,)
    for axis, axis_values in study.grid_axes.items():
        section, key = axis.section, axis.name
        if axis == "impact.model":
            models = tuple(_model(v) for v in dict.fromkeys(axis_values))
            continue
        from_default = tuple(default_axes.get(axis, ())) == tuple(axis_values)
        if len(axis_values) == 1:  # one value, written as a list: no grid
            continue
        if key in ranged and not from_default:
            raise ConfigError(
                f"[{section}] {key} is a list ({list(axis_values)}) and has a range in "
                f"[{_RANGES}]: give one value (the study value) or drop the range"
            )
        if key not in ranged and not from_default:
            raise ConfigError(
                f"[{section}] {key} is a list ({list(axis_values)}); a sensitivity analysis "
                f"runs no grid: give one value, or a range in [{_RANGES}]"
            )
    for section in ("inflow", "impact"):
        for key, value in study.raw.get(section, {}).items():
            if isinstance(value, str) and value.startswith(CALIBRATED_PREFIX):
                raise ConfigError(
                    f"[{section}] {key} = {value!r}: a sensitivity analysis takes numbers; give "
                    f"a value or a range in [{_RANGES}]"
                )
    inflow = build_config("inflow", study.raw.get("inflow", {}))
    impact = build_config("impact", study.raw.get("impact", {}))
    for model in models:
        build_config("impact", {**study.raw.get("impact", {}), "model": model})
    if SHARE_KEY in ranged:
        clash = sorted(ranged & {PARAMETER_KEY[m] for m in models})
        if clash:
            raise ConfigError(
                f"[{_RANGES}] {SHARE_KEY} and {', '.join(clash)} are both ranged: φ sets the "
                "model's parameter; range one of them"
            )
    study_values = tuple(
        _share_study_value(study, p)
        if p.key == SHARE_KEY
        else _study_value(inflow if p.section == "inflow" else impact, p.key, study.data.exchange)
        for p in parameters
    )
    plan = SensitivityPlan(
        config=config,
        parameters=parameters,
        models=models,
        inflow=inflow,
        impact=dataclasses.replace(impact, model=models[0]),
        study_values=study_values,
        evaluate=study.evaluate,
    )
    _check_ends(plan)
    return plan


def _study_value(config: object, key: str, exchange: str) -> float:
    """The study's value of a ranged key; a volume-coverage table gives the study venue's."""
    if isinstance(config, ImpactConfig) and key == "volume_coverage":
        return config.volume_coverage_for(exchange)[0]
    return float(getattr(config, key))


def market_caps(
    plan: SensitivityPlan, prices: Mapping[str, pd.DataFrame] | None
) -> dict[str, float] | None:
    """The caps a ``split = "market_cap"`` needs (the same for every sample), else None."""
    if plan.inflow.split != MARKET_CAP_SPLIT:
        return None
    return market_caps_usd(Scenario("", {}, plan.inflow, plan.impact), prices)


def _model(value: object) -> ImpactModelName:
    return cast(ImpactModelName, choice("impact", "model", value, MODELS))


def _share_study_value(study: Study, parameter: ParameterRange) -> float:
    shares = study.evidence.shares
    return shares[0] if shares else math.sqrt(parameter.low * parameter.high)


def _check_ends(plan: SensitivityPlan) -> None:
    """Both ends of every range build with the study's other values (exit 2 naming the key)."""
    for parameter in plan.parameters:
        if parameter.key == SHARE_KEY:
            continue  # solved per sample; its ends are checked against the record when solved
        base = plan.inflow if parameter.section == "inflow" else plan.impact
        for end, value in (("low", parameter.low), ("high", parameter.high)):
            try:
                _replaced(base, {parameter.key: parameter.typed(value)})
            except ConfigError as exc:
                raise ConfigError(
                    f"[{_RANGES}] {parameter.key}: {end} = {value:g} does not fit the study's "
                    f"[{parameter.section}] ({exc})"
                ) from None


def _replaced(config: Any, values: Mapping[str, float | int]) -> Any:
    try:
        return dataclasses.replace(config, **values)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{_RANGES}] {exc}") from exc


__all__ = ["SensitivityPlan", "market_caps", "sensitivity_plan"]
