"""Daily prices for a study: from the store, fetched through ccxt only when nothing is stored.

The engine works in UTC days. A study on 4-hour (or any intraday) candles is resampled to days
by ``feeds.daily_from_intraday`` (open of the first bar, highest high, lowest low, close of the
last bar, summed volume; an unfinished last day is dropped, earlier short days are kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from backtest.study.config import Study
from flowimpact.errors import DataUnavailableError, FlowImpactError, InputError

HOW_TO_IMPORT = (
    "import CSV files instead: `flowimpact import path/to/binance_BTCUSDT_1d.csv "
    "path/to/binance_ETHUSDT_1d.csv`"
)


def load_daily_prices(study: Study, data_dir: Path, *, progress: bool) -> dict[str, pd.DataFrame]:
    """Per asset a daily OHLCV frame (UTC midnight index); exit 3 if none can be had."""
    import feeds

    try:
        prices = feeds.load_prices(data_dir, study.data)
    except DataUnavailableError:
        try:
            feeds.update_store(feeds.CandleStore(data_dir), study.data, progress=progress)
        except InputError:
            raise
        except FlowImpactError as exc:
            missing = _missing_symbols(data_dir, study)
            raise DataUnavailableError(
                f"no {study.data.timeframe} prices of {', '.join(missing)} stored in "
                f"{data_dir}, and {study.data.exchange} cannot be reached ({exc}); {HOW_TO_IMPORT}"
            ) from exc
        prices = feeds.load_prices(data_dir, study.data)
    if study.data.timeframe != "1d":
        prices = {
            asset: feeds.daily_from_intraday(frame, study.data.timeframe)
            for asset, frame in prices.items()
        }
    return prices


def _missing_symbols(data_dir: Path, study: Study) -> list[str]:
    """The study's symbols with nothing stored (only those are named in the error)."""
    import feeds

    store = feeds.CandleStore(data_dir)
    data = study.data
    missing = [s for s in data.symbols if store.read(data.exchange, s, data.timeframe).empty]
    return missing or list(data.symbols)


def freshness(
    prices: Mapping[str, pd.DataFrame], now: datetime, stale_after_days: int
) -> tuple[date, tuple[str, ...]]:
    """The newest daily close common to all assets, and a warning when it is older than allowed.

    A report built on old candles is still a valid study of the past, but a reader of a daily
    report must not take it for today's: ``[data] stale_after_days`` says how old is too old.
    """
    last = min(frame.index[-1] for frame in prices.values()).date()
    age_days = (now.astimezone(UTC).date() - last).days
    if age_days <= stale_after_days:
        return last, ()
    return last, (
        f"the newest candle is from {last}, {age_days} days before this run (more than [data] "
        f"stale_after_days = {stale_after_days}); run `flowimpact fetch` or import newer CSV "
        "files",
    )
