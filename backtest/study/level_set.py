"""The hindcast as a level set: φ against the parameter, the explaining value over the end date,
and the window's zero-drift bootstrap beside the realized move.

Per asset with prices and a stored ETF table, and per model of the study (its other
``[impact]`` keys at the first grid value), over the table's span (``backtest.analogs.hindcast``):

- ``hindcast_phi_curve.csv``: φ (``backtest.analogs.evidence.explained_share``) at
  ``CURVE_POINTS`` parameter values, log-spaced from 1/1000 of the root-finding bracket's top
  to the top, at each θ of ``CURVE_THETAS`` (0.2, 0.5, 0.9: low, the default, high). The
  explaining value is where a curve crosses φ = 1; that it moves with θ is the level set.
- ``hindcast_explaining_by_end.csv``: the explaining value (φ = 1) with the window ending at
  every month's end from the first day + 6 months to the table's last day (and that last day),
  NaN with the reason where the shortened window did not rise or the bracket holds no root.
- ``hindcast_noise.csv``: the window's log return drawn ``NOISE_PATHS`` times by the stationary
  block bootstrap with zero drift (``zero_drift_window_returns``; the study's ``[paths]``
  block length and seed, its source the daily log returns from ``[paths] resample_start`` to the
  last stored close, as the baseline's) beside the realized move: std, 5th/50th/95th
  percentiles and the share of draws at or above it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from backtest.analogs.evidence import (
    rising_part,
    share_curve,
    solve_share,
    zero_drift_window_returns,
)
from backtest.analogs.hindcast import (
    BRACKET_HIGH,
    PARAMETER_KEY,
    RealizedSeries,
    prior_days_needed,
    realized_series,
)
from backtest.sim.impact import ImpactConfig
from backtest.study.config import AxisKey, Study, build_config
from flowimpact.errors import InputError
from flowimpact.units import BPS_PER_UNIT

CURVE_THETAS = (0.2, 0.5, 0.9)
CURVE_POINTS = 25
NOISE_PATHS = 2000
FIRST_END_MONTHS = 6


@dataclasses.dataclass(frozen=True, eq=False)
class LevelSet:
    """The three tables of the level set (module docstring)."""

    curve: pd.DataFrame
    by_end: pd.DataFrame
    noise: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "hindcast_phi_curve.csv": self.curve,
            "hindcast_explaining_by_end.csv": self.by_end,
            "hindcast_noise.csv": self.noise,
        }


def level_set(
    study: Study, prices: Mapping[str, pd.DataFrame], etf_flows: Mapping[str, pd.DataFrame]
) -> LevelSet:
    """The level-set tables for every asset with prices and a stored ETF table."""
    impacts = model_impacts(study)
    prior_days = prior_days_needed(impacts)
    curve, by_end, noise = [], [], []
    for asset in (a for a in etf_flows if a in prices):
        series = realized_series(asset, prices[asset], etf_flows[asset], prior_days=prior_days)
        noise.append(noise_row(series, prices[asset], study))
        for impact in impacts:
            curve.append(curve_rows(series, impact))
            by_end.append(by_end_rows(series, impact))
    return LevelSet(
        curve=pd.concat(curve, ignore_index=True) if curve else pd.DataFrame(),
        by_end=pd.concat(by_end, ignore_index=True) if by_end else pd.DataFrame(),
        noise=pd.DataFrame(noise),
    )


def model_impacts(study: Study) -> list[ImpactConfig]:
    """The study's ``[impact]`` as written, once per model of the grid."""
    raw = study.raw.get("impact", {})
    models = study.grid_axes.get(AxisKey.of("impact", "model"), (study.impact.model,))
    return [build_config("impact", {**raw, "model": m}) for m in dict.fromkeys(models)]


def curve_rows(series: RealizedSeries, impact: ImpactConfig) -> pd.DataFrame:
    key = PARAMETER_KEY[impact.model]
    values = np.geomspace(BRACKET_HIGH[key] / 1000.0, BRACKET_HIGH[key], CURVE_POINTS)
    frames = []
    for theta in CURVE_THETAS:
        at_theta = dataclasses.replace(impact, permanent_share=theta)
        frames.append(
            pd.DataFrame(
                {
                    "asset": series.asset,
                    "model": impact.model,
                    "parameter": key,
                    "permanent_share": theta,
                    "value": values,
                    # past its rising part the implied no-ETF path runs away: NaN there
                    "etf_explained_share": rising_part(share_curve(series, at_theta, values)),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def month_ends(series: RealizedSeries) -> list[pd.Timestamp]:
    """Month ends from the first day + 6 months to the last day, and the last day itself."""
    first, last = series.days[0], series.days[-1]
    start = first + pd.DateOffset(months=FIRST_END_MONTHS)
    ends = [d for d in pd.date_range(start, last, freq="ME", tz=first.tz) if d <= last]
    return [*ends, last] if not ends or ends[-1] != last else ends


def shortened(series: RealizedSeries, end: pd.Timestamp) -> RealizedSeries:
    """``series`` with its window ending on ``end`` (the days before it as they were)."""
    n = int(series.days.searchsorted(end, side="right"))
    return dataclasses.replace(
        series,
        days=series.days[:n],
        flow_usd=series.flow_usd[:n],
        close_usd=series.close_usd[:n],
        volume_usd=series.volume_usd[:n],
    )


def by_end_rows(series: RealizedSeries, impact: ImpactConfig) -> pd.DataFrame:
    key = PARAMETER_KEY[impact.model]
    rows = []
    for end in month_ends(series):
        window = shortened(series, end)
        try:
            value, reason = solve_share(window, impact, 1.0), ""
        except InputError as exc:
            value, reason = math.nan, str(exc)
        rows.append(
            {
                "asset": series.asset,
                "model": impact.model,
                "parameter": key,
                "permanent_share": impact.permanent_share,
                "first_day": series.days[0].strftime("%Y-%m-%d"),
                "last_day": end.strftime("%Y-%m-%d"),
                "realized_log_return_bps": window.realized_log_return * BPS_PER_UNIT,
                "cum_flow_usd": float(window.flow_usd.sum()),
                "explaining_value": value,
                "reason": reason,
            }
        )
    return pd.DataFrame(rows)


def noise_row(series: RealizedSeries, daily: pd.DataFrame, study: Study) -> dict[str, object]:
    close = daily["close"]
    days = pd.DatetimeIndex(close.index)
    start = pd.Timestamp(study.paths.resample_start)
    start = start if days.tz is None else start.tz_localize(days.tz)
    draws = (
        zero_drift_window_returns(
            close[days >= start].to_numpy(float),
            series.days.size,
            n_paths=NOISE_PATHS,
            block_mean_days=study.paths.block_mean_days,
            seed=study.paths.seed,
        )
        * BPS_PER_UNIT
    )
    realized = series.realized_log_return * BPS_PER_UNIT
    p05, p50, p95 = np.percentile(draws, [5, 50, 95])
    return {
        "asset": series.asset,
        "first_day": series.days[0].strftime("%Y-%m-%d"),
        "last_day": series.days[-1].strftime("%Y-%m-%d"),
        "n_days": series.days.size,
        "realized_log_return_bps": realized,
        "n_draws": NOISE_PATHS,
        "bootstrap_std_bps": float(draws.std()),
        "bootstrap_p05_bps": float(p05),
        "bootstrap_p50_bps": float(p50),
        "bootstrap_p95_bps": float(p95),
        "share_of_draws_at_or_above_realized": float(np.mean(draws >= realized)),
    }


__all__ = ["CURVE_THETAS", "LevelSet", "level_set", "model_impacts", "noise_row"]
