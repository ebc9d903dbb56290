"""Market data in: ccxt download, CSV import, the Parquet store and data-quality checks."""
