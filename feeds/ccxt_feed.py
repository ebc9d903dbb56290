"""Incremental candle download from any ccxt exchange into the ``CandleStore``.

The exchange is built from its ccxt id and a config dict passed to the ccxt constructor as it
is (options, rateLimit, urls, proxies, keys), or given as a ready ``ccxt.Exchange``. Before any
download the exchange is checked: ``has["fetchOHLCV"]``, the timeframe in
``exchange.timeframes``, every symbol in ``load_markets()``; these fail at once (exit 2).

Each series starts one candle after the newest stored one (or at ``DataConfig.since`` when
nothing is stored) and walks forward window by window until the newest CLOSED candle, past
empty windows (before the listing, inside an outage): see ``feeds.pagination``. The still-open
candle is dropped, so the store never holds a candle that will change; every page is merged
as it arrives, so a crash or a give-up keeps what was fetched and the next run resumes after
it. Throttling is ccxt's own (``enableRateLimit``, on by default, is left as given); failures
go through one ``RetryPolicy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from difflib import get_close_matches
from typing import Any

import ccxt
import pandas as pd

from feeds.config import DataConfig
from feeds.errors import PermanentFeedError, guarded
from feeds.pagination import FetchReport, SeriesRequest, walk_series
from feeds.retry import RetryPolicy
from feeds.store import CandleStore
from flowimpact.config import plain
from flowimpact.errors import ConfigError
from flowimpact.notify import Notify, to_stderr
from flowimpact.secrets import expand_env


def build_exchange(exchange_id: str, config: Mapping[str, Any] | None = None) -> ccxt.Exchange:
    """A ccxt exchange from its id, with ``config`` passed to the constructor as it is."""
    if exchange_id not in ccxt.exchanges:
        near = get_close_matches(exchange_id, ccxt.exchanges, n=3)
        hint = f"did you mean {', '.join(near)}?" if near else "see ccxt.exchanges for the ids"
        raise PermanentFeedError(f"unknown exchange {exchange_id!r}: ccxt has no such id; {hint}")
    # ${NAME} values come from the environment here, so no secret sits in a study file
    return getattr(ccxt, exchange_id)(expand_env(plain(config or {})))


def ccxt_config(data: DataConfig) -> dict[str, Any]:
    """The ccxt constructor config of ``data``: ``[data.ccxt]`` as it is, plus ccxt's
    ``timeout`` (ms) from ``[data] timeout_seconds`` unless the table sets its own."""
    config = dict(data.ccxt)
    config.setdefault("timeout", round(data.timeout_seconds * 1_000))
    return config


def check_exchange(
    exchange: ccxt.Exchange,
    symbols: tuple[str, ...],
    timeframe: str,
    retry: RetryPolicy,
    notify: Notify | None = None,
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
    retry.call(lambda: guarded(exchange.load_markets, f"{exchange.id} load_markets"),
               notify=notify)
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
    notify: Notify | None = to_stderr,
) -> list[FetchReport]:
    """Download every ``data.symbols`` series up to the newest closed candle; one report each.

    ``exchange`` replaces building one from ``data.exchange`` and ``data.ccxt`` (its id must
    equal ``data.exchange``, which keys the store). ``now`` (UTC, default the clock) decides
    which candles are closed. ``page_limit`` is the candles asked per request (default: the
    exchange's own). ``retry`` replaces the policy of ``[data] retries``; ``notify`` gets one
    line per retry (default: stderr; None: silent). Raises ``PermanentFeedError`` (exit 2) or,
    once retries are spent, ``TemporaryFeedError`` (exit 3); what was fetched stays stored.
    """
    retry = retry or data.retry_policy()
    owned = exchange is None
    if exchange is None:
        exchange = build_exchange(data.exchange, ccxt_config(data))
    elif exchange.id != data.exchange:
        raise ConfigError(
            f"the exchange instance is {exchange.id!r} but [data] exchange is {data.exchange!r}; "
            "make them agree (the store is keyed by exchange id)"
        )
    now_ts = pd.Timestamp.now(tz="UTC") if now is None else _utc(now)
    try:
        check_exchange(exchange, data.symbols, data.timeframe, retry, notify)
        return [
            walk_series(
                store,
                exchange,
                SeriesRequest(symbol=symbol, timeframe=data.timeframe,
                              since=data.since_timestamp, now=now_ts, page_limit=page_limit),
                retry=retry,
                notify=notify,
                progress=progress,
            )
            for symbol in data.symbols
        ]
    finally:
        if owned:
            exchange.close()  # its HTTP session; a caller's own instance stays open


def _utc(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


__all__ = ["FetchReport", "build_exchange", "ccxt_config", "check_exchange", "update_store"]
