"""A run's output folder replaced as one set: staged beside it, swapped in when complete.

``staged_directory(target)`` creates a hidden staging folder next to ``target`` (same file
system, so renames are atomic) before any work, which also proves that ``target``'s parent can
be written: an unwritable ``--out`` fails at once with exit 2, not after the whole study. The
caller writes every file into the staging folder; on success the folder replaces ``target``:

- on Linux with ``renameat2(RENAME_EXCHANGE)`` the two folders swap in one atomic step, so a
  reader (or a SIGKILL) sees the previous complete set or the new one, never a mix;
- elsewhere the old folder is renamed aside and the new one renamed in: between the two renames
  (microseconds) ``target`` does not exist; the previous set is then at ``.NAME.replaced-*``.

A run never deletes what it did not write: after the swap, every entry of the previous folder
that the new run did not write and that the previous run's ``run.json`` does not list is the
user's, and is moved (renamed, not copied) into the new folder. On failure the staging folder
is removed and ``target`` is untouched.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from flowimpact.errors import ConfigError

MANIFEST = "run.json"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@contextlib.contextmanager
def staged_directory(target: Path, *, what: str = "--out") -> Iterator[Path]:
    """Yield an empty staging folder; on success it replaces ``target`` (see the module)."""
    target = Path(target)
    _check_target(target, what)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f".{target.name}.staging-{secrets.token_hex(4)}"
        staging.mkdir()
    except OSError as exc:
        raise ConfigError(
            f"{what} {target} cannot be written ({exc.strerror or exc}); give a folder you "
            "can write"
        ) from None
    try:
        yield staging
        ours = _previous_files(target)
        previous = _swap_in(staging, target)
        if previous is not None:
            _move_user_files(previous, target, ours)
            shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_target(target: Path, what: str) -> None:
    for parent in (target, *target.parents):
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(
                    f"{what} {target}: {parent} is a file, not a folder; give a folder path"
                )
            break


def _previous_files(target: Path) -> set[str]:
    try:
        listed = json.loads((target / MANIFEST).read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError):
        return set()
    return {str(name) for name in listed} | {MANIFEST}


def _move_user_files(previous: Path, target: Path, ours: set[str]) -> None:
    for entry in previous.iterdir():
        if entry.name not in ours and not (target / entry.name).exists():
            entry.rename(target / entry.name)


def _swap_in(staging: Path, target: Path) -> Path | None:
    """Put ``staging`` at ``target``; return where the previous folder now is (or None)."""
    if not target.exists():
        staging.rename(target)
        return None
    if _exchange(staging, target):
        return staging  # the exchange left the previous set at the staging path
    replaced = target.parent / f".{target.name}.replaced-{secrets.token_hex(4)}"
    target.rename(replaced)
    try:
        staging.rename(target)
    except BaseException:
        replaced.rename(target)
        raise
    return replaced


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2; False where it is not available."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    libc = ctypes.CDLL(name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), ctypes.c_uint(_RENAME_EXCHANGE)
    )
    return bool(result == 0)


__all__ = ["staged_directory"]
