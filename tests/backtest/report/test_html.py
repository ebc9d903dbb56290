"""backtest/report.py: a self-contained page that opens offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from backtest.report.html import (
    Section,
    figure_dict,
    figure_html,
    render_report,
    table_html,
    write_report,
)
from backtest.report.picker import PICKER_CALL, has_picker

NETWORK_REFERENCE = re.compile(
    r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", re.IGNORECASE
)


def _sections() -> list[Section]:
    figure = go.Figure(go.Scatter(x=[1, 2, 3], y=[4, 5, 6], name="line"))
    table = pd.DataFrame({"asset": ["BTC", "<ETH>"], "uplift_pct": [1.23456, np.nan]})
    return [
        Section("The answer", intro_html="<p>intro</p>", figures=[figure, figure]),
        Section("Sources & notes", tables=[("a caption", table)], outro_html="<p>end</p>"),
    ]


def test_report_inlines_plotly_once_and_links_nothing_from_the_network() -> None:
    page = render_report("Title <1>", "sub", _sections())
    assert page.startswith("<!DOCTYPE html>")
    assert get_plotlyjs()[:2_000] in page
    assert page.count(get_plotlyjs()[:200]) == 1  # once, not per figure
    assert NETWORK_REFERENCE.search(page) is None
    assert "<script src" not in page.lower()
    assert "<link" not in page.lower()
    # two figures in the first section, each with its own div
    assert page.count('class="plotly-graph-div"') == 2


def test_the_network_check_itself_finds_a_cdn_script() -> None:
    page = '<script src="https://cdn.plot.ly/plotly.min.js"></script>'
    assert NETWORK_REFERENCE.search(page) is not None
    assert NETWORK_REFERENCE.search('<link rel="stylesheet" href="//fonts.x/y.css">') is not None


def test_sections_titles_anchors_and_escaping() -> None:
    sections = _sections()
    assert sections[1].anchor == "sources---notes"
    page = render_report("Title <1>", "sub", sections)
    assert "<title>Title &lt;1&gt;</title>" in page
    assert '<h2 id="the-answer">The answer</h2>' in page
    assert '<a href="#sources---notes">Sources &amp; notes</a>' in page
    assert page.index("<p>intro</p>") < page.index("a caption") < page.index("<p>end</p>")


def test_table_html_formats_numbers_and_escapes_text() -> None:
    frame = pd.DataFrame({"asset": ["<b>BTC</b>"], "usd": [1234567.891], "pct": [np.nan]})
    out = table_html(frame)
    assert "<th>asset</th><th>usd</th><th>pct</th>" in out
    assert "&lt;b&gt;BTC&lt;/b&gt;" in out
    assert "<td>1,234,567.89</td>" in out
    assert "<td>–</td>" in out  # NaN is a dash, not "nan"
    assert "nan" not in out.lower().replace("nav", "")
    assert "<td>1.2346</td>" in table_html(frame[["usd"]] * 0 + 1.23456, float_format="{:.4f}")


def test_write_report_writes_atomically(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text("old report", encoding="utf-8")
    returned = write_report(path, "T", "s", _sections())
    assert returned == path
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temp file left


def _figures_of_every_kind() -> list[go.Figure]:
    """Arrays of floats, integers and dates, a pandas Series, subplots, shapes, a picker's
    buttons and animation frames: what the report's figures hold."""
    from plotly.subplots import make_subplots

    from backtest.report import figures, picker

    days = pd.date_range("2025-01-01", periods=50, freq="D", tz="UTC")
    panels = make_subplots(rows=1, cols=2, subplot_titles=["a", "b"])
    panels.add_trace(go.Scatter(x=days, y=np.linspace(0, 1, 50), name="float"), row=1, col=1)
    panels.add_trace(go.Bar(x=np.arange(50), y=pd.Series(np.arange(50) * 3)), row=1, col=2)
    panels.add_trace(go.Scatter(x=pd.Series(np.linspace(0, 1, 50)),
                                y=np.linspace(5, 6, 50, dtype=np.float32)), row=1, col=2)
    panels.add_trace(go.Scatter(x=np.array([]), y=np.array([])), row=1, col=1)
    figures.marked_on_every_panel(panels, [("x", "y"), ("x2", "y2")], [(10.0, "ten")],
                                  log_x=False)  # fmt: skip
    picked = go.Figure([picker.tag(go.Scatter(y=np.arange(k, k + 5.0)), {"k": k})
                        for k in range(3)])  # fmt: skip
    picker.add_picker(picked, {"k": [0, 1, 2]})
    moving = go.Figure(
        go.Scatter(y=np.zeros(3)), frames=[go.Frame(data=[go.Scatter(y=np.ones(3) * k)])
                                           for k in range(2)],
    )  # fmt: skip
    return [panels, picked, moving]


def test_figure_html_is_plotly_s_to_html_and_leaves_the_figure_as_it_was() -> None:
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    for figure in _figures_of_every_kind():
        before = figure.to_json()
        assert json.dumps(figure_dict(figure), default=str) == json.dumps(
            figure.to_dict(), default=str
        )  # the same keys in the same order, the same values
        ours = figure_html(figure)
        theirs = figure.to_html(
            full_html=False, include_plotlyjs=False, config={"responsive": True},
            post_script=PICKER_CALL if has_picker(figure) else None,
        )  # fmt: skip
        assert uuid.sub("ID", ours) == uuid.sub("ID", theirs)
        # the encoding replaced nothing in the figure: its arrays are still arrays
        assert figure.to_json() == before
        assert all(isinstance(trace.y, np.ndarray) for trace in figure.data)
