"""Dated report folders: ``OUT/YYYY-MM-DD/``, ``OUT/latest`` pointing at the newest, pruning.

A report is written into a hidden staging folder inside ``OUT`` (same file system, so the
final ``rename`` is atomic) and only renamed to its dated name once complete: a run that
fails halfway leaves no dated folder at all, and ``latest`` keeps pointing at the last good
report. ``OUT/latest`` is a relative symlink swapped with ``os.replace`` (atomic); where
symlinks cannot be made (Windows without the privilege) the ``OUT/LATEST`` text file, written
atomically on every platform, names the folder instead.

Rerunning on the same day replaces that day's folder: the old one is renamed aside, the new
one renamed in, and the old one deleted. Between those two renames (microseconds) the dated
name does not exist; readers going through ``latest`` see it dangle for that instant only.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

from flowimpact.atomic import atomic_write_text
from flowimpact.errors import FlowImpactError

LATEST_LINK = "latest"
LATEST_FILE = "LATEST"
_STAGING_PREFIX = ".staging-"
_REPLACED_PREFIX = ".replaced-"
_DAY_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: staging folders older than this are leftovers of a killed run (a run takes minutes).
STALE_STAGING_SECONDS = 86_400.0


def new_staging_dir(out_dir: Path, day: date) -> Path:
    """A fresh, empty, hidden folder in ``out_dir`` for the report of ``day``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f"{_STAGING_PREFIX}{day.isoformat()}-{secrets.token_hex(4)}"
    staging.mkdir()
    return staging


def discard(folder: Path) -> None:
    """Delete a staging (or replaced) folder; missing is fine."""
    shutil.rmtree(folder, ignore_errors=True)


def publish_report(staging: Path, out_dir: Path, day: date) -> Path:
    """Rename ``staging`` to ``out_dir/YYYY-MM-DD`` and point ``latest`` at it; returns it."""
    out_dir = Path(out_dir)
    target = out_dir / day.isoformat()
    if not staging.is_dir():
        raise FlowImpactError(f"nothing to publish: staging folder {staging} is missing")
    replaced = None
    if target.exists() or target.is_symlink():
        replaced = out_dir / f"{_REPLACED_PREFIX}{day.isoformat()}-{secrets.token_hex(4)}"
        target.rename(replaced)
    try:
        staging.rename(target)
    except BaseException:
        if replaced is not None:
            replaced.rename(target)  # put yesterday's (or this morning's) report back
        raise
    try:
        point_latest(out_dir, target.name)
    except BaseException:
        # a failure at publish publishes nothing: the new folder goes back to staging (the
        # caller discards it) and the report it replaced comes back
        target.rename(staging)
        if replaced is not None:
            replaced.rename(target)
        raise
    if replaced is not None:
        discard(replaced)
    return target


def point_latest(out_dir: Path, name: str) -> None:
    """Make ``out_dir/latest`` (symlink) and ``out_dir/LATEST`` (text file) name ``name``."""
    out_dir = Path(out_dir)
    link = out_dir / LATEST_LINK
    if link.exists() and not link.is_symlink():
        raise FlowImpactError(
            f"{link} is a real file or folder, not the symlink flowimpact keeps there; "
            "move it away and run again"
        )
    temp_link = out_dir / f".{LATEST_LINK}.{secrets.token_hex(4)}.tmp"
    try:
        temp_link.symlink_to(name, target_is_directory=True)
    except (OSError, NotImplementedError):
        pass  # no symlinks here: the LATEST file below is the pointer
    else:
        try:
            temp_link.replace(link)
        except BaseException:
            temp_link.unlink(missing_ok=True)
            raise
    atomic_write_text(out_dir / LATEST_FILE, name + "\n")


def latest_report(out_dir: Path) -> Path | None:
    """The folder ``latest`` names (symlink first, else the ``LATEST`` file); None if none."""
    out_dir = Path(out_dir)
    link = out_dir / LATEST_LINK
    if link.is_symlink():
        target = out_dir / link.readlink()
        return target if target.is_dir() else None
    with contextlib.suppress(FileNotFoundError):
        name = (out_dir / LATEST_FILE).read_text("utf-8").strip()
        if _DAY_PATTERN.match(name) and (out_dir / name).is_dir():
            return out_dir / name
    return None


def dated_reports(out_dir: Path) -> list[Path]:
    """The dated report folders in ``out_dir``, oldest first."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    folders = [
        path
        for path in out_dir.iterdir()
        if _DAY_PATTERN.match(path.name) and path.is_dir() and not path.is_symlink()
    ]
    return sorted(folders, key=lambda path: path.name)


def prune_reports(out_dir: Path, today: date, keep_days: int) -> list[Path]:
    """Delete dated folders older than ``keep_days`` days (``today`` counts as one); returns them.

    Keeps ``today - keep_days + 1`` .. ``today`` and never deletes the folder ``latest`` names,
    nor anything whose name is not a date.
    """
    if keep_days < 1:
        raise ValueError("keep_days must be >= 1")
    oldest_kept = today - timedelta(days=keep_days - 1)
    latest = latest_report(out_dir)
    removed = []
    for folder in dated_reports(out_dir):
        day = _parse_day(folder.name)
        if day is None or day >= oldest_kept or (latest is not None and folder == latest):
            continue
        shutil.rmtree(folder)
        removed.append(folder)
    return removed


def remove_stale_staging(
    out_dir: Path, *, older_than_seconds: float = STALE_STAGING_SECONDS
) -> None:
    """Delete staging and replaced folders left by a killed run.

    Only old ones: a run of another data directory may be writing into the same ``OUT`` now.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return
    cutoff = time.time() - older_than_seconds
    for path in out_dir.iterdir():
        if path.name.startswith((_STAGING_PREFIX, _REPLACED_PREFIX)) and path.is_dir():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    discard(path)


def _parse_day(name: str) -> date | None:
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


__all__ = [
    "LATEST_FILE",
    "LATEST_LINK",
    "dated_reports",
    "discard",
    "latest_report",
    "new_staging_dir",
    "point_latest",
    "prune_reports",
    "publish_report",
    "remove_stale_staging",
]
