"""Numba kernel of the impact figures: one pass over each column's days, no temporaries.

``backtest.sim.metrics`` summarises the engine's ``[scenario, path, day, asset]`` flows and log
impacts per column; done with NumPy that is half a dozen full-size temporaries and reductions
over a middle axis, which cost more than the engine itself on a sensitivity analysis's tens of
thousands of scenarios. This kernel reads each column once (columns in parallel) and gives the
per-path figures the metrics module turns into quantiles; sums run day by day, in time order.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from backtest.sim.market import market_volume_usd


@njit(cache=True, error_model="numpy", parallel=True)
def column_figures(
    flow_usd: np.ndarray,
    log_impact: np.ndarray,
    volume_usd: np.ndarray,
    volume_coverage: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per (scenario, path, asset): Σ F_t, Σ V_t·coverage over days with F_t ≠ 0, I_T, max_t I_t.

    ``flow_usd`` and ``log_impact`` are ``[scenario, path, day, asset]``, ``volume_usd`` the
    venue's ``[path, day, asset]``, ``volume_coverage`` one factor per ``[scenario, asset]``.
    A NaN impact makes that column's maximum NaN, as ``np.max`` would.
    """
    n_scen, n_paths, n_days, n_assets = flow_usd.shape
    cum_flow = np.empty((n_scen, n_paths, n_assets))
    volume_when_flowing = np.empty((n_scen, n_paths, n_assets))
    last = np.empty((n_scen, n_paths, n_assets))
    peak = np.empty((n_scen, n_paths, n_assets))
    for column in prange(n_scen * n_paths):
        s = column // n_paths
        p = column % n_paths
        for a in range(n_assets):
            coverage = volume_coverage[s, a]
            total = 0.0
            volume = 0.0
            highest = -np.inf
            undefined = False
            for t in range(n_days):
                flow = flow_usd[s, p, t, a]
                total += flow
                if flow != 0.0:
                    volume += market_volume_usd(volume_usd[p, t, a], coverage)
                impact = log_impact[s, p, t, a]
                if impact != impact:
                    undefined = True
                elif impact > highest:
                    highest = impact
            cum_flow[s, p, a] = total
            volume_when_flowing[s, p, a] = volume
            last[s, p, a] = log_impact[s, p, n_days - 1, a]
            peak[s, p, a] = np.nan if undefined else highest
    return cum_flow, volume_when_flowing, last, peak


__all__ = ["column_figures"]
