"""The hindcast as a level set: φ curves at three θ, the explaining value by end date, the noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest.analogs.evidence import explained_share
from backtest.analogs.hindcast import realized_series, with_parameter
from backtest.study.level_set import CURVE_THETAS, level_set, model_impacts, month_ends, shortened
from tests.backtest.study.test_evidence import PRIOR, market, study


@pytest.fixture(scope="module")
def inputs():  # type: ignore[no-untyped-def]
    grid = study(model=["multiplier", "sqrt"])
    daily, table = market(5, 0.004)
    return grid, {"BTC": daily}, {"BTC": table}


def test_phi_rises_with_the_parameter_and_with_theta(inputs) -> None:  # type: ignore[no-untyped-def]
    grid, prices, flows = inputs
    curve = level_set(grid, prices, flows).curve
    assert set(curve["permanent_share"]) == set(CURVE_THETAS)
    assert set(curve["model"]) == {"multiplier", "sqrt"}
    for _, one in curve.groupby(["model", "permanent_share"]):
        # NaN only at the top, where a day's sell reaches MC/M (no price)
        phi = one["etf_explained_share"].to_numpy()
        finite = phi[np.isfinite(phi)]
        assert finite.size >= 10 and np.isfinite(phi[: finite.size]).all()
        assert np.all(np.diff(finite) > 0)
    wide = curve.pivot_table(
        index=["model", "value"], columns="permanent_share", values="etf_explained_share"
    ).dropna()
    assert len(wide) >= 10
    # a larger permanent share attributes more: everywhere under the multiplier; under the
    # square-root law where φ is small (near the implied path's own feedback, which reads σ of
    # the implied path, a transient-heavy θ gathers more)
    small = wide[(wide <= 0.5).all(axis=1) | (wide.index.get_level_values("model") != "sqrt")]
    assert len(small.loc["sqrt"]) >= 8
    assert (small[0.9] > small[0.5]).all() and (small[0.5] > small[0.2]).all()


def test_each_end_date_has_its_explaining_value(inputs) -> None:  # type: ignore[no-untyped-def]
    grid, prices, flows = inputs
    by_end = level_set(grid, prices, flows).by_end
    series = realized_series("BTC", prices["BTC"], flows["BTC"], prior_days=PRIOR)
    ends = month_ends(series)
    assert ends[-1] == series.days[-1] and ends[0] >= series.days[0] + pd.DateOffset(months=6)
    assert len(by_end) == 2 * len(ends)
    impacts = {impact.model: impact for impact in model_impacts(grid)}
    solved = 0
    for row in by_end.itertuples():
        window = shortened(series, pd.Timestamp(row.last_day, tz="UTC"))
        assert window.days[-1].strftime("%Y-%m-%d") == row.last_day
        if row.realized_log_return_bps <= 0:
            assert np.isnan(row.explaining_value) and "did not rise" in row.reason
            continue
        impact = with_parameter(impacts[row.model], row.explaining_value)
        assert explained_share(window, impact) == pytest.approx(1.0, abs=1e-6)
        solved += 1
    assert solved > 0


def test_the_noise_row_sets_the_bootstrap_beside_the_realized_move(inputs) -> None:  # type: ignore[no-untyped-def]
    grid, prices, flows = inputs
    noise = level_set(grid, prices, flows).noise.iloc[0]
    series = realized_series("BTC", prices["BTC"], flows["BTC"], prior_days=PRIOR)
    assert noise["realized_log_return_bps"] == pytest.approx(series.realized_log_return * 1e4)
    assert noise["n_days"] == series.days.size
    assert noise["bootstrap_p05_bps"] < noise["bootstrap_p50_bps"] < noise["bootstrap_p95_bps"]
    # zero drift: the draws centre near 0, not on the drifting history's mean
    assert abs(noise["bootstrap_p50_bps"]) < noise["bootstrap_std_bps"] / 2
    assert 0.0 <= noise["share_of_draws_at_or_above_realized"] <= 1.0
