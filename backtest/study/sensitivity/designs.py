"""Global sensitivity analysis: which points to run (designs) and what they say (indices).

SALib does the statistics; this module only hands it the unit cube and takes its answers:

- Sobol' (variance-based): Saltelli's scheme on a scrambled Sobol' sequence
  (``SALib.sample.sobol``, N·(D+2) points for D parameters) and Saltelli/Jansen estimators of
  the first-order index S1 (the share of the output's variance a parameter explains alone) and
  the total index ST (its share including every interaction), with bootstrap confidence
  intervals (``SALib.analyze.sobol``; Saltelli et al. 2010, Comput. Phys. Commun. 181(2)).
- Morris (elementary effects): N trajectories of D+1 points on a ``levels`` grid
  (``SALib.sample.morris``), and mu* (mean absolute effect of moving a parameter over its
  whole range: a ranking), its bootstrap interval and σ (spread of the effect: interactions or
  non-linearity) (``SALib.analyze.morris``; Campolongo et al. 2007).
- One at a time: the study point, then each parameter at its low and at its high end with the
  others at their study values (2·D + 1 points): the swings of a tornado chart.

Every design lives on the unit cube [0, 1]^D; ``ParameterRange.values`` maps it to the keys'
units (log scales and whole numbers included), so SALib never sees the keys' own scales and
Morris' mu* is per whole range, comparable across parameters. Nothing here knows the engine:
``evaluate`` is any function from a design's values to outputs (the tests swap in Ishigami).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from backtest.study.sensitivity.config import ParameterRange

FloatArray = npt.NDArray[np.float64]
#: the columns every sensitivity.csv row has (NaN where a method does not give one)
INDEX_COLUMNS = (
    "S1",
    "S1_conf",
    "ST",
    "ST_conf",
    "mu_star",
    "mu_star_conf",
    "sigma",
    "output_at_low",
    "output_at_high",
    "output_at_study",
)


@dataclass(frozen=True, eq=False)
class Design:
    """Points to run: ``values[point, parameter]`` in the keys' units.

    ``unit`` is the same points on the unit cube (what SALib analyses; for one at a time the
    study point is not on it and ``unit`` is None); ``point`` names each row's role:
    ``"sobol"``/``"morris"``, or ``"study"``, ``"<key>:low"``, ``"<key>:high"``.
    """

    method: str
    parameters: tuple[ParameterRange, ...]
    values: FloatArray
    unit: FloatArray | None
    point: tuple[str, ...]
    levels: int = 0  # Morris' grid

    def __len__(self) -> int:
        return self.values.shape[0]

    def frame(self) -> pd.DataFrame:
        """The values as a table, one column per key (whole-number keys as integers)."""
        columns = {}
        for j, parameter in enumerate(self.parameters):
            column = self.values[:, j]
            columns[parameter.key] = column.astype(np.int64) if parameter.integer else column
        return pd.DataFrame(columns)


def problem(parameters: Sequence[ParameterRange]) -> dict[str, object]:
    """SALib's problem: every parameter on the unit interval."""
    return {
        "num_vars": len(parameters),
        "names": [p.key for p in parameters],
        "bounds": [[0.0, 1.0]] * len(parameters),
    }


def sobol_design(parameters: Sequence[ParameterRange], samples: int, seed: int) -> Design:
    """Saltelli's N·(D+2) points (no second-order indices) on a scrambled Sobol' sequence."""
    from SALib.sample import sobol

    unit = sobol.sample(problem(parameters), samples, calc_second_order=False, seed=seed)
    return _on_unit_cube("sobol", parameters, unit)


def morris_design(
    parameters: Sequence[ParameterRange], trajectories: int, levels: int, seed: int
) -> Design:
    """Morris' ``trajectories`` × (D+1) points on a grid of ``levels`` values per parameter."""
    from SALib.sample import morris

    unit = morris.sample(problem(parameters), trajectories, num_levels=levels, seed=seed)
    return _on_unit_cube("morris", parameters, unit, levels)


def oat_design(parameters: Sequence[ParameterRange], study_values: Sequence[float]) -> Design:
    """The study point, then each parameter at its low and at its high end (2·D + 1 points)."""
    base = np.asarray(study_values, dtype=np.float64)
    rows, names = [base.copy()], ["study"]
    for j, parameter in enumerate(parameters):
        for end, value in (("low", parameter.low), ("high", parameter.high)):
            row = base.copy()
            row[j] = value
            rows.append(row)
            names.append(f"{parameter.key}:{end}")
    return Design("oat", tuple(parameters), np.vstack(rows), None, tuple(names))


def _on_unit_cube(
    method: str, parameters: Sequence[ParameterRange], unit: FloatArray, levels: int = 0
) -> Design:
    values = np.column_stack([p.values(unit[:, j]) for j, p in enumerate(parameters)])
    return Design(method, tuple(parameters), values, unit, (method,) * len(unit), levels)


def indices(
    design: Design,
    output: FloatArray,
    *,
    resamples: int = 100,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per parameter: ``low``, ``high`` and the ``INDEX_COLUMNS`` the method gives.

    A constant output (no parameter moves it) has no variance to share out: its indices are
    NaN. An output with a NaN or infinite value is refused.
    """
    y = np.asarray(output, dtype=np.float64)
    if y.shape != (len(design),):
        raise ValueError(f"{y.shape[0]} outputs for a design of {len(design)} points")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{int((~np.isfinite(y)).sum())} outputs are NaN or infinite")
    table = pd.DataFrame(
        {
            "parameter": [p.key for p in design.parameters],
            "low": [p.low for p in design.parameters],
            "high": [p.high for p in design.parameters],
            **{column: np.nan for column in INDEX_COLUMNS},
        }
    )
    if design.method == "oat":
        at = dict(zip(design.point, y, strict=True))
        table["output_at_low"] = [at[f"{p.key}:low"] for p in design.parameters]
        table["output_at_high"] = [at[f"{p.key}:high"] for p in design.parameters]
        table["output_at_study"] = at["study"]
        return table
    if is_constant(y):
        return table  # SALib would warn and divide by zero; ``notes`` says so in words
    # SALib seeds its bootstrap only for a non-zero seed (else it draws from numpy's global one)
    salib_seed = seed + 1
    if design.method == "sobol":
        from SALib.analyze import sobol

        found = sobol.analyze(
            problem(design.parameters),
            y,
            calc_second_order=False,
            num_resamples=resamples,
            conf_level=confidence,
            seed=salib_seed,
        )
        for column in ("S1", "S1_conf", "ST", "ST_conf"):
            table[column] = np.asarray(found[column], dtype=np.float64)
        return table
    from SALib.analyze import morris

    if design.unit is None:
        raise ValueError("a Morris design needs its points on the unit cube")
    found = morris.analyze(
        problem(design.parameters),
        design.unit,
        y,
        num_resamples=resamples,
        conf_level=confidence,
        num_levels=design.levels,
        seed=salib_seed,
    )
    for column in ("mu_star", "mu_star_conf", "sigma"):
        table[column] = np.asarray(found[column], dtype=np.float64)
    return table


def is_constant(output: FloatArray) -> bool:
    """True when the outputs do not vary beyond float rounding (no variance to share out)."""
    y = np.asarray(output, dtype=np.float64)
    return bool(np.ptp(y) <= np.finfo(float).eps * max(1.0, float(np.abs(y).max())))


#: the index each method ranks by, and its interval's half-width
_RANKED_BY = {"sobol": ("ST", "ST_conf"), "morris": ("mu_star", "mu_star_conf")}
#: indices below this share of the largest are not ranked (assumption: a parameter carrying
#: less than 5 % of the leading one's effect is "does not matter", whatever its place)
LEADING_SHARE = 0.05


def reliable_samples(method: str, table: pd.DataFrame, samples: int) -> int | None:
    """The sample size from which the leading parameters' intervals no longer overlap, when
    it is above ``samples``; None when the ranking already holds (or there is none).

    Two neighbours in the ranking are told apart when the gap between their indices exceeds
    the sum of their intervals' half-widths. Bootstrap intervals shrink as 1/sqrt(N), so a
    pair with gap g and half-widths c1 + c2 = w at N needs about N·(w/g)² samples; the answer
    is the largest over the leading pairs (indices at least ``LEADING_SHARE`` of the largest),
    as a power of two for Sobol' (its sequence needs one). Exact ties are left out: no N
    separates them.
    """
    if method not in _RANKED_BY:
        return None
    column, conf = _RANKED_BY[method]
    ranked = table[[column, conf]].dropna().sort_values(column, ascending=False)
    value, half = ranked[column].to_numpy(), ranked[conf].to_numpy()
    if len(value) < 2 or value[0] <= 0:
        return None
    leading = int(np.sum(value >= LEADING_SHARE * value[0]))
    pairs = range(min(leading, len(value) - 1))
    gap = np.array([value[i] - value[i + 1] for i in pairs])
    width = np.array([half[i] + half[i + 1] for i in pairs])
    separable = gap > 0
    if not separable.any():
        return None
    needed = samples * float(np.max((width[separable] / gap[separable]) ** 2))
    if needed <= samples:
        return None
    whole = math.ceil(needed)
    return 1 << (whole - 1).bit_length() if method == "sobol" else whole


def notes(
    design: Design, output: FloatArray, found: pd.DataFrame, samples: int, label: str
) -> list[str]:
    """What a reader must know about one output's indices, in words: a constant output (its
    indices are NaN on purpose), or a ranking its intervals cannot support at ``samples``."""
    y = np.asarray(output, dtype=np.float64)
    if design.method == "oat":
        return []
    if is_constant(y):
        return [
            f"{label} is constant over the samples ({float(y[0]):g}): no parameter moves it, "
            "so it has no indices (NaN)"
        ]
    needed = reliable_samples(design.method, found, samples)
    if needed is None:
        return []
    column, conf = _RANKED_BY[design.method]
    widest = float(found[conf].max())
    return [
        f"{label}: with samples = {samples:,} the {column} intervals (up to ±{widest:.2g}) are "
        f"wider than the gaps between the leading indices, so their ranking is not reliable "
        f"below samples = {needed:,}"
    ]


__all__ = [
    "INDEX_COLUMNS",
    "LEADING_SHARE",
    "Design",
    "indices",
    "is_constant",
    "morris_design",
    "notes",
    "oat_design",
    "problem",
    "reliable_samples",
    "sobol_design",
]
