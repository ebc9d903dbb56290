"""Which scenarios and inflow schedules the report draws, decided from the grid alone.

The run asks before computing (each chunk returns the fan bands of the drawn scenarios it
holds), and ``[compute] write_flows = "drawn"`` writes only the drawn schedules to flows.csv;
the report's charts and pickers (``backtest.report``) then draw exactly these. A large grid
keeps at most ``MAX_DRAWN`` of each, every axis's range kept (``bounded_axes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from backtest.study.config import Scenario, Study
from backtest.study.schedules import inflow_axes

#: scenarios a fan chart draws at most (each is three lines of about 500 points per asset)
MAX_DRAWN = 96


def drawn_scenarios(
    study: Study, scenarios: Sequence[Scenario]
) -> tuple[list[int], dict[str, list[object]]]:
    """The scenarios the charts draw (all, unless over ``MAX_DRAWN``) and the axes they span."""
    axes = bounded_axes(grid_values(study), MAX_DRAWN)
    drawn = [
        index
        for index, scenario in enumerate(scenarios)
        if all(value in axes[key.name] for key, value in scenario.axes.items())
    ]
    return drawn, axes


def drawn_inflows(
    scenarios: Sequence[Scenario], schedules: Iterable[str]
) -> dict[str, Mapping[str, object]]:
    """The inflow schedules the flow charts draw: label → grid values, at most ``MAX_DRAWN``.

    ``schedules`` are the run's schedule labels; ``[compute] write_flows = "drawn"`` writes
    these to flows.csv.
    """
    axes_of = inflow_axes(scenarios)
    scheduled = {label: axes_of[label] for label in schedules if label in axes_of}
    return bounded_labels(scheduled, MAX_DRAWN)


def grid_values(study: Study) -> dict[str, list[object]]:
    """Every grid axis by its key name (``lag_months``), values in grid order."""
    return {key.name: list(values) for key, values in study.grid_axes.items()}


def bounded_axes(
    axes: Mapping[str, Sequence[object]], max_combinations: int
) -> dict[str, list[object]]:
    """The axes with values dropped, evenly, until their product is at most ``max_combinations``.

    The axis with the most values loses one at a time (its first and last are kept while it
    has three or more), so a large grid still offers its range in every dropdown.
    """
    kept = {axis: list(values) for axis, values in axes.items()}
    while int(np.prod([len(v) for v in kept.values()] or [1])) > max_combinations:
        axis = max(kept, key=lambda a: len(kept[a]))
        values = kept[axis]
        if len(values) <= 1:
            break
        positions = np.unique(np.linspace(0, len(values) - 1, len(values) - 1).round().astype(int))
        kept[axis] = [values[i] for i in positions]
    return kept


def bounded_labels(
    axes_of: Mapping[str, Mapping[str, object]], max_labels: int
) -> dict[str, Mapping[str, object]]:
    """The labels (each with its grid values) a figure draws: at most about ``max_labels``.

    The axes' values are cut by ``bounded_axes`` and the labels whose values all survive
    are kept, in their order, so every dropdown still spans its range.
    """
    axes: dict[str, list[object]] = {}
    for values in axes_of.values():
        for key, value in values.items():
            if value not in axes.setdefault(key, []):
                axes[key].append(value)
    kept = bounded_axes(axes, max_labels)
    return {
        label: values
        for label, values in axes_of.items()
        if all(value in kept[key] for key, value in values.items())
    }


__all__ = [
    "MAX_DRAWN",
    "bounded_axes",
    "bounded_labels",
    "drawn_inflows",
    "drawn_scenarios",
    "grid_values",
]
