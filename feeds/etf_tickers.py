"""The US spot-ETF fund tickers of each asset, as Farside's tables name their columns.

BTC (launched 2024-01-11; mini trust 2024-07-31): iShares IBIT, Fidelity FBTC, Bitwise BITB,
ARK 21Shares ARKB, Invesco Galaxy BTCO, Franklin EZBC, Valkyrie BRRR, VanEck HODL, WisdomTree
BTCW, Hashdex DEFI, Grayscale GBTC and its mini trust BTC. ETH (launched 2024-07-23): iShares
ETHA, Fidelity FETH, Bitwise ETHW, 21Shares TETH (also seen as CETH), VanEck ETHV, Invesco
Galaxy QETH, Franklin EZET, Grayscale ETHE and its mini trust ETH. Source: the column headers
of Farside Investors' "Bitcoin ETF Flow" and "Ethereum ETF Flow" tables (the reference
data's SOURCES.md) and the funds' own pages.
"""

from __future__ import annotations

from collections.abc import Iterable

FUND_TICKERS: dict[str, frozenset[str]] = {
    "BTC": frozenset({"IBIT", "FBTC", "BITB", "ARKB", "BTCO", "EZBC", "BRRR", "HODL", "BTCW",
                      "DEFI", "GBTC", "BTC"}),
    "ETH": frozenset({"ETHA", "FETH", "ETHW", "TETH", "CETH", "ETHV", "QETH", "EZET", "ETHE",
                      "ETH"}),
}


def funds_by_asset(tickers: Iterable[str]) -> dict[str, list[str]]:
    """The known tickers among ``tickers`` grouped by asset, in the order given.

    Unknown tickers (a fund launched later) are left out: they neither confirm nor contradict.
    ``ibit_usd``-style column names count as their ticker.
    """
    found: dict[str, list[str]] = {}
    for name in tickers:
        ticker = name.strip().upper().removesuffix("_USD")
        for asset, known in FUND_TICKERS.items():
            if ticker in known:
                found.setdefault(asset, []).append(name.strip())
    return found


__all__ = ["FUND_TICKERS", "funds_by_asset"]
