"""``DataConfig``: the ``[data]`` section of a study file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from feeds.timeframes import timeframe_seconds
from flowimpact.config import day, frozen_tree, whole
from flowimpact.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class DataConfig:
    """Where prices come from.

    Defaults: Binance, whose BTC/USDT and ETH/USDT spot books are among the deepest and whose
    history starts 2017-08-17 (the first Binance candle); daily candles, since the inflow model
    works in days.
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
        whole("data", "stale_after_days", self.stale_after_days, low=0)

    @property
    def assets(self) -> tuple[str, ...]:
        """Base currencies of the symbols, e.g. ``("BTC", "ETH")``."""
        return tuple(symbol.split("/")[0] for symbol in self.symbols)

    @property
    def since_timestamp(self) -> pd.Timestamp:
        """``since`` as a UTC timestamp (a date without time is midnight UTC)."""
        return _parse_since(self.since)


def _parse_since(since: str) -> pd.Timestamp:
    return pd.Timestamp(day("data", "since", since), tz="UTC")
