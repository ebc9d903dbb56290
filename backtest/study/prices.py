"""Daily prices for a study: from the store, fetched through ccxt only when nothing is stored.

The engine works in UTC days. A study on 4-hour (or any intraday) candles is resampled to days
by ``feeds.daily_from_intraday`` (open of the first bar, highest high, lowest low, close of the
last bar, summed volume; an unfinished last day is dropped, earlier short days are kept).
"""

from __future__ import annotations

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
            raise DataUnavailableError(
                f"no {study.data.timeframe} prices of {', '.join(study.data.symbols)} stored in "
                f"{data_dir}, and {study.data.exchange} cannot be reached ({exc}); {HOW_TO_IMPORT}"
            ) from exc
        prices = feeds.load_prices(data_dir, study.data)
    if study.data.timeframe != "1d":
        prices = {
            asset: feeds.daily_from_intraday(frame, study.data.timeframe)
            for asset, frame in prices.items()
        }
    return prices
