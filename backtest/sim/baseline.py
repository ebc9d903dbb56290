"""Baseline price paths: history where it covers the horizon, then seeded bootstrap paths.

Past the last bar the baseline continues as ``n_paths`` simulated paths drawn by a stationary
block bootstrap (Politis & Romano 1994, J. Amer. Statist. Assoc. 89(428)) of historical daily
log returns: blocks start at uniformly drawn history days and have geometric lengths with mean
``block_mean_days``, so the resampled series is stationary and keeps the short-range
dependence (volatility clusters) inside blocks. Every asset is resampled on the SAME history
days, so the cross-asset correlation survives.

Drift: from 2019 to the last bar (2026-01-05) BTC and ETH gained on average about 0.12% a
day in log terms (about 45% a year), so resampling those returns as they are makes the median
path a forecast of the same run-up: BTC's median near $330k by 2028-12-31, from $94k at the last
bar. By default (``drift = "zero"``) each asset's log returns are demeaned over the resampled
window before drawing, r'_d = r_d − mean(r), so the median path is flat in log terms while
volatility, fat tails, volatility clusters and the cross-asset correlation stay the history's
own (a constant shift of each asset's returns changes none of them). The mean PRICE still
rises, by about exp(σ²/2) a day (lognormal convexity: about 1.8x for BTC over three years);
a flat median is the neutral baseline for measuring impact against, not a forecast
(assumption). ``drift = "historical"`` resamples the returns as they were, for comparison.

Volume is resampled on those same days as a ratio: the day's base-unit volume over its
trailing ``volume_level_days`` mean. A simulated day's USD volume is that ratio × the
base-unit level of the last ``volume_level_days`` of history × the simulated close; so dollar
volume moves with price while turnover in coins stays at its recent level (an assumption; a
random walk in log volume, the alternative, wanders without bound over years).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from flowimpact.config import choice, day, number, whole
from flowimpact.errors import ConfigError, DataFormatError

FloatArray = npt.NDArray[np.float64]
ONE_DAY = pd.Timedelta(days=1)
MIN_SOURCE_DAYS = 60
#: ``[paths] drift`` values: "zero" demeans the resampled log returns, "historical" keeps them.
Drift = Literal["zero", "historical"]
DRIFTS: tuple[str, ...] = get_args(Drift)


@dataclass(frozen=True, kw_only=True)
class PathsConfig:
    """The ``[paths]`` section: how many bootstrap paths, over which history, up to when.

    Defaults (all assumptions unless named): ``n_paths`` 200 (percentile bands of 5..95% are
    stable to about a percentage point at that count); ``block_mean_days`` 20 (a month of
    trading keeps volatility clusters whole; Politis & White 2004 give a data-driven choice);
    ``seed`` 20250807 (the order's date, any fixed number works); ``horizon_end``
    2028-12-31 (about three years past the order, covering 6-24 month ramps and the steady
    state after them); ``resample_start`` 2019-01-01 (leaves out Binance's thin 2017-2018
    volumes and the USDT de-pegs of 2018, see the reference data's SOURCES.md); ``warmup_days`` 365
    days of baseline kept before the study start for trailing volatility and volume;
    ``volume_level_days`` 90 for the volume ratio (see the module docstring); ``drift``
    "zero" (the history's mean log return removed before resampling, so the baseline is no
    forecast of a repeat of 2019-2025's run-up; see the module docstring) or "historical"
    (returns as they were: the median path then compounds that run-up).
    """

    n_paths: int = 200
    block_mean_days: float = 20.0
    seed: int = 20250807
    horizon_end: str = "2028-12-31"
    resample_start: str = "2019-01-01"
    warmup_days: int = 365
    volume_level_days: int = 90
    drift: Drift = "zero"

    def __post_init__(self) -> None:
        for key, low in (("n_paths", 1), ("warmup_days", 2), ("volume_level_days", 1)):
            whole("paths", key, getattr(self, key), low=low)
        whole("paths", "seed", self.seed, low=0)
        number("paths", "block_mean_days", self.block_mean_days, low=1.0)
        for key in ("horizon_end", "resample_start"):
            day("paths", key, getattr(self, key))
        choice("paths", "drift", self.drift, DRIFTS)


@dataclass(frozen=True, eq=False)
class BaselinePaths:
    """Baseline closes and USD volumes per path, day and asset, plus the warm-up before them.

    ``days`` are the study's UTC calendar days (start .. horizon end); ``close_usd`` and
    ``volume_usd`` are float64 ``[path, day, asset]``; ``prior_close_usd`` and
    ``prior_volume_usd`` the ``warmup_days`` before ``days[0]`` (same layout), which trailing
    statistics read so that day 0 already has a full window. Days up to
    ``last_history_day`` are history, identical on every path. ``venues`` names the ccxt venue
    whose prices and volumes each asset's paths come from (empty: not known), for the volume
    coverage (``ImpactConfig.volume_coverage_for``).
    """

    days: pd.DatetimeIndex
    assets: tuple[str, ...]
    close_usd: FloatArray
    volume_usd: FloatArray
    last_history_day: pd.Timestamp
    prior_close_usd: FloatArray
    prior_volume_usd: FloatArray
    venues: tuple[str, ...] = ()

    @property
    def n_paths(self) -> int:
        return int(self.close_usd.shape[0])

    @property
    def n_days(self) -> int:
        return int(self.close_usd.shape[1])

    @property
    def is_history(self) -> npt.NDArray[np.bool_]:
        """``[day]`` True where the baseline is history (the same on every path)."""
        return np.asarray(self.days <= self.last_history_day)


def build_baseline(
    prices: Mapping[str, pd.DataFrame], config: PathsConfig, start: str
) -> BaselinePaths:
    """History from ``start`` (minus the warm-up) to ``config.horizon_end``, bootstrapped past it.

    ``prices``: per asset a daily frame indexed by UTC midnight timestamps with at least
    ``close`` and ``volume`` (base units). Assets are aligned on their common days, which must
    have no gaps. Raises ConfigError for an impossible window, DataFormatError for bad frames.
    """
    assets = tuple(prices)
    if not assets:
        raise ConfigError("build_baseline: no price series given; load BTC and ETH daily prices")
    close, volume = _aligned_history(prices)
    hist_days = close.index
    first_day = _parse_day(start, "[study] start")
    end_day = _parse_day(config.horizon_end, "[paths] horizon_end")
    if end_day < first_day:
        raise ConfigError(
            f"[paths] horizon_end {end_day.date()} is before the study start {first_day.date()}"
        )
    window_start = first_day - config.warmup_days * ONE_DAY
    if window_start < hist_days[0]:
        raise ConfigError(
            f"[study] start {first_day.date()} leaves fewer than warmup_days="
            f"{config.warmup_days} days of history (data from {hist_days[0].date()}); "
            "start later or lower [paths] warmup_days"
        )
    last_day = hist_days[-1]
    window = pd.date_range(window_start, end_day, freq="D")
    n_hist = int(np.sum(window <= last_day))
    n_sim = len(window) - n_hist

    full_close = np.empty((config.n_paths, len(window), len(assets)))
    full_volume = np.empty_like(full_close)
    in_hist = window[:n_hist]
    full_close[:, :n_hist] = close.loc[in_hist].to_numpy()
    full_volume[:, :n_hist] = (close * volume).loc[in_hist].to_numpy()
    if n_sim:
        # paths always start the day after the last bar, even when the window starts later
        n_after_history = (end_day - last_day).days
        sim_close, sim_volume = _bootstrap(close, volume, config, n_after_history)
        full_close[:, n_hist:] = sim_close[:, n_after_history - n_sim :]
        full_volume[:, n_hist:] = sim_volume[:, n_after_history - n_sim :]
    warm = config.warmup_days
    return BaselinePaths(
        days=window[warm:],
        assets=assets,
        close_usd=full_close[:, warm:],
        volume_usd=full_volume[:, warm:],
        last_history_day=last_day,
        prior_close_usd=full_close[:, :warm],
        prior_volume_usd=full_volume[:, :warm],
    )


#: peak bytes of ``build_baseline`` in float64 arrays of ``[path, day, asset]`` over the window
#: and its warm-up: the two kept arrays plus the bootstrap's indices and working arrays.
#: Measured with tracemalloc: 4.2 when 64% of the days are simulated (the rest history);
#: about 5.5 when every day is, rounded up to 6 so the estimate is an upper bound.
BASELINE_PEAK_ARRAYS = 6
_FLOAT64_BYTES = 8


def baseline_peak_bytes(n_paths: int, n_days: int, n_assets: int, warmup_days: int) -> int:
    """Upper bound of the memory ``build_baseline`` needs, in bytes (``BASELINE_PEAK_ARRAYS``
    arrays of ``n_paths`` x (``n_days`` + ``warmup_days``) x ``n_assets`` float64)."""
    cells = n_paths * (n_days + warmup_days) * n_assets
    return BASELINE_PEAK_ARRAYS * _FLOAT64_BYTES * cells


def stationary_bootstrap_indices(
    rng: np.random.Generator, n_paths: int, n_days: int, n_source: int, block_mean_days: float
) -> npt.NDArray[np.int64]:
    """``[path, day]`` indices into a source of ``n_source`` days (Politis-Romano).

    Each day starts a new block with probability 1/block_mean_days (always on day 0) at a
    uniform source day; otherwise it takes the day after the previous one, wrapping around the
    end of the source (the circular version that keeps every day equally likely).
    """
    new_block = rng.random((n_paths, n_days)) < 1.0 / block_mean_days
    new_block[:, 0] = True
    block_start = rng.integers(0, n_source, size=(n_paths, n_days))
    position = np.arange(n_days)
    last_start = np.maximum.accumulate(np.where(new_block, position, 0), axis=1)
    start_index = np.take_along_axis(block_start, last_start, axis=1)
    return (start_index + (position - last_start)) % n_source


def _bootstrap(
    close: pd.DataFrame, volume: pd.DataFrame, config: PathsConfig, n_sim: int
) -> tuple[FloatArray, FloatArray]:
    """Simulated closes and USD volumes ``[path, n_sim, asset]`` after the last history day."""
    level_days = config.volume_level_days
    log_return = np.log(close).diff()
    volume_level = volume.rolling(level_days).mean().shift(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        volume_ratio = volume / volume_level
    source_from = max(_parse_day(config.resample_start, "[paths] resample_start"), close.index[0])
    usable = (close.index >= source_from) & volume_level.notna().all(axis=1).to_numpy()
    usable[0] = False  # no return on the first day
    returns = log_return.to_numpy()[usable]
    ratios = volume_ratio.to_numpy()[usable]
    if len(returns) < MIN_SOURCE_DAYS or not np.all(np.isfinite(ratios)):
        raise ConfigError(
            f"[paths] resample_start {config.resample_start}: need at least {MIN_SOURCE_DAYS} "
            f"history days with positive volume after it (and {level_days} before), "
            f"found {len(returns)}; choose an earlier resample_start"
        )
    if config.drift == "zero":
        returns = returns - returns.mean(axis=0)
    rng = np.random.default_rng(config.seed)
    index = stationary_bootstrap_indices(
        rng, config.n_paths, n_sim, len(returns), config.block_mean_days
    )
    last_close = close.to_numpy()[-1]
    sim_close = last_close * np.exp(np.cumsum(returns[index], axis=1))
    base_level = volume.to_numpy()[-level_days:].mean(axis=0)
    sim_volume = ratios[index] * base_level * sim_close
    return sim_close, sim_volume


def _aligned_history(prices: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Closes and base volumes ``[day, asset]`` on the assets' common, gap-free days."""
    closes, volumes = {}, {}
    for asset, frame in prices.items():
        _check_frame(asset, frame)
        closes[asset] = frame["close"].astype(np.float64)
        volumes[asset] = frame["volume"].astype(np.float64)
    close = pd.DataFrame(closes).dropna()
    volume = pd.DataFrame(volumes).loc[close.index]
    if len(close) < 2:
        raise DataFormatError("price series share fewer than 2 days; load overlapping history")
    gaps = np.flatnonzero(np.asarray(close.index[1:] - close.index[:-1]) != ONE_DAY)
    if gaps.size:
        missing_after = close.index[gaps[0]].date()
        raise DataFormatError(
            f"daily prices have {gaps.size} gap(s) on the assets' common days, first after "
            f"{missing_after}; re-fetch or import the missing days"
        )
    return close, volume


def _check_frame(asset: str, frame: pd.DataFrame) -> None:
    missing = {"close", "volume"} - set(frame.columns)
    if missing:
        raise DataFormatError(f"{asset} prices lack column(s) {', '.join(sorted(missing))}")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or str(index.tz) != "UTC":
        raise DataFormatError(f"{asset} prices must be indexed by UTC timestamps")
    if not (index.is_monotonic_increasing and index.is_unique):
        raise DataFormatError(f"{asset} prices: timestamps must be increasing and unique")
    if not (index == index.normalize()).all():
        raise DataFormatError(f"{asset} prices are not daily bars at UTC midnight; resample to 1d")
    close = frame["close"].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(close) & (close > 0)):
        raise DataFormatError(f"{asset} prices hold non-positive or missing closes")
    volume = frame["volume"].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(volume) & (volume >= 0)):
        raise DataFormatError(f"{asset} prices hold negative or missing volumes")


def _parse_day(value: str, what: str) -> pd.Timestamp:
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: {value!r} is not a date; write YYYY-MM-DD") from None
    return pd.Timestamp(day, tz="UTC")


__all__ = [
    "BASELINE_PEAK_ARRAYS",
    "DRIFTS",
    "BaselinePaths",
    "PathsConfig",
    "baseline_peak_bytes",
    "build_baseline",
    "stationary_bootstrap_indices",
]
