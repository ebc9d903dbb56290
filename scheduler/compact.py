"""The tables of a dated report kept gzip-compressed, so that 30 kept days stay small.

A dated folder ``OUT/YYYY-MM-DD`` is an archive entry: its report is read in a browser, its
tables (``scenarios.csv``, ``flows.csv``, ``hindcast_paths.csv`` ...) by scripts, which read
``.csv.gz`` as they read ``.csv`` (``pandas.read_csv`` and ``zcat`` alike). Compressed they
take about a fifth of the room. ``flowimpact run --out`` keeps plain CSV files. The gzip
header carries no name and no time, so the same table gives the same bytes on every day.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

#: gzip's level: 6 is its default, most of the gain of 9 at a fraction of the time
LEVEL = 6


def compress_tables(folder: Path) -> list[Path]:
    """Every ``*.csv`` of ``folder`` (a report about to be published) as ``*.csv.gz``, the
    plain file removed once the compressed one is whole; returns the compressed files."""
    written = []
    for table in sorted(Path(folder).glob("*.csv")):
        target = table.with_name(table.name + ".gz")
        partial = target.with_name(f".{target.name}.partial")
        with table.open("rb") as source, partial.open("wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                               compresslevel=LEVEL) as packed:
                while chunk := source.read(1 << 20):
                    packed.write(chunk)
            raw.flush()
            os.fsync(raw.fileno())
        partial.replace(target)
        table.unlink()
        written.append(target)
    return written


__all__ = ["LEVEL", "compress_tables"]
