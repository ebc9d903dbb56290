"""``np.percentile(values, q, axis=0)`` with its default 'linear' method, the same numbers, faster.

``quantiles_over_first_axis`` is the same for ``np.quantile`` (q in 0..1): the metric tables'
5th, 50th and 95th percentiles over paths of every (scenario, asset) cell take it too
(``backtest.sim.metrics.quantiles_over_paths``). The fan charts take the 5th, 50th and 95th
percentile over paths of every (day, asset) of a drawn scenario: thousands of short slices.
``np.percentile`` partitions each slice around every index it needs (eight selections of a
strided copy per slice), which made the bands a tenth of a default run. Sorting contiguous path
rows once and interpolating between the two neighbours with NumPy's own formula (its ``_lerp``:
``a + (b - a)·t``, and ``b - (b - a)·(1 - t)`` from ``t = 0.5`` on, at the same virtual index
``(n - 1)·q``) gives the same numbers bit for bit (tests/backtest/sim/test_percentiles.py
compares them, NaN and inf included) in about a quarter of the time
(benchmarks/bench_once_per_run.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def percentiles_over_first_axis(values: np.ndarray, percentiles: Sequence[float]) -> np.ndarray:
    """``[percentile, *values.shape[1:]]``, equal to ``np.percentile(values, percentiles, axis=0)``.

    A slice holding NaN gives NaN, as in NumPy; ``percentiles`` lie in 0..100.
    """
    q = np.true_divide(np.asarray(percentiles, dtype=np.float64), 100)  # as np.percentile
    if np.any((q < 0) | (q > 1)):
        raise ValueError(f"percentiles {list(percentiles)} outside 0..100")
    return quantiles_over_first_axis(values, q)


def quantiles_over_first_axis(
    values: np.ndarray, quantiles: Sequence[float] | np.ndarray
) -> np.ndarray:
    """``[quantile, *values.shape[1:]]``, equal to ``np.quantile(values, quantiles, axis=0)``.

    A slice holding NaN gives NaN, as in NumPy; ``quantiles`` lie in 0..1.
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[0]
    if n == 0:
        raise ValueError("percentiles over an empty axis")
    q = np.asarray(quantiles, dtype=np.float64).reshape(-1)
    if np.any((q < 0) | (q > 1)):
        raise ValueError(f"quantiles {list(q)} outside 0..1")
    # the sample axis last and contiguous: one sort per slice, in place on a copy
    rows = np.ascontiguousarray(np.moveaxis(values, 0, -1))
    rows.sort(axis=-1)
    virtual = (n - 1) * q  # NumPy's 'linear' virtual index
    out = np.empty((q.size, *values.shape[1:]))
    for k, (index, t) in enumerate(zip(virtual, _gammas(virtual, n), strict=True)):
        below, above = _neighbours(float(index), n)
        a, b = rows[..., below], rows[..., above]
        difference = b - a
        if t >= 0.5:
            np.subtract(b, difference * (1 - t), out=out[k])
        else:
            np.add(a, difference * t, out=out[k])
    has_nan = np.isnan(rows[..., -1])  # NaN sorts last
    if has_nan.any():
        out[:, has_nan] = np.nan
    return out


def _neighbours(index: float, n: int) -> tuple[int, int]:
    """The sorted positions either side of a virtual index, clipped as NumPy clips them."""
    if index >= n - 1:
        return n - 1, n - 1
    below = int(np.floor(index))
    return below, below + 1


def _gammas(virtual: np.ndarray, n: int) -> np.ndarray:
    """The interpolation weights NumPy uses: the index minus its floor, where past the last
    position the floor counts as -1 (NumPy's ``_get_indexes``; the weight then multiplies a
    zero difference)."""
    floor = np.floor(virtual)
    floor[virtual >= n - 1] = -1
    return virtual - floor


__all__ = ["percentiles_over_first_axis", "quantiles_over_first_axis"]
