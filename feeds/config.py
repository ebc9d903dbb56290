"""``DataConfig``: the ``[data]`` section of a study file, and ``Venue``, one place to get
prices from (``[data] exchange`` with its symbols, or one of ``[data] fallbacks``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from feeds.timeframes import timeframe_seconds
from flowimpact.config import day, frozen_tree, number, whole
from flowimpact.errors import ConfigError

if TYPE_CHECKING:
    from feeds.retry import RetryPolicy


@dataclass(frozen=True, kw_only=True)
class Venue:
    """A ccxt exchange with its own symbols for the study's assets, and its constructor config.

    A table of ``[data] fallbacks``: ``{ exchange = "coinbaseexchange", symbols = ["BTC/USD",
    "ETH/USD"], ccxt = { ... } }``; the base currency of each symbol names its asset.
    """

    exchange: str
    symbols: tuple[str, ...]
    # passed to the ccxt constructor as is (as plain dicts: ``flowimpact.config.plain``)
    ccxt: Mapping[str, Any] = field(default_factory=lambda: frozen_tree({}))

    def __post_init__(self) -> None:
        if not self.exchange:
            raise ConfigError("[data] fallbacks: an exchange is empty; give a ccxt exchange id")
        _check_symbols(self.symbols, f"[data] fallbacks: {self.exchange} symbols")
        if not isinstance(self.ccxt, Mapping):
            raise ConfigError(f"[data] fallbacks: {self.exchange} ccxt must be a table")
        object.__setattr__(self, "ccxt", frozen_tree(self.ccxt))

    @property
    def assets(self) -> tuple[str, ...]:
        return tuple(symbol.split("/")[0] for symbol in self.symbols)

    def symbol_for(self, asset: str) -> str:
        """This venue's symbol for ``asset`` (e.g. ``"BTC"`` -> ``"BTC/USD"``)."""
        return self.symbols[self.assets.index(asset)]


@dataclass(frozen=True, kw_only=True)
class DataConfig:
    """Where prices come from.

    Defaults: Binance, whose BTC/USDT and ETH/USDT spot books are among the deepest and whose
    history starts 2017-08-17 (the first Binance candle); daily candles, since the inflow model
    works in days.

    Waiting is bounded by ``retries`` and ``timeout_seconds``: one request to a server that
    accepts and never answers costs at most ``(retries + 1) × timeout_seconds`` plus the
    backoff between tries (``feeds.retry``: 1, 2, 4, 8 s, ... capped at 30 s, jittered down to
    half), so about 65 s with the defaults. Defaults (assumptions): 4 retries, i.e. 5 tries,
    ride out a rate-limit window or a dropped connection; 10 s is ccxt's own timeout.

    ``fallbacks`` are tried in order when a venue cannot serve: it refuses this location
    (Binance answers HTTP 451 to US addresses) or stays unreachable after its retries. None by
    default: a study opts in, since another venue's prices (USD rather than USDT, another
    book's volume) are another input; the run records which venue served each asset.
    """

    exchange: str = "binance"
    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT")
    timeframe: str = "1d"
    since: str = "2017-08-17"
    # passed to the ccxt constructor as is (as plain dicts: ``flowimpact.config.plain``)
    ccxt: Mapping[str, Any] = field(default_factory=lambda: frozen_tree({}))
    # a run warns when its newest candle is older than this many days (assumption: daily
    # candles a weekend and a day behind are still current enough for a daily report)
    stale_after_days: int = 3
    retries: int = 4  # tries after a failed request (temporary failures only)
    timeout_seconds: float = 10.0  # per request; ccxt's ``timeout`` unless [data.ccxt] sets one
    fallbacks: tuple[Venue, ...] = ()  # tried in order when the venue before cannot serve

    def __post_init__(self) -> None:
        if not self.exchange:
            raise ConfigError("[data] exchange is empty: give a ccxt exchange id such as 'binance'")
        _check_symbols(self.symbols, "[data] symbols")
        timeframe_seconds(self.timeframe)  # fixed-length timeframes only: ConfigError otherwise
        _parse_since(self.since)
        if not isinstance(self.ccxt, Mapping):
            raise ConfigError("[data.ccxt] must be a table of ccxt constructor options")
        object.__setattr__(self, "ccxt", frozen_tree(self.ccxt))
        whole("data", "stale_after_days", self.stale_after_days, low=0)
        whole("data", "retries", self.retries, low=0)
        number("data", "timeout_seconds", self.timeout_seconds, low=0.0, low_open=True)
        for venue in self.fallbacks:
            self._check_fallback(venue)

    def _check_fallback(self, venue: Venue) -> None:
        if not isinstance(venue, Venue):
            raise ConfigError("[data] fallbacks: give tables of exchange, symbols (and ccxt)")
        if venue.exchange == self.exchange:
            raise ConfigError(
                f"[data] fallbacks: {venue.exchange} is [data] exchange itself; list other venues"
            )
        wanted = ", ".join(self.assets)
        missing = [asset for asset in self.assets if asset not in venue.assets]
        if missing:
            raise ConfigError(
                f"[data] fallbacks: {venue.exchange} has no symbol for {', '.join(missing)}; "
                f"give one symbol per asset of [data] symbols ({wanted})"
            )
        if len(venue.symbols) != len(self.assets):
            raise ConfigError(
                f"[data] fallbacks: {venue.exchange} symbols {', '.join(venue.symbols)}: give "
                f"exactly one per asset of [data] symbols ({wanted})"
            )

    @property
    def assets(self) -> tuple[str, ...]:
        """Base currencies of the symbols, e.g. ``("BTC", "ETH")``."""
        return tuple(symbol.split("/")[0] for symbol in self.symbols)

    def fallbacks_for(self, exchange: str, symbols: tuple[str, ...]) -> tuple[Venue, ...]:
        """The fallbacks that can stand in for ``exchange`` with ``symbols`` (for flags that
        override ``[data]``): each venue other than ``exchange`` that lists every asset of
        ``symbols``, narrowed to those assets, in order."""
        assets = tuple(symbol.split("/")[0] for symbol in symbols)
        return tuple(
            dataclasses.replace(venue, symbols=tuple(venue.symbol_for(a) for a in assets))
            for venue in self.fallbacks
            if venue.exchange != exchange and all(a in venue.assets for a in assets)
        )

    def reads(self, exchange: str, symbol: str, timeframe: str) -> bool:
        """True when a study with this ``[data]`` reads the stored series ``exchange``
        ``symbol`` ``timeframe`` (its own venue or a fallback, at its own timeframe)."""
        return timeframe == self.timeframe and any(
            venue.exchange == exchange and symbol in venue.symbols for venue in self.venues()
        )

    def venues(self) -> tuple[Venue, ...]:
        """``[data] exchange`` with its symbols first, then the fallbacks, in order."""
        return (Venue(exchange=self.exchange, symbols=self.symbols, ccxt=self.ccxt),
                *self.fallbacks)

    def retry_policy(self) -> RetryPolicy:
        """The retry policy of ``retries`` (``RetryPolicy``'s own delays)."""
        from feeds.retry import RetryPolicy  # here: it imports ccxt, which a study load needs not

        return RetryPolicy(max_attempts=self.retries + 1)

    @property
    def since_timestamp(self) -> pd.Timestamp:
        """``since`` as a UTC timestamp (a date without time is midnight UTC)."""
        return _parse_since(self.since)


def _check_symbols(symbols: tuple[str, ...], where: str) -> None:
    if not symbols:
        raise ConfigError(f"{where} is empty: give at least one, such as 'BTC/USDT'")
    for symbol in symbols:
        if not isinstance(symbol, str) or "/" not in symbol:
            raise ConfigError(
                f"{where}: {symbol!r} is not a ccxt symbol; write BASE/QUOTE, e.g. 'BTC/USDT'"
            )


def _parse_since(since: str) -> pd.Timestamp:
    return pd.Timestamp(day("data", "since", since), tz="UTC")
