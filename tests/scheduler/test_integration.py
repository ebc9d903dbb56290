"""The scheduler through the real feeds: ccxt against the fake exchange on 127.0.0.1.

Most tests keep the study step the file-driven fake and the fetch step real
(``flowimpact.cli.update_steps.default_steps``); the last one runs ``flowimpact schedule
--once`` with both real steps on a small synthetic study.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import tomli_w

import feeds
import feeds._files
from feeds import CandleStore
from flowimpact.cli.update_steps import default_steps
from scheduler.job import run_once
from scheduler.lock import process_lock
from scheduler.publish import dated_reports, latest_report
from scheduler.runlog import read_runs, run_log_path
from scheduler.steps import UpdateSteps
from tests.fake_exchange import make_candles, serve_fake_exchange
from tests.scheduler import fakes


def test_the_stores_own_lock_does_not_block_an_update_holding_the_process_lock(tmp_path):
    # The update holds DATA_DIR/.flowimpact.lock for its whole length and the store takes the
    # same file around each write in the same thread; that must not wait for itself. Needs
    # feeds._files.writer_lock to use the shared, reentrant lock (see scheduler.lock).
    with process_lock(tmp_path, timeout_seconds=0), feeds._files.writer_lock(tmp_path, 0.1):
        pass


def test_a_day_later_only_the_new_candle_is_fetched_and_a_new_report_published(tmp_path: Path):
    data_dir, out_dir = tmp_path / "data", tmp_path / "reports"
    with serve_fake_exchange() as server:
        server.set_candles("BTC/USDT", "1d", make_candles("2024-01-01", 40, "1d"))
        study = tmp_path / "study.toml"
        study.write_text(tomli_w.dumps({"data": {
            "exchange": "binance", "symbols": ["BTC/USDT"], "since": "2024-01-01",
            "ccxt": server.ccxt_config("binance"),
        }}))
        real = default_steps(data_dir, study)
        update_steps = UpdateSteps(fetch=real.fetch, study=fakes.file_steps(data_dir, None).study)

        def update(now: datetime):
            return run_once(now, steps=update_steps, data_dir=data_dir, out_dir=out_dir,
                            keep_days=7, lock_timeout_seconds=0)

        day1 = datetime(2024, 1, 20, 0, 15, tzinfo=UTC)
        first = update(day1)
        assert first.ok, first.describe()
        stored = CandleStore(data_dir).read("binance", "BTC/USDT", "1d")
        assert stored.index[-1] == datetime(2024, 1, 19, tzinfo=UTC)  # the last closed candle
        assert len(stored) == 19
        assert first.summaries["fetch"] == "19 new candle(s) over 1 series"

        requests_before = len(server.requests)
        second = update(day1 + timedelta(days=1))
        assert second.ok, second.describe()
        assert second.summaries["fetch"] == "1 new candle(s) over 1 series"
        stored = CandleStore(data_dir).read("binance", "BTC/USDT", "1d")
        assert len(stored) == 20
        klines = [r for r in server.requests[requests_before:] if "/klines" in r]
        start_ms = int(datetime(2024, 1, 20, tzinfo=UTC).timestamp() * 1000)
        assert klines and all(f"startTime={start_ms}" in r for r in klines)  # no refetch

    assert [p.name for p in dated_reports(out_dir)] == ["2024-01-20", "2024-01-21"]
    assert latest_report(out_dir) == out_dir / "2024-01-21"


def test_schedule_once_fetches_runs_the_real_study_and_publishes_a_dated_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    # the whole path a cron job takes: CLI, lock, import folder, ccxt fetch, the real study,
    # publishing and the archive
    from flowimpact.cli import main
    from tests.backtest.fixtures import SYMBOLS, synthetic_candles, write_study

    data_dir, out_dir = tmp_path / "data", tmp_path / "reports"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "farside_btc_etf_flows_daily.csv").write_text(
        "date,IBIT,FBTC,Total\n2024-01-11,111.7,227.0,338.7\n2024-01-12,386.0,195.3,581.3\n"
    )
    (inbox / "farside_eth_etf_flows_daily.csv").write_text("date,ETHA,Total\n2024-07-23,x,1\n")
    # a symlink loop, and a private file linked in from outside: warned, never read
    (inbox / "loop.csv").symlink_to(inbox / "loop.csv")
    (tmp_path / "private.csv").write_text("date,IBIT,Total\nPRIVATE-hunter2,1,1\n")
    (inbox / "linked.csv").symlink_to(tmp_path / "private.csv")
    with serve_fake_exchange() as server:
        for seed, (symbol, price) in enumerate(SYMBOLS.items()):
            server.set_candles(symbol, "1d", synthetic_candles(price, seed).drop(columns="source"))
        study = write_study(
            tmp_path / "study.toml",
            data={
                "exchange": "binance",
                "since": "2023-05-01",
                "ccxt": server.ccxt_config("binance"),
            },
            schedule={"import_dir": str(inbox)},
        )
        code = main(["schedule", "--once", "--config", str(study), "--data-dir", str(data_dir),
                     "--out", str(out_dir)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    latest = latest_report(out_dir)
    assert latest is not None and latest.parent == out_dir
    for name in ("report.html", "scenarios.csv.gz", "analogs.csv.gz", "run.json", "flows.csv.gz"):
        assert (latest / name).is_file(), name
    stored = CandleStore(data_dir).read("binance", "ETH/USDT", "1d")
    assert stored.index[-1] == datetime(2025, 10, 31, tzinfo=UTC)
    # the good ETF table went in before the run; the bad one did not, and says so
    assert list(feeds.read_etf_flows(data_dir, "BTC")["total_usd"]) == [338.7e6, 581.3e6]
    assert not feeds.etf_flows_path(data_dir, "ETH").exists()
    [record] = read_runs(run_log_path(data_dir))
    # the import's problems, then the study's staleness check: old candles, the old BTC table
    imported, linked, loop, candles, table = record.warnings
    assert "farside_eth_etf_flows_daily.csv not imported" in imported
    assert "linked.csv not imported: a symbolic link to a file outside" in linked
    assert "loop.csv not imported: a symbolic link" in loop
    assert candles.startswith("the newest candle is from 2025-10-31")
    assert table.startswith("the BTC ETF flow table ends")
    manifest = json.loads((latest / "run.json").read_text(encoding="utf-8"))
    assert manifest["warnings"] == list(record.warnings)  # the same lines in run.json
    report = (latest / "report.html").read_text(encoding="utf-8")
    assert f"Warning: {html.escape(table)}" in report
    assert "Warning: [schedule] import_dir: farside_eth_etf_flows_daily.csv not imported" in report
    assert "Warning: [schedule] import_dir: loop.csv not imported" in report
    for published in (report, (latest / "run.json").read_text("utf-8"),
                      run_log_path(data_dir).read_text("utf-8"), captured.err):
        assert "hunter2" not in published
    assert "farside_eth_etf_flows_daily.csv" in captured.err  # the warning on stderr too
    # the archive links the day's report
    index = (out_dir / "index.html").read_text(encoding="utf-8")
    assert f'href="{latest.name}/report.html"' in index
    assert html.escape(candles) in index  # the archive's row notes the stale data
