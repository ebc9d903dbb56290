"""A dated report's tables kept as .csv.gz: the same rows, the same bytes every day."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from scheduler.compact import compress_tables


def test_tables_are_compressed_whole_and_the_rest_is_left(tmp_path: Path) -> None:
    frame = pd.DataFrame({"day": range(2_000), "close_usd": [1.5 * i for i in range(2_000)]})
    frame.to_csv(tmp_path / "scenarios.csv", index=False)
    (tmp_path / "report.html").write_text("<html></html>", encoding="utf-8")
    plain = (tmp_path / "scenarios.csv").read_bytes()
    written = compress_tables(tmp_path)
    assert [p.name for p in written] == ["scenarios.csv.gz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "scenarios.csv.gz"]
    assert gzip.decompress((tmp_path / "scenarios.csv.gz").read_bytes()) == plain
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "scenarios.csv.gz"), frame)
    assert (tmp_path / "scenarios.csv.gz").stat().st_size < len(plain) / 2


def test_the_same_table_gives_the_same_bytes(tmp_path: Path) -> None:
    for day in ("a", "b"):
        (tmp_path / day).mkdir()
        (tmp_path / day / "flows.csv").write_text("day,usd\n1,2\n", encoding="utf-8")
        compress_tables(tmp_path / day)
    assert (tmp_path / "a" / "flows.csv.gz").read_bytes() == (
        tmp_path / "b" / "flows.csv.gz"
    ).read_bytes()  # no name or time in the gzip header
