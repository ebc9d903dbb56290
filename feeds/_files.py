"""Atomic Parquet files and the one-writer lock shared by the candle and ETF-flow stores.

Writes go through ``flowimpact.atomic.atomic_write`` (a temporary file in the destination's
folder, flushed, then ``os.replace``): a process killed at any moment leaves either the
previous file or the new one, never a half-written one.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from flowimpact.atomic import atomic_write
from flowimpact.errors import DataFormatError
from flowimpact.locking import LOCK_FILE_NAME, data_dir_lock

_METADATA_KEY = b"flowimpact"


@contextlib.contextmanager
def writer_lock(
    root: Path, timeout_seconds: float, *, purpose: str = "writing the store"
) -> Iterator[None]:
    """Hold the store's lock file (``root/.flowimpact.lock``) so only one process writes.

    The data directory's one lock (``flowimpact.locking``): reentrant within a process, so a
    scheduler that already holds it for a whole update can write the store from inside it; a
    second process is told who holds it while it waits, then gets ``LockBusyError``.
    """
    with data_dir_lock(root, timeout_seconds, purpose=purpose):
        yield


def write_parquet_atomic(frame: pd.DataFrame, path: Path, metadata: dict[str, Any]) -> None:
    """Write ``frame`` (index kept) to ``path`` atomically, with ``metadata`` stored as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=True)
    merged = dict(table.schema.metadata or {})
    merged[_METADATA_KEY] = json.dumps(metadata, sort_keys=True).encode()
    table = table.replace_schema_metadata(merged)
    atomic_write(path, lambda sink: pq.write_table(table, sink))


def read_parquet(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frame stored at ``path`` and the metadata written with it."""
    try:
        # one read of the whole file: a writer replacing the file between pyarrow's own
        # opens (footer, then pages) would otherwise mix two versions
        table = pq.read_table(pa.BufferReader(path.read_bytes()))
    except (OSError, pa.ArrowException) as exc:
        raise DataFormatError(
            f"{path} is not a readable Parquet file ({exc}); delete it and fetch or import again"
        ) from exc
    raw = (table.schema.metadata or {}).get(_METADATA_KEY, b"{}")
    return table.to_pandas(), json.loads(raw)


__all__ = ["LOCK_FILE_NAME", "read_parquet", "write_parquet_atomic", "writer_lock"]
