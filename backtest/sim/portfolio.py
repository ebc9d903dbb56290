"""vectorbt's order simulation and metric kernels on plain arrays: the evaluation's hot path.

For one strategy over many columns (a column is one close-price series and its orders):

1. vectorbt simulates the orders: ``vectorbt.portfolio.dispatch.simulate_from_orders``, the
   call ``Portfolio.from_orders`` makes (its Rust engine when installed, else numba), with the
   defaults ``from_orders`` uses, on numpy arrays instead of pandas frames, and on the days that
   carry an order only. That is exact, not an approximation: with orders filled at the day's
   close (``price = inf``), valued at that close (``val_price = inf``) and sized in shares or
   USD (``size_type`` amount or value), nothing in vectorbt's simulation reads a day without
   an order, so the order records are the same (their ``idx`` counts order days).
2. vectorbt's record kernels (``asset_flow_nb``, ``assets_nb``, ``cash_flow_nb``, ``cash_nb``)
   turn the records into the position and cash after each order day; in between they do not
   change (vectorbt adds a zero flow with ``add_nb``, which leaves them as they are).
3. ``column_metrics_nb``, per column, writes the value path cash + close × position (vectorbt's
   ``value_nb`` of ``asset_value_nb``) day by day into one reused buffer, reading the close
   prices where they lie (the engine's ``[scenario, path, day, asset]`` array, no copy), and
   applies vectorbt's 1-D return kernels (``vectorbt.returns.nb``) to that contiguous series.

So no array of the grid's full size is made per strategy: the simulation's arrays have one row
per order day, the value path lives in one buffer of ``n_days``. The numbers are vectorbt's
``Portfolio.from_orders(...).value()`` and its returns accessor (checked in
tests/backtest/sim/test_evaluate.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit, prange
from vectorbt.portfolio import dispatch as portfolio_dispatch
from vectorbt.portfolio import nb as portfolio_nb
from vectorbt.portfolio.enums import Direction, SizeType
from vectorbt.records.nb import col_map_nb
from vectorbt.utils.math_ import add_nb

N_METRICS = 5  # total return %, CAGR %, Sharpe, Sortino, max drawdown %: rows of the output

# Portfolio.from_orders' defaults that differ from simulate_from_orders' (vectorbt settings
# ``portfolio.min_size``); the rest are the same on both.
_MIN_SIZE = 1e-8

_SIZE_TYPES = {"amount": SizeType.Amount, "value": SizeType.Value}


@dataclass(frozen=True)
class CloseColumns:
    """A run of ``n_columns`` columns whose close prices are read where they lie.

    ``close`` is ``[series, day, k]``; column j of the run reads ``close[(j // k) % series, :,
    j % k]``. The engine's ``[scenario, path, day, asset]`` array reshaped to ``[scenario ×
    path, day, asset]`` gives the columns (scenario, path, asset); a baseline ``[path, day,
    asset]`` repeated over groups gives (group, path, asset); a ``[day, column]`` array as
    ``[1, day, column]`` gives its own columns.
    """

    close: np.ndarray
    n_columns: int


def order_days(size: np.ndarray) -> np.ndarray:
    """Rows of ``size`` (``[day, column]``, NaN = no order) holding at least one order; day 0
    when there is none (so the simulation has a row)."""
    rows = np.flatnonzero(~np.isnan(size).all(axis=1))
    return rows if rows.size else np.zeros(1, dtype=np.int64)


def portfolio_metrics(
    parts: Sequence[CloseColumns],
    rows: np.ndarray,
    size: np.ndarray,
    size_type: str,
    init_cash_usd: np.ndarray,
    fee: float,
    ann_factor: float,
) -> np.ndarray:
    """``[metric, column]``: the five metrics (total return %, CAGR %, Sharpe, Sortino, max
    drawdown %) of every column of ``parts`` (in order), long only, all in vectorbt.

    ``size`` is ``[order day, column]`` on the days ``rows`` (NaN = no order; ±inf all in / all
    out with ``size_type="amount"``), ``init_cash_usd`` one value per column, ``fee`` a fraction
    of each trade's value, ``ann_factor`` days per year.
    """
    rows = np.asarray(rows, dtype=np.int64)
    size = np.ascontiguousarray(size, dtype=np.float64)
    init_cash = np.ascontiguousarray(init_cash_usd, dtype=np.float64)
    n_columns = sum(part.n_columns for part in parts)
    if size.shape != (rows.size, n_columns) or init_cash.shape != (n_columns,):
        raise ValueError("size must be [order day, column] and init_cash one value per column")
    close = np.concatenate([_close_on(part, rows) for part in parts], axis=1)
    shape = (rows.size, n_columns)
    with np.errstate(divide="ignore", invalid="ignore"):  # flat cash columns: 0/0 ratios
        records, _ = portfolio_dispatch.simulate_from_orders(
            shape,
            np.ones(n_columns, dtype=np.int64),  # no cash sharing: one group per column
            init_cash,
            np.zeros(shape, dtype=np.int64),  # call sequence: one column per group
            size=size,
            price=np.asarray(np.inf),  # fill at the close
            size_type=np.asarray(_SIZE_TYPES[size_type]),
            direction=np.asarray(Direction.LongOnly),  # ALL_OUT closes, never opens a short
            fees=np.asarray(fee),
            min_size=np.asarray(_MIN_SIZE),
            close=close,
            max_orders=max(int(np.count_nonzero(~np.isnan(size))), 1),
        )
        col_map = col_map_nb(records["col"], n_columns)
        assets = portfolio_nb.assets_nb(
            portfolio_nb.asset_flow_nb(shape, records, col_map, Direction.Both)
        )
        cash = portfolio_nb.cash_nb(
            portfolio_nb.cash_flow_nb(shape, records, col_map, False), init_cash
        )
        out = np.empty((N_METRICS, n_columns))
        offset = 0
        for part in parts:
            column_metrics_nb(
                np.ascontiguousarray(part.close, dtype=np.float64),
                offset,
                rows,
                assets,
                cash,
                init_cash,
                ann_factor,
                out[:, offset : offset + part.n_columns],
            )
            offset += part.n_columns
    return out


def _close_on(part: CloseColumns, rows: np.ndarray) -> np.ndarray:
    """The part's close prices on the order days, ``[order day, column]``."""
    n_series, _, n_k = part.close.shape
    picked = part.close[:, rows, :].transpose(1, 0, 2).reshape(rows.size, n_series * n_k)
    repeats, rest = divmod(part.n_columns, n_series * n_k)
    if rest:
        raise ValueError("a run of columns must cover its close array a whole number of times")
    return np.tile(picked, (1, repeats))


#: columns of ``column_metrics_nb`` run in this many blocks (in parallel), one returns buffer each
_BLOCKS = 64


@njit(cache=True, error_model="numpy", parallel=True)
def column_metrics_nb(
    close: np.ndarray,
    col_offset: int,
    rows: np.ndarray,
    assets: np.ndarray,
    cash: np.ndarray,
    init_cash: np.ndarray,
    ann_factor: float,
    out: np.ndarray,
) -> None:
    """Metrics ``out[metric, j]`` of the columns ``col_offset + j`` of the simulation.

    ``close`` is ``[series, day, k]`` (see ``CloseColumns``); ``assets`` and ``cash`` are
    vectorbt's position and cash ``[order day, column]`` after the order days ``rows``.

    One pass over each column's days makes the value v_t = cash + close_t × position, the
    return r_t = (v_t − v_{t−1}) / v_{t−1} (v_{−1} the initial cash; vectorbt's
    ``get_return_nb``, with its rules for a zero or negative previous value) and, skipping
    NaN returns as vectorbt's nan-functions do, the running Σr, Σmin(r, 0)², Π(1 + r) and the
    drawdown 100·Π / max(100·Π) − 1 (vectorbt's ``cum_returns_1d_nb`` with start 100 and
    ``expanding_max_1d_nb``). Then, with n the count of returns and m = Σr / n:

    - total return % = (v_T / cash_0 − 1) × 100; CAGR % = (Π^(365 / T) − 1) × 100;
    - Sharpe = m / std(r, ddof 1) × √365, +inf when std is 0;
    - Sortino = m × 365 / (√(Σmin(r, 0)² / n) × √365), +inf when that is 0;
    - max drawdown % = min_t drawdown_t × 100 (NaN if any is NaN, as ``np.min``).

    The variance is Σ(r − m)² / n × n / (n − 1), summed in a second loop over the returns
    (kept in a buffer of ``n_days`` per block of columns, reused by every column of the block)
    exactly as numba's ``np.nanvar`` does: every sum runs in the same order and with the same
    operations as vectorbt's ``vectorbt.returns.nb`` 1-D kernels, so the five numbers are
    theirs to the last bit (tests/backtest/sim/test_portfolio.py compares with them). A
    running Σr² instead would save that loop but move Sharpe by up to 5e-14 relative.
    """
    n_series, _, n_k = close.shape
    n_columns = out.shape[1]
    n_blocks = min(n_columns, _BLOCKS)
    for block in prange(n_blocks):
        returns = np.empty(close.shape[1])  # one buffer per block, reused by its columns
        for j in range(block * n_columns // n_blocks, (block + 1) * n_columns // n_blocks):
            _one_column_nb(
                close[(j // n_k) % n_series, :, j % n_k],
                col_offset + j,
                rows,
                assets,
                cash,
                init_cash[col_offset + j],
                ann_factor,
                returns,
                out[:, j],
            )


@njit(cache=True, error_model="numpy")
def _return_nb(previous: float, value: float) -> float:
    """vectorbt's ``get_return_nb``: the return from ``previous`` to ``value``."""
    if previous == 0.0:
        return 0.0 if value == 0.0 else np.inf * np.sign(value)
    r = (value - previous) / previous
    return -r if previous < 0.0 else r


@njit(cache=True, error_model="numpy")
def _one_column_nb(
    close: np.ndarray,
    col: int,
    rows: np.ndarray,
    assets: np.ndarray,
    cash: np.ndarray,
    init_cash: float,
    ann_factor: float,
    returns: np.ndarray,
    out: np.ndarray,
) -> None:
    """The five metrics of simulation column ``col`` into ``out``; ``close`` is its prices by
    day, ``returns`` a scratch buffer of the same length (see ``column_metrics_nb``)."""
    n_days = close.shape[0]
    n_rows = rows.shape[0]
    position = 0.0
    cash_now = add_nb(init_cash, 0.0)  # vectorbt's cash before the first order
    previous = init_cash
    value = previous
    r_next = 0
    count = 0
    sum_r = 0.0
    sum_down2 = 0.0
    growth = 1.0
    peak = -np.inf
    worst = np.inf
    for t in range(n_days):
        if r_next < n_rows and rows[r_next] == t:
            position = assets[r_next, col]
            cash_now = cash[r_next, col]
            r_next += 1
        value = cash_now + close[t] * position
        r = _return_nb(previous, value)
        previous = value
        returns[t] = r
        if not np.isnan(r):
            count += 1
            sum_r += r
            down = min(r, 0.0)  # vectorbt zeroes the positive returns: adding 0 keeps the sum
            sum_down2 += down * down
            growth *= r + 1.0
        # branch-free running max and min (no misprediction per day); a NaN growth stays NaN
        # (an inf stays inf or NaN) to the end, where it makes the drawdown NaN as vectorbt does
        level = growth * 100.0
        peak = max(peak, level)
        worst = min(worst, level / peak - 1.0)
    worst_is_nan = not np.isfinite(growth)  # an inf level gives inf / inf: NaN
    mean = sum_r / count
    squares = 0.0
    for t in range(n_days):
        if not np.isnan(returns[t]):
            deviation = returns[t] - mean
            squares += deviation * deviation
    out[0] = (value / init_cash - 1.0) * 100
    out[1] = (growth ** (ann_factor / n_days) - 1.0) * 100 if n_days > 0 else np.nan
    out[4] = np.nan if worst_is_nan else worst * 100
    out[2] = np.nan
    out[3] = np.nan
    if n_days >= 2:
        std = np.sqrt(squares / count * count / (count - 1)) if count > 1 else np.nan
        out[2] = np.inf if std == 0.0 else mean / std * np.sqrt(ann_factor)
        downside = np.sqrt(sum_down2 / count) * np.sqrt(ann_factor)
        out[3] = np.inf if downside == 0.0 else mean * ann_factor / downside
