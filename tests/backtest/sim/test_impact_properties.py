"""No-arbitrage properties of every impact model, on random flows and markets (hypothesis).

The permanent part is linear in dollars with a time-independent coefficient (Huberman &
Stanzl 2004; ``backtest.sim.models``): on ANY market path the same dollars spread over more
days leave the same permanent impact, flows that net to zero leave none, fewer cumulative
dollars on every day never leave more, and pointwise more dollars never give less impact.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backtest.sim.engine import run_engine
from backtest.sim.impact import MODELS, ImpactConfig
from tests.backtest.sim.reference_engine import synthetic_baseline

N_DAYS = 40
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OUTPUTS = ("log_impact", "instant_log_impact", "permanent_log_impact")


def impact_config(model: str, theta: float, alpha: float, decay: str) -> ImpactConfig:
    return ImpactConfig(
        model=model, permanent_share=theta, anticipation_share=alpha, decay=decay,
        half_life_days=5.0, volatility_window_days=10, volume_window_days=7,
    )  # fmt: skip


def schedule(seed: int, n_scenarios: int = 1, *, signed: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    flows = rng.uniform(0.0, 5e8, (n_scenarios, N_DAYS, 2))
    if signed:
        flows -= 2.5e8
    flows[:, rng.random(N_DAYS) < 0.5] = 0.0
    return flows


def spread(flows: np.ndarray, seed: int) -> np.ndarray:
    """The same dollars per asset, each day's flow split at random over it and later days."""
    rng = np.random.default_rng(seed)
    out = np.zeros_like(flows)
    for t in range(N_DAYS):
        width = int(rng.integers(1, N_DAYS - t + 1))
        shares = rng.dirichlet(np.ones(width))
        out[:, t : t + width] += flows[:, t : t + 1] * shares[None, :, None]
    return out


models = st.sampled_from(MODELS)
decays = st.sampled_from(["exponential", "power"])


@SETTINGS
@given(
    model=models, decay=decays, theta=st.floats(0.05, 1.0), alpha=st.floats(0.0, 1.0),
    announce=st.integers(-1, N_DAYS - 1), seed=st.integers(0, 2**16),
)  # fmt: skip
def test_the_same_dollars_spread_over_more_days_leave_the_same_permanent_impact(
    model, decay, theta, alpha, announce, seed
) -> None:
    baseline = synthetic_baseline(seed % 7)  # a random market state
    impact = impact_config(model, theta, alpha, decay)
    lump = schedule(seed)
    flows = np.concatenate([lump, spread(lump, seed + 1)])
    assert np.count_nonzero(flows[1]) > np.count_nonzero(flows[0])  # more days
    np.testing.assert_allclose(flows[1].sum(axis=0), flows[0].sum(axis=0), rtol=1e-12)
    result = run_engine(baseline, flows, [impact] * 2, None, announce, outputs=OUTPUTS)
    last = result.permanent_log_impact[:, :, -1]
    np.testing.assert_allclose(last[1], last[0], rtol=1e-12, atol=0)
    assert np.all(last[1] <= last[0] * (1 + 1e-12))
    assert np.all(last[0] > 0)  # buys only: not a vacuous comparison


@SETTINGS
@given(
    model=models, decay=decays, theta=st.floats(0.0, 1.0), alpha=st.floats(0.0, 1.0),
    announce=st.integers(-1, N_DAYS - 1), seed=st.integers(0, 2**16),
)  # fmt: skip
def test_pointwise_more_dollars_never_give_less_impact_on_any_day(
    model, decay, theta, alpha, announce, seed
) -> None:
    baseline = synthetic_baseline(seed % 7)  # a random market state
    impact = impact_config(model, theta, alpha, decay)
    flows = schedule(seed, signed=True)
    more = flows + np.random.default_rng(seed + 1).uniform(0.0, 2e8, flows.shape)
    result = run_engine(
        baseline, np.concatenate([flows, more]), [impact] * 2, None, announce, outputs=OUTPUTS
    )
    assert np.all(result.log_impact[1] >= result.log_impact[0] - 1e-15)
    assert np.all(result.permanent_log_impact[1] >= result.permanent_log_impact[0] - 1e-15)
    assert result.log_impact[1].sum() > result.log_impact[0].sum()


@SETTINGS
@given(
    model=models, decay=decays, theta=st.floats(0.05, 1.0), alpha=st.floats(0.0, 1.0),
    announce=st.integers(-1, N_DAYS - 1), seed=st.integers(0, 2**16),
)  # fmt: skip
def test_flows_that_net_to_zero_leave_zero_permanent_impact(
    model, decay, theta, alpha, announce, seed
) -> None:
    baseline = synthetic_baseline(seed % 7)
    impact = impact_config(model, theta, alpha, decay)
    flows = schedule(seed, signed=True)
    flows[0, -1] = -flows[0, :-1].sum(axis=0)  # the last day squares the books
    open_books = flows.copy()
    open_books[0, -1] = 0.0
    both = np.concatenate([flows, open_books])
    result = run_engine(baseline, both, [impact] * 2, None, announce, outputs=OUTPUTS)
    dollars = np.abs(result.instant_log_impact[0]).sum(axis=1)  # Σ_t |κ_t·F_t| per path, asset
    assert np.all(np.abs(result.permanent_log_impact[0, :, -1]) <= 1e-12 * dollars)
    # without the squaring day the same flows leave a permanent impact: not vacuous
    assert np.all(np.abs(result.permanent_log_impact[1, :, -1]) > 1e-7)


@SETTINGS
@given(
    model=models, decay=decays, theta=st.floats(0.05, 1.0), alpha=st.floats(0.0, 1.0),
    announce=st.integers(-1, N_DAYS - 1), seed=st.integers(0, 2**16),
)  # fmt: skip
def test_fewer_cumulative_dollars_on_every_day_never_leave_more_permanent_impact(
    model, decay, theta, alpha, announce, seed
) -> None:
    # the sibling scenarios: a slower ramp brings its dollars later and fewer of them
    baseline = synthetic_baseline(seed % 7)
    impact = impact_config(model, theta, alpha, decay)
    flows = schedule(seed)
    later = spread(flows, seed + 1)  # each day's dollars moved to it and later days
    fewer = later * np.random.default_rng(seed + 2).uniform(0.5, 1.0, later.shape)
    assert np.all(np.cumsum(fewer, axis=1) <= np.cumsum(flows, axis=1) * (1 + 1e-12))
    result = run_engine(
        baseline, np.concatenate([flows, fewer]), [impact] * 2, None, announce, outputs=OUTPUTS
    )
    permanent = result.permanent_log_impact
    assert np.all(permanent[1] <= permanent[0] + 1e-15 * np.abs(permanent[0]).max())
    assert np.all(permanent[1, :, -1] < permanent[0, :, -1])  # strictly fewer: not vacuous
