"""How a headline reads: the one scenario's figure that every surface leads with.

The headline object is chosen and written by the study run (``backtest.report.headline``) into
``run.json``; the terminal summary, the report's first sentence and the scheduler's archive all
read that object and format it here, so the same number reads the same everywhere. This module
imports nothing of the project: the scheduler, which knows neither ``backtest`` nor ``feeds``,
formats the archive's rows with it.

The object's keys (docs/contracts.md): ``rule``, ``scenario_id``, ``label``, ``asset``,
``allocation``, ``reallocation_share``, ``model``, ``parameter`` (the model's parameter key),
``parameter_value``, ``etf_explained_share`` (null until the study is indexed by it),
``horizon`` (the last day), ``price_uplift_at_horizon_pct`` (``p05``, ``p50``, ``p95``: the
5th, 50th and 95th percentile over that one scenario's bootstrap paths),
``permanent_uplift_at_horizon_pct`` (the median over paths of the uplift the part of impact
that never decays would give alone; the rest of the uplift is the transient of buying still
under way at the horizon; absent from run.json files written before it), ``cum_flow_usd`` (the
median over paths of the net USD reaching the asset by the horizon) and ``sources_usd`` (the
allocation times plan assets, as commentators count it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

UPLIFT_KEY = "price_uplift_at_horizon_pct"
PERMANENT_KEY = "permanent_uplift_at_horizon_pct"

#: how the model's parameter is named in prose
PARAMETER_SYMBOL = {"multiplier": "M", "sqrt_y": "Y", "lambda_per_billion_usd": "λ per $bn"}


def uplift_pct(headline: Mapping[str, Any]) -> tuple[float, float, float]:
    """(median, 5th, 95th percentile over paths) of the headline scenario's uplift, in %."""
    band = headline[UPLIFT_KEY]
    return float(band["p50"]), float(band["p05"]), float(band["p95"])


def median_text(headline: Mapping[str, Any]) -> str:
    """The median as every surface prints it: ``+5.0%``."""
    return f"{uplift_pct(headline)[0]:+.1f}%"


def band_text(headline: Mapping[str, Any]) -> str:
    """The path band as every surface prints it: ``5-95% of paths +1.2% to +19.0%``."""
    _, low, high = uplift_pct(headline)
    return f"5-95% of paths {low:+.1f}% to {high:+.1f}%"


def scenario_text(headline: Mapping[str, Any]) -> str:
    """The scenario in a few words: ``1% allocation, reallocation_share 0.25, multiplier M = 5``."""
    parameter = str(headline.get("parameter") or "")
    symbol = PARAMETER_SYMBOL.get(parameter, parameter)
    value = headline.get("parameter_value")
    model = str(headline["model"])
    model_text = f"{model} {symbol} = {value:g}" if isinstance(value, int | float) else model
    parts = [f"{float(headline['allocation']) * 100:.4g}% allocation"]
    if headline.get("reallocation_share") is not None:
        parts.append(f"reallocation_share {float(headline['reallocation_share']):g}")
    parts.append(model_text)
    phi = headline.get("etf_explained_share")
    if phi is not None:
        parts.append(f"ETF-explained share {float(phi):g}")
    return ", ".join(parts)


def permanent_text(headline: Mapping[str, Any]) -> str:
    """``; +4.8% of it permanent``, or nothing for a headline written before the key was."""
    permanent = headline.get(PERMANENT_KEY)
    if permanent is None:
        return ""
    return f"; {float(permanent):+.1f}% of it permanent"


def headline_text(headline: Mapping[str, Any]) -> str:
    """One sentence: asset, median and band, horizon, scenario and the USD behind it."""
    usd_bn = float(headline["cum_flow_usd"]) / 1e9
    return (
        f"{headline['asset']} {median_text(headline)} by {headline['horizon']} "
        f"({band_text(headline)}{permanent_text(headline)}) at {scenario_text(headline)}; "
        f"${usd_bn:,.1f} bn reaching {headline['asset']} by then"
    )


__all__ = [
    "PARAMETER_SYMBOL",
    "PERMANENT_KEY",
    "UPLIFT_KEY",
    "band_text",
    "headline_text",
    "median_text",
    "permanent_text",
    "scenario_text",
    "uplift_pct",
]
