"""Impact parameters estimated from the US spot-ETF net flows (the calibration).

Per asset, on UTC days from the first to the last day of its ETF-flow table, daily log returns
r_t = ln(C_t / C_{t-1}) are regressed on the same-day and lagged net flow F (US dollars,
buys positive) scaled as each impact model scales it (the regressor of its registry entry,
``backtest.sim.models``)::

    r_t = a + Σ_{j=0..L} b_j · x_{t-j} + e_t

    multiplier  x_t = F_t / MC_t                      b_0 -> M  (κ = M/MC per dollar)
    sqrt        x_t = σ_t · sign(F_t) · sqrt(|F_t|/V_t)  b_0 -> Y
    linear      x_t = F_t / $1e9                      b_0 -> λ per $1 billion

The square-root regressor is the first-day impact of a lone day's flow taken as a metaorder of
its size (the model's transient Y·σ·sqrt(F/V)); its permanent part Y·σ·F/V is smaller by a
factor sqrt(F/V), about 0.1 for ETF flows, and is left out of the regressor (kept as it was).

with MC_t = C_{t-1} × circulating supply (the previous close, so the scale does not contain
the return it explains), σ_t the sample std (ddof 1) of the ``volatility_window_days`` daily
log returns before day t, V_t the mean USD volume (close × base volume) of the
``volume_window_days`` days before t times ``volume_coverage`` (the venue sees only part of
the market). σ_t and V_t come from ``backtest.sim.market``, the functions the engine uses, so
a calibrated value plugs into the same model (a test pins the two together).
Standard errors are Newey-West (HAC, statsmodels ``cov_type="HAC"``, ``hac_max_lags_days``
lags), intervals normal.
``<param>_lag<j>d`` rows give b_j, ``<param>_cumulative`` Σ b_j.

Flows also follow prices: money chases returns, so a same-day slope mixes impact with
feedback and is an upper bound on impact more than an estimate of it. The reverse regression
F_t/$1e9 = c + Σ_{j=1..max(L,1)} d_j · r_{t-j} + e_t is shown beside it (``direction``
"flows_on_returns"); large d_j say the flows answer past returns.

Days without flows (weekends, US holidays: the ETFs do not trade, BTC and ETH do) stay in the
sample with zero flow (an assumption; they inform the intercept and the noise). Intraday
prices are summed to UTC days first (last close, summed volume; ``feeds.daily_from_intraday``,
which drops an unfinished last day).

A study uses a result through the grid token ``calibrated:<asset>_etf`` (e.g.
``multiplier = ["calibrated:btc_etf", 5]``): ``resolve_calibrated`` returns b_0 of the model
whose ``[impact]`` key is asked for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from backtest.analogs.config import AnalogsConfig
from backtest.analogs.event_study import bars_per_day
from backtest.sim import market
from backtest.sim.impact import DEFAULT_SUPPLY_COINS, DEFAULT_VOLUME_COVERAGE, ImpactConfig
from backtest.sim.models import SPECS
from feeds.etf_flows import TOTAL_COLUMN
from feeds.resample import daily_from_intraday
from flowimpact.errors import ConfigError, InputError
from flowimpact.units import USD_PER_BILLION

#: [impact] key -> (model, unit of the estimate)
PARAMETERS: Mapping[str, tuple[str, str]] = {
    spec.parameter_key: (spec.name, spec.unit) for spec in SPECS.values()
}
_ALIASES = {"m": "multiplier", "y": "sqrt_y", "lambda": "lambda_per_billion_usd"}
_TOKEN = re.compile(r"^calibrated:([A-Za-z0-9]+)_etf$")
MIN_OBSERVATIONS = 30
COLUMNS = (
    "asset", "model", "direction", "parameter", "estimate", "std_error", "ci_low", "ci_high",
    "p_value", "unit", "n_obs", "sample_start", "sample_end", "r_squared", "hac_max_lags_days",
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class CalibrationConfig:
    """How the calibration scales flows and estimates errors.

    Defaults are those of ``backtest.sim.impact.ImpactConfig`` (supply BTC 19.9M, ETH 120.7M coins,
    CoinGecko / ultrasound.money around 2025-08, held fixed: an assumption; volume coverage 10,
    an assumption; 30-day trailing windows, an assumption) and of ``AnalogsConfig`` (2 flow
    lags, 5 Newey-West lags); ``from_study`` takes them from a study's ``[impact]`` and
    ``[analogs]``. ``confidence`` is the level of the intervals (0.95).
    """

    supply_coins: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SUPPLY_COINS))
    # the engine's own defaults, so σ and V mean the same thing in both
    volume_coverage: float = DEFAULT_VOLUME_COVERAGE["binance"]
    volatility_window_days: int = ImpactConfig.volatility_window_days
    volume_window_days: int = ImpactConfig.volume_window_days
    flow_lags_days: int = AnalogsConfig.flow_lags_days
    hac_max_lags_days: int = AnalogsConfig.hac_max_lags_days
    confidence: float = 0.95

    def __post_init__(self) -> None:
        for asset, coins in self.supply_coins.items():
            if not (isinstance(coins, (int, float)) and math.isfinite(coins) and coins > 0):
                raise ConfigError(f"calibration: supply_coins.{asset} {coins!r} must be > 0")
        if not (math.isfinite(self.volume_coverage) and self.volume_coverage > 0):
            raise ConfigError(f"calibration: volume_coverage {self.volume_coverage!r} must be > 0")
        for key, low in (
            ("volatility_window_days", 2),
            ("volume_window_days", 1),
            ("flow_lags_days", 0),
            ("hac_max_lags_days", 0),
        ):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"calibration: {key} {value!r} must be a whole number >= {low}")
        if not 0 < self.confidence < 1:
            raise ConfigError(f"calibration: confidence {self.confidence!r} must be in (0, 1)")

    @classmethod
    def from_study(cls, study: object) -> CalibrationConfig:
        """The settings of a ``backtest.study.config.Study``: its ``[impact]`` and ``[analogs]``."""
        impact, analogs = study.impact, study.analogs  # type: ignore[attr-defined]
        return cls(
            supply_coins=dict(impact.circulating_supply),
            # the calibration reads the study's venue ([data] exchange)
            volume_coverage=impact.volume_coverage_for(study.data.exchange)[0],  # type: ignore[attr-defined]
            volatility_window_days=impact.volatility_window_days,
            volume_window_days=impact.volume_window_days,
            flow_lags_days=analogs.flow_lags_days,
            hac_max_lags_days=analogs.hac_max_lags_days,
        )


@dataclass(frozen=True)
class CalibrationResult:
    """``table`` is calibration.csv (columns ``COLUMNS``); ``value`` resolves a study token."""

    table: pd.DataFrame
    config: CalibrationConfig

    def value(self, token: str, param: str) -> float:
        return resolve_calibrated(token, param, self)


def calibrate(
    prices: Mapping[str, pd.DataFrame],
    etf_flows: Mapping[str, pd.DataFrame],
    config: CalibrationConfig | None = None,
) -> CalibrationResult:
    """Estimate M, Y and λ for every asset that has both prices and an ETF-flow table."""
    config = config or CalibrationConfig()
    assets = [asset for asset in etf_flows if asset in prices]
    if not assets:
        raise InputError(
            f"calibration: no asset has both prices ({', '.join(prices) or 'none'}) and ETF "
            f"flows ({', '.join(etf_flows) or 'none'}); import the Farside tables"
        )
    rows = []
    for asset in assets:
        inputs, sample = _daily_inputs(prices[asset], etf_flows[asset], asset, config)
        for param, (model, unit) in PARAMETERS.items():
            x = _scaled_flow(model, inputs)
            design = _lagged(x, range(config.flow_lags_days + 1), param)
            fitted = _hac_fit(inputs["return"], design, sample, config, asset)
            labels = _Labels(asset, model, "returns_on_flows", unit, config)
            rows += _rows(fitted, design.columns, labels)
            rows.append(_cumulative_row(fitted, f"{param}_cumulative", labels))
        reverse_lags = range(1, max(config.flow_lags_days, 1) + 1)
        design = _lagged(inputs["return"], reverse_lags, "flow_bn_on_return")
        flow_bn = inputs["flow_usd"] / USD_PER_BILLION
        fitted = _hac_fit(flow_bn, design, sample, config, asset)
        unit = "USD billion of flow per unit of log return"
        rows += _rows(
            fitted, design.columns, _Labels(asset, "reverse", "flows_on_returns", unit, config)
        )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return CalibrationResult(table=table, config=config)


def resolve_calibrated(token: str, param: str, result: CalibrationResult) -> float:
    """The same-day estimate b_0 that ``token`` (``calibrated:<asset>_etf``) gives ``param``.

    ``param`` is an ``[impact]`` key: ``multiplier`` (M), ``sqrt_y`` (Y) or
    ``lambda_per_billion_usd`` (λ); ``m``, ``y`` and ``lambda`` are accepted too. A negative
    estimate (flows that do not go with higher returns in the sample) is refused, since no
    impact model takes it.
    """
    match = _TOKEN.match(token.strip())
    if match is None:
        raise ConfigError(f"{token!r} is not a calibrated value; write calibrated:<asset>_etf")
    asset = match.group(1).upper()
    key = _ALIASES.get(param.lower(), param)
    if key not in PARAMETERS:
        raise ConfigError(
            f"{token}: {param!r} has no calibration; calibrated values exist for "
            f"{', '.join(PARAMETERS)}"
        )
    table = result.table
    hit = table[
        (table["asset"] == asset)
        & (table["direction"] == "returns_on_flows")
        & (table["parameter"] == key)
    ]
    if hit.empty:
        known = sorted(set(table["asset"]))
        raise ConfigError(
            f"{token}: no ETF-flow calibration for {asset} (calibrated: {', '.join(known)}); "
            f"import farside_{asset.lower()}_etf_flows_daily.csv"
        )
    estimate = float(hit["estimate"].iloc[0])
    if not estimate >= 0:
        raise ConfigError(
            f"{token}: the calibrated {key} is {estimate:.4g} (< 0: flows did not go with higher "
            "same-day returns in the sample); give a number instead"
        )
    return estimate


def daily_candles(frame: pd.DataFrame) -> pd.DataFrame:
    """Close and volume per UTC day: ``feeds.daily_from_intraday`` at the frame's bar spacing.

    Daily candles come back as given; an unfinished last intraday day is dropped.
    """
    return daily_from_intraday(frame[["close", "volume"]], bars_per_day(frame.index))


def _daily_inputs(
    candles: pd.DataFrame, flows: pd.DataFrame, asset: str, config: CalibrationConfig
) -> tuple[pd.DataFrame, tuple[pd.Timestamp, pd.Timestamp]]:
    if TOTAL_COLUMN not in flows.columns:
        raise InputError(f"calibration: the {asset} ETF-flow table has no {TOTAL_COLUMN} column")
    if asset not in config.supply_coins:
        raise ConfigError(f"[impact] circulating_supply has no entry for {asset}")
    daily = daily_candles(candles)
    close = daily["close"].astype("float64")
    log_return = np.log(close).diff()
    usd_volume = market.venue_volume_usd(close, daily["volume"].astype("float64"))
    flow = flows[TOTAL_COLUMN].astype("float64")
    flow.index = flow.index.normalize()
    # Before the first ETF day there were no ETF flows, and a day inside the table's span that
    # it does not list (weekends and holidays in Farside's website form) had none either: zero,
    # not unknown. Only days after the table's last day are unknown.
    flow_full = flow.reindex(daily.index)
    known_zero = (daily.index <= flow.index.max()) & flow_full.isna().to_numpy()
    flow_full = flow_full.mask(known_zero, 0.0)
    frame = pd.DataFrame(
        {
            "return": log_return,
            "flow_usd": flow_full,
            "market_cap_usd": close.shift(1) * float(config.supply_coins[asset]),
            "sigma": market.history_sigma(close, config.volatility_window_days),
            "volume_usd": market.history_volume_usd(
                usd_volume, config.volume_window_days, config.volume_coverage
            ),
        }
    )
    return frame, (flow.index.min(), flow.index.max())


def _scaled_flow(model: str, inputs: pd.DataFrame) -> pd.Series:
    return SPECS[model].regressor(
        inputs["flow_usd"], inputs["market_cap_usd"], inputs["sigma"], inputs["volume_usd"]
    )


def _lagged(series: pd.Series, lags: range, name: str) -> pd.DataFrame:
    return pd.DataFrame({_lag_name(name, lag): series.shift(lag) for lag in lags})


def _lag_name(name: str, lag: int) -> str:
    return name if lag == 0 else f"{name}_lag{lag}d"


@dataclass(frozen=True)
class _Fit:
    params: np.ndarray  # without the intercept
    cov: np.ndarray
    p_values: np.ndarray
    n_obs: int
    r_squared: float
    start: pd.Timestamp
    end: pd.Timestamp


def _hac_fit(
    y: pd.Series,
    design: pd.DataFrame,
    sample: tuple[pd.Timestamp, pd.Timestamp],
    config: CalibrationConfig,
    asset: str,
) -> _Fit:
    first, last = sample
    every_day = pd.concat([y.rename("y"), design], axis=1)
    data = every_day.loc[first:last].dropna()
    if len(data) < MIN_OBSERVATIONS:
        # the rows are the price days: prices that end before the flows do are missing after
        prices_end = every_day.index.max() if len(every_day) else pd.Timestamp(first)
        if prices_end < last:
            hint = (f"the stored prices end {prices_end.date()}, before the ETF flows' last day "
                    f"{pd.Timestamp(last).date()}: store prices after {prices_end.date()} "
                    "(flowimpact fetch, or import a newer file)")
        else:
            hint = f"store more prices before {pd.Timestamp(first).date()}"
        raise InputError(
            f"calibration: {asset} has {len(data)} days with flows, prices and trailing "
            f"statistics, fewer than {MIN_OBSERVATIONS}; {hint}"
        )
    # imported here, not at the top, and from its modules rather than statsmodels.api (which
    # loads the time-series models too: 0.32 s against 0.07 s): only a run that calibrates
    # needs it (the command line and the tests of everything else do not)
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    exog = add_constant(data[design.columns].to_numpy(dtype=float), has_constant="add")
    fit = OLS(data["y"].to_numpy(dtype=float), exog).fit(
        cov_type="HAC", cov_kwds={"maxlags": config.hac_max_lags_days}
    )
    return _Fit(
        params=np.asarray(fit.params)[1:],
        cov=np.asarray(fit.cov_params())[1:, 1:],
        p_values=np.asarray(fit.pvalues)[1:],
        n_obs=int(fit.nobs),
        r_squared=float(fit.rsquared),
        start=data.index[0],
        end=data.index[-1],
    )


@dataclass(frozen=True)
class _Labels:
    """What every row of one regression shares."""

    asset: str
    model: str
    direction: str
    unit: str
    config: CalibrationConfig


def _rows(fit: _Fit, names: pd.Index, labels: _Labels) -> list[dict[str, object]]:
    errors = np.sqrt(np.diag(fit.cov))
    return [
        _row(fit, labels, name, est, se, p)
        for name, est, se, p in zip(names, fit.params, errors, fit.p_values, strict=True)
    ]


def _cumulative_row(fit: _Fit, name: str, labels: _Labels) -> dict[str, object]:
    """Σ b_j over the same-day and lagged flows, with its HAC error sqrt(1'Σ1)."""
    estimate = float(fit.params.sum())
    se = float(np.sqrt(fit.cov.sum()))
    p = float(2 * ndtr(-abs(estimate / se))) if se > 0 else np.nan
    return _row(fit, labels, name, estimate, se, p)


def _row(
    fit: _Fit, labels: _Labels, parameter: str, estimate: float, se: float, p: float
) -> dict[str, object]:
    z = _z(labels.config.confidence)
    return {
        "asset": labels.asset,
        "model": labels.model,
        "direction": labels.direction,
        "parameter": parameter,
        "estimate": float(estimate),
        "std_error": float(se),
        "ci_low": float(estimate - z * se),
        "ci_high": float(estimate + z * se),
        "p_value": float(p),
        "unit": labels.unit,
        "n_obs": fit.n_obs,
        "sample_start": fit.start.strftime("%Y-%m-%d"),
        "sample_end": fit.end.strftime("%Y-%m-%d"),
        "r_squared": fit.r_squared,
        "hac_max_lags_days": labels.config.hac_max_lags_days,
    }


def _z(confidence: float) -> float:
    return float(ndtri(0.5 + confidence / 2))


__all__ = [
    "COLUMNS",
    "PARAMETERS",
    "CalibrationConfig",
    "CalibrationResult",
    "calibrate",
    "daily_candles",
    "resolve_calibrated",
]
