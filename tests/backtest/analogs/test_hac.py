"""backtest.analogs.hac: the numbers of statsmodels' OLS with HAC errors, without statsmodels.

statsmodels stays a test-only reference: the calibration must not import it (it took about
3.5 s of every run's start-up).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from backtest.analogs.hac import ols_hac
from tests.scheduler.helpers import REPO_ROOT, subprocess_env

sm = pytest.importorskip("statsmodels.api")


@pytest.mark.parametrize(("n_obs", "n_regressors", "max_lags", "seed"),
                         [(40, 1, 0, 0), (300, 3, 5, 1), (1_000, 4, 12, 2)])
def test_matches_statsmodels(n_obs: int, n_regressors: int, max_lags: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_obs, n_regressors)) * rng.uniform(0.1, 1e3, n_regressors)
    noise = np.convolve(rng.standard_normal(n_obs + 3), np.ones(4) / 4, "valid")  # autocorrelated
    y = 0.01 + x @ rng.uniform(-1e-3, 1e-3, n_regressors) + 0.02 * noise
    exog = sm.add_constant(x, has_constant="add")
    reference = sm.OLS(y, exog).fit(cov_type="HAC", cov_kwds={"maxlags": max_lags})
    fit = ols_hac(y, exog, max_lags)
    np.testing.assert_allclose(fit.params, reference.params, rtol=1e-12, atol=0)
    np.testing.assert_allclose(fit.cov, reference.cov_params(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(fit.p_values, reference.pvalues, rtol=1e-10, atol=1e-300)
    assert fit.r_squared == pytest.approx(reference.rsquared, rel=1e-12)
    assert fit.n_obs == int(reference.nobs)


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.SingularMatrixWarning")
def test_a_collinear_column_is_dropped_as_statsmodels_drops_it() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal(60)
    exog = np.column_stack([np.ones(60), x, 2 * x])
    y = 1 + x + 0.1 * rng.standard_normal(60)
    reference = sm.OLS(y, exog).fit(cov_type="HAC", cov_kwds={"maxlags": 2})
    np.testing.assert_allclose(ols_hac(y, exog, 2).params, reference.params, rtol=1e-10)


def test_the_calibration_does_not_import_statsmodels() -> None:
    code = "import sys, backtest.analogs.calibrate; print('statsmodels' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=REPO_ROOT, env=subprocess_env(),
    )
    assert out.stdout.strip() == "False"
