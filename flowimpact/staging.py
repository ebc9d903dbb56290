"""A command's output files put into a folder together, without touching anybody else's files.

``staged_directory(target, command=...)`` yields an empty hidden staging folder *inside*
``target`` (so it is on the same file system and every rename is atomic, whatever ``target``
is: ``.``, a mount point, a symlink to a folder, a folder holding other commands' files). The
caller writes its files there; on success each file is renamed into ``target`` (``run.json``
last), the files this command wrote into ``target`` the previous time and did not write now
are removed, and nothing else is touched: other commands' files, the user's files, and
subfolders stay where they are. ``target`` itself is never renamed or replaced, so an
``--out`` symlink stays a symlink and the user's files stay in the folder it points to.

Who wrote what: a hidden record, ``target/.flowimpact-files.json``, maps each command to the
files it wrote last. A command refuses (exit 2, before any work when ``claims`` names the
clash, else before any rename) to write a file another command wrote; a folder written before
the record existed is read from its ``run.json`` ``files`` list.

Each file is replaced atomically, so a reader or a SIGKILL sees each file whole, old or new. A
failure before the renames leaves ``target`` untouched. A staging folder left by a killed
process (its pid is in the name) is removed by the next command writing into ``target``.
Unwritable targets are refused with exit 2 naming the path, a full disk is exit 1 naming it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

from flowimpact.atomic import WriteError, atomic_write_text
from flowimpact.errors import ConfigError, FlowImpactError

MANIFEST = "run.json"
RECORD = ".flowimpact-files.json"
_STAGING_PREFIX = ".flowimpact-staging-"
_STAGING_NAME = re.compile(rf"^{re.escape(_STAGING_PREFIX)}(\d+)-[0-9a-f]+$")
_FULL = (errno.ENOSPC, errno.EDQUOT)
# A folder written before the record existed: the file of its run.json that names its command.
_LEGACY_OWNER = {"scenarios.csv": "run", "sensitivity.csv": "sensitivity",
                 "hindcast.csv": "hindcast"}


class OutputError(FlowImpactError):
    """The output folder could not take the files (a full disk): exit 1, the path named."""


@contextlib.contextmanager
def staged_directory(
    target: Path,
    *,
    what: str = "--out",
    command: str = "run",
    claims: Collection[str] = (),
) -> Iterator[Path]:
    """Yield an empty staging folder inside ``target``; on success its files go into ``target``.

    ``command`` names the writer in the folder's record; ``claims`` are file names it will
    write, checked against the other commands' files before any work (see the module).
    """
    shown = Path(target)
    target = Path(os.path.realpath(shown))  # a symlink is followed, never replaced
    _check_target(shown, what)
    created = not target.exists()
    staging = _open(target, shown, what, command, claims)
    done = False
    try:
        try:
            yield staging
        except OSError as exc:  # the caller's writes: a full or read-only target is named
            if exc.errno in _FULL or _inside(exc.filename, staging):
                raise _output_error(exc, shown, what) from None
            raise
        except WriteError as exc:
            if isinstance(exc.__cause__, OSError) and _inside(exc.path, staging):
                raise _output_error(exc.__cause__, shown, what) from None
            raise
        written = sorted(entry.name for entry in staging.iterdir())
        owners = _owners(target)
        _refuse_others(owners, command, written, shown, what)
        try:
            _commit(staging, target, written, owners, command)
        except OSError as exc:
            raise _output_error(exc, shown, what) from None
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not done:
            with contextlib.suppress(OSError):  # a failed first run leaves no empty folder
                target.rmdir()


def remove_leftovers(target: Path) -> list[Path]:
    """Delete the staging folders in ``target`` whose process is gone; returns them.

    Also the ``.NAME.staging-*`` and ``.NAME.replaced-*`` folders that earlier versions staged
    beside ``target`` and a killed run left there: what ``target`` lacks is moved into it first
    (such a folder may hold the user's files, caught between two renames), the rest removed.
    """
    target = Path(target)
    removed = []
    with contextlib.suppress(OSError):
        for entry in target.iterdir():
            match = _STAGING_NAME.match(entry.name)
            if match and not _alive(int(match.group(1))):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    legacy = re.compile(rf"^\.{re.escape(target.name)}\.(staging|replaced)-[0-9a-f]{{8}}$")
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            if legacy.match(entry.name) and entry.is_dir() and not entry.is_symlink():
                _fold_into(entry, target)
                removed.append(entry)
    return removed


def _fold_into(leftover: Path, target: Path) -> None:
    """Move what ``target`` lacks out of ``leftover`` (nothing is lost), then delete it."""
    for entry in leftover.iterdir():
        if not (target / entry.name).exists() and not entry.name.startswith(_STAGING_PREFIX):
            entry.rename(target / entry.name)
    shutil.rmtree(leftover, ignore_errors=True)


def _open(target: Path, shown: Path, what: str, command: str, claims: Collection[str]) -> Path:
    try:
        target.mkdir(parents=True, exist_ok=True)
        remove_leftovers(target)
        _refuse_others(_owners(target), command, claims, shown, what)
        staging = target / f"{_STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        staging.mkdir()
    except OSError as exc:
        raise _output_error(exc, shown, what) from None
    return staging


def _output_error(exc: OSError, shown: Path, what: str) -> FlowImpactError:
    reason = exc.strerror or str(exc)
    if exc.errno in _FULL:
        return OutputError(
            f"{what} {shown} is full ({reason}); free some space there or give another folder"
        )
    return ConfigError(f"{what} {shown} cannot be written ({reason}); give a folder you can write")


def _check_target(target: Path, what: str) -> None:
    for parent in (target, *target.parents):
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(
                    f"{what} {target}: {parent} is a file, not a folder; give a folder path"
                )
            break


def _owners(target: Path) -> dict[str, list[str]]:
    """Command → the files it wrote last into ``target`` (the record, else the legacy run.json)."""
    try:
        record = json.loads((target / RECORD).read_text(encoding="utf-8"))
        return {str(k): [str(name) for name in v] for k, v in record.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    try:
        listed = json.loads((target / MANIFEST).read_text(encoding="utf-8")).get("files", [])
        files = [str(name) for name in listed]
    except (OSError, ValueError, AttributeError):
        return {}
    owner = next((cmd for name, cmd in _LEGACY_OWNER.items() if name in files), "run")
    return {owner: sorted({*files, MANIFEST})}


def _refuse_others(
    owners: Mapping[str, list[str]],
    command: str,
    names: Collection[str],
    shown: Path,
    what: str,
) -> None:
    for other, files in owners.items():
        clash = sorted(set(files) & set(names))
        if other != command and clash:
            raise ConfigError(
                f"{what} {shown} holds the files of `flowimpact {other}` ({', '.join(clash)}); "
                f"`flowimpact {command}` would replace them: give it its own folder (its "
                "default --out is one)"
            )


def _commit(
    staging: Path, target: Path, written: list[str], owners: dict[str, list[str]], command: str
) -> None:
    # run.json last: once it is new, every file it lists is new too
    for name in sorted(written, key=lambda n: n == MANIFEST):
        (staging / name).replace(target / name)
    for name in owners.get(command, []):
        stale = target / name
        if name not in written and name != RECORD and stale.is_file() and not stale.is_symlink():
            stale.unlink()
    atomic_write_text(target / RECORD, json.dumps({**owners, command: written}, indent=1) + "\n")


def _inside(filename: object, folder: Path) -> bool:
    if not isinstance(filename, (str, os.PathLike)):
        return False
    return Path(os.path.realpath(filename)).is_relative_to(folder)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


__all__ = ["MANIFEST", "RECORD", "OutputError", "remove_leftovers", "staged_directory"]
