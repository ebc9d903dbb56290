"""The numba engine against the plain-Python reference, and the model's invariants."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backtest.sim.engine import ENGINE_OUTPUTS, SleeveArrays, run_engine
from backtest.sim.impact import ImpactConfig
from flowimpact.errors import ConfigError, InputError
from tests.backtest.sim.reference_engine import reference_engine, synthetic_baseline

N_DAYS = 40
WINDOWS = {"volatility_window_days": 10, "volume_window_days": 7}
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def config(**overrides) -> ImpactConfig:
    return ImpactConfig(**{**WINDOWS, **overrides})


def buy_flows(seed: int, n_scenarios: int = 1, scale_usd: float = 5e8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    flows = rng.uniform(0.0, scale_usd, (n_scenarios, N_DAYS, 2))
    flows[:, rng.random(N_DAYS) < 0.5] = 0.0  # paydays only
    return flows


def sleeve_for(n_scenarios: int, *, start: int = 5, band: float = 0.01) -> SleeveArrays:
    rebalance = np.zeros((n_scenarios, N_DAYS), dtype=bool)
    rebalance[:, ::10] = True
    return SleeveArrays(
        target_weight=np.tile([0.02, 0.01], (n_scenarios, 1)),
        initial_fund_usd=np.full(n_scenarios, 5e10),
        contribution_usd=np.full((n_scenarios, N_DAYS), 2e8),
        rebalance_day=rebalance,
        drift_band=np.full(n_scenarios, band),
        start_day_index=np.full(n_scenarios, start, dtype=np.int64),
    )


ALL_MODELS = [
    config(model="linear", lambda_per_billion_usd=0.01, anticipation_share=0.4),
    config(
        model="sqrt", sqrt_y=0.8, permanent_share=0.3, half_life_days=3.0, anticipation_share=0.5
    ),
    config(model="multiplier", multiplier=20.0, anticipation_share=1.0, permanent_share=0.7),
    config(model="linear", decay="power", power_tau_days=2.0, power_beta=0.6),
]


@pytest.mark.parametrize("with_sleeve", [False, True])
def test_engine_matches_the_plain_python_reference(with_sleeve: bool) -> None:
    baseline = synthetic_baseline(1)
    flows = buy_flows(2, len(ALL_MODELS))
    flows[1, 7, 0] = -3e8  # a sell under the sqrt model
    sleeve = sleeve_for(len(ALL_MODELS)) if with_sleeve else None
    result = run_engine(
        baseline, flows, ALL_MODELS, sleeve, announcement_day_index=3, outputs=ENGINE_OUTPUTS
    )
    # the power-law scenario is compared with its exponential-sum form here, exactly; its
    # approximation error is tested below against the exact convolution
    exact = reference_engine(baseline, flows[:3], ALL_MODELS[:3], _first(sleeve, 3), 3)
    stepped = reference_engine(
        baseline, flows[3:], ALL_MODELS[3:], _last(sleeve, 1), 3, exact_decay=False
    )
    # log-price changes: absolute 1e-10
    for name in ("log_impact", "permanent_log_impact"):
        engine = getattr(result, name)
        np.testing.assert_allclose(engine[:3], exact[name], rtol=0, atol=1e-10)
        np.testing.assert_allclose(engine[3:], stepped[name], rtol=0, atol=1e-10)
    # u = κ·F, in USD of market value under two of the models: relative 1e-12
    u = result.instant_log_impact
    np.testing.assert_allclose(u[:3], exact["instant_log_impact"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(u[3:], stepped["instant_log_impact"], rtol=1e-12, atol=0)
    # USD amounts of 1e8 and more: relative 1e-10 (summation order differs in the last bits)
    reference_flow = np.concatenate([exact["flow_usd"], stepped["flow_usd"]])
    np.testing.assert_allclose(result.flow_usd, reference_flow, rtol=1e-10, atol=1e-6)
    reference_close = np.concatenate([exact["close_usd"], stepped["close_usd"]])
    np.testing.assert_allclose(result.close_usd, reference_close, rtol=1e-10, atol=0)
    assert np.all(result.log_impact[:, :, 3:] != 0.0)  # the comparison is not vacuous


def test_scenarios_with_their_own_windows_read_their_own_sigma_and_volume() -> None:
    # several σ and volume windows in one run: each scenario reads its own slot of each
    impacts = [
        ImpactConfig(model="sqrt", volatility_window_days=w_sigma, volume_window_days=w_volume,
                     permanent_share=theta, anticipation_share=0.3)
        for w_sigma, w_volume, theta in ((10, 7, 0.5), (25, 7, 0.2), (10, 30, 0.8), (4, 2, 0.0))
    ]  # fmt: skip
    baseline = synthetic_baseline(21)
    flows = buy_flows(22, len(impacts))
    flows[:, 9, 1] = -2e8
    sleeve = sleeve_for(len(impacts))
    result = run_engine(baseline, flows, impacts, sleeve, 6, outputs=ENGINE_OUTPUTS)
    expected = reference_engine(baseline, flows, impacts, sleeve, 6)
    np.testing.assert_allclose(result.log_impact, expected["log_impact"], rtol=0, atol=1e-10)
    u = result.instant_log_impact
    np.testing.assert_allclose(u, expected["instant_log_impact"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.close_usd, expected["close_usd"], rtol=1e-10, atol=0)
    assert not np.allclose(u[0], u[1]) and not np.allclose(u[0], u[2])  # the windows matter


def test_power_law_approximation_error_stays_within_its_stated_bound() -> None:
    baseline = synthetic_baseline(3)
    impact = config(model="linear", decay="power", power_tau_days=1.0, power_beta=0.3)
    flows = buy_flows(4)
    result = run_engine(baseline, flows, [impact])
    exact = reference_engine(baseline, flows, [impact])
    u = np.abs(exact["instant_log_impact"]).sum(axis=2, keepdims=True)
    from backtest.sim.decay import decay_kernel

    bound = decay_kernel(impact).exponential_terms(N_DAYS).max_abs_error * u + 1e-12
    error = np.abs(result.log_impact - exact["log_impact"])
    assert np.all(error <= bound)


@pytest.mark.parametrize("impact", ALL_MODELS)
def test_zero_flows_give_the_baseline_exactly(impact: ImpactConfig) -> None:
    baseline = synthetic_baseline(5)
    empty = SleeveArrays(**{**vars(sleeve_for(1)), "target_weight": np.zeros((1, 2))})
    for sleeve in (None, empty):
        result = run_engine(baseline, np.zeros((1, N_DAYS, 2)), [impact], sleeve, 3)
        assert np.array_equal(result.close_usd[0], baseline.close_usd)
        assert not np.any(result.log_impact)


def test_a_day_without_flow_has_no_impact_even_where_volume_is_zero() -> None:
    # a venue with no trades for a while (zero trailing volume) must not turn quiet days into
    # NaN under the square-root law, whose formula alone gives 0 x sqrt(0/0) there
    # (the window's first day has volume: the square-root law's κ is read there)
    baseline = synthetic_baseline(5)
    quiet_days = (np.arange(N_DAYS)[None, :, None] >= 1) & (np.arange(N_DAYS)[None, :, None] < 20)
    quiet = dataclasses.replace(
        baseline, volume_usd=np.where(quiet_days, 0.0, baseline.volume_usd)
    )
    flows = np.zeros((1, N_DAYS, 2))
    flows[0, 35:, :] = 1e8  # flows only once the trailing window has volume again
    result = run_engine(quiet, flows, [config(model="sqrt")])
    assert np.all(np.isfinite(result.close_usd))
    assert not np.any(result.log_impact[0, :, :35])
    assert np.all(result.log_impact[0, :, 35:] > 0)


@SETTINGS
@given(
    model=st.sampled_from(["linear", "sqrt", "multiplier"]),
    theta=st.floats(0.0, 1.0),
    half_life=st.floats(1.0, 100.0),
    seed=st.integers(0, 2**16),
)
def test_more_buy_flow_never_gives_less_impact(model, theta, half_life, seed) -> None:
    baseline = synthetic_baseline(seed % 7)
    impact = config(model=model, permanent_share=theta, half_life_days=half_life)
    flows = buy_flows(seed, scale_usd=1e8)
    more = flows + np.random.default_rng(seed + 1).uniform(0, 1e8, flows.shape)
    both = run_engine(baseline, np.concatenate([flows, more]), [impact, impact])
    assert np.all(both.log_impact[1] >= both.log_impact[0] - 1e-15)
    assert both.log_impact[1].sum() > both.log_impact[0].sum()


@SETTINGS
@given(
    model=st.sampled_from(["linear", "multiplier"]),
    theta=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_the_linear_propagators_add_up(model, theta, seed) -> None:
    # κ is one number: the linear model's log impact and the multiplier's market value added
    # (P' − B, USD per coin) are linear in the flows
    baseline = synthetic_baseline(seed % 5)
    impact = config(model=model, permanent_share=theta)
    first, second = buy_flows(seed), buy_flows(seed + 1) - 2.5e8  # buys and sells
    result = run_engine(baseline, np.concatenate([first, second, first + second]), [impact] * 3)
    if model == "linear":
        added, scale = result.log_impact, 1e-12
    else:
        added, scale = result.close_usd - baseline.close_usd[None], 1e-12 * baseline.close_usd
    assert np.all(np.abs(added[2] - added[0] - added[1]) <= scale)


def test_permanent_only_impact_never_decays() -> None:
    # in the model's unit: log price (linear), market value P' − B (multiplier)
    baseline = synthetic_baseline(6)
    flows = np.zeros((1, N_DAYS, 2))
    flows[0, 4] = [1e9, 5e8]
    for decay in ("exponential", "power"):
        linear = config(model="linear", permanent_share=1.0, decay=decay)
        log_impact = run_engine(baseline, flows, [linear]).log_impact[0]
        assert np.all(log_impact[:, :4] == 0.0)
        assert np.all(log_impact[:, 4:] > 0)
        assert np.all(log_impact[:, 4:] == log_impact[:, 4:5])
        multiplier = config(model="multiplier", permanent_share=1.0, decay=decay)
        added = run_engine(baseline, flows, [multiplier]).close_usd[0] - baseline.close_usd
        assert np.all(added[:, :4] == 0.0)
        later = added[:, 4:]
        np.testing.assert_allclose(later, np.broadcast_to(added[:, 4:5], later.shape), rtol=1e-9)
        supply = np.array([multiplier.supply_coins("BTC"), multiplier.supply_coins("ETH")])
        expected = np.broadcast_to(5.0 * flows[0, 4] / supply, added[:, 4].shape)
        np.testing.assert_allclose(added[:, 4], expected, rtol=1e-9)


def test_exponential_kernel_halves_at_its_half_life() -> None:
    baseline = synthetic_baseline(7)
    flows = np.zeros((1, N_DAYS, 2))
    flows[0, 2] = [1e9, 1e9]
    impact = config(model="linear", permanent_share=0.0, half_life_days=8.0)
    log_impact = run_engine(baseline, flows, [impact]).log_impact[0]
    np.testing.assert_allclose(log_impact[:, 10], log_impact[:, 2] / 2, rtol=1e-12)
    np.testing.assert_allclose(log_impact[:, 18], log_impact[:, 2] / 4, rtol=1e-12)


@SETTINGS
@given(cut=st.integers(0, N_DAYS - 2), seed=st.integers(0, 2**16))
def test_changing_prices_after_a_day_changes_nothing_up_to_it(cut, seed) -> None:
    baseline = synthetic_baseline(seed % 5)
    shocked_close = baseline.close_usd.copy()
    shocked_close[:, cut + 1 :] *= np.random.default_rng(seed).uniform(0.5, 2.0)
    shocked_volume = baseline.volume_usd.copy()
    shocked_volume[:, cut + 1 :] *= 3.0
    shocked = dataclasses.replace(baseline, close_usd=shocked_close, volume_usd=shocked_volume)
    flows = buy_flows(seed, len(ALL_MODELS))
    sleeve = sleeve_for(len(ALL_MODELS), start=2)
    before = run_engine(baseline, flows, ALL_MODELS, sleeve, 3, outputs=ENGINE_OUTPUTS)
    after = run_engine(shocked, flows, ALL_MODELS, sleeve, 3, outputs=ENGINE_OUTPUTS)
    for name in ENGINE_OUTPUTS:
        assert np.array_equal(
            getattr(before, name)[:, :, : cut + 1], getattr(after, name)[:, :, : cut + 1]
        )
    assert not np.array_equal(before.close_usd[:, :, cut + 1 :], after.close_usd[:, :, cut + 1 :])


def _flat_then_doubled(seed: int):
    """Flat closes, doubling on day 10 (the fund is overweight crypto from then on)."""
    baseline = synthetic_baseline(seed)
    level = baseline.prior_close_usd[:, -1:, :]
    close = np.repeat(level, N_DAYS, axis=1)
    close[:, 10:] *= 2.0
    return dataclasses.replace(baseline, close_usd=close)


def test_sleeve_buys_contributions_and_sells_after_a_rise() -> None:
    baseline = _flat_then_doubled(8)
    rebalance = np.zeros((1, N_DAYS), dtype=bool)
    rebalance[0, 20] = True
    weight = np.array([0.02, 0.01])
    sleeve = SleeveArrays(
        target_weight=weight[None, :],
        initial_fund_usd=np.array([1e10]),
        contribution_usd=np.full((1, N_DAYS), 1e6),
        rebalance_day=rebalance,
        drift_band=np.array([np.inf]),
        start_day_index=np.array([5]),
    )
    impact = config(model="linear", lambda_per_billion_usd=1e-9)  # no visible feedback
    flow = run_engine(baseline, np.zeros((1, N_DAYS, 2)), [impact], sleeve).flow_usd[0]
    paths = baseline.n_paths
    assert np.all(flow[:, :5] == 0.0)
    np.testing.assert_allclose(flow[:, 5], np.tile(weight * (1e10 + 1e6), (paths, 1)))
    calm = np.r_[6:20, 21:N_DAYS]
    np.testing.assert_allclose(flow[:, calm], np.broadcast_to(weight * 1e6, flow[:, calm].shape))
    # by hand: holdings bought on days 5-9 doubled, those of days 10-19 kept their value
    held = weight * (2 * (1e10 + 5e6) + 10e6)
    nav = (1 - weight.sum()) * (1e10 + 15e6) + held.sum()
    expected = weight * nav - held + weight * 1e6
    assert np.all(expected < 0)  # the calendar rebalance sells the doubled crypto
    np.testing.assert_allclose(flow[:, 20], np.tile(expected, (paths, 1)), rtol=1e-6)


def test_a_drift_band_triggers_a_rebalance_without_a_calendar_day() -> None:
    baseline = _flat_then_doubled(8)
    sleeve = dataclasses.replace(
        sleeve_for(1, band=0.005), rebalance_day=np.zeros((1, N_DAYS), dtype=bool)
    )
    flow = run_engine(baseline, np.zeros((1, N_DAYS, 2)), [config()], sleeve).flow_usd[0]
    assert np.all(flow[:, 11] < 0)  # weights measured at day 10's close, sold on day 11
    assert np.all(flow[:, 10] > 0)  # not on day 10 itself: no simultaneity


def test_full_anticipation_brings_the_permanent_impact_forward() -> None:
    baseline = synthetic_baseline(9)
    flows = buy_flows(10)
    flows[0, :6] = 0.0
    plain = config(model="linear", permanent_share=1.0)
    anticipated = dataclasses.replace(plain, anticipation_share=1.0)
    result = run_engine(baseline, np.concatenate([flows, flows]), [plain, anticipated], None, 5)
    lam = plain.lambda_per_billion_usd / 1e9
    expected_jump = np.tile(lam * flows[0, 6:].sum(axis=0), (baseline.n_paths, 1))
    np.testing.assert_allclose(result.log_impact[1, :, 5], expected_jump)
    np.testing.assert_allclose(result.log_impact[1, :, -1], result.log_impact[0, :, -1])
    assert np.all(result.log_impact[0, :, 5] == 0.0)


def test_only_the_requested_outputs_are_filled_and_they_do_not_change() -> None:
    baseline = synthetic_baseline(12)
    flows = buy_flows(13, len(ALL_MODELS))
    sleeve = sleeve_for(len(ALL_MODELS))
    full = run_engine(baseline, flows, ALL_MODELS, sleeve, 3, outputs=ENGINE_OUTPUTS)
    default = run_engine(baseline, flows, ALL_MODELS, sleeve, 3)
    assert default.instant_log_impact is None  # the study does not read u_t
    assert default.permanent_log_impact is None
    for name in ("close_usd", "flow_usd", "log_impact"):
        assert np.array_equal(getattr(default, name), getattr(full, name))
    horizon = run_engine(
        baseline, flows, ALL_MODELS, sleeve, 3, outputs=("permanent_log_impact_at_horizon",)
    )
    # one number per column: the permanent part of the last day, as the day cube has it
    assert horizon.permanent_log_impact is None and horizon.close_usd is None
    assert np.array_equal(
        horizon.array("permanent_log_impact_at_horizon"), full.permanent_log_impact[:, :, -1]
    )
    only = run_engine(baseline, flows, ALL_MODELS, sleeve, 3, outputs=("instant_log_impact",))
    assert only.close_usd is None and only.flow_usd is None and only.log_impact is None
    assert np.array_equal(only.instant_log_impact, full.instant_log_impact)
    assert np.any(full.instant_log_impact != 0.0)
    with pytest.raises(InputError, match=r"outputs .*'prices'.*name one or more of close_usd"):
        run_engine(baseline, flows, ALL_MODELS, sleeve, 3, outputs=("close_usd", "prices"))
    with pytest.raises(InputError, match="name one or more"):
        run_engine(baseline, flows, ALL_MODELS, sleeve, 3, outputs=())


def test_a_sale_worth_more_than_the_market_is_refused_under_the_multiplier() -> None:
    # the multiplier is additive in price: a sale takes M dollars of value per dollar; one
    # that takes more than the market is worth has no price, and the engine says so
    baseline = synthetic_baseline(14)
    impact = config(model="multiplier", multiplier=5.0, anticipation_share=0.5)
    cap = baseline.close_usd[:, 14:, 0].min() * impact.supply_coins("BTC")
    flows = np.zeros((1, N_DAYS, 2))
    flows[0, 15, 0] = -0.1 * cap  # half of the market's value at θ = 0.5, M = 5: priced
    result = run_engine(baseline, flows, [impact], None, 5)
    assert np.all(np.isfinite(result.log_impact)) and np.all(result.close_usd > 0)
    assert np.all(result.log_impact[0, :, 15:, 0] < 0)
    flows[0, 15, 0] = -0.3 * baseline.close_usd[:, :, 0].max() * impact.supply_coins("BTC")
    with pytest.raises(InputError, match="net sales worth more than the market") as caught:
        run_engine(baseline, flows, [impact], None, 5)
    assert "\n" not in str(caught.value)


def test_a_flow_on_zero_trailing_volume_is_refused_under_the_square_root_law() -> None:
    baseline = synthetic_baseline(15)
    quiet = dataclasses.replace(
        baseline,
        volume_usd=np.zeros_like(baseline.volume_usd),
        prior_volume_usd=np.zeros_like(baseline.prior_volume_usd),
    )
    flows = np.zeros((1, N_DAYS, 2))
    flows[0, 20, 1] = 1e8
    assert np.all(np.isfinite(run_engine(quiet, flows, [config(model="linear")]).log_impact))
    with pytest.raises(InputError, match="no finite impact: zero trailing volume") as caught:
        run_engine(quiet, flows, [config(model="sqrt")])
    assert "\n" not in str(caught.value)


def test_bad_inputs_raise_one_line_errors() -> None:
    baseline = synthetic_baseline(11)
    with pytest.raises(InputError, match="flow_usd has shape"):
        run_engine(baseline, np.zeros((1, N_DAYS + 1, 2)), [config()])
    with pytest.raises(InputError, match="impact configs"):
        run_engine(baseline, np.zeros((2, N_DAYS, 2)), [config()])
    with pytest.raises(InputError, match="NaN"):
        run_engine(baseline, np.full((1, N_DAYS, 2), np.nan), [config()])
    with pytest.raises(ConfigError, match="warmup_days"):
        run_engine(baseline, np.zeros((1, N_DAYS, 2)), [config(volatility_window_days=60)])
    with pytest.raises(ConfigError, match="circulating_supply has no entry for ETH"):
        run_engine(baseline, np.zeros((1, N_DAYS, 2)), [config(circulating_supply={"BTC": 1e7})])
    with pytest.raises(InputError, match="sleeve target_weight has shape"):
        run_engine(baseline, np.zeros((2, N_DAYS, 2)), [config()] * 2, sleeve_for(1))


def _first(sleeve: SleeveArrays | None, n: int) -> SleeveArrays | None:
    return None if sleeve is None else _rows(sleeve, slice(0, n))


def _last(sleeve: SleeveArrays | None, n: int) -> SleeveArrays | None:
    return None if sleeve is None else _rows(sleeve, slice(-n, None))


def _rows(sleeve: SleeveArrays, rows: slice) -> SleeveArrays:
    return SleeveArrays(**{k: v[rows] for k, v in vars(sleeve).items()})


def test_the_square_root_law_reads_the_coverage_of_each_asset_s_venue() -> None:
    # the same market-wide volume from a venue with 1/2.7 of Binance's volume: same answer
    baseline = synthetic_baseline(16)
    on_coinbase = dataclasses.replace(
        baseline,
        volume_usd=baseline.volume_usd / 2.7,
        prior_volume_usd=baseline.prior_volume_usd / 2.7,
        venues=("coinbaseexchange", "coinbaseexchange"),
    )
    on_binance = dataclasses.replace(baseline, venues=("binance", "binance"))
    flows = buy_flows(17)
    impact = config(model="sqrt")
    binance = run_engine(on_binance, flows, [impact]).log_impact
    coinbase = run_engine(on_coinbase, flows, [impact]).log_impact
    np.testing.assert_allclose(coinbase, binance, rtol=1e-12)
    unknown = run_engine(dataclasses.replace(on_coinbase, venues=()), flows, [impact]).log_impact
    assert np.all(unknown[:, :, -1] > binance[:, :, -1])  # generic 10 on a thinner venue


HORIZON_ONLY = ("log_impact_at_horizon", "permanent_log_impact_at_horizon")


@pytest.mark.parametrize("with_sleeve", [False, True])
@pytest.mark.parametrize("announcement", [-1, 3])
def test_the_horizon_mode_gives_the_full_modes_last_day_bit_for_bit(
    with_sleeve: bool, announcement: int
) -> None:
    # every model (the power-law decay among them), with and without the sleeve and the
    # anticipation: the horizon mode skips the day's log and exp, never the state's arithmetic
    baseline = synthetic_baseline(31)
    flows = buy_flows(32, len(ALL_MODELS))
    flows[1, 7, 0] = -3e8  # a sell under the sqrt model: the sign branch of its transient
    sleeve = sleeve_for(len(ALL_MODELS)) if with_sleeve else None
    full = run_engine(baseline, flows, ALL_MODELS, sleeve, announcement, outputs=ENGINE_OUTPUTS)
    horizon = run_engine(baseline, flows, ALL_MODELS, sleeve, announcement, outputs=HORIZON_ONLY)
    assert horizon.log_impact is None and horizon.close_usd is None
    last = horizon.array("log_impact_at_horizon")
    assert last.tobytes() == np.ascontiguousarray(full.log_impact[:, :, -1]).tobytes()
    permanent = horizon.array("permanent_log_impact_at_horizon")
    permanent_last = np.ascontiguousarray(full.permanent_log_impact[:, :, -1])
    assert permanent.tobytes() == permanent_last.tobytes()
    assert np.all(last != 0.0)  # the comparison is not between zeros
    # asked beside a day-by-day output, the same last day (the full mode writes it too)
    both = run_engine(baseline, flows, ALL_MODELS, sleeve, announcement,
                      outputs=("log_impact", *HORIZON_ONLY))  # fmt: skip
    assert both.array("log_impact_at_horizon").tobytes() == last.tobytes()


@pytest.mark.parametrize("model", ["multiplier", "sqrt"])
def test_the_horizon_mode_counts_a_non_finite_day_before_the_last_as_the_full_mode_does(
    model: str,
) -> None:
    # a sale worth more than the market on day 15, bought back the next day: only days before
    # the last have no finite I, which the horizon mode does not keep but must still refuse
    baseline = synthetic_baseline(33)
    impact = config(model=model, multiplier=5.0, sqrt_y=0.5, permanent_share=0.5)
    size = 3.0 * baseline.close_usd[:, :, 0].max() * impact.supply_coins("BTC")
    flows = np.zeros((1, N_DAYS, 2))
    flows[0, 15, 0], flows[0, 16, 0] = -size, size
    messages = []
    for outputs in (ENGINE_OUTPUTS, HORIZON_ONLY):
        with pytest.raises(InputError, match="cell-day") as caught:
            run_engine(baseline, flows, [impact], None, -1, outputs=outputs)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]  # the same count of cell-days
    assert not messages[0].startswith("1 cell")  # days on many paths, not one
