"""The steps of an update, injected into ``run_once``: the scheduler knows nothing else.

``UpdateSteps.import_files(now)`` (optional) imports the files dropped in a folder;
``UpdateSteps.fetch(now)`` brings the store up to date; ``UpdateSteps.study(out_dir, now)``
runs the study and writes its report files into ``out_dir`` (a staging folder: publishing is
``run_once``'s job). A step may return a ``StepReport`` to hand the run log warnings that did
not stop it (a bad file among the imports). The real steps (feeds and the study) are wired by
the command line (``flowimpact.cli.update_steps``), so the scheduler imports neither
``feeds`` nor ``backtest`` and tests inject fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True, kw_only=True)
class StepReport:
    """What a step did (one line) and what went wrong without stopping the update."""

    summary: str
    warnings: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.summary


@dataclass(frozen=True, kw_only=True)
class UpdateSteps:
    """The callables of one update; each returns a short summary (logged), a ``StepReport``,
    or None. ``import_files`` runs first when given; unlike the others, its failure does not
    stop the update (it is recorded as a warning and the update goes on with what is stored).
    """

    fetch: Callable[[datetime], Any]
    study: Callable[[Path, datetime], Any]
    import_files: Callable[[datetime], Any] | None = None


#: a steps factory is called as ``factory(data_dir, config_path)``
StepsFactory = Callable[[Path, Path | None], UpdateSteps]


__all__ = ["StepReport", "StepsFactory", "UpdateSteps"]
