"""Farside tables: total-only exports, and fund tickers that must agree with the asset."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from feeds.csv_import import import_csv
from feeds.etf_flows import read_etf_flows, read_stored_etf_flows
from feeds.store import CandleStore
from flowimpact.errors import InputError
from tests.feeds.helpers import store_digest

# Farside's "All Data" page as exported: Date and Total only, website dates, footer rows
ALL_DATA = (
    "Date,Total\n"
    "12 Jan 2024,203.0\n"
    "13 Jan 2024,0.0\n"
    "14 Jan 2024,\"(1,079.5)\"\n"
    "15 Jan 2024,-\n"
    "Total,\"(876.5)\"\n"
    "Average,(219.1)\n"
    "Maximum,203.0\n"
    "Minimum,\"(1,079.5)\"\n"
)
PER_FUND = (
    "date,IBIT,GBTC,Total\n"
    "2024-01-11,111.7,-95.1,16.6\n"
    "2024-01-12,386.0,-183.0,203.0\n"
    "2024-01-13,0.0,0.0,0.0\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def store(tmp_path: Path) -> CandleStore:
    return CandleStore(tmp_path / "store")


def test_total_only_table_imports_as_the_assets_total_flows(
    tmp_path: Path, store: CandleStore
) -> None:
    result = import_csv(_write(tmp_path, "farside_btc_all_data.csv", ALL_DATA), store)
    assert (result.format, result.asset, result.rows) == ("farside-etf-flows", "BTC", 4)
    flows = read_etf_flows(store.root, "BTC")
    assert list(flows.columns) == ["total_usd"]
    assert flows["total_usd"].tolist() == pytest.approx([203.0e6, 0.0, -1079.5e6, 0.0])
    assert result.merge.total_only_days == tuple(flows.index)


def test_total_only_over_per_fund_keeps_the_funds_and_names_the_total_only_days(
    tmp_path: Path, store: CandleStore
) -> None:
    import_csv(_write(tmp_path, "farside_btc.csv", PER_FUND), store)
    result = import_csv(_write(tmp_path, "farside_btc_all_data.csv", ALL_DATA), store)
    merge = result.merge
    assert (merge.rows_added, merge.rows_replaced, merge.rows_after) == (2, 0, 5)
    assert merge.kept_fund_days == 2  # 12 and 13 Jan are in both
    assert [day.day for day in merge.total_only_days] == [14, 15]
    flows = read_etf_flows(store.root, "BTC")
    assert flows.loc["2024-01-12", "ibit_usd"] == pytest.approx(386.0e6)
    assert flows.loc["2024-01-12", "total_usd"] == pytest.approx(203.0e6)
    assert math.isnan(flows.loc["2024-01-14", "ibit_usd"])  # unknown, not zero
    # what the analogs and the calibration read: one total per day, every day
    total = read_stored_etf_flows(store.root, ["BTC"])["BTC"]["total_usd"]
    assert total.notna().all() and len(total) == 5
    assert total.sum() == pytest.approx((16.6 + 203.0 - 1079.5) * 1e6)


def test_per_fund_table_over_total_only_days_fills_them_in(
    tmp_path: Path, store: CandleStore
) -> None:
    import_csv(_write(tmp_path, "farside_btc_all_data.csv", ALL_DATA), store)
    result = import_csv(_write(tmp_path, "farside_btc.csv", PER_FUND), store)
    assert [day.day for day in result.merge.total_only_days] == [14, 15]
    flows = read_etf_flows(store.root, "BTC")
    assert flows.loc["2024-01-12", "gbtc_usd"] == pytest.approx(-183.0e6)


ETH_TABLE = "date,ETHA,FETH,ETHE,Total\n2024-07-23,266.5,71.3,-484.1,-146.3\n"


@pytest.mark.parametrize(
    ("name", "symbol", "message"),
    [
        ("farside_btc_etf_flows.csv", None,
         r"farside_btc_etf_flows.csv line 1: the fund columns ETHA, FETH, ETHE are ETH funds "
         r"but the file name says BTC"),
        ("farside_eth_etf_flows.csv", "BTC",
         r"farside_eth_etf_flows.csv line 1: the fund columns ETHA, FETH, ETHE are ETH funds "
         r"but --symbol says BTC"),
        ("flows.csv", None, None),  # no name, no flag: the tickers decide (ETH)
    ],
)
def test_tickers_that_contradict_the_asset_are_refused(
    tmp_path: Path, store: CandleStore, name: str, symbol: str | None, message: str | None
) -> None:
    import_csv(_write(tmp_path, "farside_btc.csv", PER_FUND), store)
    before = store_digest(store.root)
    path = _write(tmp_path, name, ETH_TABLE)
    if message is None:
        assert import_csv(path, store, symbol=symbol).asset == "ETH"
        return
    with pytest.raises(InputError, match=message) as caught:
        import_csv(path, store, symbol=symbol)
    assert caught.value.exit_code == 2
    assert store_digest(store.root) == before


def test_a_table_mixing_btc_and_eth_funds_is_refused(tmp_path: Path, store: CandleStore) -> None:
    text = "date,IBIT,ETHA,Total\n2024-07-23,10.0,5.0,15.0\n"
    with pytest.raises(InputError, match=r"line 1: .*BTC funds \(IBIT\) and ETH funds \(ETHA\)"):
        import_csv(_write(tmp_path, "farside_btc.csv", text), store)


def test_the_real_eth_table_under_a_btc_name_is_refused(
    shared_data: Path, tmp_path: Path, store: CandleStore
) -> None:
    import_csv(shared_data / "etf_flows" / "farside_btc_etf_flows_daily.csv", store)
    before = store_digest(store.root)
    misnamed = tmp_path / "farside_btc_etf_flows_daily.csv"
    misnamed.symlink_to(shared_data / "etf_flows" / "farside_eth_etf_flows_daily.csv")
    with pytest.raises(InputError, match=r"ETHA, FETH, ETHW, TETH, ETHV, QETH, EZET, ETHE, ETH "
                                         r"are ETH funds"):
        import_csv(misnamed, store)
    with pytest.raises(InputError, match="--symbol says BTC"):
        import_csv(shared_data / "etf_flows" / "farside_eth_etf_flows_daily.csv", store,
                   symbol="BTC")
    assert store_digest(store.root) == before


def test_an_absurd_total_is_refused_by_line_and_nothing_is_stored(
    tmp_path: Path, store: CandleStore
) -> None:
    text = PER_FUND.replace("2024-01-12,386.0,-183.0,203.0", "2024-01-12,1e30,0,1e30")
    with pytest.raises(InputError, match=r"line 3: Total is beyond 1e\+06 \(US\$ millions\)"):
        import_csv(_write(tmp_path, "farside_btc_etf_flows_daily.csv", text), store)
    assert store_digest(store.root) == {}
