"""The ``etf_explained_share`` axis of a study: each scenario's parameter solved on the record.

For a share φ, a model and the scenario's other ``[impact]`` keys (θ, decay, windows), the
model's parameter is the root of φ(value) = φ on the reference asset's ETF window
(``backtest.analogs.evidence.solve_share``: the hindcast's cumulative log impact over the
realized log move, from the launch to the last day of its stored table). The solved value
applies to every asset; the φ it implies on every other asset with a stored table is kept
beside it (scenarios.csv ``etf_implied_share``). Like a ``calibrated:`` token, the axis is
resolved before the scenarios are built: ``Evidence.solve`` is the ``solve`` argument of
``Study.scenarios``; each (impact config, share) is solved once.

``with_evidence`` (``backtest.study.evidence_step``) builds the ``Evidence`` of a run; a study
whose reference asset has no stored ETF table stops there with exit 3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from backtest.analogs.evidence import reach, solve_share, usable_share
from backtest.analogs.hindcast import PARAMETER_KEY, RealizedSeries, with_parameter
from backtest.sim.impact import ImpactConfig
from backtest.study.evidence_config import EvidenceConfig, SolvedImpact
from flowimpact.units import BPS_PER_UNIT

#: evidence.csv: one row per solved (model, other impact keys, share)
SOLVED_COLUMNS = (
    "reference", "first_day", "last_day", "realized_log_return_bps", "model", "parameter",
    "etf_explained_share", "value", "permanent_share", "decay", "half_life_days",
    "reach_low", "reach_high",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Evidence:
    """The realized ETF windows of a run and the parameters solved on the reference's.

    ``series`` holds every asset with prices and a stored ETF table (the reference among
    them); ``solved`` fills as ``solve`` is called (a cache keyed by impact config and share).
    """

    config: EvidenceConfig
    series: Mapping[str, RealizedSeries]
    solved: dict[tuple[ImpactConfig, float], SolvedImpact] = field(default_factory=dict)

    @property
    def reference(self) -> RealizedSeries:
        return self.series[self.config.reference]

    @property
    def window(self) -> tuple[str, str, float]:
        """(first day, last day, realized log move in bps) of the reference's ETF window."""
        days = self.reference.days
        return (
            days[0].strftime("%Y-%m-%d"),
            days[-1].strftime("%Y-%m-%d"),
            self.reference.realized_log_return * BPS_PER_UNIT,
        )

    def solve(self, impact: ImpactConfig, share: float) -> SolvedImpact:
        """``impact`` with its parameter set so the reference's φ is ``share`` (exit 2 if none)."""
        key = (impact, float(share))
        if key not in self.solved:
            value = solve_share(self.reference, impact, float(share))
            solved = with_parameter(impact, value)
            self.solved[key] = SolvedImpact(solved, self.implied_shares(solved))
        return self.solved[key]

    def implied_shares(self, impact: ImpactConfig) -> dict[str, float]:
        """φ of ``impact`` on every stored window; +inf where the value is past the part where
        φ means what it says (the implied no-ETF path runs away: ``usable_share``)."""
        return {asset: usable_share(series, impact) for asset, series in self.series.items()}

    def solved_table(self) -> pd.DataFrame:
        """evidence.csv: every solved parameter, the window, and the bracket's reachable φ."""
        first, last, realized_bps = self.window
        rows = []
        for (given, share), solved in self.solved.items():
            bounds = reach(self.reference, given)
            key = PARAMETER_KEY[given.model]
            rows.append(
                {
                    "reference": self.config.reference,
                    "first_day": first,
                    "last_day": last,
                    "realized_log_return_bps": realized_bps,
                    "model": given.model,
                    "parameter": key,
                    "etf_explained_share": share,
                    "value": float(getattr(solved.impact, key)),
                    "permanent_share": given.permanent_share,
                    "decay": given.decay,
                    "half_life_days": given.half_life_days,
                    "reach_low": bounds.share_low,
                    "reach_high": bounds.share_high,
                    **{f"implied_share_{a}": v for a, v in solved.implied_share.items()},
                }
            )
        return pd.DataFrame(rows, columns=[*SOLVED_COLUMNS, *self._implied_columns()])

    def reference_lines(self, impacts: Iterable[ImpactConfig]) -> pd.DataFrame:
        """The φ that each config's parameter, as given, implies (M = 5 and Y = 1 by default)."""
        rows, seen = [], set()
        for impact in impacts:
            key = PARAMETER_KEY[impact.model]
            mark = (impact.model, float(getattr(impact, key)), impact.permanent_share)
            if mark in seen:
                continue
            seen.add(mark)
            implied = self.implied_shares(impact)
            rows.append(
                {
                    "model": impact.model,
                    "parameter": key,
                    "value": mark[1],
                    "permanent_share": impact.permanent_share,
                    "etf_explained_share": implied[self.config.reference],
                    **{f"implied_share_{a}": v for a, v in implied.items()},
                }
            )
        return pd.DataFrame(rows)

    def _implied_columns(self) -> list[str]:
        return [f"implied_share_{asset}" for asset in self.series]


__all__ = ["SOLVED_COLUMNS", "Evidence"]
