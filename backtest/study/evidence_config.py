"""The evidence keys of ``[impact]``: ``etf_explained_share`` (a grid axis) and ``etf_reference``.

``etf_explained_share`` (φ) replaces the model's parameter by what it means on the record: for
each value, model and the scenario's other ``[impact]`` keys, the parameter (``multiplier``,
``sqrt_y`` or ``lambda_per_billion_usd``) is solved so that the hindcast attributes that share
of the reference asset's ETF-era log move to its ETF flows (``backtest.analogs.evidence``).
The solved value applies to every asset. The default study's axis, ``[0.1, 0.25, 0.5, 1.0]``,
follows the design's example; ``etf_reference`` defaults to "BTC", the asset with the longest
ETF record. ``etf_explained_share = []`` turns the axis off: the parameters run as given.

These keys are not fields of ``ImpactConfig`` (the engine never reads them): the study file
carries them in ``[impact]`` because they set the impact parameter, and ``split_impact`` takes
them out before the section is built.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backtest.sim.impact import ImpactConfig
from flowimpact.errors import ConfigError

SHARE_KEY = "etf_explained_share"
REFERENCE_KEY = "etf_reference"
EVIDENCE_KEYS = (SHARE_KEY, REFERENCE_KEY)
#: the grid-axis name of the share, as ``Study.grid_axes`` and ``Scenario.axes`` hold it
SHARE_AXIS = f"impact.{SHARE_KEY}"
DEFAULT_REFERENCE = "BTC"


@dataclass(frozen=True)
class EvidenceConfig:
    """The evidence keys of one study: the shares (empty: off) and the reference asset."""

    shares: tuple[float, ...] = ()
    reference: str = DEFAULT_REFERENCE

    def __post_init__(self) -> None:
        for share in self.shares:
            if isinstance(share, bool) or not isinstance(share, int | float):
                raise ConfigError(
                    f"[impact] {SHARE_KEY}: {share!r} is not a number; give shares such as "
                    "[0.1, 0.25, 0.5, 1.0]"
                )
            if not (math.isfinite(share) and share > 0):
                raise ConfigError(
                    f"[impact] {SHARE_KEY}: {share!r} is not a positive share; give values above "
                    "0 (1.0: the ETF flows explain the whole move)"
                )
        if not isinstance(self.reference, str) or not self.reference.strip():
            raise ConfigError(
                f"[impact] {REFERENCE_KEY}: give an asset with a stored ETF-flow table, e.g. "
                f'"{DEFAULT_REFERENCE}"'
            )
        object.__setattr__(self, "shares", tuple(float(s) for s in self.shares))
        object.__setattr__(self, "reference", self.reference.strip().upper())

    @property
    def active(self) -> bool:
        return bool(self.shares)


def split_impact(values: Mapping[str, Any]) -> tuple[dict[str, Any], EvidenceConfig]:
    """``[impact]`` as written -> (the keys ``ImpactConfig`` takes, the evidence keys)."""
    rest = {k: v for k, v in values.items() if k not in EVIDENCE_KEYS}
    shares = values.get(SHARE_KEY, [])
    if not isinstance(shares, list):
        shares = [shares]
    reference = values.get(REFERENCE_KEY, DEFAULT_REFERENCE)
    return rest, EvidenceConfig(shares=tuple(shares), reference=reference)


@dataclass(frozen=True)
class SolvedImpact:
    """A scenario's impact config with its parameter solved for a share.

    ``implied_share`` maps each asset with a stored ETF table to the φ the solved parameter
    implies for it (the reference asset's is the share asked for).
    """

    impact: ImpactConfig
    implied_share: Mapping[str, float] = field(default_factory=dict)


#: ``solve(impact, share)``: ``impact`` (its parameter as given) solved for ``share``
EvidenceSolver = Callable[[ImpactConfig, float], SolvedImpact]


def as_given(impact: ImpactConfig, share: float) -> SolvedImpact:
    """No solving: the parameter as written (for flows, validation and runs without tables)."""
    return SolvedImpact(impact)


__all__ = [
    "DEFAULT_REFERENCE",
    "EVIDENCE_KEYS",
    "REFERENCE_KEY",
    "SHARE_AXIS",
    "SHARE_KEY",
    "EvidenceConfig",
    "EvidenceSolver",
    "SolvedImpact",
    "as_given",
    "split_impact",
]
