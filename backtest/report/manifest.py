"""run.json of every command, built by one function: ``manifest``.

Every command's run.json holds the same keys in the same order: ``run_id``, ``study``, the
times, ``seconds_by_step``, the command's own fields (the run's scenarios and window, the
analysis's method and runs, a ``headline``), ``compute`` (what ran the chunks: executor,
workers, scheduler, chunk_columns, chunks; for every command that runs chunks), ``warnings``
(always a list: stale data, files not imported), ``data`` (fingerprints), ``versions``,
``config`` (the study as it ran, resolved once, never patched afterwards) and ``files``.

``run_id`` is 12 hex digits of the resolved study less ``NOT_IN_RUN_ID`` and of the data
fingerprints, so two runs with the same id computed the same thing. ``[compute]`` (chunk size,
workers, scheduler, which flows to write, the connect timeout) is left out of the id: it
changes where and in what pieces the numbers are computed, never the numbers.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from backtest.study.config import Study
from flowimpact.atomic import atomic_write_text
from flowimpact.config import config_id

#: study sections that say how a run is computed, not what: not part of ``run_id``
NOT_IN_RUN_ID = ("compute",)
VERSIONED = ("flowimpact", "pandas", "numpy", "numba", "vectorbt", "ccxt", "plotly")


def versions(extra: Sequence[str] = ()) -> dict[str, str]:
    """Python's and every ``VERSIONED`` package's version (plus ``extra`` packages)."""
    found = {"python": platform.python_version()}
    for name in (*VERSIONED, *extra):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def run_id(resolved: Mapping[str, Any], data: Sequence[Mapping[str, Any]]) -> str:
    """12 hex digits of the resolved study (less ``NOT_IN_RUN_ID``) and the data fingerprints."""
    # the resolved study and the data it read: equal ids, equal inputs (one hash: config_id)
    what = {k: v for k, v in resolved.items() if k not in NOT_IN_RUN_ID}
    return config_id(what, list(data), length=12)


def manifest(
    study: Study,
    data: list[dict[str, Any]],
    *,
    started: datetime,
    timings_s: Mapping[str, float],
    files: Sequence[str],
    warnings: Sequence[str],
    compute: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    extra_versions: Sequence[str] = (),
    **fields: Any,
) -> dict[str, Any]:
    """run.json of any command (the keys of the module docstring).

    ``config``: the study as it ran, when it is not ``study.resolved()`` (a sensitivity
    analysis's one value per key); ``compute``: ``ComputeConfig.record`` of the chunks that ran
    (None: the command runs none); ``fields``: the command's own keys, in their order.
    """
    resolved = dict(config) if config is not None else study.resolved()
    finished = datetime.now(UTC)
    out: dict[str, Any] = {
        "run_id": run_id(resolved, data),
        "study": study.source,
        "started_utc": started.isoformat(),
        "finished_utc": finished.isoformat(),
        "seconds_total": round((finished - started).total_seconds(), 3),
        "seconds_by_step": dict(timings_s),
        **fields,
    }
    if compute is not None:
        out["compute"] = dict(compute)
    out["warnings"] = list(warnings)
    out["data"] = data
    out["versions"] = versions(extra=extra_versions)
    out["config"] = resolved
    out["files"] = sorted(files)
    return out


def write_manifest(path: Path, manifest: Mapping[str, Any]) -> Path:
    atomic_write_text(path, json.dumps(manifest, indent=2, default=str) + "\n")
    return path


__all__ = ["NOT_IN_RUN_ID", "VERSIONED", "manifest", "run_id", "versions", "write_manifest"]
