"""Charts and sentences of a sensitivity analysis: indices, tornado, scatter, the plain answer.

Every chart takes the rows of sensitivity.csv (or sensitivity_samples.csv) for one model,
asset and output, and carries a source line like the study's charts (``figures.with_source``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from backtest.report.figures import COLORS, with_source
from backtest.sim.models import SPECS

#: how the report names a key (the key itself where none is given)
LABELS = {
    "allocation": "allocation",
    "lag_months": "lag",
    "ramp_months": "ramp",
    "reallocation_share": "reallocation share",
    **{spec.parameter_key: spec.label for spec in SPECS.values()},
    "permanent_share": "permanent share θ",
    "half_life_days": "half-life",
    "volume_coverage": "volume coverage",
    "anticipation_share": "anticipation share",
}
OUTPUT_LABELS = {
    "price_uplift_at_horizon_pct": "price uplift at the horizon (%)",
    "log_impact_at_horizon_bps": "log impact at the horizon (bps)",
    "peak_log_impact_bps": "peak log impact (bps)",
    "permanent_log_impact_at_horizon_bps": "permanent log impact at the horizon (bps)",
    "cum_flow_usd": "cumulative flow (USD)",
    "flow_share_of_volume_pct": "flow as a share of volume (%)",
}
MODEL_LABELS = {name: spec.short for name, spec in SPECS.items()}
MAX_SCATTER_POINTS = 4000


def label(key: str) -> str:
    return LABELS.get(key, key)


def output_label(output: str) -> str:
    base = output[:-4] if output[-4:] in ("_p05", "_p50", "_p95") else output
    text = OUTPUT_LABELS.get(base, base)
    return text if base == output else f"{text}, {output[-3:]} over paths"


def ranking(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of one model, asset and output, most influential first.

    Sobol': by ST; Morris: by mu*; one at a time: by the swing |high − low|.
    """
    rows = rows.copy()
    rows["swing"] = (rows["output_at_high"] - rows["output_at_low"]).abs()
    method = rows["method"].iloc[0]
    key = {"sobol": "ST", "morris": "mu_star"}.get(method, "swing")
    return rows.sort_values(key, ascending=False, na_position="last", kind="stable")


def leaders(rows: pd.DataFrame, *, share: float = 0.8, most: int = 3) -> pd.DataFrame:
    """The fewest parameters (at most ``most``) whose measure adds up to ``share`` of the total."""
    ranked = ranking(rows)
    method = ranked["method"].iloc[0]
    key = {"sobol": "ST", "morris": "mu_star"}.get(method, "swing")
    measure = ranked[key].clip(lower=0.0).fillna(0.0)
    total = float(measure.sum())
    if total <= 0.0:
        return ranked.iloc[0:0]
    cumulative = measure.cumsum() / total
    count = int(np.searchsorted(cumulative.to_numpy(), share - 1e-12) + 1)
    return ranked.iloc[: max(1, min(count, most))]


def sentence(table: pd.DataFrame, asset: str, output: str) -> str:
    """One plain sentence: which parameters carry most of ``output``'s variance for ``asset``."""
    verbs = {
        "sobol": ("carries most of its variance", "carry most of its variance"),
        "morris": ("moves it most", "move it most"),
        "oat": ("swings it most", "swing it most"),
    }
    parts = []
    here = table[(table["asset"] == asset) & (table["output"] == output)]
    for model, rows in here.groupby("model", sort=False):
        model_text = f"under the {MODEL_LABELS.get(model, model)} model"
        top = leaders(rows)
        if top.empty:
            parts.append(f"{model_text}, no parameter moves it")
            continue
        method = str(top["method"].iloc[0])
        named = [f"{label(r.parameter)} ({_measure(r, method)})" for r in top.itertuples()]
        parts.append(f"{model_text}, {_join(named)} {verbs[method][len(named) > 1]}")
    return f"{asset}, {output_label(output)}: {'; '.join(parts)}."


def _measure(row: object, method: str) -> str:
    if method == "sobol":
        return f"ST {row.ST:.2f} ± {row.ST_conf:.2f}"  # type: ignore[attr-defined]
    if method == "morris":
        return f"mu* {row.mu_star:,.3g}"  # type: ignore[attr-defined]
    return f"{row.output_at_low:,.3g} to {row.output_at_high:,.3g}"  # type: ignore[attr-defined]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def indices_chart(rows: pd.DataFrame, title: str, *, source: str) -> go.Figure:
    """Ranked bars: S1 and ST with their intervals (Sobol'), or mu* with its interval (Morris)."""
    ranked = ranking(rows).iloc[::-1]  # plotly draws horizontal bars bottom-up
    names = [label(p) for p in ranked["parameter"]]
    figure = go.Figure()
    if ranked["method"].iloc[0] == "sobol":
        for index, (column, text) in enumerate((("S1", "first order S1"), ("ST", "total ST"))):
            figure.add_trace(
                go.Bar(
                    y=names,
                    x=ranked[column],
                    orientation="h",
                    name=text,
                    marker_color=COLORS[index],
                    error_x={"type": "data", "array": ranked[f"{column}_conf"]},
                )
            )
        figure.update_layout(barmode="group", xaxis_title="Sobol' index (share of variance)")
    else:
        figure.add_trace(
            go.Bar(
                y=names,
                x=ranked["mu_star"],
                orientation="h",
                name="mu*",
                marker_color=COLORS[0],
                error_x={"type": "data", "array": ranked["mu_star_conf"]},
            )
        )
        figure.update_layout(xaxis_title="Morris mu* (mean |effect| over the whole range)")
    figure.update_layout(title=title, height=140 + 40 * len(names))
    return with_source(figure, source)


def tornado_chart(rows: pd.DataFrame, title: str, *, source: str) -> go.Figure:
    """Each parameter at its low and high end, the others at their study values.

    Bars start at the output of the study point; whole-range swings, largest on top.
    """
    rows = rows.copy()
    rows["swing"] = (rows["output_at_high"] - rows["output_at_low"]).abs()
    rows = rows.sort_values("swing", kind="stable")
    center = float(rows["output_at_study"].iloc[0])
    names = [label(p) for p in rows["parameter"]]
    figure = go.Figure()
    for index, (column, end) in enumerate((("output_at_low", "low"), ("output_at_high", "high"))):
        ends = rows["low"] if end == "low" else rows["high"]
        figure.add_trace(
            go.Bar(
                y=names,
                x=rows[column] - center,
                base=center,
                orientation="h",
                name=f"at the {end} end",
                marker_color=COLORS[index],
                customdata=np.asarray(ends),
                hovertemplate="%{y} = %{customdata:.4g}: %{x:.4g}<extra></extra>",
            )
        )
    figure.add_vline(x=center, line_dash="dot", line_color="#555")
    figure.update_layout(
        title=title,
        barmode="overlay",
        xaxis_title=f"{output_label(str(rows['output'].iloc[0]))}; study point {center:,.4g}",
        height=140 + 40 * len(names),
    )
    return with_source(figure, source)


def scatter_chart(
    samples: pd.DataFrame,
    parameter: str,
    output: str,
    title: str,
    *,
    source: str,
    log_x: bool = False,
) -> go.Figure:
    """The output of every sample against ``parameter`` (at most MAX_SCATTER_POINTS shown)."""
    if len(samples) > MAX_SCATTER_POINTS:
        samples = samples.iloc[np.linspace(0, len(samples) - 1, MAX_SCATTER_POINTS).astype(int)]
    figure = go.Figure(
        go.Scatter(
            x=samples[parameter],
            y=samples[output],
            mode="markers",
            marker={"size": 4, "opacity": 0.4, "color": COLORS[0]},
            name=output,
        )
    )
    figure.update_layout(
        title=title, xaxis_title=label(parameter), yaxis_title=output_label(output), height=460
    )
    if log_x:
        figure.update_xaxes(type="log")
    return with_source(figure, source)


__all__ = [
    "LABELS",
    "indices_chart",
    "label",
    "leaders",
    "output_label",
    "ranking",
    "scatter_chart",
    "sentence",
    "tornado_chart",
]
