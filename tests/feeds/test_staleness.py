"""feeds/staleness.py: the one check of how old the prices and the ETF tables are."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from feeds.staleness import etf_warnings, price_warning, stale_warnings

NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)


def _daily(last: str, days: int = 5) -> pd.DataFrame:
    index = pd.date_range(end=last, periods=days, freq="D", tz="UTC")
    return pd.DataFrame({"close": range(days), "total_usd": range(days)}, index=index)


def test_candles_within_the_allowance_pass_and_older_ones_warn() -> None:
    assert price_warning(pd.Timestamp("2026-01-07").date(), NOW, 3) is None  # 3 days: allowed
    warning = price_warning(pd.Timestamp("2026-01-06").date(), NOW, 3)
    assert warning is not None
    assert "2026-01-06, 4 days before this run" in warning and "stale_after_days = 3" in warning
    assert "flowimpact fetch" in warning  # what to do about it


def test_each_old_etf_table_gets_its_own_line() -> None:
    tables = {"ETH": _daily("2025-10-31"), "BTC": _daily("2026-01-09"), "SOL": _daily("2024-01-01")}
    lines = etf_warnings(tables, NOW, 3)
    assert [line.split(" ETF")[0] for line in lines] == ["the ETH", "the SOL"]  # sorted by asset
    assert "ends 2025-10-31, 71 days before this run" in lines[0]
    assert "flowimpact import" in lines[0]


def test_the_check_reads_the_stored_tables_when_not_given(tmp_path: Path) -> None:
    prices = {"BTC": _daily("2026-01-05"), "ETH": _daily("2026-01-09")}
    # the newest day both assets have is BTC's
    assert stale_warnings(tmp_path, prices, now=NOW, stale_after_days=3)[0].startswith(
        "the newest candle is from 2026-01-05"
    )
    assert stale_warnings(tmp_path, prices, now=NOW, stale_after_days=10) == ()
    given = {"BTC": _daily("2025-06-30")}
    lines = stale_warnings(tmp_path, prices, now=NOW, stale_after_days=10, etf_flows=given)
    assert lines == (etf_warnings(given, NOW, 10)[0],)
