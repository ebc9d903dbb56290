"""``SensitivityConfig``: the study section ``[sensitivity]`` and its ``[sensitivity.ranges]``.

A sensitivity analysis varies some numeric keys of ``[inflow]`` and ``[impact]`` over ranges
and asks how much of the outputs' variance each one carries (``flowimpact sensitivity``). A
range is ``key = [low, high]`` or ``key = { low = .., high = .., scale = "log" }``: on a log
scale the key is drawn uniform in its logarithm (for a multiplier spanning 2 to 60, each
factor of two gets the same weight). Whole-number keys (``lag_months``, ``ramp_months``, the
trailing windows) stay whole numbers: each value from low to high is equally likely.

The packaged default analysis (``DEFAULT_RANGES``; sources in the README and below) varies the
eight assumptions the default report's spread comes from:

- ``allocation`` 0.01-0.05: the 1-5 % of 401(k) assets commentators quote (1 % of $8.7 T = $87 bn);
- ``lag_months`` 6-24 and ``ramp_months`` 6-36: the 6-24-month rollout of rules, products and
  employer menus the sources describe, for the first dollar and for the full allocation;
- ``reallocation_share`` 0.1-1: from participants who rarely move balances (Vanguard How
  America Saves) to managed products that move all of them (assumption: the whole range);
- ``multiplier`` 2-60, log scale: published crypto estimates of M, with the project's own
  BTC spot-ETF calibration (about 60, an upper bound since flows also follow prices) on top;
- ``permanent_share`` 0.2-0.9: metaorder studies' relaxation to a half to two thirds of the
  peak (Moro et al. 2009), widened both ways (assumption);
- ``half_life_days`` 10-180: from order-book resilience of days to months (assumption);
- ``volume_coverage`` 3-20: market-wide over Binance spot volume, the square-root model's
  only link to the venue (assumption; see the reference data's SOURCES.md).

``etf_explained_share`` (φ, e.g. ``[0.05, 1.0]``) may be ranged in place of the model's parameter:
each sample's ``multiplier``, ``sqrt_y`` or ``lambda_per_billion_usd`` is then solved so the
hindcast attributes that share of ``[impact] etf_reference``'s ETF-era move to its flows, with
the sample's other keys (``backtest.study.evidence``; the reference's stored ETF table needed).

Other keys (defaults are assumptions): ``method`` "sobol" (variance-based indices, the answer
to "which assumption carries the variance"), "morris" (elementary effects, a cheaper
screening) or "oat" (each key at its low and high end, the others at their study values);
``samples`` 1024, Sobol's base sample N (N·(D+2) runs for D keys, a power of two for the
Sobol' sequence) or Morris' number of trajectories (N·(D+1) runs); ``outputs`` the metrics of
``scenarios.csv`` to explain, per asset (a name without ``_p05``/``_p50``/``_p95`` is the median
over paths); ``seed`` for the sampling and the bootstrap intervals; ``evaluate`` false (impact
metrics only; true adds the vectorbt portfolio metrics, much slower); ``n_paths`` 50 bootstrap
paths per sample (the outputs are medians over the same paths for every sample, so sampling
noise in the paths does not pass for sensitivity); ``morris_levels`` 4, the grid of the
Morris design (Saltelli et al. 2008, "Global Sensitivity Analysis: The Primer", ch. 3);
``resamples`` 100 bootstrap resamples and ``confidence`` 0.95 for the intervals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from backtest.sim.evaluate_config import METRICS, STRATEGY_NAMES
from backtest.sim.impact import ImpactConfig
from backtest.sim.metrics import IMPACT_METRICS, QUANTILES
from backtest.study.coerce import field_hints
from backtest.study.evidence_config import SHARE_KEY, EvidenceConfig
from flowimpact.config import choice, frozen, number, whole
from flowimpact.errors import ConfigError
from strategies.inflow_config import InflowConfig

Method = Literal["sobol", "morris", "oat"]
METHODS: tuple[str, ...] = get_args(Method)
SCALES = ("linear", "log")
_SECTION = "sensitivity"
_RANGES = "sensitivity.ranges"

#: the packaged default analysis: key -> range (sources in the module docstring and the README)
DEFAULT_RANGES: Mapping[str, Mapping[str, Any]] = {
    "allocation": {"low": 0.01, "high": 0.05},
    "lag_months": {"low": 6, "high": 24},
    "ramp_months": {"low": 6, "high": 36},
    "reallocation_share": {"low": 0.1, "high": 1.0},
    "multiplier": {"low": 2.0, "high": 60.0, "scale": "log"},
    "permanent_share": {"low": 0.2, "high": 0.9},
    "half_life_days": {"low": 10.0, "high": 180.0},
    "volume_coverage": {"low": 3.0, "high": 20.0},
}
DEFAULT_OUTPUTS = ("price_uplift_at_horizon_pct", "log_impact_at_horizon_bps")


def _numeric_keys(cls: type) -> dict[str, type]:
    # a key that takes a number or a table (``volume_coverage``) is sampled as a number
    return {
        key: hint if hint in (float, int) else float
        for key, hint in field_hints(cls).items()
        if hint in (float, int) or float in get_args(hint)
    }


#: the keys a range may name: section and type of every numeric key of [inflow] and [impact]
RANGE_KEYS: Mapping[str, tuple[str, type]] = frozen(
    {
        **{key: ("inflow", kind) for key, kind in _numeric_keys(InflowConfig).items()},
        **{key: ("impact", kind) for key, kind in _numeric_keys(ImpactConfig).items()},
        # φ in place of the model's parameter: solved per sample (backtest.study.sensitivity.plan)
        SHARE_KEY: ("impact", float),
    }
)
_CLASSES: Mapping[str, type] = {"inflow": InflowConfig, "impact": ImpactConfig}


@dataclass(frozen=True)
class ParameterRange:
    """One varied key: ``[section] key`` from ``low`` to ``high`` on a linear or log scale."""

    key: str
    section: str
    low: float
    high: float
    scale: str = "linear"
    integer: bool = False

    def values(self, unit: npt.ArrayLike) -> np.ndarray:
        """Points of the unit interval [0, 1] as values of the key (whole numbers stay whole).

        Linear: low + u·(high − low); log: low·(high/low)^u; whole numbers: low + ⌊u·(high −
        low + 1)⌋, capped at high, so every whole number in the range is equally likely.
        """
        u = np.clip(np.asarray(unit, dtype=np.float64), 0.0, 1.0)
        if self.integer:
            return np.minimum(self.low + np.floor(u * (self.high - self.low + 1)), self.high)
        if self.scale == "log":
            return np.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        return self.low + u * (self.high - self.low)

    def typed(self, value: float) -> float | int:
        """A value as the config field wants it (an int for a whole-number key)."""
        return int(np.rint(value)) if self.integer else float(value)


@dataclass(frozen=True, kw_only=True)
class SensitivityConfig:
    """The ``[sensitivity]`` section; keys, defaults and sources in the module docstring."""

    method: Method = "sobol"
    samples: int = 1024
    outputs: tuple[str, ...] = DEFAULT_OUTPUTS
    seed: int = 20250807
    evaluate: bool = False
    n_paths: int = 50
    morris_levels: int = 4
    resamples: int = 100
    confidence: float = 0.95
    ranges: Mapping[str, Any] = field(default_factory=lambda: frozen(DEFAULT_RANGES))

    def __post_init__(self) -> None:
        choice(_SECTION, "method", self.method, METHODS)
        whole(_SECTION, "samples", self.samples, low=2)
        if self.method == "sobol" and self.samples & (self.samples - 1):
            below = 1 << (self.samples.bit_length() - 1)
            raise ConfigError(
                f"[sensitivity] samples: {self.samples} is not a power of two, which the "
                f"Sobol' sequence needs; give {below} or {below * 2} (any power of two from 2)"
            )
        whole(_SECTION, "seed", self.seed, low=0)
        whole(_SECTION, "n_paths", self.n_paths, low=1)
        whole(_SECTION, "morris_levels", self.morris_levels, low=2)
        if self.morris_levels % 2:
            raise ConfigError(
                f"[sensitivity] morris_levels: {self.morris_levels} is odd; Morris' design needs "
                "an even number of levels (4, 6, 8, ...)"
            )
        whole(_SECTION, "resamples", self.resamples, low=10)
        number(
            _SECTION,
            "confidence",
            self.confidence,
            low=0.0,
            high=1.0,
            low_open=True,
            high_open=True,
        )
        if not isinstance(self.evaluate, bool):
            raise ConfigError(f"[sensitivity] evaluate: {self.evaluate!r} must be true or false")
        object.__setattr__(self, "outputs", _checked_outputs(self.outputs, self.evaluate))
        ranges = {key: _checked_range(key, spec) for key, spec in dict(self.ranges).items()}
        if not ranges:
            raise ConfigError(
                "[sensitivity.ranges] is empty; give at least one, e.g. multiplier = [2, 60]"
            )
        object.__setattr__(self, "ranges", frozen({k: frozen(v) for k, v in ranges.items()}))

    @property
    def parameters(self) -> tuple[ParameterRange, ...]:
        """The ranges in file order."""
        out = []
        for key, spec in self.ranges.items():
            section, kind = RANGE_KEYS[key]
            out.append(
                ParameterRange(
                    key=key,
                    section=section,
                    low=spec["low"],
                    high=spec["high"],
                    scale=spec["scale"],
                    integer=kind is int,
                )
            )
        return tuple(out)


def output_columns(outputs: tuple[str, ...]) -> dict[str, str]:
    """Each output -> the scenarios.csv column it reads (a bare name is the median, ``_p50``)."""
    return {
        name: name if name[-4:] in {f"_{q}" for q in QUANTILES} else f"{name}_p50"
        for name in outputs
    }


def impact_metrics_read(outputs: tuple[str, ...]) -> tuple[str, ...]:
    """The impact metrics (``IMPACT_METRICS``, without the quantile suffix) ``outputs`` read.

    The samples are run for these alone: when all of them read the last day only (the default
    outputs do), the engine runs its horizon mode (``backtest.study.chunks.SharedInputs``).
    """
    bases = (name[:-4] if name[-4:] in {f"_{q}" for q in QUANTILES} else name for name in outputs)
    return tuple(dict.fromkeys(base for base in bases if base in IMPACT_METRICS))


def _checked_outputs(outputs: object, evaluate: bool) -> tuple[str, ...]:
    if isinstance(outputs, str):
        outputs = (outputs,)
    if not isinstance(outputs, (list, tuple)) or not outputs:
        raise ConfigError(
            f"[sensitivity] outputs: give a list of metric names, e.g. {list(DEFAULT_OUTPUTS)}"
        )
    portfolio = {
        f"{s}_{m}{versus}"
        for s in STRATEGY_NAMES
        for m in METRICS
        for versus in ("", "_vs_baseline")
    }
    for name in outputs:
        base = str(name)
        if base[-4:] in {f"_{q}" for q in QUANTILES}:
            base = base[:-4]
        if base in IMPACT_METRICS:
            continue
        if base in portfolio:
            if not evaluate:
                raise ConfigError(
                    f"[sensitivity] outputs: {name} is a portfolio metric; set [sensitivity] "
                    "evaluate = true to compute it"
                )
            continue
        raise ConfigError(
            f"[sensitivity] outputs: {name!r} is not a metric of scenarios.csv; impact metrics: "
            f"{', '.join(IMPACT_METRICS)} (optionally with _p05, _p50 or _p95), or a portfolio "
            "metric such as payroll_dca_total_return_pct_vs_baseline with evaluate = true"
        )
    return tuple(str(name) for name in dict.fromkeys(outputs))


def _checked_range(key: str, spec: object) -> dict[str, Any]:
    """``[low, high]`` or ``{low, high, scale}`` as a checked table; ConfigError naming the key."""
    if key not in RANGE_KEYS:
        near = get_close_matches(str(key), list(RANGE_KEYS), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ConfigError(
            f"[{_RANGES}] {key}: not a numeric key of [inflow] or [impact]{hint}; allowed: "
            f"{', '.join(RANGE_KEYS)}"
        )
    section, kind = RANGE_KEYS[key]
    if isinstance(spec, (list, tuple)) and len(spec) == 2:
        table: dict[str, Any] = {"low": spec[0], "high": spec[1]}
    elif isinstance(spec, Mapping):
        table = dict(spec)
        unknown = set(table) - {"low", "high", "scale"}
        if unknown or not {"low", "high"} <= set(table):
            raise ConfigError(
                f"[{_RANGES}] {key}: a table needs low and high (and may give scale), got "
                f"{sorted(table)}"
            )
    else:
        raise ConfigError(
            f'[{_RANGES}] {key}: write [low, high] or {{ low = .., high = .., scale = "log" }}, '
            f"got {spec!r}"
        )
    scale = choice(_RANGES, f"{key} scale", table.get("scale", "linear"), SCALES)
    low: float
    high: float
    if kind is int:
        low = whole(_RANGES, f"{key} low", table["low"])
        high = whole(_RANGES, f"{key} high", table["high"])
        if scale == "log":
            raise ConfigError(f"[{_RANGES}] {key}: whole-number keys take a linear scale only")
    else:
        low = number(_RANGES, f"{key} low", table["low"])
        high = number(_RANGES, f"{key} high", table["high"])
    if not low < high:
        raise ConfigError(f"[{_RANGES}] {key}: low {low:g} must be below high {high:g}")
    if scale == "log" and low <= 0:
        raise ConfigError(f"[{_RANGES}] {key}: a log scale needs low > 0, got {low:g}")
    for end, value in (("low", low), ("high", high)):
        try:  # the key's own checks, with every other key at its default
            if key == SHARE_KEY:
                EvidenceConfig(shares=(value,))
            else:
                _CLASSES[section](**{key: value})
        except ConfigError as exc:
            raise ConfigError(
                f"[{_RANGES}] {key}: {end} = {value:g} is outside what [{section}] {key} "
                f"allows ({exc})"
            ) from None
    return {"low": low, "high": high, "scale": scale}


__all__ = [
    "DEFAULT_OUTPUTS",
    "DEFAULT_RANGES",
    "METHODS",
    "RANGE_KEYS",
    "ParameterRange",
    "SensitivityConfig",
    "output_columns",
]
