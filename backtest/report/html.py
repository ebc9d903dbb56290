"""``report.html``: a self-contained page that opens offline.

Plotly's JavaScript is inlined once at the top; every figure is a ``div`` plus an inline script,
and the page links no script, style or font from the network. The page is assembled from
``Section`` values, each with its own prose, figures and tables, so the study, the analogs and
the calibration each contribute sections without knowing about one another.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils import utils as plotly_utils
from _plotly_utils.basevalidators import is_homogeneous_array
from plotly.offline import get_plotlyjs

from backtest.report.picker import PICKER_CALL, PICKER_JS, has_picker
from flowimpact.atomic import atomic_write_text

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1.5rem auto;
       max-width: 1320px; color: #222; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ddd;
     padding-bottom: 0.2rem; margin-top: 2.5rem; }
.meta { color: #666; font-size: 0.9rem; overflow-wrap: anywhere; }
.note { color: #444; font-size: 0.92rem; }
p.headline { font-size: 1.1rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.8rem 0; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f5f5f5; } td:first-child, th:first-child { text-align: left; }
.scroll { overflow-x: auto; max-width: 100%; } nav a { margin-right: 1rem; display: inline-block; }
pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; max-width: 100%; }
.answer { display: flex; flex-wrap: wrap; gap: 0 1.5rem; align-items: flex-start; }
.warning { display: inline-block; margin-top: 0.3rem; background: #fff4e5; color: #7a4100;
           border-left: 4px solid #e8a33d; padding: 0.15rem 0.5rem; }
.answer > div { flex: 0 1 auto; max-width: 100%; min-width: 0; }
.answer p.note { margin: 0.3rem 0; } .answer td { white-space: nowrap; }
.answer th { max-width: 7.5rem; } .answer th, .answer td { padding: 0.2rem 0.35rem; }
.answer > div:last-child { flex: 1 1 28rem; }
.plotly-graph-div { max-width: 100%; }
@media (max-width: 600px) {
  body { margin: 0.6rem auto; padding: 0 0.6rem; }
  h1 { font-size: 1.35rem; } h2 { font-size: 1.2rem; }
  .answer > div:last-child { flex-basis: 100%; }
  table, pre { font-size: 0.78rem; }
}
"""


#: on a narrow screen (a phone) every chart's legend goes under the plot, its dropdowns two to
#: a row, its side margins shrink: plotly lays a figure out once, in JavaScript, so CSS cannot
NARROW_JS = """
window.addEventListener('load', function () {
  if (window.innerWidth >= 600) { return; }
  document.querySelectorAll('.plotly-graph-div').forEach(function (gd) {
    if (!gd.layout) { return; }
    var menus = gd.layout.updatemenus || [];
    var rows = Math.ceil(menus.length / 2);
    var height = (gd.layout.height || 450) + 140;
    var update = {'legend.orientation': 'h', 'legend.x': 0, 'legend.xanchor': 'left',
                  'legend.yref': 'container', 'legend.y': 0, 'legend.yanchor': 'bottom',
                  'margin.l': 48, 'margin.r': 8, 'margin.b': 260, 'height': height,
                  'title.font.size': 13};
    if (menus.length) { update['margin.t'] = 70 + 36 * rows; }
    var plotPx = height - 260 - (menus.length ? 70 + 36 * rows : 80);
    menus.forEach(function (m, i) {
      update['updatemenus[' + i + '].x'] = (i % 2) * 0.5;
      update['updatemenus[' + i + '].y'] = 1 + (8 + 36 * (rows - 1 - Math.floor(i / 2))) / plotPx;
      update['updatemenus[' + i + '].font.size'] = 11;
    });
    Plotly.relayout(gd, update);
  });
});
"""


@dataclass(frozen=True)
class Section:
    """One titled part of the report: prose (HTML), figures, then tables with captions."""

    title: str
    intro_html: str = ""
    figures: Sequence[go.Figure] = field(default_factory=tuple)
    tables: Sequence[tuple[str, pd.DataFrame]] = field(default_factory=tuple)
    outro_html: str = ""

    @property
    def anchor(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")


def render_report(
    title: str, subtitle: str, sections: Sequence[Section], warnings: Sequence[str] = ()
) -> str:
    """The whole page as one string; each of ``warnings`` (stale data, ...) under the
    subtitle. The viewport tag lets a phone lay the page out at its own width."""
    nav = " ".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    body = "\n".join(_render_section(section) for section in sections)
    subtitle += "".join(
        f'<br><b class="warning">Warning: {html.escape(warning)}</b>' for warning in warnings
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script>'
        f'<script type="text/javascript">{PICKER_JS}{NARROW_JS}</script></head><body>'
        f'<h1>{html.escape(title)}</h1><p class="meta">{subtitle}</p><nav>{nav}</nav>'
        f"{body}</body></html>\n"
    )


def write_report(
    path: Path,
    title: str,
    subtitle: str,
    sections: Sequence[Section],
    warnings: Sequence[str] = (),
) -> Path:
    """Render and write ``report.html`` atomically; returns ``path``."""
    atomic_write_text(path, render_report(title, subtitle, sections, warnings))
    return path


def table_html(frame: pd.DataFrame, *, float_format: str = "{:,.2f}") -> str:
    """A compact HTML table; floats formatted, NaN shown as a dash."""

    def fmt(value: object) -> str:
        if isinstance(value, float):
            return "–" if pd.isna(value) else float_format.format(value)
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{fmt(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def figure_html(figure: go.Figure) -> str:
    """``figure.to_html(full_html=False, include_plotlyjs=False, ...)``, byte for byte, from
    ``figure_dict`` rather than ``figure.to_dict()``; the picker's script after a figure that
    has one."""
    return pio.to_html(
        figure_dict(figure),
        validate=False,  # the figure checked its values as they were set
        full_html=False,
        include_plotlyjs=False,
        config={"responsive": True},
        post_script=PICKER_CALL if has_picker(figure) else None,
    )


def figure_dict(figure: go.Figure) -> dict[str, object]:
    """``figure.to_dict()`` with its containers copied but not its arrays, and its 1-D float
    arrays base64-encoded here.

    ``to_dict`` deep-copies every trace so that its base64 encoding of the arrays (plotly 6 and
    later: ``convert_to_base64``) can replace them in the copy, and that encoding looks at
    each array through narwhals first; a fan chart has hundreds of traces, and the two were a
    quarter of the report's time. Copying the dicts and lists is enough (the arrays are only
    read), and a 1-D float64 array, all but a few of the report's, encodes as plotly's
    ``to_typed_array_spec`` encodes it: ``{"dtype": "f8", "bdata": base64 of its bytes}``.
    Every other array goes through plotly's own function. Read from the figure's ``_data``,
    ``_layout`` and ``_frame_objs``, what ``to_dict`` reads; a plotly without them gets
    ``to_dict`` itself (tests/backtest/report/test_html.py holds the two equal).
    """
    encode = hasattr(plotly_utils, "convert_to_base64")  # what to_dict does since plotly 6
    try:
        result: dict[str, object] = {
            "data": _copied(figure._data, encode),
            "layout": _copied(figure._layout, encode),
        }
        frames = [_copied(frame._props, encode) for frame in figure._frame_objs]
    except AttributeError:
        return figure.to_dict()
    if frames:
        result["frames"] = frames
    return result


#: keys whose values plotly's ``convert_to_base64`` leaves as they are (its ``is_skipped_key``)
_NOT_ENCODED = frozenset({"geojson", "layer", "layers", "range"})


def _copied(value: object, encode: bool) -> object:
    """``value`` with each dict, list and tuple in it copied and, if ``encode``, each array
    that is a dict's value base64-encoded as ``convert_to_base64`` does; other values as
    they are."""
    if isinstance(value, dict):
        copy = {}
        for key, item in value.items():
            if not encode or key in _NOT_ENCODED:
                copy[key] = _copied(item, False)
            elif (spec := _float_spec(item)) is not None:
                copy[key] = spec
            elif is_homogeneous_array(item):
                copy[key] = plotly_utils.to_typed_array_spec(item)
            else:
                copy[key] = _copied(item, encode)
        return copy
    if isinstance(value, list | tuple):
        # items of a list are not encoded, only walked into (as convert_to_base64 does)
        return type(value)(_copied(item, encode) for item in value)
    return value


#: plotly.js' names of the float types (plotly's ``plotlyjsShortTypes``)
_FLOAT_TYPES = {np.dtype(np.float32): "f4", np.dtype(np.float64): "f8"}


def _float_spec(values: object) -> object | None:
    """plotly's ``to_typed_array_spec`` of a 1-D float32 or float64 array or pandas Series
    (an empty one stays an empty array); None for anything else."""
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    if type(values) is not np.ndarray or values.ndim != 1 or values.dtype not in _FLOAT_TYPES:
        return None
    if values.size == 0:
        return np.array(values)  # to_typed_array_spec's read-only copy
    data = base64.b64encode(np.ascontiguousarray(values).tobytes()).decode("ascii")
    return {"dtype": _FLOAT_TYPES[values.dtype], "bdata": data}


def _render_section(section: Section) -> str:
    parts = [f'<h2 id="{section.anchor}">{html.escape(section.title)}</h2>', section.intro_html]
    for figure in section.figures:
        parts.append(figure_html(figure))
    for caption, frame in section.tables:
        parts.append(f'<p class="note">{caption}</p>{table_html(frame)}')
    parts.append(section.outro_html)
    return "\n".join(parts)
