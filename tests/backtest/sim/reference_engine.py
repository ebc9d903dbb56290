"""A plain-Python reference of the engine's model, written for clarity, not speed.

It uses the NumPy model classes of ``backtest.sim.models`` and the exact decay kernels of
``backtest.sim.decay`` (a full convolution over all past days, no exponential-sum shortcut), so
comparing it with ``backtest.sim.engine.run_engine`` checks the numba kernel against the
documented formulas::

    κ from the BASELINE before the first day (MC_0 = B_{-1} × supply, σ_0, V_0);   u_s = κ·F_s
    lasting_t = J + Σ_{s≤t} θ_s·u_s,   fading_t = T(Σ_{s≤t} x_s·G(t − s), σ_t, V_t)
    I_t = the model's log_impact(θ, lasting_t, fading_t, MC_t = B_t × supply)

with x_s the model's transient feed (u_s, or F_s under the square-root law). The benchmark
reuses it for the speed ratio.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from backtest.sim.baseline import BaselinePaths
from backtest.sim.decay import decay_kernel
from backtest.sim.engine import SleeveArrays
from backtest.sim.impact import ImpactConfig, impact_model


def trailing_sigma(series: np.ndarray, day: int, window: int) -> float:
    """Sample std of the ``window`` log returns ending on ``day - 1`` of ``series``."""
    returns = [math.log(series[j] / series[j - 1]) for j in range(day - window, day)]
    return float(np.std(returns, ddof=1))


def reference_engine(
    baseline: BaselinePaths,
    flow_usd: np.ndarray,
    impacts: Sequence[ImpactConfig],
    sleeve: SleeveArrays | None = None,
    announcement_day_index: int = -1,
    *,
    paths: Sequence[int] | None = None,
    exact_decay: bool = True,
) -> dict[str, np.ndarray]:
    """close_usd, flow_usd, log_impact, instant_log_impact, permanent_log_impact
    ``[scenario, path, day, asset]``.

    ``paths`` limits the run to some path indices (the output keeps only those).
    ``exact_decay=True`` convolves with G itself over all past days (O(T²)); False steps the
    kernel's exponential-sum form recursively (O(T)), as the engine does: the fair baseline
    for the benchmark's speed ratio.
    """
    n_scenarios, n_days, n_assets = flow_usd.shape
    path_list = list(range(baseline.n_paths)) if paths is None else list(paths)
    shape = (n_scenarios, len(path_list), n_days, n_assets)
    names = ("close_usd", "flow_usd", "log_impact", "u", "permanent_log_impact")
    out = {name: np.zeros(shape) for name in names}
    for s, config in enumerate(impacts):
        model = impact_model(config)
        kernel = decay_kernel(config)
        g = [float(kernel.weight(lag)) for lag in range(n_days)] if exact_decay else None
        terms = kernel.exponential_terms(n_days)
        decay_terms = list(zip(terms.weight.tolist(), terms.decay_per_day.tolist(), strict=True))
        theta, alpha = config.permanent_share, config.anticipation_share
        for out_p, p in enumerate(path_list):
            _one_column(
                baseline, flow_usd[s], config, model, g, decay_terms, theta, alpha, sleeve, s, p,
                announcement_day_index, {k: v[s, out_p] for k, v in out.items()},
            )
    out["instant_log_impact"] = out.pop("u")
    return out


def _one_column(  # noqa: C901 - a literal transcription of the model, kept in one place
    baseline, flows, config, model, g, decay_terms, theta, alpha, sleeve, s, p, announce, out
):
    n_days, n_assets = flows.shape
    warm = baseline.prior_close_usd.shape[1]
    closes = np.concatenate([baseline.prior_close_usd[p], baseline.close_usd[p]])
    volumes = np.concatenate([baseline.prior_volume_usd[p], baseline.volume_usd[p]])
    supply = [config.supply_coins(asset) for asset in baseline.assets]
    announced = 0 <= announce < n_days
    previous = [float(closes[warm - 1, a]) for a in range(n_assets)]
    units = [0.0] * n_assets
    other = 0.0
    feed_hist = [[] for _ in range(n_assets)]
    jump = [0.0] * n_assets
    permanent = [0.0] * n_assets
    transient = [[0.0] * len(decay_terms) for _ in range(n_assets)]
    kappa = [0.0] * n_assets
    for a in range(n_assets):  # from the baseline's state before the first day, then held
        sigma0 = volume0 = math.nan  # not an input of this model: not computed (as the engine)
        if model.reads_sigma_and_volume:
            sigma0, volume0 = _state(baseline, config, closes, volumes, warm, a)
        cap0 = float(closes[warm - 1, a]) * supply[a]
        kappa[a] = float(model.per_dollar(cap0, sigma0, volume0))
    for t in range(n_days):
        sleeve_flow = [0.0] * n_assets
        active = sleeve is not None and t >= sleeve.start_day_index[s]
        if active:
            w = sleeve.target_weight[s]
            c = float(sleeve.contribution_usd[s, t])
            if t == sleeve.start_day_index[s]:
                budget = float(sleeve.initial_fund_usd[s]) + c
                sleeve_flow = [w[a] * budget for a in range(n_assets)]
                other = (1 - sum(w)) * budget
            else:
                held = [units[a] * previous[a] for a in range(n_assets)]
                nav = other + sum(held)
                rebalance = bool(sleeve.rebalance_day[s, t]) or (
                    nav > 0
                    and any(
                        abs(held[a] / nav - w[a]) > sleeve.drift_band[s] for a in range(n_assets)
                    )
                )
                other += (1 - sum(w)) * c
                for a in range(n_assets):
                    sleeve_flow[a] = w[a] * c
                    if rebalance:
                        trade = w[a] * nav - held[a]
                        sleeve_flow[a] += trade
                        other -= trade
        for a in range(n_assets):
            flow = float(flows[t, a]) + sleeve_flow[a]
            sigma = volume = math.nan  # not an input of this model: not computed (as the engine)
            if model.reads_sigma_and_volume:
                sigma, volume = _state(baseline, config, closes, volumes, warm + t, a)
            u = kappa[a] * flow if flow != 0.0 else 0.0
            if announced and t == announce and alpha > 0:
                planned = flows[t + 1 :, a].astype(float).copy()
                if sleeve is not None:
                    start = int(sleeve.start_day_index[s])
                    for later in range(t + 1, n_days):
                        if later >= start:
                            extra = sleeve.contribution_usd[s, later]
                            if later == start:
                                extra += sleeve.initial_fund_usd[s]
                            planned[later - t - 1] += sleeve.target_weight[s, a] * extra
                jump[a] = alpha * theta * kappa[a] * float(np.sum(planned))
            theta_now = theta * (1 - alpha) if announced and t > announce else theta
            permanent[a] += theta_now * u
            feed = float(model.transient_feed(flow, u))
            if g is not None:
                feed_hist[a].append(feed)
                accumulated = sum(feed_hist[a][j] * g[t - j] for j in range(t + 1))
            else:
                accumulated = 0.0
                for k, (weight, rho) in enumerate(decay_terms):
                    transient[a][k] = rho * transient[a][k] + feed
                    accumulated += weight * transient[a][k]
            fading = float(model.transient_part(accumulated, sigma, volume))
            lasting = jump[a] + permanent[a]
            cap = float(baseline.close_usd[p, t, a]) * supply[a]  # the BASELINE's close
            log_impact = float(model.log_impact(theta, lasting, fading, cap))
            close = float(baseline.close_usd[p, t, a]) * math.exp(log_impact)
            if active:
                units[a] += sleeve_flow[a] / close
            previous[a] = close
            out["close_usd"][t, a] = close
            out["flow_usd"][t, a] = flow
            out["log_impact"][t, a] = log_impact
            out["u"][t, a] = u
            # the part that never decays, as a log move: the model's I with no transient share
            out["permanent_log_impact"][t, a] = float(model.log_impact(1.0, lasting, 0.0, cap))


def _state(baseline, config, closes, volumes, day, a) -> tuple[float, float]:
    """σ and market-wide V of ``day`` (an index into the prior + window series), trailing."""
    sigma = trailing_sigma(closes[:, a], day, config.volatility_window_days)
    window = config.volume_window_days
    venue = baseline.venues[a] if baseline.venues else None
    coverage = config.volume_coverage_for(venue)[0]
    return sigma, coverage * float(np.mean(volumes[day - window : day, a]))


def synthetic_baseline(
    seed: int, *, n_paths: int = 3, n_days: int = 40, warmup: int = 40, assets=("BTC", "ETH")
) -> BaselinePaths:
    """A small random-walk baseline (lognormal closes, positive volumes) for unit tests."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_assets = len(assets)
    total = warmup + n_days
    log_close = np.cumsum(rng.normal(0.0, 0.03, (n_paths, total, n_assets)), axis=1)
    close = np.array([60_000.0, 3_000.0][:n_assets]) * np.exp(log_close)
    volume = close * rng.uniform(5_000.0, 20_000.0, (n_paths, total, n_assets))
    days = pd.date_range("2025-01-01", periods=n_days, freq="D", tz="UTC")
    return BaselinePaths(
        days=days,
        assets=tuple(assets),
        close_usd=close[:, warmup:],
        volume_usd=volume[:, warmup:],
        last_history_day=days[0] - pd.Timedelta(days=1),
        prior_close_usd=close[:, :warmup],
        prior_volume_usd=volume[:, :warmup],
    )
