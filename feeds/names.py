"""Exchange, symbol and timeframe from a CSV file's name, and exchange symbols in ccxt form.

Known patterns::

    binance_BTCUSDT_1d.csv          <exchange>_<SYMBOL>_<timeframe>.csv (also BTC-USDT)
    Binance_BTCUSDT_d.csv           CryptoDataDownload: d, 1h, minute (also day, hour, ...)
    BTCUSDT-1d-2024-01.csv          Binance public dumps: <SYMBOL>-<timeframe>-<YYYY>-<MM>[-<DD>]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flowimpact.errors import InputError

# Quote currencies tried longest first when splitting "BTCUSDT"; covers the common spot quotes.
_QUOTES = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USD", "EUR", "GBP", "JPY", "TRY",
           "DAI", "BTC", "ETH", "BNB")
# CryptoDataDownload writes the timeframe as a word or a bare unit
_TIMEFRAME_WORDS = {"d": "1d", "day": "1d", "daily": "1d", "h": "1h", "hour": "1h",
                    "hourly": "1h", "minute": "1m", "min": "1m", "w": "1w", "week": "1w",
                    "weekly": "1w"}
_EXCHANGE_SYMBOL_TF = re.compile(
    r"^(?P<exchange>[A-Za-z0-9]+)_(?P<symbol>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)_"
    r"(?P<timeframe>\d+[smhdwM]|" + "|".join(_TIMEFRAME_WORDS) + r")\.csv$"
)
_BINANCE_DUMP = re.compile(
    r"^(?P<symbol>[A-Z0-9]+)-(?P<timeframe>\d+[smhdwM])-\d{4}-\d{2}(?:-\d{2})?\.csv$"
)


@dataclass(frozen=True, kw_only=True)
class SeriesKey:
    """Which stored series a file's candles belong to."""

    exchange: str
    symbol: str  # ccxt form, BASE/QUOTE
    timeframe: str


def to_ccxt_symbol(symbol: str) -> str:
    """``"BTCUSDT"``, ``"BTC-USDT"``, ``"btc/usdt"`` → ``"BTC/USDT"``."""
    text = symbol.strip().upper()
    if "/" in text:
        return text
    if "-" in text:
        base, _, quote = text.partition("-")
        return f"{base}/{quote}"
    # Prefer a base of 3+ letters ("XBTUSD" is XBT/USD, not XB/TUSD), then any base ("OPUSDT").
    for shortest_base in (3, 1):
        for quote in _QUOTES:
            if text.endswith(quote) and len(text) - len(quote) >= shortest_base:
                return f"{text[: -len(quote)]}/{quote}"
    raise InputError(
        f"cannot split symbol {symbol!r} into base and quote; write it as BASE/QUOTE, e.g. BTC/USDT"
    )


def series_key(
    path: Path,
    *,
    exchange: str | None = None,
    symbol: str | None = None,
    timeframe: str | None = None,
) -> SeriesKey:
    """The series of a candle file: the flags given, the rest from the file name."""
    from_name: dict[str, str] = {}
    if match := _EXCHANGE_SYMBOL_TF.match(path.name):
        from_name = match.groupdict()
    elif match := _BINANCE_DUMP.match(path.name):
        from_name = {"exchange": "binance", **match.groupdict()}
    chosen = {
        "exchange": exchange or from_name.get("exchange"),
        "symbol": symbol or from_name.get("symbol"),
        "timeframe": timeframe or _TIMEFRAME_WORDS.get(str(from_name.get("timeframe")),
                                                       from_name.get("timeframe")),
    }
    missing = [f"--{name}" for name, value in chosen.items() if not value]
    if missing:
        raise InputError(
            f"{path.name}: cannot tell {', '.join(m[2:] for m in missing)} from the file name; "
            f"pass {' '.join(missing)} (or name the file like binance_BTCUSDT_1d.csv)"
        )
    return SeriesKey(
        exchange=str(chosen["exchange"]).lower(),
        symbol=to_ccxt_symbol(str(chosen["symbol"])),
        timeframe=str(chosen["timeframe"]),
    )


__all__ = ["SeriesKey", "series_key", "to_ccxt_symbol"]
