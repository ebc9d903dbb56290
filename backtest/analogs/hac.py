"""Ordinary least squares with Newey-West (HAC) standard errors, in NumPy.

The calibration needs one OLS fit per regression and its Bartlett-kernel HAC covariance;
importing statsmodels for that cost about 3.5 s of every run's start-up. This module computes
the same numbers as ``statsmodels.api.OLS(y, X).fit(cov_type="HAC",
cov_kwds={"maxlags": L})`` (its defaults: pseudo-inverse fit, Bartlett weights 1 − j/(L+1),
no small-sample correction, normal p-values); a test pins the two together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

#: singular values below this fraction of the largest are dropped from the pseudo-inverse
#: (statsmodels' ``pinv_extended`` cutoff)
_RCOND = 1e-15


@dataclass(frozen=True)
class OlsHac:
    """One fit: coefficients, their HAC covariance and normal two-sided p-values."""

    params: np.ndarray
    cov: np.ndarray
    p_values: np.ndarray
    n_obs: int
    r_squared: float


def _pinv(x: np.ndarray) -> np.ndarray:
    """Moore-Penrose pseudo-inverse by SVD, with statsmodels' cutoff (so the same fit)."""
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    kept = s > _RCOND * s.max()
    inverse = np.where(kept, 1.0 / np.where(kept, s, 1.0), 0.0)
    return np.dot(vt.T, inverse[:, None] * u.T)


def bartlett_long_run(scores: np.ndarray, max_lags: int) -> np.ndarray:
    """Σ_j w_j (Γ_j + Γ_j'), w_j = 1 − j/(L+1): the Newey-West estimate of the scores'
    long-run covariance (Γ_j = Σ_t u_t u_{t−j}')."""
    weights = 1 - np.arange(max_lags + 1) / (max_lags + 1.0)
    long_run = weights[0] * np.dot(scores.T, scores)
    for lag in range(1, max_lags + 1):  # L lags (a handful), not one step per observation
        gamma = np.dot(scores[lag:].T, scores[:-lag])
        long_run += weights[lag] * (gamma + gamma.T)
    return long_run


def ols_hac(y: np.ndarray, exog: np.ndarray, max_lags: int) -> OlsHac:
    """OLS of ``y`` on ``exog`` (its columns as given: add the constant first) with the
    Bartlett HAC covariance of ``max_lags`` lags."""
    pinv = _pinv(exog)
    params = np.dot(pinv, y)
    bread = np.dot(pinv, pinv.T)
    resid = y - np.dot(exog, params)
    meat = bartlett_long_run(exog * resid[:, None], max_lags)
    cov = np.dot(np.dot(bread, meat), bread.T)
    errors = np.sqrt(np.diag(cov))
    p_values = 2 * ndtr(-np.abs(params / errors))
    centered = y - y.mean()
    r_squared = 1 - np.dot(resid, resid) / np.dot(centered, centered)
    return OlsHac(
        params=params, cov=cov, p_values=p_values, n_obs=int(y.shape[0]),
        r_squared=float(r_squared),
    )


__all__ = ["OlsHac", "bartlett_long_run", "ols_hac"]
