"""CandleStore: schema, merge policy, atomic writes, the writer lock, listing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from feeds._files import LOCK_FILE_NAME
from feeds.schema import CANDLE_COLUMNS
from feeds.store import CandleStore
from flowimpact.atomic import WriteError
from flowimpact.errors import ConfigError, FlowImpactError, InputError
from tests.feeds.helpers import candles


def test_read_of_absent_series_is_an_empty_frame_with_the_schema(tmp_path: Path) -> None:
    frame = CandleStore(tmp_path).read("binance", "BTC/USDT", "1d")
    assert frame.empty
    assert list(frame.columns) == list(CANDLE_COLUMNS)
    assert str(frame.index.dtype) == "datetime64[us, UTC]"
    assert frame.index.name == "timestamp"
    assert CandleStore(tmp_path).last_timestamp("binance", "BTC/USDT", "1d") is None


def test_merge_writes_one_parquet_file_per_series_and_reads_back(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    result = store.merge("binance", "BTC/USDT", "1d", candles(["2024-01-01", "2024-01-02"], [1, 2]))
    assert result.path == tmp_path / "candles" / "binance" / "BTC-USDT" / "1d.parquet"
    assert (result.rows_before, result.rows_added, result.rows_replaced, result.rows_after) == (
        0, 2, 0, 2,
    )
    back = store.read("binance", "BTC/USDT", "1d")
    assert back["close"].tolist() == [1.0, 2.0]
    assert back["source"].tolist() == ["test", "test"]
    assert back.dtypes["close"] == "float64"
    assert store.last_timestamp("binance", "BTC/USDT", "1d") == pd.Timestamp("2024-01-02", tz="UTC")


def test_merge_deduplicates_and_the_newer_source_wins(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    old = candles(["2024-01-01", "2024-01-02"], [1, 2], source="old")
    store.merge("binance", "BTC/USDT", "1d", old)
    result = store.merge(
        "binance", "BTC/USDT", "1d",
        candles(["2024-01-02", "2024-01-03"], [20, 3], source="new"),
    )
    assert (result.rows_added, result.rows_replaced, result.rows_after) == (1, 1, 3)
    back = store.read("binance", "BTC/USDT", "1d")
    assert back.index.is_unique and back.index.is_monotonic_increasing
    assert back["close"].tolist() == [1.0, 20.0, 3.0]
    assert back["source"].tolist() == ["old", "new", "new"]


def test_merging_identical_rows_changes_nothing(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    frame = candles(["2024-01-01", "2024-01-02"], [1, 2])
    store.merge("binance", "BTC/USDT", "1d", frame)
    mtime = store.path("binance", "BTC/USDT", "1d").stat().st_mtime_ns
    result = store.merge("binance", "BTC/USDT", "1d", frame)
    assert (result.rows_added, result.rows_replaced, result.rows_after) == (0, 0, 2)
    assert store.path("binance", "BTC/USDT", "1d").stat().st_mtime_ns == mtime


def test_a_failed_replace_leaves_the_previous_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CandleStore(tmp_path)
    store.merge("binance", "BTC/USDT", "1d", candles(["2024-01-01"], [1]))

    def broken_replace(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(WriteError, match="disk full"):
        store.merge("binance", "BTC/USDT", "1d", candles(["2024-01-02"], [2]))
    monkeypatch.undo()
    assert store.read("binance", "BTC/USDT", "1d")["close"].tolist() == [1.0]
    leftovers = list(store.path("binance", "BTC/USDT", "1d").parent.glob("*.tmp"))
    assert leftovers == []


def test_a_process_killed_while_writing_leaves_a_readable_store(tmp_path: Path) -> None:
    writer = textwrap.dedent(
        f"""
        import sys
        import pandas as pd
        from feeds.store import CandleStore
        from feeds.schema import to_candles
        store = CandleStore({str(tmp_path)!r})
        day = pd.Timestamp("2000-01-01", tz="UTC")
        for i in range(100000):
            index = pd.date_range(day + pd.Timedelta(days=50 * i), periods=50, freq="1D")
            frame = pd.DataFrame({{c: 1.0 for c in ["open", "high", "low", "close", "volume"]}},
                                 index=index)
            store.merge("binance", "BTC/USDT", "1d", to_candles(frame, source="loop"))
            if i == 0:
                print("first", flush=True)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[2],
    ) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "first"
            store = CandleStore(tmp_path)
            path = store.path("binance", "BTC/USDT", "1d")
            # let more writes happen, so that the kill lands among them
            deadline = pd.Timestamp.now() + pd.Timedelta(seconds=20)
            while (
                len(store.read("binance", "BTC/USDT", "1d")) < 500
                and pd.Timestamp.now() < deadline
            ):
                pass
        finally:
            process.kill()
            process.wait()
    assert process.returncode == -9
    frame = store.read("binance", "BTC/USDT", "1d")
    assert len(frame) >= 500 and len(frame) % 50 == 0  # whole writes only
    assert frame.index.is_unique and frame.index.is_monotonic_increasing
    assert path.exists()


def test_a_second_writer_says_who_holds_the_lock_waits_and_then_gives_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the lock is reentrant within a process, so the other writer must be another process
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from feeds._files import writer_lock\n"
            "with writer_lock(Path(sys.argv[1]), 10.0):\n"
            "    print('locked', flush=True); sys.stdin.read()",
            str(tmp_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        store = CandleStore(tmp_path, lock_timeout_seconds=0.2)
        with pytest.raises(FlowImpactError, match="another flowimpact process is writing") as (
            caught
        ):
            store.merge("binance", "BTC/USDT", "1d", candles(["2024-01-01"], [1]))
        assert f"pid {holder.pid} on " in str(caught.value)
        [waiting] = capsys.readouterr().err.splitlines()
        assert waiting.startswith(f"flowimpact: {tmp_path / LOCK_FILE_NAME} is held by pid "
                                  f"{holder.pid} on ")
        assert ": writing the store, since " in waiting
        assert waiting.endswith("; waiting up to 0.2 s")
        assert store.read("binance", "BTC/USDT", "1d").empty
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
        assert holder.stdout is not None
        holder.stdout.close()
    assert (tmp_path / LOCK_FILE_NAME).exists()
    store.merge("binance", "BTC/USDT", "1d", candles(["2024-01-01"], [1]))  # lock free again
    assert len(store.read("binance", "BTC/USDT", "1d")) == 1


def test_entries_list_every_series_with_gaps(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    store.merge("binance", "BTC/USDT", "1d",
                candles(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06"], [1, 2, 3, 4]))
    store.merge("bitstamp", "ETH/USD:USD", "1d", candles(["2024-01-01"], [5]))
    entries = store.entries()
    assert [(e.exchange, e.symbol, e.timeframe, e.rows) for e in entries] == [
        ("binance", "BTC/USDT", "1d", 4),
        ("bitstamp", "ETH/USD:USD", "1d", 1),
    ]
    assert (entries[0].gaps, entries[0].missing_bars) == (1, 2)
    assert entries[0].first == pd.Timestamp("2024-01-01", tz="UTC")
    assert entries[0].last == pd.Timestamp("2024-01-06", tz="UTC")


@pytest.mark.parametrize(
    ("exchange", "symbol", "timeframe"),
    [("../x", "BTC/USDT", "1d"), ("binance", "../../etc", "1d"), ("binance", "BTC/USDT", "1M"),
     ("Binance", "BTC/USDT", "1d"), ("binance", "BTC/../USDT", "1d")],
)
def test_keys_that_would_make_odd_paths_are_refused(
    tmp_path: Path, exchange: str, symbol: str, timeframe: str
) -> None:
    with pytest.raises(ConfigError):
        CandleStore(tmp_path).path(exchange, symbol, timeframe)


def test_same_values_from_another_source_are_not_replaced(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    store.merge("binance", "BTC/USDT", "1d", candles(["2024-01-01", "2024-01-02"], [1, 2],
                                                     source="ccxt:binance"))
    mtime = store.path("binance", "BTC/USDT", "1d").stat().st_mtime_ns
    result = store.merge("binance", "BTC/USDT", "1d",
                         candles(["2024-01-01", "2024-01-02"], [1, 2], source="csv:x.csv"))
    assert (result.rows_added, result.rows_replaced, result.rows_after) == (0, 0, 2)
    assert store.path("binance", "BTC/USDT", "1d").stat().st_mtime_ns == mtime
    assert store.read("binance", "BTC/USDT", "1d")["source"].tolist() == ["ccxt:binance"] * 2


def _with_stray_row(store: CandleStore) -> None:
    days = ["2024-01-01", "2024-01-02", "2024-01-02 13:37", "2024-01-03", "2024-01-04"]
    store.merge("binance", "BTC/USDT", "1d", candles(days, [1, 2, 9, 3, 4]))


def test_drop_removes_the_rows_of_a_span_atomically(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    _with_stray_row(store)
    result = store.drop("binance", "BTC/USDT", "1d",
                        since=pd.Timestamp("2024-01-02 13:37", tz="UTC"),
                        until=pd.Timestamp("2024-01-02 13:37", tz="UTC"))
    assert (result.rows_before, result.rows_dropped, result.rows_after) == (5, 1, 4)
    assert store.read("binance", "BTC/USDT", "1d")["close"].tolist() == [1, 2, 3, 4]
    nothing = store.drop("binance", "BTC/USDT", "1d", since=pd.Timestamp("2025-01-01", tz="UTC"))
    assert nothing.rows_dropped == 0
    tail = store.drop("binance", "BTC/USDT", "1d", since=pd.Timestamp("2024-01-03", tz="UTC"))
    assert (tail.rows_dropped, tail.rows_after) == (2, 2)
    everything = store.drop("binance", "BTC/USDT", "1d")
    assert everything.rows_dropped == 2
    assert not store.path("binance", "BTC/USDT", "1d").exists()


def test_drop_of_a_series_not_stored_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no binance ETH/USDT 1d candles stored"):
        CandleStore(tmp_path).drop("binance", "ETH/USDT", "1d")


def test_replace_takes_the_new_rows_over_their_span(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    _with_stray_row(store)
    good = candles(["2024-01-02", "2024-01-03"], [2, 30])
    result = store.merge("binance", "BTC/USDT", "1d", good, replace=True)
    assert (result.rows_added, result.rows_replaced, result.rows_removed, result.rows_after) == (
        0, 1, 1, 4,
    )
    assert store.read("binance", "BTC/USDT", "1d")["close"].tolist() == [1, 2, 30, 4]


def test_entries_name_the_bad_rows_an_older_version_stored(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    _with_stray_row(store)
    frame = candles(["1970-01-01", *(f"2024-01-{d:02d}" for d in range(1, 21))], [5.0] * 21)
    frame.iloc[3, frame.columns.get_loc("high")] = float("inf")
    frame.iloc[4, :4] = 5e9  # open, high, low, close
    store.merge("binance", "ETH/USDT", "1d", frame)
    btc, eth = store.entries()
    assert btc.problems == (
        "1 candle off the timeframe grid, at 2024-01-02 13:37",
    )
    assert eth.problems == (
        "1 candle not finite (inf), at 2024-01-03",
        "1 candle with absurd prices or volumes (above 1e+09 USDT, or 1e+12 USDT traded), "
        "at 2024-01-04",
        "1 candle far from the rest (across a gap longer than the span of all the others), "
        "at 1970-01-01",
    )
