"""Daily prices for a study: from the store, fetched through ccxt only when nothing is stored.

The engine works in UTC days. A study on 4-hour (or any intraday) candles is resampled to days
by ``feeds.daily_from_intraday`` (open of the first bar, highest high, lowest low, close of the
last bar, summed volume; an unfinished last day is dropped, earlier short days are kept).

Each asset is read from the venue that serves it (``feeds.load_price_set``: with ``[data]
fallbacks`` that may be another than ``[data] exchange``); ``load_daily_price_set`` returns
the ``PriceSource`` of each asset beside its prices, for run.json and the report to name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from backtest.study.config import Study
from flowimpact.errors import DataUnavailableError, FlowImpactError, InputError

if TYPE_CHECKING:
    from pathlib import Path

    from feeds import PriceSet

HOW_TO_IMPORT = (
    "import CSV files instead: `flowimpact import path/to/binance_BTCUSDT_1d.csv "
    "path/to/binance_ETHUSDT_1d.csv`"
)


def load_daily_price_set(study: Study, data_dir: Path, *, progress: bool) -> PriceSet:
    """Per asset a daily OHLCV frame (UTC midnight index) and the series it came from; exit 3
    if none can be had."""
    import feeds

    data = study.data
    try:
        price_set = feeds.load_price_set(data_dir, data)
    except DataUnavailableError:
        missing = _missing_symbols(data_dir, study)
        nothing = f"no {data.timeframe} prices of {', '.join(missing)} stored in {data_dir}"
        try:
            feeds.update_store(feeds.CandleStore(data_dir), data, progress=progress)
        except InputError:
            raise
        except feeds.LocationRefusedError as exc:  # its message says what to do instead
            raise DataUnavailableError(f"{nothing}, and {exc}") from exc
        except FlowImpactError as exc:
            raise DataUnavailableError(
                f"{nothing}, and {data.exchange} cannot be reached ({exc}); {HOW_TO_IMPORT}"
            ) from exc
        price_set = feeds.load_price_set(data_dir, data)
    if data.timeframe == "1d":
        return price_set
    daily = {
        asset: feeds.daily_from_intraday(frame, data.timeframe)
        for asset, frame in price_set.prices.items()
    }
    return feeds.PriceSet(prices=daily, sources=price_set.sources)


def load_daily_prices(study: Study, data_dir: Path, *, progress: bool) -> dict[str, pd.DataFrame]:
    """``load_daily_price_set(...).prices``: per asset a daily OHLCV frame."""
    return load_daily_price_set(study, data_dir, progress=progress).prices


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
    """The newest daily close common to all assets, and a warning when it is older than allowed
    (``feeds.staleness``, prices only; ``data_warnings`` adds the ETF tables)."""
    from feeds.staleness import newest_common_day, price_warning

    last = newest_common_day(prices)
    found = price_warning(last, now, stale_after_days)
    return last, (found,) if found else ()


def data_warnings(
    study: Study,
    data_dir: Path,
    prices: Mapping[str, pd.DataFrame],
    now: datetime,
    etf_flows: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[str, ...]:
    """The one staleness check (``feeds.staleness``) of a command's prices and ETF tables,
    against ``[data] stale_after_days``: the lines for its terminal, page and run.json."""
    from feeds.staleness import stale_warnings

    return stale_warnings(
        data_dir, prices, now=now, stale_after_days=study.data.stale_after_days,
        etf_flows=etf_flows,
    )
