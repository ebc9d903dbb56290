"""vectorbt's order simulation on plain arrays, then one fused pass per column: the evaluation's
hot path.

For one strategy over many columns (a column is one close-price series and its orders):

1. vectorbt simulates the orders: ``vectorbt.portfolio.dispatch.simulate_from_orders``, the
   call ``Portfolio.from_orders`` makes (its Rust engine when installed, else numba), with the
   defaults ``from_orders`` uses, on numpy arrays instead of pandas frames, and on the days that
   carry an order only. That is exact, not an approximation: with orders filled at the day's
   close (``price = inf``), valued at that close (``val_price = inf``) and sized in shares or
   USD (``size_type`` amount or value), nothing in vectorbt's simulation reads a day without
   an order, so the order records are the same (their ``idx`` counts order days). Columns do
   not share cash, so they are simulated in blocks, one per numba thread, in threads of this
   process: the Rust engine releases the GIL, and each column's records are the same whatever
   block it is in.
2. ``column_metrics_nb``, per column in parallel, walks that column's order records (vectorbt's
   ``col_map_nb``) beside its days: after each order day the position and the cash are
   vectorbt's ``assets_nb`` / ``cash_nb`` of its ``asset_flow_nb`` / ``cash_flow_nb`` (the same
   ``add_nb`` sums in the same order, so the same bits, without their four ``[order day,
   column]`` arrays); each day's value is cash + close × position (vectorbt's ``value_nb`` of
   ``asset_value_nb``), read where the close prices lie (the engine's ``[scenario, path, day,
   asset]`` array, no copy); running sums of that value's returns give the five metrics in the
   same pass, with no buffer.

So no array of the grid's full size is made per strategy: the simulation's arrays have one row
per order day, and each column keeps only scalars. The numbers are vectorbt's
``Portfolio.from_orders(...).value()`` and its returns accessor, to 1e-10 relative (checked in
tests/backtest/sim/test_portfolio.py and tests/backtest/sim/test_evaluate.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
from numba import njit, prange
from vectorbt.portfolio import dispatch as portfolio_dispatch
from vectorbt.portfolio.enums import Direction, OrderSide, SizeType
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
    part_close = [np.ascontiguousarray(part.close, dtype=np.float64) for part in parts]
    part_start = np.cumsum([0] + [part.n_columns for part in parts])
    out = np.empty((N_METRICS, n_columns))
    with np.errstate(divide="ignore", invalid="ignore"):  # flat cash columns: 0/0 ratios
        blocks = _simulate(close, size, _SIZE_TYPES[size_type], init_cash, fee)
        del close
        while blocks:  # a block's records are dropped as soon as its metrics are out
            lo, hi, records = blocks.pop(0)
            col_idxs, col_lens = col_map_nb(records["col"], hi - lo)
            col_start = np.cumsum(col_lens) - col_lens
            for k in range(len(parts)):
                first, last = max(lo, part_start[k]), min(hi, part_start[k + 1])
                if first < last:
                    column_metrics_nb(
                        part_close[k], first - part_start[k], first - lo, rows, records,
                        col_idxs, col_start, col_lens, init_cash[lo:hi], ann_factor,
                        out[:, first:last],
                    )  # fmt: skip
    return out


#: fewest columns worth a thread of their own in the simulation (below, one call does them all);
#: small enough that a batch of ``EVALUATE_COLUMNS`` (4,000) still splits across two threads
_MIN_BLOCK_COLUMNS = 1_024


def _simulate(
    close: np.ndarray, size: np.ndarray, size_type: int, init_cash: np.ndarray, fee: float
) -> list[tuple[int, int, np.ndarray]]:
    """vectorbt's order records, per block of columns: ``(lo, hi, records)`` for the columns
    ``lo`` to ``hi`` of ``close``, the records' ``col`` counting from ``lo``.

    The columns are cut into one block per numba thread (``numba.get_num_threads()``, which a
    Dask worker sets to its share of the cores) and the blocks simulated in threads at once.
    """
    n_columns = close.shape[1]
    n_blocks = max(1, min(numba.get_num_threads(), n_columns // _MIN_BLOCK_COLUMNS))
    bounds = [n_columns * k // n_blocks for k in range(n_blocks + 1)]
    if n_blocks == 1:
        return [(0, n_columns, _simulate_block(close, size, size_type, init_cash, fee))]

    def block(k: int) -> tuple[int, int, np.ndarray]:
        lo, hi = bounds[k], bounds[k + 1]
        # contiguous copies: vectorbt hands only C-contiguous arrays to its Rust engine
        records = _simulate_block(
            np.ascontiguousarray(close[:, lo:hi]), np.ascontiguousarray(size[:, lo:hi]),
            size_type, init_cash[lo:hi], fee,
        )  # fmt: skip
        return lo, hi, records

    with ThreadPoolExecutor(n_blocks) as pool:
        return list(pool.map(block, range(n_blocks)))


def _simulate_block(
    close: np.ndarray, size: np.ndarray, size_type: int, init_cash: np.ndarray, fee: float
) -> np.ndarray:
    """``simulate_from_orders`` on ``[order day, column]`` arrays, one group per column."""
    shape = close.shape
    records, _ = portfolio_dispatch.simulate_from_orders(
        shape,
        np.ones(shape[1], dtype=np.int64),  # no cash sharing: one group per column
        init_cash,
        np.zeros(shape, dtype=np.int64),  # call sequence: one column per group
        size=size,
        price=np.asarray(np.inf),  # fill at the close
        size_type=np.asarray(size_type),
        direction=np.asarray(Direction.LongOnly),  # ALL_OUT closes, never opens a short
        fees=np.asarray(fee),
        min_size=np.asarray(_MIN_SIZE),
        close=close,
        max_orders=max(int(np.count_nonzero(~np.isnan(size))), 1),
    )
    return records


def _close_on(part: CloseColumns, rows: np.ndarray) -> np.ndarray:
    """The part's close prices on the order days, ``[order day, column]``."""
    n_series, _, n_k = part.close.shape
    picked = part.close[:, rows, :].transpose(1, 0, 2).reshape(rows.size, n_series * n_k)
    repeats, rest = divmod(part.n_columns, n_series * n_k)
    if rest:
        raise ValueError("a run of columns must cover its close array a whole number of times")
    return np.tile(picked, (1, repeats))


@njit(cache=True, error_model="numpy", parallel=True)
def column_metrics_nb(
    close: np.ndarray,
    close_offset: int,
    sim_offset: int,
    rows: np.ndarray,
    records: np.ndarray,
    col_idxs: np.ndarray,
    col_start: np.ndarray,
    col_lens: np.ndarray,
    init_cash: np.ndarray,
    ann_factor: float,
    out: np.ndarray,
) -> None:
    """Metrics ``out[metric, j]`` of column ``close_offset + j`` of ``close`` (``[series, day,
    k]``, see ``CloseColumns``), simulated as column ``sim_offset + j`` of ``records``:
    vectorbt's order records on the order days ``rows``, with their column map ``col_idxs``,
    ``col_start``, ``col_lens`` (``col_map_nb``: record ``col_idxs[col_start[c] + i]`` is
    column c's i-th) and the initial cash ``init_cash`` of those columns.

    One pass over each column's days, scalars only: at each order day the position and the
    cash take that day's record (vectorbt's ``add_nb`` sums: ``asset_flow_nb`` then
    ``assets_nb``, ``cash_flow_nb`` then ``cash_nb``); the value is v_t = cash + close_t ×
    position, the return r_t = (v_t − v_{t−1}) / v_{t−1} (v_{−1} the initial cash; vectorbt's
    ``get_return_nb``, with its rules for a zero or negative previous value) and, skipping
    NaN returns as vectorbt's nan-functions do, the running n, Σr, Σr², Σmin(r, 0)², Π(1 + r)
    and the drawdown 100·Π / max(100·Π) − 1 (vectorbt's ``cum_returns_1d_nb`` with start 100
    and ``expanding_max_1d_nb``). Then, with m = Σr / n:

    - total return % = (v_T / cash_0 − 1) × 100; CAGR % = (Π^(365 / T) − 1) × 100;
    - Sharpe = m / s × √365 with s² = (Σr² − m·Σr) / (n − 1), +inf when s is 0;
    - Sortino = m × 365 / (√(Σmin(r, 0)² / n) × √365), +inf when that is 0;
    - max drawdown % = min_t drawdown_t × 100 (NaN if any is NaN, as ``np.min``).

    Every number but Sharpe is vectorbt's (``vectorbt.returns.nb``'s 1-D kernels) to the last
    bit: the sums run in the same order with the same operations. vectorbt takes the variance
    in two passes, Σ(r − m)²; the running Σr² here differs from it by rounding only (on daily
    returns, where m² is far below s², a few units in the 14th digit), and spares a second
    pass over the days and a buffer per column.
    """
    n_series, _, n_k = close.shape
    for j in prange(out.shape[1]):
        c = close_offset + j
        col = sim_offset + j
        start = col_start[col]
        _one_column_nb(
            close[(c // n_k) % n_series, :, c % n_k],
            rows,
            records,
            col_idxs[start : start + col_lens[col]],
            init_cash[col],
            ann_factor,
            out[:, j],
        )


@njit(cache=True, error_model="numpy", inline="always")
def _return_nb(previous: float, value: float) -> float:
    """vectorbt's ``get_return_nb``: the return from ``previous`` to ``value``."""
    if previous == 0.0:
        return 0.0 if value == 0.0 else np.inf * np.sign(value)
    r = (value - previous) / previous
    return -r if previous < 0.0 else r


@njit(cache=True, error_model="numpy")
def _one_column_nb(
    close: np.ndarray,
    rows: np.ndarray,
    records: np.ndarray,
    own_records: np.ndarray,
    init_cash: float,
    ann_factor: float,
    out: np.ndarray,
) -> None:
    """The five metrics of one column into ``out``; ``close`` is its prices by day,
    ``own_records`` the indices of its records in ``records`` (see ``column_metrics_nb``)."""
    n_days = close.shape[0]
    n_rows = rows.shape[0]
    n_own = own_records.shape[0]
    position = 0.0
    cash_running = init_cash  # cash_nb's sum over the order days
    cash_now = add_nb(init_cash, 0.0)  # vectorbt's cash before the first order day
    previous = init_cash
    value = previous
    row = 0
    k = 0
    count = 0
    sum_r = 0.0
    sum_r2 = 0.0
    sum_down2 = 0.0
    growth = 1.0
    peak = -np.inf
    lowest = np.inf  # the lowest level since the peak
    worst = np.inf
    for t in range(n_days):
        if row < n_rows and rows[row] == t:
            asset_flow = 0.0
            cash_flow = 0.0
            if k < n_own and records[own_records[k]]["idx"] == row:
                record = records[own_records[k]]
                size = -record["size"] if record["side"] == OrderSide.Sell else record["size"]
                asset_flow = add_nb(0.0, size)
                cash_flow = add_nb(0.0, -size * record["price"] - record["fees"])
                k += 1
            position = add_nb(position, asset_flow)
            cash_running = add_nb(cash_running, cash_flow)
            cash_now = cash_running
            row += 1
        value = cash_now + close[t] * position
        r = _return_nb(previous, value)
        previous = value
        if not np.isnan(r):
            count += 1
            sum_r += r
            sum_r2 += r * r
            down = min(r, 0.0)  # vectorbt zeroes the positive returns: adding 0 keeps the sum
            sum_down2 += down * down
            growth *= r + 1.0
        # Under one peak, level / peak − 1 is lowest where the level is (x ↦ fl(fl(x / p) − 1)
        # never decreases), so one division per peak gives vectorbt's min over the days to the
        # bit. A NaN growth stays NaN (an inf stays inf or NaN) to the end, where it makes the
        # drawdown NaN as vectorbt does.
        level = growth * 100.0
        if level > peak:
            if lowest < np.inf:
                worst = min(worst, lowest / peak - 1.0)
            peak = level
            lowest = level
        else:
            lowest = min(lowest, level)
    if lowest < np.inf:
        worst = min(worst, lowest / peak - 1.0)
    worst_is_nan = not np.isfinite(growth)  # an inf level gives inf / inf: NaN
    mean = sum_r / count
    out[0] = (value / init_cash - 1.0) * 100
    out[1] = (growth ** (ann_factor / n_days) - 1.0) * 100 if n_days > 0 else np.nan
    out[4] = np.nan if worst_is_nan else worst * 100
    out[2] = np.nan
    out[3] = np.nan
    if n_days >= 2:
        # a sum of squares below m·Σr is rounding of a zero variance: no spread, Sharpe +inf
        squares = max(sum_r2 - mean * sum_r, 0.0)
        std = np.sqrt(squares / (count - 1)) if count > 1 else np.nan
        out[2] = np.inf if std == 0.0 else mean / std * np.sqrt(ann_factor)
        downside = np.sqrt(sum_down2 / count) * np.sqrt(ann_factor)
        out[3] = np.inf if downside == 0.0 else mean * ann_factor / downside
