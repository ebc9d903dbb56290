"""``DataConfig``: the ``[data]`` section of a study file."""

from __future__ import annotations

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
    """

    exchange: str = "binance"
    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT")
    timeframe: str = "1d"
    since: str = "2017-08-17"
    # passed to the ccxt constructor as is (as plain dicts: ``flowimpact.config.plain``)
    ccxt: Mapping[str, Any] = field(default_factory=lambda: frozen_tree({}))
    retries: int = 4  # tries after a failed request (temporary failures only)
    timeout_seconds: float = 10.0  # per request; ccxt's ``timeout`` unless [data.ccxt] sets one

    def __post_init__(self) -> None:
        if not self.exchange:
            raise ConfigError("[data] exchange is empty: give a ccxt exchange id such as 'binance'")
        if not self.symbols:
            raise ConfigError("[data] symbols is empty: give at least one, such as 'BTC/USDT'")
        for symbol in self.symbols:
            if "/" not in symbol:
                raise ConfigError(
                    f"[data] symbols: {symbol!r} is not a ccxt symbol; "
                    "write BASE/QUOTE, e.g. 'BTC/USDT'"
                )
        timeframe_seconds(self.timeframe)  # fixed-length timeframes only: ConfigError otherwise
        _parse_since(self.since)
        if not isinstance(self.ccxt, Mapping):
            raise ConfigError("[data.ccxt] must be a table of ccxt constructor options")
        object.__setattr__(self, "ccxt", frozen_tree(self.ccxt))
        whole("data", "retries", self.retries, low=0)
        number("data", "timeout_seconds", self.timeout_seconds, low=0.0, low_open=True)

    @property
    def assets(self) -> tuple[str, ...]:
        """Base currencies of the symbols, e.g. ``("BTC", "ETH")``."""
        return tuple(symbol.split("/")[0] for symbol in self.symbols)

    def retry_policy(self) -> RetryPolicy:
        """The retry policy of ``retries`` (``RetryPolicy``'s own delays)."""
        from feeds.retry import RetryPolicy  # here: it imports ccxt, which a study load needs not

        return RetryPolicy(max_attempts=self.retries + 1)

    @property
    def since_timestamp(self) -> pd.Timestamp:
        """``since`` as a UTC timestamp (a date without time is midnight UTC)."""
        return _parse_since(self.since)


def _parse_since(since: str) -> pd.Timestamp:
    return pd.Timestamp(day("data", "since", since), tz="UTC")
