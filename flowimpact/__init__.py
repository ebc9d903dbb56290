"""flowimpact: what does a steady stream of 401(k) money do to the price of BTC and ETH?

The product lives in four packages, importable on their own from a notebook:

- ``feeds``: market data in (ccxt download, CSV import, the Parquet store, quality checks);
- ``strategies``: who puts money in and when (the 401(k) inflow model, trading strategies);
- ``backtest``: impact models, the engine, baseline paths, evaluation, analogs, reports, CLI;
- ``scheduler``: the daily update service.

This small package holds only what all four share: the version and the error tree.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed metadata on first use: importlib.metadata
    costs about 0.1 s, more than the rest of ``flowimpact --help``."""
    if name != "__version__":
        raise AttributeError(f"module 'flowimpact' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("flowimpact")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
