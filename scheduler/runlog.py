"""The run log: one JSON line per update, ``DATA_DIR/scheduler-runs.jsonl``.

Each record is appended with a single ``write`` on a file opened with ``O_APPEND``, so
concurrent writers never interleave inside a line and earlier lines are never rewritten. A
line torn by a crash (the only damage an append can do) is skipped when reading.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

RUN_LOG_NAME = "scheduler-runs.jsonl"


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """What one update did. Times are ISO 8601 UTC; ``report`` is the published folder."""

    started_utc: str
    finished_utc: str
    day: str
    status: str  # "published", "failed", "busy" or "cancelled"
    failed_step: str | None = None
    error: str | None = None
    report: str | None = None
    pruned: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # went wrong without stopping the update (a bad import)


def run_log_path(data_dir: Path) -> Path:
    """Where the run log of ``data_dir`` lives."""
    return Path(data_dir) / RUN_LOG_NAME


def append_run(path: Path, record: RunRecord) -> None:
    """Append ``record`` as one line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(asdict(record), sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_runs(path: Path) -> list[RunRecord]:
    """Every readable record, oldest first; an unreadable (torn) line is skipped."""
    if not Path(path).exists():
        return []
    records = []
    for line in Path(path).read_text("utf-8", errors="replace").splitlines():
        try:
            raw = json.loads(line)
            raw["pruned"] = tuple(raw.get("pruned", ()))
            raw["warnings"] = tuple(raw.get("warnings", ()))
            records.append(RunRecord(**raw))
        except (json.JSONDecodeError, TypeError, AttributeError):
            continue
    return records


__all__ = ["RUN_LOG_NAME", "RunRecord", "append_run", "read_runs", "run_log_path"]
