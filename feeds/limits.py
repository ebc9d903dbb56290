"""Ceilings above which a candle's price or traded amount is absurd, refused at import.

No crypto asset has traded anywhere near US$1e9 (BTC's all-time high is about $126,000,
October 2025), and the whole crypto spot market trades of the order of US$1e11 a day
(CoinGecko's global volume, 2024-2025). So a price above ``MAX_PRICE_USD`` or a candle whose
close x volume is above ``MAX_TRADED_USD`` is a unit or parsing error (a price in cents of a
cent, a volume in wei), not a market fact. Both ceilings are orders of magnitude above any
real figure, so they never refuse a real candle of a USD-like quote.

A dated flow (``[flows]`` tables, ``feeds.flow_csv``) is money traded into or out of one asset
on one day, so the same ceiling holds for it: ``MAX_FLOW_USD``, in US dollars either way (the
largest real ones, the spot-ETF days, are about US$1e9).

Prices are in the QUOTE currency. For a quote worth far less than a dollar the ceilings are
scaled by a rough ceiling on how many units make a dollar (2025 rates rounded up to a power of
ten, with room for inflation): BTC/IDR traded above 1.6e9 rupiah in 2025. Any other quote
(USD, stablecoins, EUR, GBP, BTC, ETH, ...) is taken as worth at least about a dollar, which
only makes the ceilings looser for the valuable ones.
"""

from __future__ import annotations

MAX_PRICE_USD = 1e9
MAX_TRADED_USD = 1e12  # per candle
MAX_FLOW_USD = MAX_TRADED_USD  # per row of a flow table, buys or sells

# rough ceilings of units per US dollar; an assumption, see the module docstring
_UNITS_PER_USD_CEILING = {
    "IRR": 1e7, "LBP": 1e6, "VND": 1e5, "IDR": 1e5, "LAK": 1e5, "UZS": 1e5, "PYG": 1e5,
    "KRW": 1e4, "COP": 1e4, "NGN": 1e4, "ARS": 1e4, "CLP": 1e4, "KZT": 1e4, "VES": 1e4,
    "JPY": 1e3, "INR": 1e3, "TRY": 1e3, "RUB": 1e3, "HUF": 1e3, "PKR": 1e3, "UAH": 1e3,
}


def units_per_usd_ceiling(quote: str | None) -> float:
    """How many units of ``quote`` at most make a dollar (1 for USD-like or unknown quotes)."""
    return _UNITS_PER_USD_CEILING.get((quote or "USD").upper(), 1.0)


def price_ceiling(quote: str | None) -> float:
    """The highest believable price in ``quote`` units."""
    return MAX_PRICE_USD * units_per_usd_ceiling(quote)


def traded_ceiling(quote: str | None) -> float:
    """The highest believable close x volume of one candle, in ``quote`` units."""
    return MAX_TRADED_USD * units_per_usd_ceiling(quote)


__all__ = [
    "MAX_FLOW_USD",
    "MAX_PRICE_USD",
    "MAX_TRADED_USD",
    "price_ceiling",
    "traded_ceiling",
    "units_per_usd_ceiling",
]
