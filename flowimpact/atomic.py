"""Atomic file writes: a temporary file in the destination's folder, then ``os.replace``.

A process killed at any moment leaves either the previous file or the new one, never half of
one; a stray ``.NAME.*.tmp`` file may remain and is ignored. The one home of this for every
file flowimpact writes: outputs (report, CSV, JSON) through ``atomic_write_text`` and the
Parquet store through ``atomic_write`` with pyarrow's writer.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from flowimpact.errors import FlowImpactError


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Let ``write`` fill a temporary file, flush it to disk, then rename it onto ``path``.

    Readers see the old file or the new one, never a part; the rename is made durable by
    syncing the folder (best effort).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise WriteError(path, exc) from exc
    temp_path = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as sink:
            write(sink)
            sink.flush()
            os.fsync(sink.fileno())
        temp_path.chmod(default_file_mode())  # mkstemp makes 0600; outputs are for sharing
        temp_path.replace(path)  # os.replace: atomic within one file system
    except OSError as exc:
        temp_path.unlink(missing_ok=True)
        raise WriteError(path, exc) from exc
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


class WriteError(FlowImpactError):
    """A file could not be written (disk full, read-only file system, ...): names the path."""

    def __init__(self, path: Path, cause: OSError) -> None:
        reason = cause.strerror or str(cause)
        super().__init__(f"cannot write {path}: {reason}; nothing there was changed")
        self.path = path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part."""

    def write(sink: BinaryIO) -> None:
        sink.write(data)

    atomic_write(path, write)


def atomic_write_text(path: Path, text: str) -> None:
    """``atomic_write_bytes`` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def default_file_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the process umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_directory(folder: Path) -> None:
    """Make the rename durable; best effort, as not every platform opens directories."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = [
    "WriteError",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "default_file_mode",
]
