"""One series, window by window, from a start time to the newest CLOSED candle.

Each request asks ``fetch_ohlcv(since=cursor, limit=page)``. Venues differ in what they answer:
Binance sends the next ``page`` candles after ``since`` whatever the gap, but venues that
answer a start/end window (Coinbase, Bitstamp: ccxt asks for ``[since, since + page × step)``)
send only what lies inside it, so a window before the listing or inside an outage comes back
EMPTY although later candles exist. An empty window therefore moves the cursor one page span
(``page × step``) on, and the walk ends only when the cursor passes the newest closed candle.
That bounds the walk on a venue that never sends anything: at most
``(now - cursor) / (page × step)`` requests (a daily series in pages of 1,000: one per 2.7
years of nothing).

``page`` is what ccxt states for the venue (``exchange.feature_value(symbol, "fetchOHLCV",
"limit")``: Coinbase 300, Bitstamp and Binance 1,000), or a caller's smaller ``page_limit``;
asking for it explicitly keeps the venue's window and our jump the same length. Where ccxt
states nothing, 100 candles per request is assumed (small, so that a venue capping lower than
we ask rarely has a window shorter than our jump).

A candle opened at t is closed when ``t + step <= now``; the still-open one is dropped. Every
page is checked before it is stored: candles off the timeframe's grid, or usually spaced
otherwise than the timeframe (daily rows answering a 4h request), are refused (exit 2), so
nothing that contradicts the series' key gets into the store. Good pages are merged as they
arrive: a crash or a give-up keeps what was fetched, and the next run resumes after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import ccxt
import numpy as np
import pandas as pd
from tqdm import tqdm

from feeds.errors import PermanentFeedError, TemporaryFeedError, guarded
from feeds.retry import RetryPolicy
from feeds.schema import OHLCV_COLUMNS, to_candles
from feeds.store import CandleStore
from feeds.timeframes import timeframe_seconds

ASSUMED_PAGE_CANDLES = 100  # when ccxt states no limit for the venue (an assumption, see above)
_MS_PER_DAY = 86_400_000


@dataclass(frozen=True, kw_only=True)
class FetchReport:
    """What ``update_store`` did for one series.

    ``exchange`` and ``symbol`` name the venue that served it: with ``[data] fallbacks`` that may
    be another than ``[data] exchange``, and ``fallback_reason`` then says why.
    """

    exchange: str
    symbol: str
    timeframe: str
    requests: int  # OHLCV pages fetched successfully
    candles_fetched: int  # closed candles received
    rows_added: int  # candles new to the store
    first_fetched: pd.Timestamp | None
    last_stored: pd.Timestamp | None  # newest candle in the store afterwards
    asset: str = ""  # base currency, e.g. "BTC"
    fallback_reason: str | None = None  # why the venues before this one could not serve


@dataclass(frozen=True, kw_only=True)
class SeriesRequest:
    """Which series to walk and how: the store key, the window, the page size."""

    symbol: str
    timeframe: str
    since: pd.Timestamp  # first candle wanted when nothing is stored
    now: pd.Timestamp  # decides which candles are closed
    page_limit: int | None = None  # candles per request, at most the venue's own limit


def page_candles(exchange: ccxt.Exchange, symbol: str, page_limit: int | None) -> int:
    """Candles asked per request: the venue's stated limit, or ``page_limit`` if smaller."""
    try:
        stated = exchange.feature_value(symbol, "fetchOHLCV", "limit")
    except Exception:  # a venue without features or markets: use the assumption
        stated = None
    stated = int(stated) if isinstance(stated, int | float) and stated >= 1 else None
    if page_limit is not None:
        return min(page_limit, stated) if stated else page_limit
    return stated or ASSUMED_PAGE_CANDLES


def walk_series(
    store: CandleStore,
    exchange: ccxt.Exchange,
    series: SeriesRequest,
    *,
    retry: RetryPolicy,
    notify: Callable[[str], None] | None = None,
    progress: bool = False,
) -> FetchReport:
    """Download ``series`` into ``store`` up to the newest closed candle (module docstring)."""
    symbol, timeframe = series.symbol, series.timeframe
    step_ms = timeframe_seconds(timeframe) * 1_000
    now_ms = series.now.value // 1_000_000
    page = page_candles(exchange, symbol, series.page_limit)
    last = store.last_timestamp(exchange.id, symbol, timeframe)
    start = series.since if last is None else last + pd.Timedelta(milliseconds=step_ms)
    cursor_ms = start.value // 1_000_000
    requests = fetched = added = 0
    first_fetched: pd.Timestamp | None = None
    context = f"{exchange.id} {symbol} {timeframe}"
    bar = tqdm(total=max(0, (now_ms - cursor_ms) // step_ms), unit="candle", desc=context,
               disable=not progress, leave=False)
    with bar:
        while cursor_ms + step_ms <= now_ms:  # a closed candle can still start at the cursor
            rows = retry.call(
                partial(_fetch_page, exchange, symbol, timeframe, cursor_ms, page, context),
                notify=notify,
            )
            requests += 1
            closed = rows[(rows[:, 0] >= cursor_ms) & (rows[:, 0] + step_ms <= now_ms)]
            if len(closed) == 0:  # an empty window: before the listing, or inside an outage
                next_ms = cursor_ms + page * step_ms
            else:
                check_spacing(closed[:, 0].astype("int64"), timeframe, context)
                frame = _to_frame(closed, source=f"ccxt:{exchange.id}")
                added += store.merge(exchange.id, symbol, timeframe, frame).rows_added
                first_fetched = first_fetched or frame.index[0]
                fetched += len(frame)
                next_ms = int(closed[-1, 0]) + step_ms
            bar.update(min(next_ms, now_ms) // step_ms - min(cursor_ms, now_ms) // step_ms)
            cursor_ms = next_ms
    return FetchReport(
        exchange=exchange.id,
        symbol=symbol,
        timeframe=timeframe,
        requests=requests,
        candles_fetched=fetched,
        rows_added=added,
        first_fetched=first_fetched,
        last_stored=store.last_timestamp(exchange.id, symbol, timeframe),
    )


def check_spacing(open_ms: np.ndarray, timeframe: str, context: str) -> None:
    """Refuse candles that contradict ``timeframe`` (``PermanentFeedError``, exit 2).

    Off the grid: a timeframe that divides a day opens on its multiples since midnight UTC
    (the grid the store, the gap checks and the daily resampler assume). Spacing: with three
    or more candles, the most common distance between them must be one timeframe (outages
    make some distances longer, never the usual one), as ``flowimpact import`` checks a file.
    """
    step_ms = timeframe_seconds(timeframe) * 1_000
    if _MS_PER_DAY % step_ms == 0:
        off = open_ms[open_ms % step_ms != 0]
        if len(off):
            raise PermanentFeedError(
                f"{context}: the exchange sent {len(off)} candle(s) off the {timeframe} grid "
                f"(first at {pd.Timestamp(int(off[0]), unit='ms', tz='UTC')}); nothing of that "
                "page was stored: choose another timeframe or exchange"
            )
    if len(open_ms) >= 3:
        values, counts = np.unique(np.diff(open_ms), return_counts=True)
        usual_ms = int(values[np.argmax(counts)])
        if usual_ms != step_ms:
            raise PermanentFeedError(
                f"{context}: the exchange sent candles {usual_ms // 1_000} s apart but "
                f"timeframe {timeframe} means {step_ms // 1_000} s; nothing of that page was "
                f"stored: it does not serve {timeframe} candles as asked, choose another "
                "timeframe or exchange"
            )


def _fetch_page(
    exchange: ccxt.Exchange, symbol: str, timeframe: str, since_ms: int, limit: int, context: str
) -> np.ndarray:
    """One page as a float array [n, 6] sorted by time; malformed answers are temporary errors."""
    rows = guarded(
        lambda: exchange.fetch_ohlcv(symbol, timeframe, since=since_ms, limit=limit), context
    )
    if not rows:
        _raise_if_malformed(exchange, context)
        return np.empty((0, 6))
    try:
        page = np.asarray(rows, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise TemporaryFeedError(f"{context}: candles of an unexpected shape ({exc})") from exc
    if page.ndim != 2 or page.shape[1] < 6 or np.isnan(page[:, :5]).any():
        raise TemporaryFeedError(f"{context}: candles with missing fields in the exchange's answer")
    return page[np.argsort(page[:, 0], kind="stable"), :6]


def _raise_if_malformed(exchange: ccxt.Exchange, context: str) -> None:
    """ccxt turns an unparseable body into an empty list; tell that apart from "no candles".

    Only possible while ``enableLastHttpResponse`` (ccxt's default) keeps the raw body.
    """
    body = getattr(exchange, "last_http_response", None)
    if not isinstance(body, str) or not body.strip():
        return
    try:
        json.loads(body)
    except ValueError:
        raise TemporaryFeedError(
            f"{context}: the exchange answered with malformed JSON ({body[:60]!r}...)"
        ) from None


def _to_frame(rows: np.ndarray, *, source: str) -> pd.DataFrame:
    index = pd.to_datetime(rows[:, 0].astype("int64"), unit="ms", utc=True)
    frame = pd.DataFrame(rows[:, 1:6], columns=list(OHLCV_COLUMNS), index=index)
    return to_candles(frame, source=source)




__all__ = ["ASSUMED_PAGE_CANDLES", "FetchReport", "SeriesRequest", "check_spacing",
           "page_candles", "walk_series"]
