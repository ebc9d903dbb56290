"""Scenario pickers: dropdowns on a plotly figure that choose which grid values it shows.

A figure draws every scenario it can show, each trace tagged with the grid values it belongs
to (``tag``: ``trace.meta = {"pick": {axis: value}}``); untagged traces (a baseline, the ETFs)
are always shown. ``add_picker`` adds one plotly dropdown (``layout.updatemenus``) per axis
with more than one value and shows the first value of each. Plotly's own buttons can only set
one fixed state, which cannot combine the choices of several dropdowns, so the buttons do
nothing themselves (``method = "skip"``) and ``PICKER_JS``, inlined once in the page, shows
the traces whose tags match every dropdown's choice on each click. No server: every choice's
data is in the page, which is why the figures bound what they draw (``bounded_axes``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from backtest.study.drawn import bounded_axes, bounded_labels

PICK = "pick"
#: points per line at most: a report's chart is about 1,100 px wide, so more would not show
MAX_POINTS = 500

PICKER_JS = """
window.flowimpactPicker = function (gd) {
  var spec = (gd.layout.meta || {}).picker;
  if (!spec) { return; }
  var chosen = {};
  spec.axes.forEach(function (axis) { chosen[axis] = spec.values[axis][0]; });
  (gd.layout.updatemenus || []).forEach(function (menu) {
    if (menu.name in chosen) { chosen[menu.name] = spec.values[menu.name][menu.active || 0]; }
  });
  gd.on('plotly_buttonclicked', function (event) {
    var axis = event.menu.name;
    if (!(axis in chosen)) { return; }
    chosen[axis] = spec.values[axis][event.active];
    var visible = gd.data.map(function (trace) {
      var tags = (trace.meta || {}).pick;
      if (!tags) { return trace.visible === undefined ? true : trace.visible; }
      var show = Object.keys(tags).every(function (k) {
        return !(k in chosen) || chosen[k] === tags[k];
      });
      if (!show) { return false; }
      return trace.visible === 'legendonly' ? 'legendonly' : true;
    });
    Plotly.restyle(gd, {visible: visible});
  });
};
"""
#: the call each picker figure's ``post_script`` makes (``{plot_id}`` is filled in by plotly)
PICKER_CALL = "window.flowimpactPicker(document.getElementById('{plot_id}'));"


def value_text(value: object) -> str:
    """A grid value as the picker shows and matches it (0.25, not 0.25000000000000001)."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def tag(trace: go.Scatter, values: Mapping[str, object]) -> go.Scatter:
    """Mark ``trace`` as belonging to the grid ``values`` (axis → value); returns it."""
    trace.meta = {PICK: {axis: value_text(v) for axis, v in values.items()}}
    return trace


#: a picker figure's height and margins (px): the menus sit between the title and the plot,
#: clear of annotations on the plot's top edge; 120 px at the bottom hold the source line
HEIGHT_PX, TOP_PX, BOTTOM_PX, MENU_GAP_PX = 600, 150, 120, 40


def add_picker(figure: go.Figure, axes: Mapping[str, Sequence[object]]) -> go.Figure:
    """One dropdown per axis with two or more values, left to right above the plot.

    Traces tagged for other than the first value of an axis are hidden to start with. Sets
    the figure's height and top and bottom margins (``HEIGHT_PX`` ...) to make room.
    """
    choices = {
        axis: [value_text(v) for v in values] for axis, values in axes.items() if len(values) > 1
    }
    if not choices:
        return figure
    first = {axis: values[0] for axis, values in choices.items()}
    for trace in figure.data:
        tags = (trace.meta or {}).get(PICK) if isinstance(trace.meta, dict) else None
        if tags and any(tags.get(axis, value) != value for axis, value in first.items()):
            trace.visible = False
    menus = []
    for index, (axis, values) in enumerate(choices.items()):
        menus.append(
            {
                "name": axis,
                "type": "dropdown",
                "active": 0,
                "showactive": True,
                "direction": "down",
                "x": index / max(len(choices), 4),
                "xanchor": "left",
                "y": 1 + MENU_GAP_PX / (HEIGHT_PX - TOP_PX - BOTTOM_PX),
                "yanchor": "bottom",
                "pad": {"r": 4, "t": 0},
                "buttons": [
                    {"label": f"{axis}: {value}", "method": "skip", "args": []}
                    for value in values
                ],
            }
        )
    figure.update_layout(
        updatemenus=menus,
        meta={"picker": {"axes": list(choices), "values": choices}},
        height=HEIGHT_PX,
        margin={"t": TOP_PX, "b": BOTTOM_PX},
        title={"y": 0.98, "yref": "container", "yanchor": "top"},  # above the menus
    )
    return figure


def has_picker(figure: go.Figure) -> bool:
    """True when ``add_picker`` gave the figure dropdowns (it then needs ``PICKER_CALL``)."""
    meta = figure.layout.meta
    return isinstance(meta, dict) and "picker" in meta


def thin(length: int, max_points: int = MAX_POINTS) -> slice:
    """Every k-th of ``length`` evenly spaced points, at most about ``max_points``, ending on
    the last one (the horizon): the kept points stay evenly spaced, so a line needs only its
    first x and the step (plotly's ``x0``/``dx``), not an x per point."""
    step = max(1, -(-length // max_points))
    return slice((length - 1) % step if length else 0, None, step)


def daily_x(days: pd.DatetimeIndex, keep: slice) -> dict[str, object]:
    """``x0`` and ``dx`` (milliseconds) of the days ``keep`` selects, for a scatter trace."""
    step = keep.step or 1
    first = days[keep.start or 0]
    return {"x0": first.strftime("%Y-%m-%d"), "dx": step * 86_400_000}


__all__ = [
    "MAX_POINTS",
    "PICKER_CALL",
    "PICKER_JS",
    "add_picker",
    "bounded_axes",
    "bounded_labels",
    "daily_x",
    "has_picker",
    "tag",
    "thin",
    "value_text",
]
