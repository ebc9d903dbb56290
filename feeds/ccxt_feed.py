"""Incremental candle download from any ccxt exchange into the ``CandleStore``.

The exchange is built from its ccxt id and a config dict passed to the ccxt constructor as it
is (options, rateLimit, urls, proxies, keys), or given as a ready ``ccxt.Exchange``. Before any
download the exchange is checked: ``has["fetchOHLCV"]``, the timeframe in
``exchange.timeframes``, every symbol in ``load_markets()``; these fail at once (exit 2).

Each series is paginated by ``since``: it starts one candle after the newest stored one (or at
``DataConfig.since`` when nothing is stored) and walks forward page by page until the newest
CLOSED candle. A candle opened at t is closed when ``t + timeframe <= now``; the still-open one
is dropped, so the store never holds a candle that will change. Every page is merged into the
store as it arrives, so a crash or a give-up keeps what was fetched and the next run resumes
after it. Throttling is ccxt's own (``enableRateLimit``, on by default, is left as given);
failures go through one ``RetryPolicy``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from functools import partial
from typing import Any

import ccxt
import numpy as np
import pandas as pd
from tqdm import tqdm

from feeds.config import DataConfig
from feeds.errors import PermanentFeedError, TemporaryFeedError, translate
from feeds.retry import RetryPolicy
from feeds.schema import OHLCV_COLUMNS, to_candles
from feeds.store import CandleStore
from feeds.timeframes import timeframe_seconds
from flowimpact.config import plain
from flowimpact.errors import ConfigError
from flowimpact.secrets import expand_env

_MS_PER_SECOND = 1_000


@dataclass(frozen=True, kw_only=True)
class FetchReport:
    """What ``update_store`` did for one series."""

    exchange: str
    symbol: str
    timeframe: str
    requests: int  # OHLCV pages fetched successfully
    candles_fetched: int  # closed candles received
    rows_added: int  # candles new to the store
    first_fetched: pd.Timestamp | None
    last_stored: pd.Timestamp | None  # newest candle in the store afterwards


def build_exchange(exchange_id: str, config: Mapping[str, Any] | None = None) -> ccxt.Exchange:
    """A ccxt exchange from its id, with ``config`` passed to the constructor as it is."""
    if exchange_id not in ccxt.exchanges:
        near = get_close_matches(exchange_id, ccxt.exchanges, n=3)
        hint = f"did you mean {', '.join(near)}?" if near else "see ccxt.exchanges for the ids"
        raise PermanentFeedError(f"unknown exchange {exchange_id!r}: ccxt has no such id; {hint}")
    # ${NAME} values come from the environment here, so no secret sits in a study file
    return getattr(ccxt, exchange_id)(expand_env(plain(config or {})))


def check_exchange(
    exchange: ccxt.Exchange, symbols: tuple[str, ...], timeframe: str, retry: RetryPolicy
) -> None:
    """Fail fast (``PermanentFeedError``) when the exchange cannot serve what is asked."""
    if not exchange.has.get("fetchOHLCV"):
        raise PermanentFeedError(
            f"{exchange.id} offers no candles (fetchOHLCV); choose another exchange"
        )
    if exchange.timeframes and timeframe not in exchange.timeframes:
        offered = ", ".join(exchange.timeframes)
        raise PermanentFeedError(
            f"{exchange.id} has no {timeframe!r} candles; it offers {offered}"
        )
    retry.call(lambda: _guarded(exchange.load_markets, f"{exchange.id} load_markets"))
    for symbol in symbols:
        if symbol not in exchange.markets:
            near = get_close_matches(symbol, list(exchange.markets), n=3)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise PermanentFeedError(f"{exchange.id} does not list symbol {symbol!r}{hint}")


def update_store(
    store: CandleStore,
    data: DataConfig,
    *,
    exchange: ccxt.Exchange | None = None,
    now: pd.Timestamp | None = None,
    progress: bool = True,
    retry: RetryPolicy | None = None,
    page_limit: int | None = None,
) -> list[FetchReport]:
    """Download every ``data.symbols`` series up to the newest closed candle; one report each.

    ``exchange`` replaces building one from ``data.exchange`` and ``data.ccxt`` (its id must
    equal ``data.exchange``, which keys the store). ``now`` (UTC, default the clock) decides
    which candles are closed. ``page_limit`` is the candles asked per request (default: the
    exchange's own). Raises ``PermanentFeedError`` (exit 2) or, once retries are spent,
    ``TemporaryFeedError`` (exit 3); what was fetched before stays stored.
    """
    retry = retry or RetryPolicy()
    owned = exchange is None
    if exchange is None:
        exchange = build_exchange(data.exchange, data.ccxt)
    elif exchange.id != data.exchange:
        raise ConfigError(
            f"the exchange instance is {exchange.id!r} but [data] exchange is {data.exchange!r}; "
            "make them agree (the store is keyed by exchange id)"
        )
    now_ts = pd.Timestamp.now(tz="UTC") if now is None else _utc(now)
    try:
        check_exchange(exchange, data.symbols, data.timeframe, retry)
        return [
            _update_series(store, exchange, symbol, data.timeframe, data.since_timestamp, now_ts,
                           progress, retry, page_limit)
            for symbol in data.symbols
        ]
    finally:
        if owned:
            exchange.close()  # its HTTP session; a caller's own instance stays open


def _update_series(
    store: CandleStore,
    exchange: ccxt.Exchange,
    symbol: str,
    timeframe: str,
    since: pd.Timestamp,
    now: pd.Timestamp,
    progress: bool,
    retry: RetryPolicy,
    page_limit: int | None,
) -> FetchReport:
    step_ms = timeframe_seconds(timeframe) * _MS_PER_SECOND
    now_ms = now.value // 1_000_000
    last = store.last_timestamp(exchange.id, symbol, timeframe)
    cursor_ms = since.value // 1_000_000 if last is None else last.value // 1_000_000 + step_ms
    requests = fetched = added = 0
    first_fetched: pd.Timestamp | None = None
    context = f"{exchange.id} {symbol} {timeframe}"
    bar = tqdm(total=max(0, (now_ms - cursor_ms) // step_ms), unit="candle", desc=context,
               disable=not progress, leave=False)
    with bar:
        while cursor_ms + step_ms <= now_ms:  # a closed candle can still start at the cursor
            page = retry.call(
                partial(_fetch_page, exchange, symbol, timeframe, cursor_ms, page_limit, context)
            )
            requests += 1
            closed = page[(page[:, 0] >= cursor_ms) & (page[:, 0] + step_ms <= now_ms)]
            if len(closed) == 0:
                break
            frame = _to_frame(closed, source=f"ccxt:{exchange.id}")
            added += store.merge(exchange.id, symbol, timeframe, frame).rows_added
            first_fetched = first_fetched or frame.index[0]
            fetched += len(frame)
            bar.update(len(frame))
            cursor_ms = int(closed[-1, 0]) + step_ms
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


def _fetch_page(
    exchange: ccxt.Exchange,
    symbol: str,
    timeframe: str,
    since_ms: int,
    limit: int | None,
    context: str,
) -> np.ndarray:
    """One page as a float array [n, 6] sorted by time; malformed answers are temporary errors."""
    rows = _guarded(
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


def _guarded(call: Any, context: str) -> Any:
    """Run ``call()`` and turn any exception into our ``FeedError`` tree."""
    try:
        return call()
    except Exception as exc:
        raise translate(exc, context) from exc


def _to_frame(rows: np.ndarray, *, source: str) -> pd.DataFrame:
    index = pd.to_datetime(rows[:, 0].astype("int64"), unit="ms", utc=True)
    frame = pd.DataFrame(rows[:, 1:6], columns=list(OHLCV_COLUMNS), index=index)
    return to_candles(frame, source=source)


def _utc(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


__all__ = ["FetchReport", "build_exchange", "check_exchange", "update_store"]
