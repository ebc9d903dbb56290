"""The two steps of an update, injected into ``run_once``: the scheduler knows nothing else.

``UpdateSteps.fetch(now)`` brings the store up to date; ``UpdateSteps.study(out_dir, now)``
runs the study and writes its report files into ``out_dir`` (a staging folder: publishing is
``run_once``'s job). The real steps (feeds and the study) are wired by the command line
(``flowimpact.cli.update_steps``), so the scheduler imports neither ``feeds`` nor ``backtest``
and tests inject fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True, kw_only=True)
class UpdateSteps:
    """The callables of one update; each returns a short summary (logged) or None."""

    fetch: Callable[[datetime], Any]
    study: Callable[[Path, datetime], Any]


#: a steps factory is called as ``factory(data_dir, config_path)``
StepsFactory = Callable[[Path, Path | None], UpdateSteps]


__all__ = ["StepsFactory", "UpdateSteps"]
