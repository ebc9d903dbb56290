"""The statistics plumbing of backtest/study/sensitivity.py, with the engine swapped out.

The Ishigami function, f = sin x1 + 7 sin² x2 + 0.1 x3⁴ sin x1 on [-π, π]³, has known Sobol'
indices (Ishigami & Homma 1990; Saltelli et al. 2008, "Global Sensitivity Analysis: The
Primer"): S1 = 0.3139, 0.4424, 0 and ST = 0.5576, 0.4424, 0.2437, computed here from
the closed form, not from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backtest.study.sensitivity.config import ParameterRange
from backtest.study.sensitivity.designs import (
    indices,
    morris_design,
    notes,
    oat_design,
    reliable_samples,
    sobol_design,
)


def ishigami(values: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    x1, x2, x3 = values[:, 0], values[:, 1], values[:, 2]
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Closed form: V1, V2, V13 and the total variance."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / total, np.array([v1 + v13, v2, v13]) / total


ISHIGAMI = tuple(
    ParameterRange(key=f"x{i}", section="impact", low=-math.pi, high=math.pi) for i in (1, 2, 3)
)


def _sobol(samples: int, seed: int = 11) -> pd.DataFrame:
    design = sobol_design(ISHIGAMI, samples, seed)
    return indices(design, ishigami(design.values), seed=seed)


def test_the_closed_form_is_the_textbook_one() -> None:
    first, total = ishigami_indices()
    np.testing.assert_allclose(first, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(total, [0.5576, 0.4424, 0.2437], atol=1e-4)


def test_sobol_plumbing_reproduces_the_ishigami_indices() -> None:
    table = _sobol(4096)
    first, total = ishigami_indices()
    assert list(table["parameter"]) == ["x1", "x2", "x3"]
    np.testing.assert_allclose(table["S1"], first, atol=0.03)
    np.testing.assert_allclose(table["ST"], total, atol=0.03)
    # and the known values lie inside the reported intervals
    assert (np.abs(table["S1"] - first) <= table["S1_conf"]).all()
    assert (np.abs(table["ST"] - total) <= table["ST_conf"]).all()
    assert table[["mu_star", "output_at_low"]].isna().all().all()  # not this method's columns


def test_doubling_n_moves_the_indices_within_their_intervals() -> None:
    small, large = _sobol(1024), _sobol(2048)
    for column in ("S1", "ST"):
        moved = (large[column] - small[column]).abs()
        assert (moved <= small[f"{column}_conf"]).all(), (column, moved.tolist())
    # the intervals shrink roughly as 1/sqrt(N)
    assert (large["ST_conf"] < small["ST_conf"]).all()


def test_same_seed_same_indices_other_seed_other_sample() -> None:
    pd.testing.assert_frame_equal(_sobol(512, seed=5), _sobol(512, seed=5))
    other = _sobol(512, seed=6)
    assert not np.allclose(other["S1"], _sobol(512, seed=5)["S1"])


def test_saltelli_design_has_n_times_d_plus_2_points_on_the_ranges() -> None:
    ranges = (
        ParameterRange(key="multiplier", section="impact", low=2.0, high=60.0, scale="log"),
        ParameterRange(key="lag_months", section="inflow", low=6, high=24, integer=True),
    )
    design = sobol_design(ranges, 256, seed=1)
    assert len(design) == 256 * (2 + 2)
    m, lag = design.values[:, 0], design.values[:, 1]
    assert m.min() >= 2.0 and m.max() <= 60.0
    # log scale: the median sits near the geometric mean, not the arithmetic one
    assert abs(np.median(m) - math.sqrt(2 * 60)) < 1.5
    assert set(np.unique(lag)) == set(range(6, 25))  # every whole month, nothing else
    counts = np.bincount(lag.astype(int) - 6)
    assert counts.min() > 0.5 * counts.mean()  # about uniform
    frame = design.frame()
    assert frame["lag_months"].dtype == np.int64


def test_parameter_ranges_map_the_unit_interval() -> None:
    whole = ParameterRange(key="ramp_months", section="inflow", low=6, high=36, integer=True)
    np.testing.assert_array_equal(whole.values([0.0, 0.999999, 1.0]), [6, 36, 36])
    log = ParameterRange(key="multiplier", section="impact", low=2.0, high=50.0, scale="log")
    np.testing.assert_allclose(log.values([0.0, 0.5, 1.0]), [2.0, 10.0, 50.0])
    linear = ParameterRange(key="allocation", section="inflow", low=0.01, high=0.05)
    np.testing.assert_allclose(linear.values([0.0, 0.25, 1.0]), [0.01, 0.02, 0.05])
    assert isinstance(whole.typed(12.0), int) and isinstance(log.typed(3), float)


def test_morris_ranks_a_linear_function_by_its_slopes() -> None:
    ranges = tuple(
        ParameterRange(key=f"x{i}", section="impact", low=0.0, high=1.0) for i in range(3)
    )
    design = morris_design(ranges, 50, 4, seed=3)
    assert len(design) == 50 * 4
    y = 10 * design.values[:, 0] + 1 * design.values[:, 1] + 0 * design.values[:, 2]
    table = indices(design, y, seed=3)
    # elementary effects of a linear function are its slopes over the whole range
    np.testing.assert_allclose(table["mu_star"], [10.0, 1.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(table["sigma"], [0.0, 0.0, 0.0], atol=1e-9)
    assert table[["S1", "ST"]].isna().all().all()


def test_one_at_a_time_moves_one_parameter_from_the_study_point() -> None:
    design = oat_design(ISHIGAMI, [0.0, 0.5, 1.0])
    assert len(design) == 1 + 2 * 3
    assert design.point[:3] == ("study", "x1:low", "x1:high")
    table = indices(design, ishigami(design.values))
    at_study = ishigami(np.array([[0.0, 0.5, 1.0]]))[0]
    assert (table["output_at_study"] == at_study).all()
    x2_high = ishigami(np.array([[0.0, math.pi, 1.0]]))[0]
    assert table.loc[1, "output_at_high"] == pytest.approx(x2_high)
    assert table[["S1", "mu_star"]].isna().all().all()


def test_a_constant_output_has_no_indices_and_a_broken_one_is_refused() -> None:
    design = sobol_design(ISHIGAMI, 64, seed=1)
    flat = indices(design, np.full(len(design), 3.0))
    assert flat[["S1", "ST"]].isna().all().all()
    broken = np.zeros(len(design))
    broken[5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        indices(design, broken)


def test_a_constant_output_is_said_in_words() -> None:
    design = sobol_design(ISHIGAMI, 64, seed=1)
    flat = np.full(len(design), 3.0)
    [note] = notes(design, flat, indices(design, flat), 64, "uplift (BTC, multiplier)")
    assert note.startswith("uplift (BTC, multiplier) is constant over the samples (3)")
    assert "NaN" in note


def test_small_samples_say_below_which_n_the_ranking_is_not_reliable() -> None:
    small = sobol_design(ISHIGAMI, 64, seed=1)
    found = indices(small, ishigami(small.values), seed=1)
    needed = reliable_samples("sobol", found, 64)
    assert needed is not None and needed > 64 and needed & (needed - 1) == 0
    # the rule: some leading neighbours' intervals overlap at N = 64
    ranked = found.sort_values("ST", ascending=False)
    gaps = -np.diff(ranked["ST"].to_numpy())
    widths = ranked["ST_conf"].to_numpy()[:-1] + ranked["ST_conf"].to_numpy()[1:]
    assert (widths > gaps).any()
    [note] = notes(small, ishigami(small.values), found, 64, "f")
    assert f"not reliable below samples = {needed:,}" in note
    large = sobol_design(ISHIGAMI, 4096, seed=1)
    found = indices(large, ishigami(large.values), seed=1)
    assert reliable_samples("sobol", found, 4096) is None
    assert notes(large, ishigami(large.values), found, 4096, "f") == []
