"""feeds.flow_csv: a CSV of date,asset,flow_usd rows, refused whole with file and line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feeds.flow_csv import read_flow_csv
from flowimpact.errors import DataFormatError, InputError


def _write(tmp_path: Path, text: str, name: str = "flows.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_become_days_by_assets_summed_per_day(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "Date,Asset,Flow_USD,note\n2026-02-02,btc,5e8,first buy\n2026-02-02,BTC,1e8,second\n"
        "2026-02-05,ETH,-2.5e7,\n",
    )
    table = read_flow_csv(path, ["BTC", "ETH"])
    assert list(table.columns) == ["BTC", "ETH"]
    assert list(table.index) == [
        pd.Timestamp("2026-02-02", tz="UTC"), pd.Timestamp("2026-02-05", tz="UTC")
    ]
    assert table.loc["2026-02-02", "BTC"] == 6e8 and table.loc["2026-02-05", "ETH"] == -2.5e7
    assert table.loc["2026-02-05", "BTC"] == 0.0


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("2026-02-02,BTC,1e8\n2026-02-31,BTC,1e8\n", r"flows.csv line 3: date cannot be read"),
        ("2026-02-02,BTC,1e8\n2026-02-03,BTC,lots\n", r"line 3: flow_usd is not a number"),
        ("2026-02-02,BTC,inf\n", r"line 2: flow_usd is not a finite number"),
        ("2026-02-02,BTC,1e9\n2026-02-03,BTC,1e30\n", r"line 3: flow_usd is beyond 1e\+12 USD"),
        ("2026-02-02,ETH,-2e12\n", r"line 2: flow_usd is beyond 1e\+12 USD either way"),
        ("2026-02-02,BTC,\n", r"line 2: missing flow_usd"),
        ("2026-02-02 12:00,BTC,1e8\n", r"line 2: date is not a whole UTC day"),
        ("2026-02-02,,1e8\n", r"line 2: missing asset"),
        ("2026-02-02,BTC,1\n2026-02-03,DOGE,1\n2026-02-04,SOL,1\n",
         r"line 3: asset is not one of the study's assets \(BTC, ETH\) \(and 1 more"),
    ],
)
def test_a_bad_row_refuses_the_file_naming_the_line(
    tmp_path: Path, rows: str, message: str
) -> None:
    path = _write(tmp_path, "date,asset,flow_usd\n" + rows)
    with pytest.raises(DataFormatError, match=message) as caught:
        read_flow_csv(path, ["BTC", "ETH"])
    assert "\n" not in str(caught.value)


def test_a_file_without_the_columns_or_rows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no flow_usd column"):
        read_flow_csv(_write(tmp_path, "date,asset,usd\n2026-02-02,BTC,1\n"))
    with pytest.raises(DataFormatError, match="no flow rows"):
        read_flow_csv(_write(tmp_path, "date,asset,flow_usd\n"))
    with pytest.raises(InputError, match="no such flow table"):
        read_flow_csv(tmp_path / "missing.csv")
