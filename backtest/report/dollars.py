"""The dollars behind the answer: what the sources count, what the model brings, and why.

Commentators count an allocation as a share of today's plan assets (1 % of $8.7 T = $87 bn).
The inflow model (``strategies.inflow``) brings less by the horizon, or more, for reasons its
settings name: only ``reallocation_share`` of the allocation moves out of existing balances,
during a ramp that starts ``lag_months`` after the order and lasts ``ramp_months``; the rest
builds from payroll contributions as participants adopt; withdrawals take a share of holdings
out every year; plan assets grow. ``dollars_table`` puts both counts side by side per
allocation (and per reallocation share when the grid has more than one); ``why_they_differ``
is the sentence that explains the gap with the study's own values.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from backtest.study.results import StudyRun
from backtest.study.schedules import inflow_label
from strategies.inflow_schedule import COMPONENTS

#: the reading of ``reallocation_share`` that matches the sources' arithmetic
SOURCES_SHARE = 1.0


def share_text(share: float) -> str:
    """A reallocation share as the report names it."""
    return f"{share:g} (as the sources count it)" if share == SOURCES_SHARE else f"{share:g}"


#: the header of a table column of reallocation shares: narrow cells, the reading said once
SHARE_COLUMN = "reallocation_share (1 = as the sources count it)"


def dollars_frame(run: StudyRun) -> pd.DataFrame:
    """One row per scenario: allocation, reallocation share, the sources' count and the model's.

    Columns: ``allocation``, ``reallocation_share``, ``sources_usd`` (allocation × plan
    assets), ``<component>_usd`` (direct flows over the study window, all assets), and
    ``<asset>_usd`` (the net USD reaching each asset by the horizon, the median over paths of
    scenarios.csv's ``cum_flow_usd``: the engine's flows, a sleeve's trades included).
    """
    reached = run.table.pivot_table(
        index="scenario_id", columns="asset", values="cum_flow_usd_p50", aggfunc="first"
    )
    totals: dict[str, dict[str, float]] = {}  # inflow label -> component -> USD

    def component_totals(label: str) -> dict[str, float]:
        """Once per schedule: the scenarios share a few of them."""
        if label not in totals:
            schedule = run.inputs.by_inflow.get(label)
            sums = dict.fromkeys(COMPONENTS, 0.0) if schedule is None else (
                schedule.component_totals_usd()
            )  # fmt: skip
            totals[label] = {f"{component}_usd": sums[component] for component in COMPONENTS}
        return totals[label]

    # a dict per asset: a lookup per scenario and asset, where .loc costs tens of microseconds
    reached_by_asset = {asset: reached[asset].to_dict() for asset in run.baseline.assets}
    rows = []
    for scenario in run.scenarios:
        inflow = scenario.inflow
        row: dict[str, float] = {
            "allocation": inflow.allocation,
            "reallocation_share": inflow.reallocation_share,
            "sources_usd": inflow.allocation * inflow.plan_assets_usd,
            **component_totals(inflow_label(scenario)),
        }
        for asset in run.baseline.assets:
            row[f"{asset}_usd"] = float(reached_by_asset[asset][scenario.scenario_id])
        rows.append(row)
    return pd.DataFrame(rows)


def dollars_table(run: StudyRun, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The answer's companion table, in USD billions: medians over the other grid axes.

    Per allocation (and reallocation share): the sources' count, the USD reaching each asset
    by the horizon and both together, and the model's components (reallocated balances,
    payroll, withdrawn), which add up to ``both`` without a sleeve. ``frame`` is the run's
    ``dollars_frame`` when the caller has it already (the report uses it twice).
    """
    frame = dollars_frame(run) if frame is None else frame
    assets = list(run.baseline.assets)
    keys = ["allocation", "reallocation_share"]
    grouped = frame.groupby(keys, sort=True).median(numeric_only=True)
    plan = run.scenarios[0].inflow.plan_assets_usd
    shown = pd.DataFrame(index=grouped.index)
    shown[f"sources' count (× ${plan / 1e12:.1f} T)"] = grouped["sources_usd"] / 1e9
    for asset in assets:
        shown[asset] = grouped[f"{asset}_usd"] / 1e9
    shown["both"] = grouped[[f"{a}_usd" for a in assets]].sum(axis=1) / 1e9
    shown["reallocated"] = grouped["reallocation_usd"] / 1e9
    shown["payroll"] = grouped["payroll_usd"] / 1e9
    shown["withdrawn"] = grouped["withdrawal_usd"] / 1e9
    shown = shown.reset_index()
    shown["allocation"] = [f"{a:.0%}" for a in shown["allocation"]]
    shown["reallocation_share"] = [f"{s:g}" for s in shown["reallocation_share"]]
    if frame["reallocation_share"].nunique() == 1:
        return shown.drop(columns="reallocation_share")
    return shown.rename(columns={"reallocation_share": SHARE_COLUMN})


def why_they_differ(run: StudyRun, frame: pd.DataFrame | None = None) -> str:
    """One sentence (HTML) on why the model's dollars are not the sources' count; ``frame``
    as for ``dollars_table``."""
    inflows = [s.inflow for s in run.scenarios]
    frame = dollars_frame(run) if frame is None else frame
    first = inflows[0]
    positive = sorted(a for a in set(frame["allocation"]) if a > 0) or [0.0]
    allocation = positive[0]
    at = frame[frame["allocation"] == allocation]
    assets = [f"{a}_usd" for a in run.baseline.assets]
    totals = at.assign(total=at[assets].sum(axis=1))
    by_share = totals.groupby("reallocation_share")["total"].median()
    brought = " and ".join(
        f"${total / 1e9:,.0f} bn with <code>reallocation_share</code> = {share_text(share)}"
        for share, total in by_share.items()
    )
    payroll_usd = first.active_participants * first.contribution_per_participant_usd
    return (
        f"The sources count {allocation:.0%} of ${first.plan_assets_usd / 1e12:.1f} T = "
        f"${allocation * first.plan_assets_usd / 1e9:,.0f} bn as if it all moved at once; the "
        "model moves <code>reallocation_share</code> "
        f"({_values(inflows, 'reallocation_share')}) of it out of existing balances, over a "
        f"ramp of <code>ramp_months</code> = {_values(inflows, 'ramp_months')} that starts "
        f"<code>lag_months</code> = {_values(inflows, 'lag_months')} after the order, builds "
        f"the rest from <b>payroll</b> ({first.payroll_calendar}: {allocation:.0%} of "
        f"${payroll_usd / 1e9:,.0f} bn of contributions a year, as participants adopt), "
        "takes out <code>withdrawal_rate_per_year</code> = "
        f"{_values(inflows, 'withdrawal_rate_per_year', pct=True)} of holdings a year and "
        f"grows plan assets by {_values(inflows, 'asset_growth_per_year', pct=True)} a year: by "
        f"{run.baseline.days[-1].date()} that brings {brought} at {allocation:.0%}."
    )


def _values(inflows: Sequence[object], key: str, *, pct: bool = False) -> str:
    values = sorted({getattr(inflow, key) for inflow in inflows})
    return " or ".join(f"{v:.0%}" if pct else f"{v:g}" for v in values)


__all__ = [
    "SHARE_COLUMN",
    "SOURCES_SHARE",
    "dollars_frame",
    "dollars_table",
    "share_text",
    "why_they_differ",
]
