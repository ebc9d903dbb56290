"""The impact figures of every scenario and asset, summarised over paths (NumPy only).

Per column (scenario, path, asset) over the study window:

- ``cum_flow_usd``: Σ_t F_t, total net flow including the sleeve's rebalancing;
- ``flow_share_of_volume_pct``: Σ F_t / Σ V_t × 100 over the days with a flow, V the
  market-wide USD volume of the same day (``backtest.sim.market.market_volume_usd``: venue
  volume × the impact config's ``volume_coverage``);
- ``log_impact_at_horizon_bps``: I_T × 10,000 on the last day;
- ``peak_log_impact_bps``: max_t I_t × 10,000;
- ``permanent_log_impact_at_horizon_bps``: the part of I_T that never decays (the anticipation
  and θ·κ·C_T, as a log move) × 10,000: linear in the cumulative dollars C_T, so of two
  schedules the one with fewer dollars never has more of it; I_T minus this is the transient of
  the buying still under way on the last day (a schedule still ramping up at the horizon holds
  more of it than one that finished earlier with more dollars);
- ``price_uplift_at_horizon_pct``: (P'_T / B_T − 1) × 100 = (exp(I_T) − 1) × 100, the impacted
  price against the baseline on the same path.

Each is reported as the 5th, 50th and 95th percentile over paths (``_p05``, ``_p50``, ``_p95``).

``HORIZON_METRICS`` read the last day alone (I_T and the permanent part of it); a caller that
needs only some of them (a sensitivity analysis of its default outputs) has them from
``horizon_metrics``, on the engine's ``[scenario, path, asset]`` outputs of the last day, with
the same numbers as ``impact_metrics`` gives for them: I_T is the same float either way.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.sim.percentiles import quantiles_over_first_axis
from flowimpact.units import BPS_PER_UNIT

QUANTILES = {"p05": 0.05, "p50": 0.50, "p95": 0.95}
#: the per-path impact figures, in the order of scenarios.csv (each with the QUANTILES suffixes)
IMPACT_METRICS = (
    "cum_flow_usd",
    "flow_share_of_volume_pct",
    "log_impact_at_horizon_bps",
    "peak_log_impact_bps",
    "permanent_log_impact_at_horizon_bps",
    "price_uplift_at_horizon_pct",
)

#: the metrics of the last day alone: what ``horizon_metrics`` gives without a day axis
HORIZON_METRICS = (
    "log_impact_at_horizon_bps",
    "permanent_log_impact_at_horizon_bps",
    "price_uplift_at_horizon_pct",
)


def _per_asset(volume_coverage: npt.ArrayLike, n_scen: int, n_assets: int) -> np.ndarray:
    coverage = np.asarray(volume_coverage, dtype=np.float64)
    if coverage.ndim == 1:
        coverage = coverage[:, None]
    return np.ascontiguousarray(np.broadcast_to(coverage, (n_scen, n_assets)))


def impact_metrics(
    flow_usd: np.ndarray,
    log_impact: np.ndarray,
    volume_usd: np.ndarray,
    volume_coverage: npt.ArrayLike,
    permanent_log_impact_at_horizon: np.ndarray,
) -> pd.DataFrame:
    """One row per (scenario, asset): ``[scenario, path, day, asset]`` arrays in, quantiles out.

    ``flow_usd`` may be a broadcast view (the same flows on every path) and is read in place.
    ``volume_usd`` is the baseline venue volume ``[path, day, asset]``; ``volume_coverage`` one
    factor per ``[scenario, asset]`` (``backtest.sim.impact.coverage_table``), or one per
    scenario for every asset; ``permanent_log_impact_at_horizon`` the engine's output of that
    name, ``[scenario, path, asset]``.
    """
    # imported here: the metric names above are read by config checks that need no numba
    from backtest.sim.metric_kernels import column_figures

    n_scen, _, _, n_assets = flow_usd.shape
    cum_flow, volume_when_flowing, last, peak = column_figures(
        _float64(flow_usd),
        np.ascontiguousarray(log_impact, dtype=np.float64),
        np.ascontiguousarray(volume_usd, dtype=np.float64),
        _per_asset(volume_coverage, n_scen, n_assets),
    )  # [scenario, path, asset] each, in one pass over the days
    with np.errstate(divide="ignore", invalid="ignore"):
        share_pct = np.where(volume_when_flowing > 0, cum_flow / volume_when_flowing * 100, 0.0)
    per_path = {
        "cum_flow_usd": cum_flow,
        "flow_share_of_volume_pct": share_pct,
        "peak_log_impact_bps": peak * BPS_PER_UNIT,
        **_horizon_figures(last, permanent_log_impact_at_horizon),
    }
    return _quantile_table(per_path, IMPACT_METRICS, n_scen, n_assets)


def _float64(values: np.ndarray) -> np.ndarray:
    """``values`` as float64, read in place when it is already (a broadcast view stays one:
    the kernel reads any strides); otherwise a contiguous copy."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return values
    return np.ascontiguousarray(values, dtype=np.float64)


def horizon_metrics(
    log_impact_at_horizon: np.ndarray,
    permanent_log_impact_at_horizon: np.ndarray | None,
    metrics: Sequence[str] = HORIZON_METRICS,
) -> pd.DataFrame:
    """``impact_metrics``' columns of ``metrics`` (some of ``HORIZON_METRICS``), from I_T.

    ``log_impact_at_horizon`` and ``permanent_log_impact_at_horizon`` are the engine's outputs
    of those names, ``[scenario, path, asset]`` (the latter may be None when
    ``permanent_log_impact_at_horizon_bps`` is not asked for). The same rows and index as
    ``impact_metrics``, columns in ``IMPACT_METRICS`` order; ValueError for a metric that needs
    more than the last day.
    """
    beyond = sorted(set(metrics) - set(HORIZON_METRICS))
    if beyond:
        raise ValueError(f"{beyond} need every day, not the horizon alone: use impact_metrics")
    last = np.asarray(log_impact_at_horizon, dtype=np.float64)
    n_scen, _, n_assets = last.shape
    names = tuple(name for name in IMPACT_METRICS if name in metrics)
    return _quantile_table(
        _horizon_figures(last, permanent_log_impact_at_horizon, names), names, n_scen, n_assets
    )


def _horizon_figures(
    last: np.ndarray,
    permanent_at_horizon: np.ndarray | None,
    names: Sequence[str] = HORIZON_METRICS,
) -> dict[str, np.ndarray]:
    """The per-path figures of the last day, ``[scenario, path, asset]``; only ``names``."""
    figures = {}
    if "log_impact_at_horizon_bps" in names:
        figures["log_impact_at_horizon_bps"] = last * BPS_PER_UNIT
    if "permanent_log_impact_at_horizon_bps" in names:
        figures["permanent_log_impact_at_horizon_bps"] = (
            np.asarray(permanent_at_horizon, dtype=np.float64) * BPS_PER_UNIT
        )
    if "price_uplift_at_horizon_pct" in names:
        figures["price_uplift_at_horizon_pct"] = np.expm1(last) * 100
    return figures


def _quantile_table(
    per_path: dict[str, np.ndarray], names: Sequence[str], n_scen: int, n_assets: int
) -> pd.DataFrame:
    """One row per (scenario, asset), each of ``names`` at every QUANTILES over paths."""
    columns = {}
    for name in names:
        found = quantiles_over_paths(per_path[name], tuple(QUANTILES.values()))
        for label, values in zip(QUANTILES, found, strict=True):
            columns[f"{name}_{label}"] = values
    frame = pd.DataFrame(columns)
    frame.index = pd.MultiIndex.from_product(
        [range(n_scen), range(n_assets)], names=["scenario_index", "asset_index"]
    )
    return frame


def quantiles_over_paths(cube: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """``[quantile, scenario × asset]``: each of ``quantiles`` as ``quantile_over_paths`` gives
    it, the same numbers; a cube of finite values alone sorts its paths once for all of them
    (``backtest.sim.percentiles``) instead of partitioning once per quantile."""
    n_scen, _, n_assets = cube.shape
    if np.isfinite(cube).all():
        found = quantiles_over_first_axis(np.moveaxis(cube, 1, 0), quantiles)
        return found.reshape(len(quantiles), n_scen * n_assets)
    return np.stack([quantile_over_paths(cube, q) for q in quantiles])


def quantile_over_paths(cube: np.ndarray, q: float) -> np.ndarray:
    """Quantile over axis 1 of a [scenario, path, asset] cube, NaN where a cell has no value."""
    n_scen, _, n_assets = cube.shape
    finite = np.isfinite(cube)
    if finite.all():
        # the usual case; np.nanquantile loops in Python over cells, np.quantile does not
        return np.quantile(cube, q, axis=1).reshape(-1)
    cube = np.where(finite, cube, np.nan)
    out = np.full((n_scen, n_assets), np.nan)
    has_value = np.isfinite(cube).any(axis=1)
    if has_value.any():
        with warnings.catch_warnings():  # all-NaN cells are masked out right after
            warnings.simplefilter("ignore", RuntimeWarning)
            out[has_value] = np.nanquantile(cube, q, axis=1)[has_value]
    return out.reshape(-1)
