"""The event study: hand-made series with known effects, the tests' size, and the real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest.analogs.event_study import AnalogsConfig, bars_per_day, event_study
from flowimpact.errors import ConfigError, InputError

DAY0 = "2024-01-11"


def candles(log_returns: np.ndarray, *, start: str, freq: str = "1D", volume=1.0) -> pd.DataFrame:
    """OHLCV bars whose closes follow ``log_returns`` from 100 (first bar's return unused)."""
    close = 100 * np.exp(np.cumsum(log_returns))
    index = pd.date_range(start, periods=len(close), freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": volume},
        index=index,
    )


def noise_series(seed: int, *, n: int = 600, sd: float = 0.01, freq: str = "1D") -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, sd, n)


def day0_position(frame: pd.DataFrame, day: str = DAY0) -> int:
    return int(frame.index.get_indexer([pd.Timestamp(day, tz="UTC")])[0])


CONFIG = AnalogsConfig(events={"btc_test": DAY0})


def test_a_jump_on_day_0_is_found_and_rejects_no_effect() -> None:
    r = noise_series(1)
    frame = candles(r, start="2023-01-01")
    r[day0_position(frame)] += 0.15
    row = event_study({"BTC": candles(r, start="2023-01-01")}, CONFIG).table.iloc[0]
    assert row["event"] == "btc_test" and row["asset"] == "BTC" and row["status"] == "ok"
    assert row["car_0d_pct"] == pytest.approx(15.0, abs=3.0)
    assert row["car_0d_p"] < 1e-6
    # the largest of 221 abnormal returns: the smallest two-sided rank-sum p is 2/221
    assert row["car_0d_rank_p"] < 0.02
    assert row["car_5d_p"] < 1e-3


def test_the_same_series_without_the_jump_is_not_rejected() -> None:
    frame = candles(noise_series(1), start="2023-01-01")
    row = event_study({"BTC": frame}, CONFIG).table.iloc[0]
    assert row["car_0d_p"] > 0.05 and row["car_5d_p"] > 0.05 and row["car_30d_p"] > 0.05
    assert row["car_5d_rank_p"] > 0.05


@pytest.mark.slow
def test_tests_reject_about_five_percent_of_series_without_an_effect() -> None:
    # 200 seeded random walks: under no effect both tests must reject near their 5% size
    prices = {f"A{i}": candles(noise_series(100 + i), start="2023-01-01") for i in range(200)}
    table = event_study(prices, AnalogsConfig(events={"nothing": DAY0})).table
    assert len(table) == 200
    for column in ("car_5d_p", "car_30d_p", "car_5d_rank_p", "car_30d_rank_p"):
        rate = float((table[column] < 0.05).mean())
        assert 0.01 <= rate <= 0.10, (column, rate)


def test_a_lasting_drift_is_seen_by_the_rank_test() -> None:
    r = noise_series(3)
    pos = day0_position(candles(r, start="2023-01-01"))
    r[pos : pos + 6] += 0.02  # +2% a day on days 0..5
    row = event_study({"BTC": candles(r, start="2023-01-01")}, CONFIG).table.iloc[0]
    assert row["car_5d_pct"] == pytest.approx(12.0, abs=3.0)
    assert row["car_5d_rank_p"] < 0.01 and row["car_5d_p"] < 0.01


def test_market_model_removes_the_market_move() -> None:
    rng = np.random.default_rng(11)
    market = rng.normal(0, 0.02, 600)
    asset = 1.5 * market + rng.normal(0, 0.005, 600)
    pos = day0_position(candles(market, start="2023-01-01"))
    market[pos] += 0.10  # the market jumps on day 0 and drags the asset with beta 1.5
    asset[pos] += 1.5 * 0.10 + 0.04  # plus 4% of its own
    prices = {"BTC": candles(market, start="2023-01-01"), "ETH": candles(asset, start="2023-01-01")}
    events = {"eth_test": DAY0}
    market_row = event_study(prices, AnalogsConfig(events=events, model="market")).table.iloc[0]
    mean_row = event_study(prices, AnalogsConfig(events=events)).table.iloc[0]
    assert market_row["model"] == "market" and mean_row["model"] == "constant_mean"
    assert market_row["car_0d_pct"] == pytest.approx(4.0, abs=1.5)
    assert mean_row["car_0d_pct"] == pytest.approx(19.0, abs=5.0)
    assert market_row["car_0d_p"] < 1e-3


def test_the_benchmark_itself_falls_back_to_the_constant_mean() -> None:
    prices = {"BTC": candles(noise_series(5), start="2023-01-01")}
    row = event_study(prices, AnalogsConfig(events={"btc_x": DAY0}, model="market")).table
    assert row["model"].tolist() == ["constant_mean"]


def test_event_assets_follow_the_name_prefix_or_the_mapping() -> None:
    frame = candles(noise_series(2), start="2023-01-01")
    prices = {"BTC": frame, "ETH": frame}
    config = AnalogsConfig(
        events={"btc_a": DAY0, "eth_b": DAY0, "macro": DAY0, "other": DAY0},
        event_assets={"other": ("eth",)},
    )
    table = event_study(prices, config).table
    pairs = list(zip(table["event"], table["asset"], strict=True))
    assert pairs == [
        ("btc_a", "BTC"),
        ("eth_b", "ETH"),
        ("macro", "BTC"),
        ("macro", "ETH"),
        ("other", "ETH"),
    ]
    bad = AnalogsConfig(events={"x": DAY0}, event_assets={"x": ("SOL",)})
    with pytest.raises(InputError, match=r"event_assets\.x names SOL"):
        event_study(prices, bad)


def test_volume_ratio_volatility_and_drawdown_on_a_hand_made_path() -> None:
    n = 600
    r = np.zeros(n)
    frame0 = candles(r, start="2023-01-01")
    pos = day0_position(frame0)
    r[pos - 30 : pos] = np.tile([0.01, -0.01], 15)  # before: sd of ±1%
    r[pos : pos + 30] = np.tile([0.03, -0.03], 15)  # after: sd of ±3%
    r[pos + 40] = np.log(0.8)  # a 20% fall, then recovery
    r[pos + 41] = np.log(1 / 0.8)
    volume = np.where(np.arange(n) >= pos, 2.0, 1.0) / np.exp(np.cumsum(r))  # USD volume 1 -> 2
    frame = candles(r, start="2023-01-01", volume=volume)
    row = event_study({"BTC": frame}, CONFIG).table.iloc[0]
    assert row["vol_ratio"] == pytest.approx(3.0)
    assert row["vol_before_pct_ann"] == pytest.approx(100 * 0.01 * np.sqrt(30 / 29 * 365))
    assert row["volume_ratio"] == pytest.approx(2.0)
    assert row["volume_before_usd_per_day"] == pytest.approx(100.0)
    # the peak is the first +3% day after day 0; the trough the 20% fall from the base level
    assert row["drawdown_after_pct"] == pytest.approx(100 * (0.8 * np.exp(-0.03) - 1))
    # the estimation window is flat: a CAR but no test against a zero variance
    assert row["car_5d_pct"] == pytest.approx(0.0, abs=1e-12) and np.isnan(row["car_5d_t"])


def test_a_window_past_the_data_is_partial_and_gives_no_late_cars() -> None:
    frame = candles(noise_series(4, n=400), start="2023-01-01")  # ends 2024-02-04: day +24
    row = event_study({"BTC": frame}, CONFIG).table.iloc[0]
    assert row["status"] == "partial window: data end on day 24"
    assert np.isfinite(row["car_5d_pct"])
    assert np.isnan(row["car_30d_pct"]) and np.isnan(row["car_180d_p"])


def test_too_little_history_gives_no_tests() -> None:
    frame = candles(
        noise_series(4, n=400), start="2023-11-25"
    )  # 47 days before day 0: 17 estimation days
    row = event_study({"BTC": frame}, CONFIG).table.iloc[0]
    assert row["status"].startswith("estimation window has")
    assert np.isnan(row["car_0d_p"])


def test_events_outside_the_data_are_reported_not_raised() -> None:
    frame = candles(noise_series(1), start="2023-01-01")
    events = {"future": "2030-01-01", "past": "2010-01-01", "first_days": "2023-01-05"}
    table = event_study({"BTC": frame}, AnalogsConfig(events=events)).table.set_index("event")
    assert table.loc["future", "status"] == "no data on day 0"
    assert table.loc["past", "status"] == "no data on day 0"
    assert table.loc["first_days", "status"].startswith("estimation window has 0 bars")
    assert table[["car_0d_pct", "car_0d_p"]].isna().all().all()


def test_four_hour_bars_hold_six_bars_a_day_and_find_a_jump() -> None:
    r = noise_series(9, n=6 * 600, sd=0.004)
    frame = candles(r, start="2023-01-01", freq="4h")
    pos = day0_position(frame)
    r[pos] += 0.10
    frame = candles(r, start="2023-01-01", freq="4h")
    result = event_study({"BTC": frame}, CONFIG)
    row = result.table.iloc[0]
    assert row["bars_per_day"] == 6 and row["n_estimation_bars"] == 6 * 220
    assert row["car_0d_pct"] == pytest.approx(10.0, abs=2.0) and row["car_0d_p"] < 1e-6
    aligned = result.aligned
    assert aligned["offset_bars"].min() == -180 and aligned["offset_days"].min() == -30.0
    at_zero = aligned[aligned["offset_bars"] == 0].iloc[0]
    assert at_zero["timestamp"] == pd.Timestamp(DAY0, tz="UTC")
    assert at_zero["price_rel"] == pytest.approx(np.exp(r[pos]))


def test_bars_per_day_refuses_a_spacing_that_does_not_divide_a_day() -> None:
    index = pd.date_range("2024-01-01", periods=10, freq="7h", tz="UTC")
    with pytest.raises(InputError, match="do not divide a day"):
        bars_per_day(index)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"events": {"x": "2024-13-01"}}, "events.x"),
        ({"events": {}}, "events"),
        ({"model": "fama_french"}, "model"),
        ({"estimation_end_days": -10}, "estimation_end_days"),
        ({"estimation_start_days": -40}, "estimation_start_days"),
        ({"window_start_days": 5}, "window_start_days"),
        ({"car_horizons_days": (5, 400)}, "car_horizons_days"),
        ({"event_assets": {"nope": ("BTC",)}}, "event_assets"),
        ({"compare_days": 1}, "compare_days"),
        ({"hac_max_lags_days": -1}, "hac_max_lags_days"),
        ({"flow_lags_days": 1.5}, "flow_lags_days"),
    ],
)
def test_config_errors_name_the_key(kwargs: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"\[analogs\] .*{key}"):
        AnalogsConfig(**kwargs)


# --- the real data: an independent computation from the raw CSV -------------------------------


def raw_daily(shared_data: Path, asset: str) -> pd.DataFrame:
    return pd.read_csv(shared_data / "prices" / f"binance_{asset}USDT_1d.csv", index_col=0)


def load_prices(shared_data: Path, timeframe: str) -> dict[str, pd.DataFrame]:
    out = {}
    for asset in ("BTC", "ETH"):
        path = shared_data / "prices" / f"binance_{asset}USDT_{timeframe}.csv"
        frame = pd.read_csv(path, parse_dates=["timestamp"])
        frame["timestamp"] = frame["timestamp"].dt.tz_localize("UTC")
        out[asset] = frame.set_index("timestamp")
    return out


@pytest.mark.parametrize(
    ("event", "asset", "day0"),
    [("btc_spot_etf", "BTC", "2024-01-11"), ("eth_spot_etf", "ETH", "2024-07-23")],
)
def test_real_data_cars_agree_with_a_plain_computation(
    shared_data: Path, event: str, asset: str, day0: str
) -> None:
    result = event_study(load_prices(shared_data, "1d"), AnalogsConfig())
    row = result.table.set_index(["event", "asset"]).loc[(event, asset)]
    # independent: string dates, a row position per date, returns from consecutive rows
    raw = raw_daily(shared_data, asset)
    dates = list(raw.index)
    closes = raw["close"].to_numpy()
    at = dates.index(day0)
    log_ret = np.log(closes[1:] / closes[:-1])  # log_ret[i - 1] ends on row i
    est = log_ret[at - 250 - 1 : at - 31]  # rows at-250 .. at-31
    assert len(est) == 220 and row["n_estimation_bars"] == 220
    mean, var = est.mean(), est.var(ddof=1)
    for h in (0, 5, 30, 90, 180):
        window = log_ret[at - 1 : at + h]  # rows at .. at+h
        car = window.sum() - (h + 1) * mean
        length = h + 1
        t_stat = car / np.sqrt(var * (length + length**2 / 220))
        assert row[f"car_{h}d_pct"] == pytest.approx(100 * car, rel=1e-9)
        assert row[f"car_{h}d_t"] == pytest.approx(t_stat, rel=1e-9)
    aligned = result.aligned.query("event == @event and asset == @asset").set_index("offset_bars")
    assert len(aligned) == 211
    assert aligned.loc[0, "close"] == closes[at]
    assert aligned.loc[30, "price_rel"] == pytest.approx(closes[at + 30] / closes[at - 1])
    assert aligned.loc[-30, "log_return"] == pytest.approx(
        np.log(closes[at - 30] / closes[at - 31])
    )
    tail = closes[at - 1 : at + 181]
    drawdown = (tail / np.maximum.accumulate(tail) - 1).min()
    assert row["drawdown_after_pct"] == pytest.approx(100 * drawdown)


def test_real_data_known_close_and_four_hour_cars_equal_daily(shared_data: Path) -> None:
    daily = event_study(load_prices(shared_data, "1d"), AnalogsConfig())
    hourly = event_study(load_prices(shared_data, "4h"), AnalogsConfig())
    aligned = daily.aligned.query("event == 'btc_spot_etf' and offset_bars == 0")
    assert aligned["close"].iloc[0] == 46_339.16  # SOURCES.md
    # the 4h files resample exactly to the daily ones, so sums of log returns agree
    cols = [f"car_{h}d_pct" for h in (0, 5, 30, 90)]
    np.testing.assert_allclose(hourly.table[cols], daily.table[cols], rtol=1e-9)
    assert (hourly.table["bars_per_day"] == 6).all()
