"""flowimpact: what does a steady stream of 401(k) money do to the price of BTC and ETH?

The product lives in four packages, importable on their own from a notebook:

- ``feeds``: market data in (ccxt download, CSV import, the Parquet store, quality checks);
- ``strategies``: who puts money in and when (the 401(k) inflow model, trading strategies);
- ``backtest``: impact models, the engine, baseline paths, evaluation, analogs, reports, CLI;
- ``scheduler``: the daily update service.

This small package holds only what all four share: the version and the error tree.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flowimpact")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
