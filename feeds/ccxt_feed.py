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
from dataclasses import dataclass, replace
from difflib import get_close_matches
from typing import Any

import ccxt
import pandas as pd

from feeds.config import DataConfig, Venue
from feeds.errors import (
    FeedError,
    LocationRefusedError,
    PermanentFeedError,
    TemporaryFeedError,
    guarded,
)
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


def ccxt_config(data: DataConfig, venue: Venue | None = None) -> dict[str, Any]:
    """The ccxt constructor config of ``venue`` (default: ``[data] exchange``): its ccxt table,
    plus ccxt's ``timeout`` (ms) from ``[data] timeout_seconds`` unless it sets one, over
    ``options = { fetchMarkets = { types = ["spot"] } }`` when every symbol is a spot one.

    Why spot only: ccxt's binance (and bybit, okx) load their futures and options markets too,
    from other hosts (``fapi``, ``dapi``); a mirror given as ``urls`` alone serves the spot API
    only, so the market load failed as "unreachable". The study reads spot candles only
    (``BASE/QUOTE``; a ``BASE/QUOTE:SETTLE`` symbol keeps ccxt's own types), and the user's
    ``options`` are merged over this default, so a table that sets ``types`` wins.
    """
    venue = venue or data.venues()[0]
    config = dict(venue.ccxt)
    config.setdefault("timeout", round(data.timeout_seconds * 1_000))
    spot = _spot_only_options(venue.exchange, venue.symbols)
    if spot:
        config["options"] = _merged_under(spot, config.get("options") or {})
    return config


def _spot_only_options(exchange_id: str, symbols: tuple[str, ...]) -> dict[str, Any]:
    """``{"fetchMarkets": {"types": ["spot"]}}`` for an exchange whose market load covers
    more types than spot, when every symbol is spot; ``{}`` otherwise."""
    if exchange_id not in ccxt.exchanges or any(":" in symbol for symbol in symbols):
        return {}
    fetch_markets = getattr(ccxt, exchange_id)().options.get("fetchMarkets")
    types = fetch_markets.get("types") if isinstance(fetch_markets, Mapping) else None
    if not isinstance(types, list) or "spot" not in types or types == ["spot"]:
        return {}
    return {"fetchMarkets": {"types": ["spot"]}}


def _merged_under(default: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` over ``default``, table by table (``given`` wins at every key)."""
    out = dict(default)
    for key, value in given.items():
        below = out.get(key)
        if isinstance(below, Mapping) and isinstance(value, Mapping):
            out[key] = _merged_under(below, value)
        else:
            out[key] = value
    return out


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
    """Download every asset of ``data`` up to the newest closed candle; one report each.

    Venues are tried in order, ``[data] exchange`` first, then ``[data] fallbacks``: when one
    refuses this location or stays unreachable after its retries, the assets it has not
    served go to the next, and each report names the venue that served (``exchange``,
    ``symbol``) and why the ones before could not (``fallback_reason``).

    ``exchange`` replaces building the first venue from ``data.exchange`` and ``data.ccxt``
    (its id must equal ``data.exchange``, which keys the store). ``now`` (UTC, default the
    clock) decides which candles are closed. ``page_limit`` caps the candles asked per request
    (default: the venue's own). ``retry`` replaces the policy of ``[data] retries``; ``notify``
    gets one line per retry and per hand-over (default: stderr; None: silent). Raises
    ``PermanentFeedError`` (exit 2), ``LocationRefusedError`` or, once retries are spent,
    ``TemporaryFeedError`` (exit 3) when no venue can serve; what was fetched stays stored.
    """
    retry = retry or data.retry_policy()
    if exchange is not None and exchange.id != data.exchange:
        raise ConfigError(
            f"the exchange instance is {exchange.id!r} but [data] exchange is {data.exchange!r}; "
            "make them agree (the store is keyed by exchange id)"
        )
    now_ts = pd.Timestamp.now(tz="UTC") if now is None else _utc(now)
    venues = data.venues()
    served: dict[str, FetchReport] = {}
    failures: list[FeedError] = []
    for number, venue in enumerate(venues):
        pending = [asset for asset in data.assets if asset not in served]
        reason = "; ".join(str(failure) for failure in failures) or None
        try:
            _update_venue(
                store, venue, pending, data, served,
                _VenueRun(instance=exchange if number == 0 else None, now=now_ts, retry=retry,
                          page_limit=page_limit, notify=notify, progress=progress,
                          fallback_reason=reason),
            )
            break
        except (LocationRefusedError, TemporaryFeedError) as exc:
            failures.append(exc)
            if number + 1 == len(venues):
                raise _no_venue(data, failures) from exc
            if notify is not None:
                left = [asset for asset in data.assets if asset not in served]
                after = venues[number + 1]
                notify(
                    f"{venue.exchange} cannot serve "
                    f"{', '.join(venue.symbol_for(a) for a in left)}: {exc}; trying "
                    f"{after.exchange} ({', '.join(after.symbol_for(a) for a in left)})"
                )
    return [served[asset] for asset in data.assets]


@dataclass(frozen=True, kw_only=True)
class _VenueRun:
    """How one venue is asked (the same for every venue of one ``update_store``)."""

    instance: ccxt.Exchange | None
    now: pd.Timestamp
    retry: RetryPolicy
    page_limit: int | None
    notify: Notify | None
    progress: bool
    fallback_reason: str | None


def _update_venue(
    store: CandleStore,
    venue: Venue,
    assets: list[str],
    data: DataConfig,
    served: dict[str, FetchReport],
    run: _VenueRun,
) -> None:
    """Fetch ``assets`` from ``venue``, adding each finished report to ``served`` at once, so
    the assets it did serve stay served when it fails on a later one."""
    exchange = run.instance or build_exchange(venue.exchange, ccxt_config(data, venue))
    try:
        symbols = tuple(venue.symbol_for(asset) for asset in assets)
        check_exchange(exchange, symbols, data.timeframe, run.retry, run.notify)
        for asset, symbol in zip(assets, symbols, strict=True):
            report = walk_series(
                store,
                exchange,
                SeriesRequest(symbol=symbol, timeframe=data.timeframe,
                              since=data.since_timestamp, now=run.now, page_limit=run.page_limit),
                retry=run.retry,
                notify=run.notify,
                progress=run.progress,
            )
            served[asset] = replace(report, asset=asset, fallback_reason=run.fallback_reason)
    finally:
        if run.instance is None:
            exchange.close()  # its HTTP session; a caller's own instance stays open


def _no_venue(data: DataConfig, failures: list[FeedError]) -> FeedError:
    """The error when every venue failed: one venue's own, or each venue's, in one line."""
    last = failures[-1]
    if len(failures) == 1:
        if isinstance(last, LocationRefusedError):
            return LocationRefusedError(f"{last}; {_location_hint(data)}")
        return last
    # each failure's message starts with its venue's id ("binance load_markets: ...")
    said = "; ".join(str(failure) for failure in failures)
    return type(last)(f"no venue could serve {', '.join(data.assets)}: {said}")


def _location_hint(data: DataConfig) -> str:
    usd = ", ".join(f'"{asset}/USD"' for asset in data.assets)
    return (
        f'get prices from a venue that serves you: add to [data] fallbacks = [{{ exchange = '
        f'"coinbaseexchange", symbols = [{usd}] }}] (or set exchange and symbols so), or '
        "import CSV files with `flowimpact import`"
    )


def _utc(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


__all__ = ["FetchReport", "build_exchange", "ccxt_config", "check_exchange", "update_store"]
