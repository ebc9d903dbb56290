"""The hindcast's report: a paragraph per asset, the calibration's pointer, figures with sources."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from backtest.analogs.hindcast import COLUMNS, EXPLAINING_COLUMNS, PATH_COLUMNS, HindcastResult
from backtest.report.hindcast_sections import (
    TITLE,
    asset_paragraphs,
    hindcast_sections,
    over_explained_note,
)
from backtest.report.html import Section


def _row(asset: str, model: str, parameter: str, value: float, share: float, realized: float):
    attributed = realized * share / 100
    return dict(
        zip(
            COLUMNS,
            [asset, model, parameter, value, "2024-01-11", "2024-01-20", 5e9, realized, attributed,
             share, attributed, realized - attributed, ""],
            strict=True,
        )
    )


def _explaining(asset, model, parameter, realized, root, reason, token, calibrated):
    return dict(
        zip(
            EXPLAINING_COLUMNS,
            [asset, model, parameter, "2024-01-11", "2024-01-20", realized, root, 0.0, 1000.0,
             "brentq", reason, token, calibrated, ""],
            strict=True,
        )
    )


def result() -> HindcastResult:
    table = pd.DataFrame(
        [
            _row("BTC", "multiplier", "multiplier", 5.0, 10.0, 1000.0),
            _row("BTC", "multiplier", "multiplier", 60.0, 120.0, 1000.0),
            _row("ETH", "multiplier", "multiplier", 5.0, -40.0, -500.0),
        ]
    )
    explaining = pd.DataFrame(
        [
            _explaining("BTC", "multiplier", "multiplier", 1000.0, 50.0, "",
                        "calibrated:btc_etf", 60.0),
            _explaining("ETH", "multiplier", "multiplier", -500.0, math.nan,
                        "no root: the flows bought while the price fell", "calibrated:eth_etf",
                        math.nan),
        ]
    )
    days = pd.date_range("2024-01-11", "2024-01-20", freq="D").strftime("%Y-%m-%d")
    paths = []
    for asset, value, last in (("BTC", 5.0, 40_000.0), ("BTC", 60.0, 40_000.0),
                               ("ETH", 5.0, 2_000.0)):
        close = np.linspace(last * 0.9, last, days.size)
        paths.append(pd.DataFrame(dict(zip(PATH_COLUMNS, [
            days, asset, "multiplier", value, close, close * 0.95, np.full(days.size, 100.0),
        ], strict=True))))
    return HindcastResult(table=table, paths=pd.concat(paths, ignore_index=True),
                          explaining=explaining)


def test_one_paragraph_per_asset_with_each_share_and_the_calibrated_value() -> None:
    btc, eth = asset_paragraphs(result())
    assert "with M = 5 the spot-ETF flows account for 10.0 % of that rise" in btc
    assert "M = 60 would put it at 120.0 %" in btc and "calibrated:btc_etf" in btc
    assert "BTC would have fallen without the flows" in btc
    assert "explain the whole move at M = 50" in btc
    assert "40,000 on 2024-01-20" in btc and "$5.0 bn" in btc
    assert "of that fall" in eth and "would have fallen" not in eth
    assert "No multiplier parameter does (no root: the flows bought" in eth


def test_the_calibration_points_at_the_hindcast_when_it_over_explains() -> None:
    note = over_explained_note(result())
    assert "M = 60 would explain 120 % of BTC" in note
    assert "ETH" not in note  # a fall cannot be over-explained by buying
    assert f'href="#{Section(TITLE).anchor}"' in note
    modest = result()
    modest.table.loc[1, "attributed_share_pct"] = 80.0
    assert over_explained_note(modest) == ""
    assert over_explained_note(None) == ""


def test_the_section_has_a_figure_per_asset_with_its_source() -> None:
    (section,) = hindcast_sections(result(), "binance BTC/USDT 1d closes; Farside")
    assert [f.layout.title.text.split(":")[0] for f in section.figures] == ["BTC", "ETH"]
    for figure in section.figures:
        texts = [a.text for a in figure.layout.annotations]
        assert any(t.startswith("Source: binance BTC/USDT 1d closes") for t in texts)
    btc = section.figures[0]
    assert btc.data[0].name == "realized close"
    assert len(btc.data) == 3  # realized + one implied path per value
    assert len(section.tables) == 2
