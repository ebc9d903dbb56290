"""The ETF flows that happened, run backwards through the engine's impact model: a hindcast.

For each asset with a stored ETF-flow table, over the table's span (its first to its last
listed day; a calendar day inside it that the table does not list had zero flow), the realized
daily closes are taken as the engine's impacted path P' and the engine is solved exactly for
the baseline B that would have produced them (``backtest.sim.inverse``, a recursion over the
span that steps the engine's own per-model functions)::

    κ = the model's per-dollar coefficient (``backtest.sim.models``), read once from the state
        before the span (MC_0 = B_{-1} × supply with B = P' before the first day, σ_0 and
        V_0 = coverage × the trailing mean of the realized venue volume)
    Π_t = Σ_{first ≤ s ≤ t} θ·κ·F_s,  the transient T_t with σ_t trailing on the implied B
    B_t = the model's equation for P'_t solved for B_t (``impact_steps.baseline_close``), e.g.
          B_t = P'_t − (Π_t + (1 − θ)·A_t) / supply under the multiplier
    I_t = ln(P'_t / B_t)                                               the attributed log impact

The flow of day s enters the close of day s (as in the engine, whose day-t flow moves the
day-t close). Days without flow add nothing to the permanent part, as in the engine.

Why the state is the implied baseline's: the engine reads only the baseline's state (its
closes, σ and volume), so the inverse must read the same numbers, and those are the no-ETF
path's, which the recursion has solved for the days before t when it reaches day t. Then
``run_engine(B, F)`` = P' implies ``hindcast(P', F)`` = B to rounding for every model
(tests/backtest/analogs/test_hindcast.py recovers the engine's I to 1e-9). Volume is taken
from the realized venue (flows do not change volume, the engine's assumption). G is the
engine's exponential-sum form of the kernel (``DecayKernel.exponential_terms``): exact for the
exponential kernel, the power law's fit (error bound in ``ExponentialTerms.max_abs_error``)
otherwise, stepped as the engine steps it. The anticipation share is left out: the hindcast
prices every flow on its own day.

Figures per asset and parameter value: ``realized_log_return_bps`` = ln(P'_last / P'_{first−1})
× 1e4 (the close on the last day over the close of the day before the first),
``attributed_log_impact_bps`` = I_last × 1e4, ``attributed_share_pct`` = I_last / realized ×
100, ``peak_log_impact_bps`` = max_t I_t × 1e4, ``implied_baseline_log_return_bps`` =
ln(B_last / B_{first−1}) × 1e4 = realized − attributed (B = P' before the first flow),
``note``: empty, or why the value has no implied path (its figures are then NaN): a value so
large that the implied baseline runs to zero (the flows' market value exceeds the realized
one), or no trailing volume.

The explaining value of each model is the parameter at which the flows alone explain the whole
realized move, I_last(value) = realized log return: the smallest such value, found by a
geometric scan and then ``scipy.optimize.brentq`` (``explaining_value``) on [0, high]
(``BRACKET_HIGH``, from the registry ``backtest.sim.models``: assumptions, ten times the
largest published multiplier, a hundred times the square-root law's Y of order 1, λ
equivalent to M = 1000 on the default λ's $2.3 trillion). No sign change on the bracket
gives NaN and the reason.
"""

from __future__ import annotations

import copy
import math
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import brentq

from backtest.sim import market
from backtest.sim.decay import decay_kernel
from backtest.sim.impact import ImpactConfig, impact_model
from backtest.sim.inverse import implied_baseline
from backtest.sim.models import SPECS
from flowimpact.config import number
from flowimpact.errors import InputError
from flowimpact.units import BPS_PER_UNIT

FloatArray = npt.NDArray[np.float64]
#: model -> its ``[impact]`` key (the registry's, ``backtest.sim.models``)
PARAMETER_KEY: Mapping[str, str] = {name: spec.parameter_key for name, spec in SPECS.items()}
#: top of the root-finding bracket per ``[impact]`` key (the registry's; module docstring)
BRACKET_HIGH: Mapping[str, float] = {
    spec.parameter_key: spec.bracket_high for spec in SPECS.values()
}
ROOT_METHOD = (
    "geometric scan for the first sign change, then scipy.optimize.brentq: "
    "I on last_day = realized log return"
)
#: values of the geometric scan of the bracket (``explaining_value``)
SCAN_POINTS = 61
#: geometric bisections of the scan step where the scan ends (the explaining value's, the
#: evidence's reach): the edge to a factor of 1.26^(2^-16), about 3.5e-6 of the value
EDGE_STEPS = 16
COLUMNS = (
    "asset", "model", "parameter", "value", "first_day", "last_day", "cum_flow_usd",
    "realized_log_return_bps", "attributed_log_impact_bps", "attributed_share_pct",
    "peak_log_impact_bps", "implied_baseline_log_return_bps", "note",
)  # fmt: skip
PATH_COLUMNS = (
    "day", "asset", "model", "value", "close_usd", "implied_close_usd", "log_impact_bps",
)  # fmt: skip
EXPLAINING_COLUMNS = (
    "asset", "model", "parameter", "first_day", "last_day", "realized_log_return_bps",
    "explaining_value", "bracket_low", "bracket_high", "method", "reason",
    "calibrated_token", "calibrated_value", "calibrated_note",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class RealizedSeries:
    """One asset's realized market over the hindcast span, and its ETF net flows.

    ``days`` are the span's UTC calendar days (first .. last listed day of the flow table);
    ``flow_usd``, ``close_usd`` (P') and ``volume_usd`` (venue USD volume, close × base volume)
    are float64 ``[day]``; ``prior_close_usd`` and ``prior_volume_usd`` hold the days before
    the first one (at least one: the close before the first flow), for the trailing statistics.
    """

    asset: str
    days: pd.DatetimeIndex
    flow_usd: FloatArray
    close_usd: FloatArray
    volume_usd: FloatArray
    prior_close_usd: FloatArray
    prior_volume_usd: FloatArray
    venue: str | None = None  # ccxt id of the venue of the prices (None: not known)

    @property
    def realized_log_return(self) -> float:
        """ln(close on the last day / close on the day before the first)."""
        return float(np.log(self.close_usd[-1] / self.prior_close_usd[-1]))


@dataclass(frozen=True)
class Candidate:
    """One impact config to hindcast an asset with; ``source`` says where its value came from."""

    impact: ImpactConfig
    source: str = "study"

    @property
    def parameter(self) -> str:
        return PARAMETER_KEY[self.impact.model]

    @property
    def value(self) -> float:
        return float(getattr(self.impact, self.parameter))


@dataclass(frozen=True)
class Calibrated:
    """The calibrated value of one model's parameter for one asset, or why there is none."""

    token: str
    value: float = math.nan
    note: str = ""


@dataclass(frozen=True, eq=False)
class HindcastResult:
    """``table`` is hindcast.csv, ``paths`` hindcast_paths.csv, ``explaining`` the roots.

    ``explaining`` (hindcast_explaining.csv) has one row per asset and model: the parameter value
    at which the flows alone explain the whole realized move (NaN and ``reason`` without a
    root), the bracket searched, and the calibrated value beside it (``calibrated_token``).
    """

    table: pd.DataFrame
    paths: pd.DataFrame
    explaining: pd.DataFrame


def realized_series(
    asset: str,
    daily: pd.DataFrame,
    flows: pd.DataFrame,
    *,
    prior_days: int = 1,
    venue: str | None = None,
) -> RealizedSeries:
    """The span of ``flows`` (a stored ETF-flow table: UTC-day index, ``total_usd``) on ``daily``.

    ``daily`` holds ``close`` and ``volume`` (base units) per UTC day. Every day from
    ``prior_days`` before the first listed day to the last one needs a close; InputError
    naming the first day without one otherwise.
    """
    if "total_usd" not in flows.columns or flows.empty:
        raise InputError(f"the {asset} ETF-flow table has no total_usd rows; import it again")
    total = flows["total_usd"].astype("float64")
    total.index = _utc_days(total.index)
    if total.isna().any():
        missing = total.index[total.isna()][0].date()
        raise InputError(f"the {asset} ETF-flow table has no total on {missing}; import it again")
    total = total.groupby(level=0).sum()
    days = pd.date_range(total.index.min(), total.index.max(), freq="D", name="date")
    every = pd.date_range(days[0] - pd.Timedelta(days=prior_days), days[-1], freq="D")
    market = pd.DataFrame(
        {"close": daily["close"].to_numpy(float), "volume": daily["volume"].to_numpy(float)},
        index=_utc_days(daily.index),
    )
    market = market[~market.index.duplicated(keep="last")].reindex(every)
    gone = market.index[~(market["close"] > 0)]
    if len(gone):
        raise InputError(
            f"no {asset} close on {gone[0].date()}: the hindcast of the {asset} ETF flows "
            f"({days[0].date()}..{days[-1].date()}) needs every day's close from "
            f"{every[0].date()} on; fetch or import those prices"
        )
    close = market["close"].to_numpy(float)
    usd_volume = close * np.nan_to_num(market["volume"].to_numpy(float))
    return RealizedSeries(
        asset=asset,
        days=days,
        flow_usd=total.reindex(days, fill_value=0.0).to_numpy(float),
        close_usd=close[prior_days:],
        volume_usd=usd_volume[prior_days:],
        prior_close_usd=close[:prior_days],
        prior_volume_usd=usd_volume[:prior_days],
        venue=venue,
    )


def _utc_days(index: pd.Index) -> pd.DatetimeIndex:
    days = pd.DatetimeIndex(index)
    days = days.tz_localize("UTC") if days.tz is None else days.tz_convert("UTC")
    return days.normalize()


def prior_days_needed(impacts: Sequence[ImpactConfig]) -> int:
    """Days before the span that the trailing σ and V of these configs read (1 at least)."""
    needs = [
        market.days_needed(c.volatility_window_days, c.volume_window_days)
        for c in impacts
        if impact_model(c).reads_sigma_and_volume
    ]
    return max([1, *needs])


def log_impact(series: RealizedSeries, impact: ImpactConfig) -> tuple[FloatArray, FloatArray]:
    """``(u, I)`` per day of the span: u_t = κ_t·F_t and the cumulative log impact I_t.

    The exact inverse of the engine (module docstring, ``backtest.sim.inverse``). InputError
    when a day's impact is not finite (zero trailing volume under the square-root law).
    """
    model = impact_model(impact)
    volume = (
        _market_volume(series, impact) if model.reads_sigma_and_volume
        else np.zeros(series.days.size)
    )  # fmt: skip
    solved = implied_baseline(
        code=int(model.code),
        parameter=model.parameter,
        permanent_share=impact.permanent_share,
        supply_coins=impact.supply_coins(series.asset),
        terms=decay_kernel(impact).exponential_terms(series.days.size),
        volatility_window_days=impact.volatility_window_days,
        prior_close_usd=series.prior_close_usd,
        close_usd=series.close_usd,
        flow_usd=series.flow_usd,
        market_volume_usd=volume,
    )
    bad = ~np.isfinite(solved.log_impact)
    if bad.any():
        day = series.days[int(np.argmax(bad))].date()
        key = PARAMETER_KEY[impact.model]
        raise InputError(
            f"{series.asset} {day}: the {impact.model} model with {key} = "
            f"{getattr(impact, key):g} gives no finite impact (the implied no-ETF close runs "
            "to zero under this value, or there is no trailing volume); lower the value or "
            "check the stored volumes"
        )
    return solved.instant_log_impact, solved.log_impact


def _market_volume(series: RealizedSeries, impact: ImpactConfig) -> FloatArray:
    """Market-wide V on every day of the span from the realized venue volume (``market``)."""
    needed = market.days_needed(impact.volatility_window_days, impact.volume_window_days)
    if series.prior_close_usd.size < needed:
        raise InputError(
            f"{series.asset}: the {impact.model} hindcast needs {needed} days of prices before "
            f"{series.days[0].date()}, {series.prior_close_usd.size} are loaded"
        )

    coverage, _ = impact.volume_coverage_for(series.venue)
    return market.market_volume_usd.py_func(
        _trailing_venue_volume(series, impact.volume_window_days), coverage
    )


#: series -> window days -> its trailing venue volume (read-only)
_VENUE_VOLUME: weakref.WeakKeyDictionary[RealizedSeries, dict[int, FloatArray]] = (
    weakref.WeakKeyDictionary()
)


def _trailing_venue_volume(series: RealizedSeries, window_days: int) -> FloatArray:
    """The realized venue volume's trailing mean, once per series and window.

    It does not depend on the model's parameter, and the root finders evaluate thousands of
    values on one series: computed once, it is shared (the same array every time, so the
    same numbers).
    """
    by_window = _VENUE_VOLUME.setdefault(series, {})
    if window_days not in by_window:

        def cube(values: FloatArray) -> FloatArray:
            return np.ascontiguousarray(values, dtype=np.float64)[None, :, None]

        volume = market.trailing_venue_volume_usd(
            cube(series.prior_volume_usd), cube(series.volume_usd), window_days
        )[0, :, 0]
        volume.flags.writeable = False
        by_window[window_days] = volume
    return by_window[window_days]


def implied_baseline_usd(series: RealizedSeries, cumulative_log_impact: FloatArray) -> FloatArray:
    """B_t = P'_t · exp(−I_t): the closes without the flows, under the model that gave I."""
    return series.close_usd * np.exp(-cumulative_log_impact)


def explaining_value(
    series: RealizedSeries, impact: ImpactConfig
) -> tuple[float, float, float, str]:
    """``(value, low, high, reason)``: the smallest parameter at which I_last = the realized move.

    I_last(value) rises with the value under the multiplier and the linear model (until the
    implied baseline reaches zero); under the square-root law it need not over a wide bracket:
    the transient reads σ of the implied path, which a large value makes collapse and swing.
    So [low, high] is scanned on a
    geometric grid (``SCAN_POINTS`` values from high·1e-6 up to high) for the first sign change
    of I_last(value) − realized, which ``scipy.optimize.brentq`` then closes in on; NaN and
    the reason when the scan finds none. A value whose impact is not finite ends the scan,
    after ``EDGE_STEPS`` geometric bisections of that last step for a root inside it.
    """
    key = PARAMETER_KEY[impact.model]
    low, high = 0.0, BRACKET_HIGH[key]
    realized = series.realized_log_return

    def residual(value: float) -> float:
        try:
            return float(log_impact(series, with_parameter(impact, value))[1][-1]) - realized
        except InputError:
            return math.nan

    at_low = residual(low)
    if at_low == 0.0:
        return low, low, high, ""

    def root_between(below: float, value: float) -> tuple[float, float, float, str]:
        return float(brentq(residual, below, value, xtol=1e-12 * value)), low, high, ""

    below, at_below = low, at_low
    for value in np.geomspace(high * 1e-6, high, SCAN_POINTS):
        at_value = residual(float(value))
        if not math.isfinite(at_value):
            # the root can sit inside the step where the implied close first runs to zero
            # (the additive models near the edge of what they can explain): bisect the step
            finite, gone = below, float(value)
            for _ in range(EDGE_STEPS):
                middle = math.sqrt(finite * gone) if finite > 0.0 else gone / 2.0
                at_middle = residual(middle)
                if not math.isfinite(at_middle):
                    gone = middle
                elif at_middle * at_low <= 0:
                    return root_between(finite, middle)
                else:
                    finite, at_below = middle, at_middle
            below = finite
            break
        if at_value * at_low <= 0:
            return root_between(below, float(value))
        below, at_below = float(value), at_value
    lo_bps, hi_bps = (realized + at_low) * BPS_PER_UNIT, (realized + at_below) * BPS_PER_UNIT
    reason = (
        f"no root: on [{low:g}, {below:g}] the flows give {lo_bps:+.0f} to {hi_bps:+.0f} bps "
        f"on {series.days[-1].date()}, the realized move is {realized * BPS_PER_UNIT:+.0f} bps"
    )
    return math.nan, low, high, reason


def with_parameter(impact: ImpactConfig, value: float) -> ImpactConfig:
    """``impact`` with its model's parameter (M, Y or λ per $1 bn) set to ``value``.

    ``dataclasses.replace(impact, key=value)``, but the root finders call it thousands of
    times and ``ImpactConfig`` checks every field when it is built: the other fields were
    checked when ``impact`` was, so only the new value is checked (as ``ImpactConfig`` checks
    it, the same ConfigError) and the rest is copied.
    """
    key = PARAMETER_KEY[impact.model]
    number("impact", key, value, low=0.0)
    changed = copy.copy(impact)
    object.__setattr__(changed, key, value)
    return changed


def hindcast(
    series: Mapping[str, RealizedSeries],
    candidates: Mapping[str, Sequence[Candidate]],
    calibrated: Mapping[str, Mapping[str, Calibrated]] | None = None,
) -> HindcastResult:
    """Every asset of ``series`` under each of its ``candidates``; the tables of the hindcast.

    ``calibrated[asset][model]`` (optional) is set beside the explaining value in
    ``explaining``; the candidates should already hold its value when it has one.
    """
    rows, paths, explaining = [], [], []
    for asset, realized in series.items():
        span = (realized.days[0].strftime("%Y-%m-%d"), realized.days[-1].strftime("%Y-%m-%d"))
        realized_bps = realized.realized_log_return * BPS_PER_UNIT
        first_of_model: dict[str, Candidate] = {}
        for candidate in candidates.get(asset, ()):
            first_of_model.setdefault(candidate.impact.model, candidate)
            try:
                _, cumulative = log_impact(realized, candidate.impact)
                row_note = ""
            except InputError as exc:  # this value has no implied path: say so in its row
                cumulative, row_note = np.full(realized.days.size, math.nan), str(exc)
            attributed_bps = float(cumulative[-1]) * BPS_PER_UNIT
            rows.append(
                {
                    "asset": asset,
                    "model": candidate.impact.model,
                    "parameter": candidate.parameter,
                    "value": candidate.value,
                    "first_day": span[0],
                    "last_day": span[1],
                    "cum_flow_usd": float(realized.flow_usd.sum()),
                    "realized_log_return_bps": realized_bps,
                    "attributed_log_impact_bps": attributed_bps,
                    "attributed_share_pct": _share_pct(attributed_bps, realized_bps),
                    "peak_log_impact_bps": float(cumulative.max()) * BPS_PER_UNIT,
                    "implied_baseline_log_return_bps": realized_bps - attributed_bps,
                    "note": row_note,
                }
            )
            paths.append(_path_rows(realized, candidate, cumulative))
        for model, candidate in first_of_model.items():
            value, low, high, reason = explaining_value(realized, candidate.impact)
            note = (calibrated or {}).get(asset, {}).get(model)
            explaining.append(
                {
                    "asset": asset,
                    "model": model,
                    "parameter": candidate.parameter,
                    "first_day": span[0],
                    "last_day": span[1],
                    "realized_log_return_bps": realized_bps,
                    "explaining_value": value,
                    "bracket_low": low,
                    "bracket_high": high,
                    "method": ROOT_METHOD,
                    "reason": reason,
                    "calibrated_token": note.token if note else "",
                    "calibrated_value": note.value if note else math.nan,
                    "calibrated_note": note.note if note else "",
                }
            )
    path_frame = (
        pd.concat(paths, ignore_index=True) if paths else pd.DataFrame(columns=list(PATH_COLUMNS))
    )
    return HindcastResult(
        table=pd.DataFrame(rows, columns=list(COLUMNS)),
        paths=path_frame,
        explaining=pd.DataFrame(explaining, columns=list(EXPLAINING_COLUMNS)),
    )


def _share_pct(attributed_bps: float, realized_bps: float) -> float:
    return math.nan if realized_bps == 0 else attributed_bps / realized_bps * 100.0


def _path_rows(
    realized: RealizedSeries, candidate: Candidate, cumulative: FloatArray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": realized.days.strftime("%Y-%m-%d"),
            "asset": realized.asset,
            "model": candidate.impact.model,
            "value": candidate.value,
            "close_usd": realized.close_usd,
            "implied_close_usd": implied_baseline_usd(realized, cumulative),
            "log_impact_bps": cumulative * BPS_PER_UNIT,
        },
        columns=list(PATH_COLUMNS),
    )


__all__ = [
    "BRACKET_HIGH",
    "COLUMNS",
    "EXPLAINING_COLUMNS",
    "PARAMETER_KEY",
    "PATH_COLUMNS",
    "Calibrated",
    "Candidate",
    "HindcastResult",
    "RealizedSeries",
    "explaining_value",
    "hindcast",
    "implied_baseline_usd",
    "log_impact",
    "prior_days_needed",
    "realized_series",
    "with_parameter",
]
