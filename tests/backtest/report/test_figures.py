"""Report figures built from unchecked traces (``figures.scatter``) give the JSON that plotly's
checked traces give: the check is what costs, not what decides the output."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from backtest.report import evidence_section, figures


def _checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figures, "scatter", lambda **properties: go.Scatter(**properties))


def _fan_chart() -> go.Figure:
    rng = np.random.default_rng(0)
    days = pd.date_range("2025-06-01", periods=400, freq="D", tz="UTC")
    band = np.sort(rng.lognormal(11, 0.1, (3, days.size)), axis=0)
    bands = [
        ({"allocation": allocation, "model": model}, band * (1 + allocation))
        for allocation, model in itertools.product([0.01, 0.02], ["multiplier", "sqrt"])
    ]
    history = pd.Series(rng.lognormal(11, 0.1, 60), index=days[:60])
    return figures.fan_chart_picker(
        days, band, bands, "BTC",
        axes={"allocation": [0.01, 0.02], "model": ["multiplier", "sqrt"]},
        history_usd=history, last_history_day=days[59], announcement=days[10],
        source="a test",
    )  # fmt: skip


def _uplift() -> go.Figure:
    rows = pd.DataFrame(
        [
            {"asset": asset, "allocation": allocation, "model": model,
             evidence_section.READING: reading, evidence_section.SHARE_KEY: share,
             **{f"{evidence_section.UPLIFT}_p{p}": share * allocation * (1 + k) * 100
                for k, p in enumerate(("05", "50", "95"))}}
            for asset, allocation, model, reading, share in itertools.product(
                ["BTC", "ETH"], [0.01, 0.05], ["multiplier", "sqrt"], [0.25, 1.0],
                [0.1, 0.3, 0.9],
            )
        ]
    )  # fmt: skip
    lines = pd.DataFrame(
        [{evidence_section.SHARE_KEY: 0.2, "parameter": "multiplier", "value": 6.5}]
    )
    return evidence_section.uplift_against_share(rows, lines, source="a test")


@pytest.mark.parametrize("build", [_fan_chart, _uplift])
def test_unchecked_traces_give_the_checked_figure_s_json(
    build: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = build().to_json()  # type: ignore[operator]
    _checked(monkeypatch)
    assert fast == build().to_json()  # type: ignore[operator]
    assert len(json.loads(fast)["data"]) >= 12  # every band of every choice is there
