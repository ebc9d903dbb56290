"""flowimpact data drop: the repair that flowimpact data list prints for bad rows stored."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from feeds.store import CandleStore
from flowimpact.cli import main
from tests.feeds.helpers import candles


def test_data_list_names_bad_rows_and_its_drop_command_repairs_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = CandleStore(tmp_path / "store")  # as an older version or another tool wrote it
    days = ["2024-01-01", "2024-01-02", "2024-01-02 13:37", "2024-01-03"]
    store.merge("binance", "BTC/USDT", "1d", candles(days, [1.0, 2.0, 9.0, 3.0]))
    assert main(["data", "list", "--data-dir", str(store.root)]) == 0
    out = capsys.readouterr().out
    assert "binance BTC/USDT 1d: 1 candle off the timeframe grid, at 2024-01-02 13:37" in out
    [command] = re.findall(r"`(flowimpact data drop [^`]*)`", out)
    assert main([*shlex.split(command)[1:], "--data-dir", str(store.root)]) == 0
    assert "binance BTC/USDT 1d: dropped 1 candle(s)" in capsys.readouterr().out
    assert store.read("binance", "BTC/USDT", "1d")["close"].tolist() == [1.0, 2.0, 3.0]
    assert main(["data", "list", "--data-dir", str(store.root)]) == 0
    assert "off the timeframe grid" not in capsys.readouterr().out


def test_data_drop_by_days_and_its_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = CandleStore(tmp_path / "store")
    store.merge("binance", "BTC/USDT", "1d", candles([f"2024-01-0{d}" for d in range(1, 6)],
                                                     [1, 2, 3, 4, 5]))
    key = ["--data-dir", str(store.root), "--exchange", "binance", "--symbol", "BTCUSDT",
           "--timeframe", "1d"]
    # a day given alone means the whole UTC day, inclusive
    assert main(["data", "drop", *key, "--since", "2024-01-02", "--until", "2024-01-03"]) == 0
    assert "dropped 2 candle(s)" in capsys.readouterr().out
    assert store.read("binance", "BTC/USDT", "1d")["close"].tolist() == [1, 4, 5]
    assert main(["data", "drop", *key, "--since", "17/08/2017"]) == 2
    assert "--since '17/08/2017'" in capsys.readouterr().err
    assert main(["data", "drop", *key[:-1], "4h"]) == 2
    assert "no binance BTC/USDT 4h candles stored" in capsys.readouterr().err
