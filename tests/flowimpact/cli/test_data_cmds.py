"""flowimpact fetch / import / data list through the real entry point (exit codes, output)."""

from __future__ import annotations

import functools
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import tomli_w

from feeds import ccxt_feed
from feeds.ccxt_feed import update_store
from feeds.etf_flows import read_etf_flows, write_etf_flows
from feeds.farside import read_farside
from feeds.retry import RetryPolicy
from feeds.store import CandleStore
from flowimpact.cli import data_cmds, main
from tests.fake_exchange import FakeExchangeServer, make_candles, serve_fake_exchange
from tests.feeds.helpers import candles, store_digest


@pytest.fixture
def fake_exchange() -> Iterator[FakeExchangeServer]:
    with serve_fake_exchange() as server:
        yield server


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's retry policy, minus the waiting."""
    policy = RetryPolicy(max_attempts=3, sleep=lambda _seconds: None)
    # the command imports update_store when it runs (through feeds' lazy exports)
    monkeypatch.setattr(ccxt_feed, "update_store", functools.partial(update_store, retry=policy))


def _study(tmp_path: Path, server: FakeExchangeServer, **data: object) -> Path:
    section = {"exchange": "binance", "symbols": ["BTC/USDT"], "since": "2024-01-01", **data}
    section["ccxt"] = server.ccxt_config(str(section["exchange"]))
    path = tmp_path / "study.toml"
    path.write_text(tomli_w.dumps({"data": section}))
    return path


def test_import_then_data_list(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(p) for p in sorted((shared_data / "prices").glob("*4h.csv"))]
    files.append(str(shared_data / "etf_flows" / "farside_btc_etf_flows_daily.csv"))
    assert main(["import", "--data-dir", str(tmp_path), *files]) == 0
    out = capsys.readouterr().out
    assert "binance_BTCUSDT_4h.csv: 18367 candles" in out and "16 missing bar(s)" in out
    assert "(the study reads 1d candles, so these 4h gaps do not affect it)" in out
    assert "601 days of BTC ETF flows (USD)" in out
    assert main(["data", "list", "--data-dir", str(tmp_path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[1].split() == ["exchange", "symbol", "timeframe", "first", "last", "rows", "gaps"]
    assert table[2].split() == ["binance", "BTC/USDT", "4h", "2017-08-17", "04:00", "2026-01-05",
                                "20:00", "18367", "8", "(16", "bars)"]
    assert any(line.split()[:3] == ["BTC", "2024-01-11", "2025-09-02"] for line in table)
    assert main(["data", "--data-dir", str(tmp_path)]) == 0  # `data` alone lists too
    assert capsys.readouterr().out.splitlines() == table


def test_import_says_when_gaps_reach_the_studys_prices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    days = [d for d in pd.date_range("2024-01-01", periods=10, freq="D") if d.day != 5]
    rows = "".join(f"{d:%Y-%m-%d},100,110,90,105,1\n" for d in days)
    path = tmp_path / "binance_BTCUSDT_1d.csv"
    path.write_text("timestamp,open,high,low,close,volume\n" + rows)
    assert main(["import", "--data-dir", str(tmp_path / "store"), str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 gap(s)" in out and "(the study reads this series: these gaps reach its prices" in out
    other = tmp_path / "kraken_BTCUSD_1d.csv"
    other.write_text(path.read_text())
    assert main(["import", "--data-dir", str(tmp_path / "store"), str(other)]) == 0
    assert "not this series: these gaps do not affect it" in capsys.readouterr().out
    study = tmp_path / "study.toml"
    study.write_text('[data]\nexchange = "kraken"\nsymbols = ["BTC/USD"]\n')
    assert main(["import", "--config", str(study), "--data-dir", str(tmp_path / "store2"),
                 str(other)]) == 0
    assert "(the study reads this series" in capsys.readouterr().out


def test_data_list_of_an_empty_store_says_how_to_fill_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "--data-dir", str(tmp_path)]) == 0
    assert "is empty: run `flowimpact fetch`" in capsys.readouterr().out


def test_corrupt_file_exits_2_with_one_line_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "binance_BTCUSDT_1d.csv"
    path.write_text("timestamp,open,high,low,close,volume\n2024-01-01,1,2,0.5,oops,1\n")
    assert main(["import", "--data-dir", str(tmp_path / "store"), str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "binance_BTCUSDT_1d.csv line 2: close is not a number" in err
    assert not (tmp_path / "store" / "candles").exists()


def test_unnamed_file_without_flags_exits_2_asking_for_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("timestamp,open,high,low,close,volume\n2024-01-01,1,2,0.5,1,1\n")
    assert main(["import", "--data-dir", str(tmp_path), str(path)]) == 2
    assert "pass --exchange --symbol --timeframe" in capsys.readouterr().err
    args = ["import", "--data-dir", str(tmp_path), str(path), "--exchange", "binance",
            "--symbol", "BTC/USDT", "--timeframe", "1d"]
    assert main(args) == 0


def _empty_windows_until_now(cursor: str, page_days: int) -> int:
    """Requests the walk spends on empty windows from ``cursor`` to the real clock's now."""
    now = pd.Timestamp.now(tz="UTC")
    start = pd.Timestamp(cursor, tz="UTC")
    count = 0
    while start + pd.Timedelta(days=1) <= now:
        count, start = count + 1, start + pd.Timedelta(days=page_days)
    return count


def test_fetch_through_a_study_file_then_up_to_date(
    fake_exchange: FakeExchangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    no_backoff: None,
) -> None:
    fake_exchange.set_candles("BTC/USDT", "1d", make_candles("2024-01-01", 30))
    args = ["fetch", "--config", str(_study(tmp_path, fake_exchange)),
            "--data-dir", str(tmp_path / "store"), "--no-progress"]
    assert main(args) == 0
    # one page of 30, then empty 1000-day windows (Binance's page) up to today's clock
    empty = _empty_windows_until_now("2024-01-31", 1000)
    assert f"binance BTC/USDT 1d: 30 candle(s) fetched in {1 + empty} request(s), 30 new" in (
        capsys.readouterr().out
    )
    assert main(args) == 0
    assert "up to date" in capsys.readouterr().out
    assert fake_exchange.count("/api/v3/klines") == 1 + 2 * empty  # the rerun: after the last


def test_fetch_refuses_daily_rows_answering_a_4h_request_and_stores_nothing(
    fake_exchange: FakeExchangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    no_backoff: None,
) -> None:
    fake_exchange.set_candles("BTC/USDT", "4h", make_candles("2024-01-01", 30, "1d"))
    args = ["fetch", "--config", str(_study(tmp_path, fake_exchange, timeframe="4h")),
            "--data-dir", str(tmp_path / "store"), "--no-progress"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "86400 s apart but timeframe 4h means 14400 s" in err
    assert not (tmp_path / "store" / "candles").exists()


def test_flags_override_the_study(
    fake_exchange: FakeExchangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    no_backoff: None,
) -> None:
    fake_exchange.set_candles("ETH/USDT", "1d", make_candles("2024-01-01", 30))
    args = ["fetch", "--config", str(_study(tmp_path, fake_exchange)), "--symbols", "ETHUSDT",
            "--since", "2024-01-21", "--data-dir", str(tmp_path / "store"), "--no-progress"]
    assert main(args) == 0
    assert "binance ETH/USDT 1d: 10 candle(s) fetched" in capsys.readouterr().out


def test_server_that_keeps_failing_exits_3_with_one_clear_line(
    fake_exchange: FakeExchangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    no_backoff: None,
) -> None:
    fake_exchange.add_fault("503", path="/api/v3/klines", times=None)
    args = ["fetch", "--config", str(_study(tmp_path, fake_exchange)),
            "--data-dir", str(tmp_path / "store"), "--no-progress"]
    assert main(args) == 3
    *retries, error = capsys.readouterr().err.splitlines()
    assert len(retries) == 2 and all("next try in" in line for line in retries)
    assert error.startswith("flowimpact: error: binance BTC/USDT 1d:")
    assert "gave up after 3" in error


def test_bad_symbol_and_bad_timeframe_exit_2(
    fake_exchange: FakeExchangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    no_backoff: None,
) -> None:
    base = ["fetch", "--config", str(_study(tmp_path, fake_exchange)),
            "--data-dir", str(tmp_path / "store"), "--no-progress"]
    assert main([*base, "--symbols", "DOGE/USDT"]) == 2
    assert "does not list symbol 'DOGE/USDT'" in capsys.readouterr().err
    assert main([*base, "--timeframe", "1M"]) == 2
    assert "timeframe '1M' is not supported" in capsys.readouterr().err
    assert fake_exchange.count("/api/v3/klines") == 0


def test_cli_summary_says_the_open_candle_was_not_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a file ending with today's candle, still open
    today = pd.Timestamp.now(tz="UTC").floor("D")
    days = pd.date_range(end=today, periods=3, freq="D")
    rows = "".join(f"{day:%Y-%m-%d},100,110,90,105,1\n" for day in days)
    path = tmp_path / "binance_BTCUSDT_1d.csv"
    path.write_text("timestamp,open,high,low,close,volume\n" + rows, encoding="utf-8")
    assert main(["import", "--data-dir", str(tmp_path / "store"), str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "3 candles" in out and "2 new, 0 replaced, 2 stored" in out
    assert f"1 still-open candle(s) not stored (from {today:%Y-%m-%d} 00:00 UTC" in out


HEADER = "timestamp,open,high,low,close,volume\n"
ETH_FLOWS = "date,ETHA,FETH,ETHE,Total\n2024-07-23,266.5,71.3,-484.1,-146.3\n"


def _daily(*stamps: str) -> str:
    return HEADER + "".join(f"{stamp},100,110,90,105,1.5\n" for stamp in stamps)


def _filled_store(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    prices = tmp_path / "binance_BTCUSDT_1d.csv"
    prices.write_text(_daily(*(f"2021-05-{d:02d}" for d in range(1, 11))))
    flows = tmp_path / "farside_btc.csv"
    flows.write_text("date,IBIT,GBTC,Total\n2024-07-23,10.0,-5.0,5.0\n")
    assert main(["import", "--data-dir", str(store), str(prices), str(flows)]) == 0
    return store


REFUSED = {
    "daily row at 13:37": ("binance_BTCUSDT_1d.csv", (),
                           _daily("2021-05-11", "2021-05-12 13:37:00", "2021-05-13"), 3),
    "+02:00 midnight": ("binance_BTCUSDT_1d.csv", (),
                        _daily(*(f"2021-05-{d}T00:00:00+02:00" for d in (11, 12, 13))), 2),
    "mixed Z and -05:00": ("binance_BTCUSDT_1d.csv", (),
                           _daily("2021-05-11T00:00:00Z", "2021-05-12T00:00:00-05:00",
                                  "2021-05-13T00:00:00Z"), 3),
    "inf price": ("binance_BTCUSDT_1d.csv", (),
                  HEADER + "2021-05-11,100,inf,90,105,1\n", 2),
    "absurd price": ("binance_BTCUSDT_1d.csv", (),
                     HEADER + "2021-05-11,100,3e9,90,105,1\n", 2),
    "absurd volume": ("binance_BTCUSDT_1d.csv", (),
                      HEADER + "2021-05-11,100,110,90,105,1e15\n", 2),
    "1970 in 2021": ("binance_BTCUSDT_1d.csv", (),
                     _daily("2021-05-11", "1970-01-01", "2021-05-12", "2021-05-13"), 3),
    "ETH table named btc": ("farside_btc_etf_flows_daily.csv", (), ETH_FLOWS, 1),
    "ETH table as --symbol BTC": ("farside_eth_etf_flows_daily.csv", ("--symbol", "BTC"),
                                  ETH_FLOWS, 1),
}


@pytest.mark.parametrize(("name", "flags", "text", "line"), list(REFUSED.values()),
                         ids=list(REFUSED))
def test_poisonous_files_exit_2_naming_file_and_line_and_the_store_is_byte_identical(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, flags: tuple[str, ...],
    text: str, line: int,
) -> None:
    store = _filled_store(tmp_path)
    before = store_digest(store)
    capsys.readouterr()
    bad = tmp_path / "bad" / name
    bad.parent.mkdir()
    bad.write_text(text)
    assert main(["import", "--data-dir", str(store), *flags, str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{name} line {line}:" in err
    assert "--timeframe" not in err
    assert store_digest(store) == before


def test_import_replace_repairs_a_series_over_the_files_span(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = CandleStore(tmp_path / "store")
    days = ["2024-01-01", "2024-01-02", "2024-01-02 13:37", "2024-01-03", "2024-01-04"]
    store.merge("binance", "BTC/USDT", "1d", candles(days, [1.0, 2.0, 9.0, 3.0, 4.0]))
    good = tmp_path / "binance_BTCUSDT_1d.csv"  # the right candles of 2 and 3 January
    right = candles(["2024-01-02", "2024-01-03"], [2.0, 3.0])
    good.write_text(HEADER + "".join(
        f"{day:%Y-%m-%d},{row.open!r},{row.high!r},{row.low!r},{row.close!r},{row.volume!r}\n"
        for day, row in right.iterrows()
    ))
    assert main(["import", "--replace", "--data-dir", str(store.root), str(good)]) == 0
    assert "0 new, 0 replaced, 1 removed, 4 stored" in capsys.readouterr().out
    assert store.read("binance", "BTC/USDT", "1d")["close"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_a_poisoned_etf_table_is_named_and_import_replace_repairs_it(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    btc = shared_data / "etf_flows" / "farside_btc_etf_flows_daily.csv"
    eth = shared_data / "etf_flows" / "farside_eth_etf_flows_daily.csv"
    store = tmp_path / "store"
    assert main(["import", "--data-dir", str(store), str(btc)]) == 0
    write_etf_flows(store, "BTC", read_farside(eth))  # what an older version let through
    assert main(["data", "list", "--data-dir", str(store)]) == 0
    out = capsys.readouterr().out
    assert "BTC ETF flows: ETH fund columns (etha_usd, feth_usd" in out
    assert "flowimpact import --replace --symbol BTC" in out
    assert main(["import", "--replace", "--symbol", "BTC", "--data-dir", str(store),
                 str(btc)]) == 0
    flows = read_etf_flows(store, "BTC")
    assert not any(column.startswith("eth") for column in flows.columns)
    assert flows["total_usd"].sum() == pytest.approx(54_550e6, rel=0.01)  # SOURCES.md
    assert main(["data", "list", "--data-dir", str(store)]) == 0
    assert "ETH fund columns" not in capsys.readouterr().out


def test_total_only_days_are_said_on_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _filled_store(tmp_path)
    capsys.readouterr()
    total_only = tmp_path / "farside_btc_all_data.csv"
    total_only.write_text("Date,Total\n23 Jul 2024,5.0\n24 Jul 2024,7.5\n25 Jul 2024,-\n"
                          "Total,12.5\nAverage,4.2\nMaximum,7.5\nMinimum,0.0\n")
    assert main(["import", "--data-dir", str(store), str(total_only)]) == 0
    out = capsys.readouterr().out
    assert "3 days of BTC ETF flows (USD); 2 new, 0 replaced, 3 stored" in out
    assert "1 day(s) kept their per-fund figures" in out
    assert "2 day(s) have only a total (2024-07-24 .. 2024-07-25)" in out


def test_fetch_from_a_silent_server_says_each_retry_and_stops_within_the_settings(
    fake_exchange: FakeExchangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_exchange.add_fault("hang", times=None)
    study = _study(tmp_path, fake_exchange, retries=2, timeout_seconds=0.2)
    raw = tomllib.loads(study.read_text())
    del raw["data"]["ccxt"]["timeout"]  # the [data] timeout_seconds is the one that counts
    study.write_text(tomli_w.dumps(raw))
    started = time.monotonic()
    code = main(["fetch", "--config", str(study), "--data-dir", str(tmp_path / "store"),
                 "--no-progress"])
    elapsed = time.monotonic() - started
    assert code == 3
    lines = capsys.readouterr().err.splitlines()
    assert [line.split("; next try in")[0][-16:] for line in lines[:2]] == [
        "(attempt 1 of 3)", "(attempt 2 of 3)"]
    assert lines[2].startswith("flowimpact: error: ") and "gave up after 3 attempt" in lines[2]
    assert len(lines) == 3
    assert elapsed < 0.6 + 3.0 + 2.5  # 3 × 0.2 s, backoff of at most 1 + 2 s, start-up


def test_fetch_from_a_restricted_location_exits_3_in_one_line_saying_what_to_do(
    fake_exchange: FakeExchangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_exchange.add_fault("451", times=None)
    args = ["fetch", "--config", str(_study(tmp_path, fake_exchange)),
            "--data-dir", str(tmp_path / "store"), "--no-progress"]
    assert main(args) == 3
    [line] = capsys.readouterr().err.splitlines()  # no retry lines: a refusal is not retried
    assert line.startswith("flowimpact: error: binance load_markets: binance refuses requests "
                           'from this location (HTTP 451, "Service unavailable from a restricted '
                           'location"); get prices from a venue that serves you: add to [data] '
                           'fallbacks = [{ exchange = "coinbaseexchange", symbols = ["BTC/USD"] }]')
    assert len(fake_exchange.requests) == 1


def test_fetch_falls_back_and_says_which_venue_served(
    fake_exchange: FakeExchangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_exchange.add_fault("451", path="/api/v3/", times=None)
    fake_exchange.set_candles("BTC/USD", "1d", make_candles("2024-01-01", 30))
    study = _study(tmp_path, fake_exchange)
    raw = tomllib.loads(study.read_text())
    raw["data"]["fallbacks"] = [{"exchange": "coinbaseexchange", "symbols": ["BTC/USD"],
                                 "ccxt": fake_exchange.ccxt_config("coinbaseexchange")}]
    study.write_text(tomli_w.dumps(raw))
    args = ["fetch", "--config", str(study), "--data-dir", str(tmp_path / "store"),
            "--no-progress"]
    assert main(args) == 0
    captured = capsys.readouterr()
    [line] = captured.out.splitlines()
    assert line.startswith("coinbaseexchange BTC/USD 1d: 30 candle(s) fetched in ")
    assert line.endswith("; fallback for binance, which could not serve (see stderr)")
    [handover] = captured.err.splitlines()
    assert handover.startswith("flowimpact: binance cannot serve BTC/USDT: ")


def test_exchange_and_symbol_flags_keep_only_the_fallbacks_that_still_fit(tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    study.write_text(tomli_w.dumps({"data": {"fallbacks": [
        {"exchange": "coinbaseexchange", "symbols": ["BTC/USD", "ETH/USD"]},
        {"exchange": "kraken", "symbols": ["ETH/USD", "BTC/USD"]},
    ]}}))
    only_eth = data_cmds.resolve_data_config(study, symbols="ETHUSDT")
    assert [(v.exchange, v.symbols) for v in only_eth.fallbacks] == [
        ("coinbaseexchange", ("ETH/USD",)), ("kraken", ("ETH/USD",))]
    on_coinbase = data_cmds.resolve_data_config(study, exchange="coinbaseexchange",
                                                symbols="BTC/USD,ETH/USD")
    assert [(v.exchange, v.symbols) for v in on_coinbase.fallbacks] == [
        ("kraken", ("BTC/USD", "ETH/USD"))]
    # a new asset: no fallback lists it, so none stands in
    assert data_cmds.resolve_data_config(study, symbols="SOL/USDT").fallbacks == ()
