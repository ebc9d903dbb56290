"""Event study of past shocks (the US spot-ETF launches, the 401(k) order) on BTC and ETH.

For each event and each asset it concerns, bar log returns r_k = ln(C_k / C_{k-1}) are aligned
on day 0 (k = bar offset from 00:00 UTC of the event day) and compared with a normal-return
model fitted on an estimation window that ends before the event window starts:

- ``constant_mean``: E[r_k] = μ, the estimation window's mean (Brown & Warner 1985).
- ``market``: E[r_k] = α + β · r_m,k against a ``benchmark`` asset (e.g. BTC as the market for
  ETH), α and β by OLS on the estimation window. The benchmark asset itself has no market
  model against itself and falls back to ``constant_mean``; the table names the model used.

Abnormal returns AR_k = r_k - E[r_k]; CAR(0, h) = Σ AR_k over the bars of days 0..h
(inclusive), reported as ``car_<h>d_pct`` = 100 × CAR (log-return percentage points). Tests:

- parametric: t = CAR / sqrt(Var CAR) with Var CAR = σ̂² · (L + L²/n) for the constant mean and
  σ̂² · (L + L²/n + (Σ r_m - L·μ_m)² / Σ_est (r_m - μ_m)²) for the market model (Campbell, Lo &
  MacKinlay 1997, ch. 4: the estimation error of the model counts), σ̂² the residual variance
  of the estimation window (dof n-1 resp. n-2), L the bars in the CAR; two-sided p from
  Student's t with that dof.
- rank: Corrado's (1989) rank test in its single-event form, which is the Wilcoxon-Mann-Whitney
  rank-sum test of the L event abnormal returns against the n estimation residuals (two-sided,
  ``scipy.stats.mannwhitneyu``). It needs no normality, but one jump in one bar among many
  ordinary bars moves ranks little: the rank test sees shifts that last, the t-test jumps.

Also per event × asset: annualised volatility and mean USD volume per day over the
``compare_days`` days before day 0 versus from day 0 on (ratios after/before), and the maximum
drawdown of the close from the start of day 0 to the end of the window.

Daily and 4-hour data: windows are given in DAYS and hold every bar of those days (a 4-hour
series has 6 bars a day, so the default window -30..+180 days is bars -180..+1085); the
volatility is annualised with 365 days × bars per day (crypto trades every day). Missing bars
(exchange outages) are missing rows; the return after a gap spans the gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from backtest.analogs.config import (
    DEFAULT_EVENTS,
    MIN_ESTIMATION_DAYS,
    MODELS,
    AnalogsConfig,
)
from flowimpact.errors import InputError
from flowimpact.units import DAYS_PER_YEAR


@dataclass(frozen=True)
class EventStudyResult:
    """``table``: one row per event × asset (analogs.csv). ``aligned``: the window's bars, long.

    ``aligned`` columns: event, asset, offset_bars, offset_days (bars / bars per day),
    timestamp, close, log_return, abnormal_return, price_rel (close / the close before day 0,
    so 1.0 at the start of day 0) and car_log (cumulative abnormal log return from bar 0).
    """

    table: pd.DataFrame
    aligned: pd.DataFrame
    config: AnalogsConfig


def event_study(prices: Mapping[str, pd.DataFrame], config: AnalogsConfig) -> EventStudyResult:
    """Run the event study of ``config.events`` on ``prices`` (daily or 4-hour bars)."""
    if not prices:
        raise InputError("event study: no price series given")
    available = tuple(prices)
    returns = {asset: _log_returns(frame, asset) for asset, frame in prices.items()}
    rows, aligned = [], []
    for event, day in config.events.items():
        day0 = pd.Timestamp(day, tz="UTC")
        for asset in config.assets_of(event, available):
            use_market = config.model == "market" and asset != config.benchmark
            if use_market and config.benchmark not in prices:
                raise InputError(
                    f"[analogs] benchmark {config.benchmark!r} has no prices; add it to [data] "
                    'symbols or use model = "constant_mean"'
                )
            market = returns[config.benchmark] if use_market else None
            row, window = _one_event(prices[asset], returns[asset], market, day0, config)
            rows.append({"event": event, "asset": asset, **row})
            aligned.append(window.assign(event=event, asset=asset))
    table = pd.DataFrame(rows)
    frame = pd.concat(aligned, ignore_index=True) if aligned else pd.DataFrame()
    front = ["event", "asset"]
    frame = frame[front + [c for c in frame.columns if c not in front]]
    return EventStudyResult(table=table, aligned=frame, config=config)


def bars_per_day(index: pd.DatetimeIndex) -> int:
    """Bars in one UTC day (1 for daily, 6 for 4-hour), from the most common bar spacing."""
    if len(index) < 2:
        raise InputError("event study: a price series needs at least two bars")
    spacing = pd.Series(np.diff(index.asi8)).mode().iloc[0]
    day = pd.Timedelta(days=1).value // pd.Timedelta(1, unit=index.unit).value
    if spacing <= 0 or day % spacing:
        raise InputError(
            f"event study: bars every {pd.Timedelta(int(spacing), unit=index.unit)} do not divide "
            "a day; use daily or intraday candles such as 4h"
        )
    return int(day // spacing)


def _log_returns(frame: pd.DataFrame, asset: str) -> pd.Series:
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.tz is None:
        raise InputError(f"event study: {asset} prices need a UTC DatetimeIndex")
    close = frame["close"].astype("float64")
    if (close <= 0).any():
        raise InputError(f"event study: {asset} has non-positive closes; check the stored data")
    return np.log(close).diff()


def _one_event(
    frame: pd.DataFrame,
    returns: pd.Series,
    market: pd.Series | None,
    day0: pd.Timestamp,
    config: AnalogsConfig,
) -> tuple[dict[str, object], pd.DataFrame]:
    index = frame.index
    per_day = bars_per_day(index)
    bar = pd.Timedelta(days=1) / per_day
    offsets = np.round((index - day0) / bar).astype(np.int64).to_numpy()
    days = np.floor_divide(offsets, per_day)  # day offset of each bar
    r = returns.to_numpy()
    r_m = market.reindex(index).to_numpy() if market is not None else None

    est = (days >= config.estimation_start_days) & (days <= config.estimation_end_days)
    est &= np.isfinite(r) if r_m is None else np.isfinite(r) & np.isfinite(r_m)
    fit = _fit_normal_model(r[est], None if r_m is None else r_m[est])
    if fit.n < MIN_ESTIMATION_DAYS * per_day:  # too little history: report no test at all
        fit = _NormalModel(alpha=np.nan, beta=np.nan, sigma2=np.nan, n=fit.n, dof=0)
    expected = fit.expected(r, r_m)
    abnormal = r - expected

    row: dict[str, object] = {
        "day0": day0.strftime("%Y-%m-%d"),
        "bars_per_day": per_day,
        "model": "market" if r_m is not None else "constant_mean",
        "n_estimation_bars": fit.n,
        "ar_sd_daily_pct": 100 * np.sqrt(fit.sigma2 * per_day) if fit.n else np.nan,
    }
    last_day = int(days[-1]) if len(days) else -1
    for horizon in config.car_horizons_days:
        in_car = (offsets >= 0) & (days <= horizon)
        row.update(_car_tests(horizon, abnormal, in_car, abnormal[est], fit, r_m, last_day))
    row.update(_before_after(frame, r, days, config.compare_days, per_day))
    window = (days >= config.window_start_days) & (days <= config.window_end_days)
    row["drawdown_after_pct"] = _drawdown_after_pct(frame["close"].to_numpy(), offsets, window)
    row["last_day_covered"] = index[window][-1].strftime("%Y-%m-%d") if window.any() else ""
    row["status"] = _status(fit.n, per_day, offsets, last_day, config.window_end_days)
    aligned = _aligned(frame, r, abnormal, offsets, per_day, window)
    return row, aligned


@dataclass(frozen=True)
class _NormalModel:
    """Fitted normal-return model of the estimation window."""

    alpha: float
    beta: float  # 0 for the constant mean
    sigma2: float
    n: int
    dof: int
    market_mean: float = np.nan
    market_ss: float = np.nan  # Σ_est (r_m - μ_m)²

    def expected(self, r: np.ndarray, r_m: np.ndarray | None) -> np.ndarray:
        if r_m is None:
            return np.full_like(r, self.alpha)
        return self.alpha + self.beta * r_m


def _fit_normal_model(r: np.ndarray, r_m: np.ndarray | None) -> _NormalModel:
    n = len(r)
    k = 1 if r_m is None else 2
    if n <= k + 1:
        return _NormalModel(alpha=np.nan, beta=np.nan, sigma2=np.nan, n=n, dof=0)
    if r_m is None:
        resid = r - r.mean()
        return _NormalModel(
            alpha=float(r.mean()), beta=0.0, sigma2=float(resid @ resid / (n - 1)), n=n, dof=n - 1
        )
    mean_m = float(r_m.mean())
    centred_m = r_m - mean_m
    ss = float(centred_m @ centred_m)
    beta = float(centred_m @ (r - r.mean()) / ss)
    alpha = float(r.mean() - beta * mean_m)
    resid = r - alpha - beta * r_m
    return _NormalModel(
        alpha=alpha,
        beta=beta,
        sigma2=float(resid @ resid / (n - 2)),
        n=n,
        dof=n - 2,
        market_mean=mean_m,
        market_ss=ss,
    )


def _car_tests(
    horizon: int,
    abnormal: np.ndarray,
    in_car: np.ndarray,
    residuals: np.ndarray,
    fit: _NormalModel,
    r_m: np.ndarray | None,
    last_day: int,
) -> dict[str, float]:
    key = f"car_{horizon}d"
    out = {f"{key}_pct": np.nan, f"{key}_t": np.nan, f"{key}_p": np.nan, f"{key}_rank_p": np.nan}
    values = abnormal[in_car]
    values = values[np.isfinite(values)]
    if last_day < horizon or not len(values) or fit.dof < 2:
        return out  # the data end before the horizon, or no estimation window: no number
    n_bars = len(values)
    car = float(values.sum())
    var = fit.sigma2 * (n_bars + n_bars**2 / fit.n)
    if r_m is not None:
        market_sum = float(np.nansum(r_m[in_car]))
        var += fit.sigma2 * (market_sum - n_bars * fit.market_mean) ** 2 / fit.market_ss
    out[f"{key}_pct"] = 100 * car
    if not var > 0:  # a flat estimation window has no variance to test against
        return out
    t_stat = car / np.sqrt(var)
    rank = stats.mannwhitneyu(values, residuals, alternative="two-sided")
    out[f"{key}_t"] = t_stat
    out[f"{key}_p"] = float(2 * stats.t.sf(abs(t_stat), fit.dof))
    out[f"{key}_rank_p"] = float(rank.pvalue)
    return out


def _before_after(
    frame: pd.DataFrame, r: np.ndarray, days: np.ndarray, span_days: int, per_day: int
) -> dict[str, float]:
    """Annualised volatility (%) and mean USD volume per day, before day 0 and from day 0 on."""
    before = (days >= -span_days) & (days < 0)
    after = (days >= 0) & (days < span_days)
    usd_volume = (frame["close"] * frame["volume"]).to_numpy()
    out: dict[str, float] = {}
    for label, mask in (("before", before), ("after", after)):
        values = r[mask]
        values = values[np.isfinite(values)]
        sd = float(values.std(ddof=1)) if len(values) > 1 else np.nan
        out[f"vol_{label}_pct_ann"] = 100 * sd * np.sqrt(DAYS_PER_YEAR * per_day)
        out[f"volume_{label}_usd_per_day"] = (
            float(usd_volume[mask].mean()) * per_day if mask.any() else np.nan
        )
    out["vol_ratio"] = out["vol_after_pct_ann"] / out["vol_before_pct_ann"]
    out["volume_ratio"] = out["volume_after_usd_per_day"] / out["volume_before_usd_per_day"]
    return out


def _drawdown_after_pct(close: np.ndarray, offsets: np.ndarray, window: np.ndarray) -> float:
    """Largest fall (%, <= 0) of the close from a running peak, from the start of day 0 on."""
    path = close[window & (offsets >= -1)]  # the bar before day 0 sets the starting level
    if len(path) < 2:
        return np.nan
    return float(100 * (path / np.maximum.accumulate(path) - 1).min())


def _status(n_est: int, per_day: int, offsets: np.ndarray, last_day: int, end_day: int) -> str:
    if not len(offsets) or offsets[-1] < 0 or not (offsets == 0).any():
        return "no data on day 0"
    if n_est < MIN_ESTIMATION_DAYS * per_day:
        return f"estimation window has {n_est} bars, too few for the tests"
    if last_day < end_day:
        return f"partial window: data end on day {last_day}"
    return "ok"


def _aligned(
    frame: pd.DataFrame,
    r: np.ndarray,
    abnormal: np.ndarray,
    offsets: np.ndarray,
    per_day: int,
    window: np.ndarray,
) -> pd.DataFrame:
    close = frame["close"].to_numpy()
    before = np.flatnonzero(offsets < 0)
    base = close[before[-1]] if len(before) else np.nan
    k = offsets[window]
    ar = abnormal[window]
    car = np.where(k >= 0, np.nancumsum(np.where(k >= 0, ar, 0.0)), np.nan)
    return pd.DataFrame(
        {
            "offset_bars": k,
            "offset_days": k / per_day,
            "timestamp": frame.index[window],
            "close": close[window],
            "log_return": r[window],
            "abnormal_return": ar,
            "price_rel": close[window] / base,
            "car_log": car,
        }
    )


__all__ = [
    "DEFAULT_EVENTS",
    "MODELS",
    "AnalogsConfig",
    "EventStudyResult",
    "bars_per_day",
    "event_study",
]
