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
from numba import njit
from vectorbt.portfolio import dispatch as portfolio_dispatch
from vectorbt.portfolio import nb as portfolio_nb
from vectorbt.portfolio.enums import Direction, SizeType
from vectorbt.records.nb import col_map_nb
from vectorbt.returns import nb as returns_nb
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


@njit(cache=True)
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
    """
    n_series, n_days, n_k = close.shape
    n_rows = rows.shape[0]
    value = np.empty(n_days)  # one buffer, reused by every column
    for j in range(out.shape[1]):
        col = col_offset + j
        series = (j // n_k) % n_series
        k = j % n_k
        position = 0.0
        cash_now = add_nb(init_cash[col], 0.0)  # vectorbt's cash before the first order
        r = 0
        for t in range(n_days):
            if r < n_rows and rows[r] == t:
                position = assets[r, col]
                cash_now = cash[r, col]
                r += 1
            value[t] = cash_now + close[series, t, k] * position
        returns = returns_nb.returns_1d_nb(value, init_cash[col])
        out[0, j] = (value[n_days - 1] / init_cash[col] - 1.0) * 100
        out[1, j] = returns_nb.annualized_return_1d_nb(returns, ann_factor) * 100
        out[2, j] = returns_nb.sharpe_ratio_1d_nb(returns, ann_factor)
        out[3, j] = returns_nb.sortino_ratio_1d_nb(returns, ann_factor)
        out[4, j] = returns_nb.max_drawdown_1d_nb(returns) * 100
