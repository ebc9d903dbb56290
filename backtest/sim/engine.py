"""The event-driven impact engine: every scenario and path stepped through time at once.

``run_engine`` turns the configs into flat arrays and calls one numba kernel
(``backtest.sim.kernels.simulate_impact``) whose time loop runs over all (scenario, path) columns
in parallel; no Python loop runs per scenario or per day. Events on each day, in order: the
bar (baseline B_t), payday flows (exogenous flows from ``strategies.inflow`` and the sleeve's
contributions), sleeve rebalances, the announcement (anticipation). Rule milestones shape the
exogenous flow schedule itself (the inflow model dates them), so they reach the engine as
flows.

The models (``backtest.sim.models``) read only the BASELINE's state, never the impacted path:
σ_t and V_t are trailing statistics of the baseline over days t-w .. t-1 (the baseline is what
the market does anyway; impact does not feed back into volatility or volume, an assumption) and
the market cap is MC_t = B_t × supply. Since σ and V depend on the baseline alone, a run builds
them once for its whole grid (``MarketWindows``) and every chunk's engine reads them. A
model's per-dollar coefficient κ is one number per path and asset over the window, read from
the baseline's state before the first day: the permanent impact θ·κ·C_t depends on the
cumulative dollars C_t alone, flows that net to zero leave none, and the hindcast can invert
the engine exactly (``backtest.sim.inverse``). The sleeve's weights use the previous day's
impacted close (what the fund holds is worth that).

Anticipation: with share α, J = α·θ·κ·Σ_{s>a} F_s (the scheduled flows' permanent impact) is
added to the permanent stock from the announcement day a on, and every later flow keeps only
θ(1 − α) as its permanent part; so if flows come as planned the long-run permanent impact is
unchanged, only brought forward. An announcement outside the study window has no anticipation
in it.

Outputs: the engine is bound by the memory it writes (five float64 numbers per cell at most),
so it fills only the arrays the caller names in ``outputs``; the study needs ``close_usd``,
``flow_usd`` and ``log_impact`` (the default); ``instant_log_impact`` (u_t = κ·F_t, in the
model's unit: log price under ``linear``, USD of market value otherwise) and
``permanent_log_impact`` (the part of I_t that never decays, as a log move) are there for
tests and diagnostics; ``permanent_log_impact_at_horizon`` is that part on the last day only,
one number per column, which the study reports beside I_T (the rest of I_T is the transient of
buying still under way, which a finite horizon sees and a longer one would not), and
``log_impact_at_horizon`` is I_T alone. A run that asks only for these last-day outputs
runs the kernel's horizon mode: the day's log and exp on the last day only, the same numbers
bit for bit (``backtest.sim.kernels.simulate_impact``); the sensitivity analysis's default
outputs need nothing more. Without a sleeve such a run goes further
(``backtest.sim.horizon_kernel``): the state that no path changes (the decay accumulator, and
J + Π where κ is the model's parameter) is stepped once per scenario instead of once per path.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.sim import horizon_kernel, kernels, market
from backtest.sim.baseline import BaselinePaths
from backtest.sim.decay import decay_kernel
from backtest.sim.impact import ImpactConfig, coverage_table, impact_model
from backtest.sim.workspace import Workspace
from flowimpact.errors import ConfigError, InputError

FloatArray = npt.NDArray[np.float64]
#: every array the engine can fill, in the kernel's order
ENGINE_OUTPUTS = (
    "close_usd", "flow_usd", "log_impact", "instant_log_impact", "permanent_log_impact",
)  # fmt: skip
#: outputs of one number per column ``[scenario, path, asset]``, not one per day
HORIZON_OUTPUTS = ("permanent_log_impact_at_horizon", "log_impact_at_horizon")
#: everything ``run_engine(outputs=...)`` can name, in the kernel's order
ALL_OUTPUTS = ENGINE_OUTPUTS + HORIZON_OUTPUTS
#: what the study reads (summary: flow_usd and log_impact; report: close_usd)
DEFAULT_OUTPUTS = ("close_usd", "flow_usd", "log_impact")


@dataclass(frozen=True, kw_only=True, eq=False)
class SleeveArrays:
    """A balanced fund holding a fixed crypto weight per scenario (see the module docstring).

    ``target_weight[scenario, asset]`` (fractions, sum <= 1), ``initial_fund_usd[scenario]``
    bought at the targets on ``start_day_index[scenario]``, ``contribution_usd[scenario, day]``
    invested at the targets each day, ``rebalance_day[scenario, day]`` calendar rebalances, and
    ``drift_band[scenario]`` the absolute weight drift that also triggers one (inf: calendar
    only). Non-crypto holdings stay flat except for contributions and rebalance cash (an
    assumption: they are the fund's ballast, their returns do not drive crypto trades).
    """

    target_weight: FloatArray
    initial_fund_usd: FloatArray
    contribution_usd: FloatArray
    rebalance_day: npt.NDArray[np.bool_]
    drift_band: FloatArray
    start_day_index: npt.NDArray[np.int64]

    def checked(self, n_scenarios: int, n_days: int, n_assets: int) -> SleeveArrays:
        """Contiguous typed copies after checking shapes and values; InputError otherwise."""
        shapes = {
            "target_weight": (n_scenarios, n_assets),
            "initial_fund_usd": (n_scenarios,),
            "contribution_usd": (n_scenarios, n_days),
            "rebalance_day": (n_scenarios, n_days),
            "drift_band": (n_scenarios,),
            "start_day_index": (n_scenarios,),
        }
        for name, shape in shapes.items():
            if np.shape(getattr(self, name)) != shape:
                raise InputError(
                    f"sleeve {name} has shape {np.shape(getattr(self, name))}, expected {shape}"
                )
        weight = np.ascontiguousarray(self.target_weight, dtype=np.float64)
        if np.any(weight < 0) or np.any(weight.sum(axis=1) > 1.0 + 1e-12):
            raise InputError("sleeve target_weight must be >= 0 and sum to at most 1 per scenario")
        band = np.ascontiguousarray(self.drift_band, dtype=np.float64)
        if np.any(np.isnan(band)) or np.any(band < 0):
            raise InputError("sleeve drift_band must be >= 0 (inf for calendar rebalancing only)")
        money = (self.initial_fund_usd, self.contribution_usd)
        if any(not np.all(np.isfinite(m)) for m in money):
            raise InputError("sleeve initial_fund_usd and contribution_usd must be finite")
        return SleeveArrays(
            target_weight=weight,
            initial_fund_usd=np.ascontiguousarray(self.initial_fund_usd, dtype=np.float64),
            contribution_usd=np.ascontiguousarray(self.contribution_usd, dtype=np.float64),
            rebalance_day=np.ascontiguousarray(self.rebalance_day, dtype=np.bool_),
            drift_band=band,
            start_day_index=np.ascontiguousarray(self.start_day_index, dtype=np.int64),
        )


@dataclass(frozen=True, eq=False)
class EngineResult:
    """Impacted paths, all float64 ``[scenario, path, day, asset]``.

    ``close_usd`` P'_t; ``flow_usd`` total net flow (exogenous + sleeve); ``log_impact`` I_t
    (so P'_t = B_t · exp(I_t)); ``instant_log_impact`` u_t = κ·F_t in the model's unit;
    ``permanent_log_impact`` the anticipation and the permanent part as a log move;
    ``permanent_log_impact_at_horizon`` ``[scenario, path, asset]`` the same on the last day
    alone (what the study's figures read, without a day axis in memory) and
    ``log_impact_at_horizon`` ``[scenario, path, asset]`` I_T, the last day of ``log_impact``.
    An array the run was not asked for (``run_engine(outputs=...)``) is None.
    """

    days: pd.DatetimeIndex
    assets: tuple[str, ...]
    close_usd: FloatArray | None
    flow_usd: FloatArray | None
    log_impact: FloatArray | None
    instant_log_impact: FloatArray | None
    permanent_log_impact: FloatArray | None
    permanent_log_impact_at_horizon: FloatArray | None = None
    log_impact_at_horizon: FloatArray | None = None

    def array(self, name: str) -> FloatArray:
        """One output by name; an error naming the ``outputs=`` to ask for when it was left out."""
        value = getattr(self, name)
        if value is None:
            raise ValueError(f"the engine ran without {name!r}: pass outputs=(..., {name!r})")
        return value


def run_engine(
    baseline: BaselinePaths,
    flow_usd: npt.ArrayLike,
    impacts: Sequence[ImpactConfig],
    sleeve: SleeveArrays | None = None,
    announcement_day_index: int = -1,
    *,
    outputs: Collection[str] = DEFAULT_OUTPUTS,
    windows: MarketWindows | None = None,
    workspace: Workspace | None = None,
) -> EngineResult:
    """Impacted prices for every scenario (flows + impact config) on every baseline path.

    ``flow_usd[scenario, day, asset]`` are exogenous net flows in USD on ``baseline.days``;
    ``impacts`` holds one ImpactConfig per scenario; ``announcement_day_index`` is the
    announcement's index in ``baseline.days`` (-1 or out of range: none in the window).
    ``outputs`` names the EngineResult arrays to fill (any of ``ALL_OUTPUTS``); the others
    are None and cost neither memory nor time. ``windows`` (``market_windows`` of this
    baseline, for windows that include every scenario's) spares the trailing σ and volume,
    which depend on the baseline alone: a run computes them once for all its chunks; the
    numbers are the same as without. ``workspace`` (``backtest.sim.workspace``) gives the
    output arrays instead of fresh ones, so a run's chunks fault their pages in once: the
    result's arrays are then views of its buffers, valid until the workspace's next run; the
    kernel writes every cell of each output it fills, so the numbers are the same as without.
    """
    write = _output_mask(outputs)
    flows = np.ascontiguousarray(flow_usd, dtype=np.float64)
    n_paths, n_days, n_assets = baseline.close_usd.shape
    if flows.ndim != 3 or flows.shape[1:] != (n_days, n_assets):
        raise InputError(
            f"flow_usd has shape {flows.shape}, expected [scenario, {n_days} days, "
            f"{n_assets} assets] to match the baseline"
        )
    n_scenarios = flows.shape[0]
    if len(impacts) != n_scenarios:
        raise InputError(f"{len(impacts)} impact configs for {n_scenarios} flow scenarios")
    if not np.all(np.isfinite(flows)):
        raise InputError("flow_usd holds NaN or infinite values; check the inflow schedule")
    if windows is None:
        windows = market_windows(baseline, impacts)
    elif windows.sigma.shape[1:] != baseline.close_usd.shape:
        raise InputError(
            f"market windows of shape {windows.sigma.shape[1:]} for a baseline of shape "
            f"{baseline.close_usd.shape}: build them from this baseline (market_windows)"
        )
    params = _scenario_parameters(impacts, baseline, windows)
    market_arrays = kernels.Market(
        close_usd=np.ascontiguousarray(baseline.close_usd, dtype=np.float64),
        prior_close_usd=np.ascontiguousarray(baseline.prior_close_usd[:, -1, :], dtype=np.float64),
        sigma=windows.sigma,
        venue_volume_usd=windows.venue_volume_usd,
    )
    sleeve_params = _sleeve_params(sleeve, n_scenarios, n_days, n_assets)
    planned = _planned_flows(flows, sleeve_params, int(announcement_day_index))
    shapes: list[tuple[int, ...]] = [(n_scenarios, n_paths, n_days, n_assets)] * len(ENGINE_OUTPUTS)
    shapes += [(n_scenarios, n_paths, n_assets)] * len(HORIZON_OUTPUTS)
    out = [
        _output_array(workspace, name, shape if wanted else (0,) * len(shape))
        for name, shape, wanted in zip(ALL_OUTPUTS, shapes, write, strict=True)
    ]
    flow_arrays = kernels.Flows(
        flow_usd=flows,
        planned_sum=np.ascontiguousarray(planned.sum(axis=1)),
        announcement_day=int(announcement_day_index),
    )
    if sleeve is None and not write[: len(ENGINE_OUTPUTS)].any():
        # last-day outputs alone: the path-free state once per scenario, the same numbers
        n_bad = horizon_kernel.simulate_horizon(
            market_arrays, flow_arrays, params.impact, params.decay, kernels.Outputs(write, *out)
        )
    else:
        n_bad = kernels.simulate_impact(
            market_arrays,
            flow_arrays,
            params.impact,
            params.decay,
            sleeve_params,
            kernels.Outputs(write, *out),
        )
    if n_bad:
        raise InputError(
            f"{n_bad} cell-day(s) have no finite impact: zero trailing volume under the "
            "square-root law, net sales worth more than the market (multiplier or square-root "
            "law), or an unknown model code; check the volumes, prices and flows"
        )
    kept = [array if wanted else None for array, wanted in zip(out, write, strict=True)]
    return EngineResult(baseline.days, baseline.assets, *kept)


def _output_array(
    workspace: Workspace | None, name: str, shape: tuple[int, ...]
) -> FloatArray:
    """An output the kernel fills in full: from the workspace when there is one, else fresh."""
    if workspace is None or not all(shape):
        return np.empty(shape)
    return workspace.array(f"engine.{name}", shape)


def _output_mask(outputs: Collection[str]) -> npt.NDArray[np.bool_]:
    """``[7]`` bools in ALL_OUTPUTS order; InputError for an unknown or empty selection."""
    if isinstance(outputs, str):
        outputs = (outputs,)
    unknown = sorted(set(outputs) - set(ALL_OUTPUTS))
    if unknown or not outputs:
        allowed = ", ".join(ALL_OUTPUTS)
        raise InputError(f"run_engine outputs {sorted(outputs)!r}: name one or more of {allowed}")
    return np.array([name in outputs for name in ALL_OUTPUTS], dtype=np.bool_)


def _sleeve_params(
    sleeve: SleeveArrays | None, n_scenarios: int, n_days: int, n_assets: int
) -> kernels.SleeveParams:
    """The checked sleeve as kernel arrays; without a sleeve, inactive zero arrays."""
    if sleeve is None:
        return kernels.SleeveParams(
            active=False,
            target_weight=np.zeros((n_scenarios, n_assets)),
            initial_fund_usd=np.zeros(n_scenarios),
            contribution_usd=np.zeros((n_scenarios, n_days)),
            rebalance_day=np.zeros((n_scenarios, n_days), dtype=np.bool_),
            drift_band=np.full(n_scenarios, np.inf),
            start_day=np.full(n_scenarios, n_days, dtype=np.int64),
        )
    checked = sleeve.checked(n_scenarios, n_days, n_assets)
    return kernels.SleeveParams(
        active=True,
        target_weight=checked.target_weight,
        initial_fund_usd=checked.initial_fund_usd,
        contribution_usd=checked.contribution_usd,
        rebalance_day=checked.rebalance_day,
        drift_band=checked.drift_band,
        start_day=checked.start_day_index,
    )


def _planned_flows(
    flows: FloatArray, sleeve: kernels.SleeveParams, announcement_day: int
) -> FloatArray:
    """``[scenario, day, asset]`` USD flows scheduled after the announcement day, else 0.

    What the market is told to expect: the exogenous flows plus the sleeve's start-day purchase
    (weight × initial fund) and its contributions (weight × contribution), not its rebalancing
    trades, which depend on prices nobody knows at the announcement.
    """
    n_days = flows.shape[1]
    planned = np.zeros_like(flows)
    if not 0 <= announcement_day < n_days:
        return planned
    later = slice(announcement_day + 1, None)
    planned[:, later] = flows[:, later]
    if sleeve.active:
        day = np.arange(n_days)
        start = sleeve.start_day[:, None]
        invested = np.where(day >= start, sleeve.contribution_usd, 0.0)
        invested += np.where(day == start, sleeve.initial_fund_usd[:, None], 0.0)
        planned[:, later] += sleeve.target_weight[:, None, :] * invested[:, later, None]
    return planned


@dataclass(frozen=True, eq=False)
class MarketWindows:
    """The baseline's trailing σ and mean venue USD volume for some windows, ``[window slot,
    path, day, asset]`` (slot k is ``sigma_windows[k]`` / ``volume_windows[k]``).

    They depend on the baseline alone (impact never feeds back into them), so a run builds
    them once for the union of its grid's windows (``market_windows``) and every chunk's
    engine reads them (``run_engine(windows=...)``) instead of computing them again.
    """

    sigma_windows: tuple[int, ...]
    volume_windows: tuple[int, ...]
    sigma: FloatArray
    venue_volume_usd: FloatArray

    @property
    def nbytes(self) -> int:
        return int(self.sigma.nbytes + self.venue_volume_usd.nbytes)


def market_windows(baseline: BaselinePaths, impacts: Sequence[ImpactConfig]) -> MarketWindows:
    """Trailing σ and volume of ``baseline`` for every distinct window of ``impacts``.

    ConfigError when a window needs more days before the study start than the baseline keeps.
    """
    _check_warmup(impacts, baseline)
    sigma_windows = tuple(sorted({c.volatility_window_days for c in impacts}))
    volume_windows = tuple(sorted({c.volume_window_days for c in impacts}))
    return MarketWindows(
        sigma_windows=sigma_windows,
        volume_windows=volume_windows,
        sigma=_per_window(baseline, sigma_windows, volatility=True),
        venue_volume_usd=_per_window(baseline, volume_windows, volatility=False),
    )


def market_windows_nbytes(baseline: BaselinePaths, impacts: Sequence[ImpactConfig]) -> int:
    """What ``market_windows(baseline, impacts)`` holds, in bytes, before building it."""
    n_windows = len({c.volatility_window_days for c in impacts}) + len(
        {c.volume_window_days for c in impacts}
    )
    return n_windows * baseline.close_usd.size * np.dtype(np.float64).itemsize


def _check_warmup(impacts: Sequence[ImpactConfig], baseline: BaselinePaths) -> None:
    warmup = baseline.prior_close_usd.shape[1]
    for config in impacts:
        longest = market.days_needed(config.volatility_window_days, config.volume_window_days)
        if longest > warmup:
            raise ConfigError(
                f"[impact] trailing windows need {longest} days before the study start but "
                f"the baseline keeps {warmup}; raise [paths] warmup_days"
            )


@dataclass(frozen=True, eq=False)
class _Parameters:
    impact: kernels.ImpactParams
    decay: kernels.DecayParams


def _scenario_parameters(
    impacts: Sequence[ImpactConfig], baseline: BaselinePaths, windows: MarketWindows
) -> _Parameters:
    """Per-scenario arrays for the kernel; one Python step per scenario, none per day."""
    n_days = baseline.n_days
    models = [impact_model(config) for config in impacts]
    terms = [decay_kernel(config).exponential_terms(n_days) for config in impacts]
    width = max(term.weight.size for term in terms)
    decay_weight = np.zeros((len(impacts), width))
    decay_per_day = np.zeros((len(impacts), width))
    for row, term in enumerate(terms):
        decay_weight[row, : term.weight.size] = term.weight
        decay_per_day[row, : term.weight.size] = term.decay_per_day
    _check_warmup(impacts, baseline)
    sigma_windows, volume_windows = windows.sigma_windows, windows.volume_windows
    missing = sorted(
        {c.volatility_window_days for c in impacts} - set(sigma_windows)
        | {c.volume_window_days for c in impacts} - set(volume_windows)
    )
    if missing:
        raise InputError(f"the market windows lack the trailing windows {missing} (days)")
    impact = kernels.ImpactParams(
        model_code=np.array([int(model.code) for model in models], dtype=np.int64),
        model_parameter=np.array([model.parameter for model in models], dtype=np.float64),
        permanent_share=np.array([c.permanent_share for c in impacts], dtype=np.float64),
        anticipation_share=np.array([c.anticipation_share for c in impacts], dtype=np.float64),
        volume_coverage=coverage_table(impacts, baseline.assets, baseline.venues)[0],
        sigma_slot=np.array(
            [sigma_windows.index(c.volatility_window_days) for c in impacts], dtype=np.int64
        ),
        volume_slot=np.array(
            [volume_windows.index(c.volume_window_days) for c in impacts], dtype=np.int64
        ),
        supply_coins=np.array(
            [[c.supply_coins(asset) for asset in baseline.assets] for c in impacts],
            dtype=np.float64,
        ),
    )
    decay = kernels.DecayParams(
        weight=decay_weight,
        decay_per_day=decay_per_day,
        n_terms=np.array([term.weight.size for term in terms], dtype=np.int64),
    )
    return _Parameters(impact, decay)


def _per_window(
    baseline: BaselinePaths, windows: tuple[int, ...], *, volatility: bool
) -> FloatArray:
    """Trailing σ (or mean venue USD volume) ``[window slot, path, day, asset]``."""
    if volatility:
        prior, values = baseline.prior_close_usd, baseline.close_usd
        compute: Callable[[FloatArray, FloatArray, int], FloatArray] = market.trailing_sigma
    else:
        prior, values = baseline.prior_volume_usd, baseline.volume_usd
        compute = market.trailing_venue_volume_usd
    return np.stack([compute(prior, values, window) for window in windows])


__all__ = [
    "ALL_OUTPUTS",
    "ENGINE_OUTPUTS",
    "HORIZON_OUTPUTS",
    "EngineResult",
    "MarketWindows",
    "SleeveArrays",
    "market_windows",
    "market_windows_nbytes",
    "run_engine",
]
