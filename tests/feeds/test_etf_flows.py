"""The ETF-flow table store: dollars in, dollars out, merged by day, atomic."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feeds.etf_flows import (
    etf_flow_entries,
    read_etf_flows,
    read_stored_etf_flows,
    write_etf_flows,
)
from flowimpact.errors import DataFormatError, DataUnavailableError


def _table(days: list[str], ibit: list[float], total: list[float]) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(days), name="date")
    return pd.DataFrame({"ibit_usd": ibit, "total_usd": total}, index=index)


def test_write_then_read_keeps_dollars_and_utc_days(tmp_path: Path) -> None:
    result = write_etf_flows(tmp_path, "btc", _table(["2024-01-11"], [111.7e6], [655.3e6]))
    assert result.path == tmp_path / "etf_flows" / "BTC.parquet"
    flows = read_etf_flows(tmp_path, "BTC")
    assert flows.loc["2024-01-11", "total_usd"] == 655.3e6
    assert str(flows.index.tz) == "UTC"
    assert list(flows.columns) == ["ibit_usd", "total_usd"]


def test_newer_table_wins_per_day_and_new_funds_fill_with_zero(tmp_path: Path) -> None:
    write_etf_flows(tmp_path, "BTC", _table(["2024-01-11", "2024-01-12"], [1.0, 2.0], [1.0, 2.0]))
    newer = _table(["2024-01-12", "2024-01-13"], [5.0, 6.0], [8.0, 6.0])
    newer["fbtc_usd"] = [3.0, 0.0]
    result = write_etf_flows(tmp_path, "BTC", newer)
    assert (result.rows_added, result.rows_replaced, result.rows_after) == (1, 1, 3)
    flows = read_etf_flows(tmp_path, "BTC")
    assert flows["total_usd"].tolist() == [1.0, 8.0, 6.0]
    assert flows["fbtc_usd"].tolist() == [0.0, 3.0, 0.0]
    assert flows.columns[-1] == "total_usd"
    [entry] = etf_flow_entries(tmp_path)
    assert (entry.asset, entry.rows, entry.funds, entry.cumulative_usd) == ("BTC", 3, 2, 15.0)


def test_absent_table_is_data_unavailable_with_the_import_command(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError, match="flowimpact import") as caught:
        read_etf_flows(tmp_path, "ETH")
    assert caught.value.exit_code == 3


def test_columns_without_units_are_refused(tmp_path: Path) -> None:
    frame = _table(["2024-01-11"], [1.0], [1.0]).rename(columns={"ibit_usd": "IBIT"})
    with pytest.raises(DataFormatError, match="_usd"):
        write_etf_flows(tmp_path, "BTC", frame)
    assert not (tmp_path / "etf_flows" / "BTC.parquet").exists()


def test_read_stored_etf_flows_leaves_out_assets_without_a_table(tmp_path: Path) -> None:
    days = pd.date_range("2024-01-11", periods=2, freq="D", tz="UTC", name="date")
    flows = pd.DataFrame({"ibit_usd": [1e8, 2e8], "total_usd": [1e8, 2e8]}, days)
    write_etf_flows(tmp_path, "BTC", flows)
    stored = read_stored_etf_flows(tmp_path, ["BTC", "ETH"])
    assert list(stored) == ["BTC"]
    assert stored["BTC"]["total_usd"].tolist() == [1e8, 2e8]


def test_replaced_counts_only_days_whose_values_changed(tmp_path: Path) -> None:
    table = _table(["2024-01-11", "2024-01-12"], [1e6, 2e6], [1e6, 2e6])
    write_etf_flows(tmp_path, "BTC", table)
    again = write_etf_flows(tmp_path, "BTC", table)
    assert (again.rows_added, again.rows_replaced, again.rows_after) == (0, 0, 2)
    revised = _table(["2024-01-11", "2024-01-12"], [1e6, 3e6], [1e6, 3e6])
    assert write_etf_flows(tmp_path, "BTC", revised).rows_replaced == 1


def test_replace_drops_the_stored_days_and_funds_of_the_span(tmp_path: Path) -> None:
    # a BTC table poisoned by an ETH table merged into it (an older version allowed that)
    write_etf_flows(tmp_path, "BTC", _table(["2024-01-11", "2024-01-12", "2024-01-13"],
                                            [1e6, 2e6, 3e6], [1e6, 2e6, 3e6]))
    eth = pd.DataFrame({"etha_usd": [9e6], "total_usd": [9e6]},
                       index=pd.DatetimeIndex(["2024-01-12"], name="date"))
    write_etf_flows(tmp_path, "BTC", eth)
    assert "etha_usd" in read_etf_flows(tmp_path, "BTC").columns
    fix = _table(["2024-01-12", "2024-01-13"], [2e6, 3e6], [2e6, 3e6])
    result = write_etf_flows(tmp_path, "BTC", fix, replace=True)
    assert (result.rows_added, result.rows_replaced, result.rows_removed) == (0, 1, 0)
    flows = read_etf_flows(tmp_path, "BTC")
    assert list(flows.columns) == ["ibit_usd", "total_usd"]
    assert flows["total_usd"].tolist() == [1e6, 2e6, 3e6]
