"""Baseline paths: history kept exactly, seeded stationary block bootstrap past it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest.sim.baseline import PathsConfig, build_baseline, stationary_bootstrap_indices
from flowimpact.errors import ConfigError, DataFormatError

N_HISTORY = 900
CORRELATION = 0.8


def synthetic_prices(
    seed: int = 0, n_days: int = N_HISTORY, drift_per_day: float = 0.0
) -> dict[str, pd.DataFrame]:
    """Correlated fat-tailed daily log returns (corr 0.8), volumes around a level."""
    rng = np.random.default_rng(seed)
    common = rng.standard_t(4, n_days) * 0.02
    own = rng.standard_t(4, (n_days, 2)) * 0.02
    returns = CORRELATION * common[:, None] + np.sqrt(1 - CORRELATION**2) * own + drift_per_day
    index = pd.date_range("2020-01-01", periods=n_days, freq="D", tz="UTC", name="timestamp")
    prices = {}
    for column, (asset, level) in enumerate((("BTC", 30_000.0), ("ETH", 1_500.0))):
        close = level * np.exp(np.cumsum(returns[:, column]))
        volume = rng.lognormal(np.log(1_000.0), 0.3, n_days)
        prices[asset] = pd.DataFrame(
            {"open": close, "high": close, "low": close, "close": close, "volume": volume},
            index=index,
        )
    return prices


def config(**overrides) -> PathsConfig:
    values = {"n_paths": 64, "horizon_end": "2023-12-31", "resample_start": "2020-01-01",
              "warmup_days": 60}
    return PathsConfig(**{**values, **overrides})


def test_history_is_reproduced_exactly_where_it_covers_the_horizon() -> None:
    prices = synthetic_prices()
    baseline = build_baseline(prices, config(), "2021-06-01")
    assert baseline.days[0] == pd.Timestamp("2021-06-01", tz="UTC")
    assert baseline.days[-1] == pd.Timestamp("2023-12-31", tz="UTC")
    assert baseline.days.freq == "D" and str(baseline.days.tz) == "UTC"
    history = baseline.is_history
    for column, asset in enumerate(baseline.assets):
        frame = prices[asset].loc[baseline.days[history]]
        expected_close = frame["close"].to_numpy()
        assert np.array_equal(baseline.close_usd[:, history, column],
                              np.broadcast_to(expected_close, (64, history.sum())))
        expected_volume = (frame["close"] * frame["volume"]).to_numpy()
        np.testing.assert_allclose(baseline.volume_usd[3, history, column], expected_volume)
        warm = prices[asset]["close"].loc[:"2021-05-31"].to_numpy()[-60:]
        assert np.array_equal(baseline.prior_close_usd[5, :, column], warm)
    assert baseline.last_history_day == prices["BTC"].index[-1]
    simulated = baseline.close_usd[:, ~history]
    assert not np.allclose(simulated[0], simulated[1])  # paths differ past the last bar


def test_the_same_seed_gives_the_same_paths_and_another_seed_others() -> None:
    prices = synthetic_prices()
    first = build_baseline(prices, config(seed=7), "2021-06-01")
    again = build_baseline(prices, config(seed=7), "2021-06-01")
    other = build_baseline(prices, config(seed=8), "2021-06-01")
    assert np.array_equal(first.close_usd, again.close_usd)
    assert np.array_equal(first.volume_usd, again.volume_usd)
    assert not np.array_equal(first.close_usd, other.close_usd)


def test_bootstrap_keeps_correlation_and_marginal_distribution() -> None:
    prices = synthetic_prices()
    baseline = build_baseline(prices, config(n_paths=200), "2021-06-01")
    history = baseline.is_history
    tail = np.concatenate([baseline.close_usd[:, history][:, -1:], baseline.close_usd[:, ~history]],
                          axis=1)
    simulated = np.diff(np.log(tail), axis=1).reshape(-1, 2)
    source = np.column_stack(
        [np.diff(np.log(prices[a]["close"].to_numpy())) for a in ("BTC", "ETH")]
    )
    source_corr = np.corrcoef(source.T)[0, 1]
    assert np.corrcoef(simulated.T)[0, 1] == pytest.approx(source_corr, abs=0.03)
    quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
    for column in range(2):
        np.testing.assert_allclose(
            np.quantile(simulated[:, column], quantiles),
            np.quantile(source[:, column], quantiles),
            atol=0.003,
        )
    # the first simulated day continues from the last close with a drawn (demeaned) return of
    # the days that have a full 90-day volume window before them
    drawable = source[89:] - source[89:].mean(axis=0)
    first_step = simulated.reshape(200, -1, 2)[:, 0]
    assert np.all(np.isin(np.round(first_step[:, 0], 12), np.round(drawable[:, 0], 12)))
    assert np.all(baseline.volume_usd > 0)


def _simulated_log_returns(baseline) -> np.ndarray:
    """``[path, day, asset]`` log returns past the last bar, the first from the last close."""
    history = baseline.is_history
    tail = np.concatenate(
        [baseline.close_usd[:, history][:, -1:], baseline.close_usd[:, ~history]], axis=1
    )
    return np.diff(np.log(tail), axis=1)


def test_zero_drift_removes_the_mean_and_historical_drift_keeps_it() -> None:
    drift = 0.003  # about 110% a year in log terms, a strong bull market
    prices = synthetic_prices(drift_per_day=drift)
    # the bootstrap draws from the days with a full volume_level_days (90) window before them
    source = np.column_stack(
        [np.diff(np.log(prices[a]["close"].to_numpy()))[89:] for a in ("BTC", "ETH")]
    )
    source_mean = source.mean(axis=0)
    assert np.all(source_mean > 0.002)  # the history really drifts
    runs = {
        drift_mode: _simulated_log_returns(
            build_baseline(prices, config(n_paths=200, drift=drift_mode), "2021-06-01")
        )
        for drift_mode in ("zero", "historical")
    }
    for drift_mode, expected_mean in (("zero", 0.0), ("historical", source_mean)):
        simulated = runs[drift_mode]
        path_means = simulated.mean(axis=1)  # [path, asset]; paths are independent draws
        standard_error = path_means.std(axis=0, ddof=1) / np.sqrt(path_means.shape[0])
        assert np.all(np.abs(path_means.mean(axis=0) - expected_mean) < 4 * standard_error)
        assert np.all(source_mean > 10 * standard_error)  # so the two cases are told apart
        pooled = simulated.reshape(-1, 2)
        np.testing.assert_allclose(pooled.std(axis=0), source.std(axis=0), rtol=0.05)
        source_corr = np.corrcoef(source.T)[0, 1]
        assert np.corrcoef(pooled.T)[0, 1] == pytest.approx(source_corr, abs=0.03)
    # the same seed draws the same days: the two differ by exactly the source's mean return
    np.testing.assert_allclose(
        runs["historical"] - runs["zero"],
        np.broadcast_to(source_mean, runs["zero"].shape),
        rtol=0,
        atol=1e-12,
    )


def test_bootstrap_blocks_have_the_configured_mean_length() -> None:
    rng = np.random.default_rng(3)
    index = stationary_bootstrap_indices(rng, 400, 500, 1000, 20.0)
    continued = np.diff(index, axis=1) % 1000 == 1
    assert 1 / (1 - continued.mean()) == pytest.approx(20.0, rel=0.05)
    assert index.min() >= 0 and index.max() < 1000
    counts = np.bincount(index.ravel(), minlength=1000)
    assert counts.min() > 0.5 * counts.mean()  # every source day is drawn, roughly uniformly


def test_a_start_after_the_last_bar_still_continues_from_it() -> None:
    prices = synthetic_prices()
    baseline = build_baseline(prices, config(), "2023-06-01")
    assert not baseline.is_history.any()
    assert baseline.prior_close_usd.shape == (64, 60, 2)
    assert not np.array_equal(baseline.prior_close_usd[0], baseline.prior_close_usd[1])


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"n_paths": 0}, "n_paths"),
        ({"block_mean_days": 0.5}, "block_mean_days"),
        ({"seed": -1}, "seed"),
        ({"horizon_end": "2028-13-01"}, "horizon_end"),
        ({"resample_start": "soon"}, "resample_start"),
        ({"warmup_days": 1}, "warmup_days"),
        ({"drift": "upward"}, "drift"),
    ],
)
def test_bad_config_values_raise_config_error(overrides, key) -> None:
    with pytest.raises(ConfigError, match=rf"\[paths\] {key}"):
        PathsConfig(**overrides)


def test_impossible_windows_and_bad_frames_are_refused() -> None:
    prices = synthetic_prices()
    with pytest.raises(ConfigError, match="warmup_days"):
        build_baseline(prices, config(), "2020-01-10")
    with pytest.raises(ConfigError, match="before the study start"):
        build_baseline(prices, config(horizon_end="2021-01-01"), "2021-06-01")
    with pytest.raises(ConfigError, match="resample_start"):
        build_baseline(prices, config(resample_start="2022-06-01"), "2021-06-01")
    gappy = {a: f.drop(f.index[100]) for a, f in prices.items()}
    with pytest.raises(DataFormatError, match="gap"):
        build_baseline(gappy, config(), "2021-06-01")
    naive = {a: f.tz_localize(None) for a, f in prices.items()}
    with pytest.raises(DataFormatError, match="UTC"):
        build_baseline(naive, config(), "2021-06-01")
    broken = dict(prices)
    broken["ETH"] = prices["ETH"].assign(close=-1.0)
    with pytest.raises(DataFormatError, match="ETH"):
        build_baseline(broken, config(), "2021-06-01")


def _load(shared_data, asset: str) -> pd.DataFrame:
    frame = pd.read_csv(shared_data / "prices" / f"binance_{asset}USDT_1d.csv")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame.set_index("timestamp")


def test_real_history_keeps_known_closes_and_correlation(shared_data) -> None:
    prices = {asset: _load(shared_data, asset) for asset in ("BTC", "ETH")}
    baseline = build_baseline(prices, PathsConfig(n_paths=100), "2025-01-01")
    assert baseline.last_history_day == pd.Timestamp("2026-01-05", tz="UTC")
    day = baseline.days.get_loc(pd.Timestamp("2025-08-07", tz="UTC"))
    assert baseline.close_usd[17, day, 0] == pytest.approx(117_472.01)
    assert baseline.close_usd[42, day, 1] == pytest.approx(3_910.31)
    history = baseline.is_history
    simulated = np.diff(np.log(baseline.close_usd[:, ~history]), axis=1).reshape(-1, 2)
    real_close = np.column_stack([prices[a]["close"].loc["2019":] for a in ("BTC", "ETH")])
    real = np.diff(np.log(real_close), axis=0)
    assert np.corrcoef(simulated.T)[0, 1] == pytest.approx(np.corrcoef(real.T)[0, 1], abs=0.03)


def test_real_history_median_path_is_flat_with_zero_drift_and_rises_without(shared_data) -> None:
    prices = {asset: _load(shared_data, asset) for asset in ("BTC", "ETH")}
    last_close = np.array([prices[a]["close"].iloc[-1] for a in ("BTC", "ETH")])
    log_growth = {}
    for drift in ("zero", "historical"):
        baseline = build_baseline(prices, PathsConfig(n_paths=200, drift=drift), "2025-01-01")
        log_growth[drift] = np.log(baseline.close_usd[:, -1] / last_close)  # [path, asset]
    # about three years past the last bar: log growth spreads over ~1.1 (BTC) to ~1.4 (ETH), so
    # the median of 200 paths has a sampling error near 0.1; 0.35 is three and a half of them
    assert np.all(np.abs(np.median(log_growth["zero"], axis=0)) < 0.35)
    # 2019-2025 compounded: BTC's and ETH's median paths more than double (to ~$330k for BTC)
    assert np.all(np.median(log_growth["historical"], axis=0) > np.log(2.0))
