"""Stored prices for the engine, per asset, from the venue that serves them.

With ``[data] fallbacks`` an asset's candles may be stored under several venues (the store
keeps one series per exchange, symbol and timeframe). ``load_price_set`` reads, per asset, the
series of the venue whose newest stored candle is the latest; on a tie the earlier venue in
``DataConfig.venues()`` order wins (``[data] exchange`` first). So the venue a fetch fell back
to is read once it holds newer candles than the one before it, and a venue that serves again
and catches up is read again. ``PriceSet.sources`` says which series each asset came from, for
the run to record (``run.json``, report captions).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from feeds.config import DataConfig
from feeds.schema import OHLCV_COLUMNS
from feeds.store import CandleStore
from flowimpact.errors import DataUnavailableError


@dataclass(frozen=True, kw_only=True)
class PriceSource:
    """The stored series an asset's prices were read from."""

    asset: str  # e.g. "BTC"
    exchange: str  # ccxt id of the venue, e.g. "coinbaseexchange"
    symbol: str  # that venue's symbol, e.g. "BTC/USD"
    timeframe: str  # of the stored candles (the engine may resample them to days)
    first: pd.Timestamp  # open time of the first stored candle (UTC)
    last: pd.Timestamp  # open time of the newest stored candle (UTC)
    rows: int
    fallback: bool  # True when the venue is one of [data] fallbacks

    @property
    def label(self) -> str:
        """``"coinbaseexchange BTC/USD 1d"``."""
        return f"{self.exchange} {self.symbol} {self.timeframe}"


@dataclass(frozen=True)
class PriceSet:
    """Per asset: the candles (UTC ``timestamp`` index, ``open high low close volume``) and
    the series they came from. Both dicts are keyed by asset in ``DataConfig.assets`` order."""

    prices: dict[str, pd.DataFrame]
    sources: dict[str, PriceSource]


def load_price_set(root: Path, data: DataConfig) -> PriceSet:
    """The stored candles of every asset of ``data``, each from its serving venue.

    Raises ``DataUnavailableError`` (exit 3) naming the series looked for and the commands that
    fill the store when an asset has nothing stored under any venue.
    """
    store = CandleStore(root)
    venues = data.venues()
    prices: dict[str, pd.DataFrame] = {}
    sources: dict[str, PriceSource] = {}
    for asset in data.assets:
        best: tuple[int, pd.DataFrame] | None = None
        for number, venue in enumerate(venues):
            frame = store.read(venue.exchange, venue.symbol_for(asset), data.timeframe)
            if not frame.empty and (best is None or frame.index[-1] > best[1].index[-1]):
                best = (number, frame)
        if best is None:
            looked = " or ".join(f"{v.exchange} {v.symbol_for(asset)}" for v in venues)
            raise DataUnavailableError(
                f"no {looked} {data.timeframe} candles in {root}: run "
                "`flowimpact fetch` or `flowimpact import path/to/binance_BTCUSDT_1d.csv ...`"
            )
        number, frame = best
        venue = venues[number]
        prices[asset] = frame[list(OHLCV_COLUMNS)]
        sources[asset] = PriceSource(
            asset=asset, exchange=venue.exchange, symbol=venue.symbol_for(asset),
            timeframe=data.timeframe, first=frame.index[0], last=frame.index[-1],
            rows=len(frame), fallback=number > 0,
        )
    return PriceSet(prices=prices, sources=sources)


def load_prices(root: Path, data: DataConfig) -> dict[str, pd.DataFrame]:
    """``load_price_set(root, data).prices``: the candles keyed by asset (e.g. ``"BTC"``)."""
    return load_price_set(root, data).prices


__all__ = ["PriceSet", "PriceSource", "load_price_set", "load_prices"]
