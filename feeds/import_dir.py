"""A folder of CSV files kept imported: each new or changed file goes into the store once.

``import_new_files(store, folder)`` imports every ``*.csv`` directly in ``folder`` (not in
sub-folders) whose content differs from the last successful import of that path. The content
hashes (sha256 of the bytes, by absolute path) live in the data directory
(``DATA_DIR/import-dir-state.json``, written atomically after each file), so a restart, a new
day or a second process sees the same state. Each file is imported whole or not at all
(``import_csv`` checks a file before it writes): a bad file is reported in the result, leaves
the store as it was, keeps its old hash (so it is tried, and reported, again until it is fixed
or removed) and does not stop the files after it.

Only regular files inside the folder are read: a symbolic link is followed only to a regular
file in the same folder. A link out of the folder (a private file linked in by mistake would
otherwise be imported, and its refusal published), a link loop or a dangling link, and a
``*.csv`` that is no regular file (a folder, a pipe) are each reported as a problem, which
the scheduler puts in the run log and the day's report. No problem quotes a file's content
(the readers' messages name file, line and column only).
"""

from __future__ import annotations

import hashlib
import json
import stat
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from feeds.csv_import import ImportResult, import_csv
from feeds.store import CandleStore
from flowimpact.atomic import atomic_write_text
from flowimpact.errors import FlowImpactError

STATE_NAME = "import-dir-state.json"


@dataclass(frozen=True)
class ImportDirReport:
    """What one pass over the folder did."""

    folder: Path
    imported: tuple[ImportResult, ...] = ()
    unchanged: tuple[Path, ...] = ()
    problems: tuple[str, ...] = ()  # one line per file not imported (or the folder itself)

    def summary(self) -> str:
        """One line for the run log."""
        parts = [f"{len(self.imported)} file(s) imported", f"{len(self.unchanged)} unchanged"]
        if self.problems:
            parts.append(f"{len(self.problems)} not imported")
        return f"{self.folder}: " + ", ".join(parts)


def state_path(store: CandleStore) -> Path:
    """Where the content hashes of imported files live."""
    return Path(store.root) / STATE_NAME


def import_new_files(
    store: CandleStore, folder: Path, *, now: pd.Timestamp | None = None
) -> ImportDirReport:
    """Import the new and changed ``*.csv`` files of ``folder`` into ``store``; see the module."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        return ImportDirReport(
            folder=folder,
            problems=(f"import folder {folder} does not exist or is not a folder; nothing "
                      "imported",),
        )
    hashes = _read_state(state_path(store))
    imported, unchanged, problems = [], [], []
    inside = folder.resolve()
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv"):
        refused = _not_a_file_inside(path, inside)
        if refused:
            problems.append(f"{path.name} not imported: {refused}")
            continue
        key = str(path.resolve())
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            problems.append(f"{path.name}: cannot be read ({exc.strerror or exc})")
            continue
        if hashes.get(key) == digest:
            unchanged.append(path)
            continue
        try:
            result = import_csv(path, store, now=now)
        except FlowImpactError as exc:
            problems.append(f"{path.name} not imported: {' '.join(str(exc).split())}")
            continue
        except Exception as exc:  # an unforeseen parser error is still one bad file, not all
            # its message may quote the file (a parser's): the type only
            problems.append(f"{path.name} not imported: unexpected {type(exc).__name__} while "
                            "reading it; check that it is a CSV export")
            continue
        hashes[key] = digest
        _write_state(state_path(store), hashes)
        imported.append(result)
    return ImportDirReport(
        folder=folder,
        imported=tuple(imported),
        unchanged=tuple(unchanged),
        problems=tuple(problems),
    )


def _not_a_file_inside(path: Path, folder: Path) -> str | None:
    """Why ``path`` is not read (None: a regular file in ``folder``, perhaps via a link)."""
    try:
        target = path.resolve(strict=True)
        mode = target.stat().st_mode
    except RuntimeError:  # Python < 3.13 raises this for a link loop
        return "a symbolic link loop; remove the link"
    except OSError as exc:
        if path.is_symlink():
            return "a symbolic link that loops or points nowhere; remove the link"
        return f"cannot be read ({exc.strerror or exc})"
    if target.parent != folder:
        return ("a symbolic link to a file outside the import folder, which is never read; "
                "copy the file into the folder instead")
    if not stat.S_ISREG(mode):
        return "not a regular file (a folder or a pipe?); only CSV files are imported"
    return None


def _read_state(path: Path) -> dict[str, str]:
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # a damaged state only means the files are imported again (merges are idempotent)
    files = raw.get("files", {}) if isinstance(raw, dict) else {}
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _write_state(path: Path, hashes: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({"files": hashes}, indent=2, sort_keys=True) + "\n")


__all__ = ["STATE_NAME", "ImportDirReport", "import_new_files", "state_path"]
