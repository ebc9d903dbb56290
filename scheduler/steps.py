"""The two steps of an update, injected into ``run_once`` so tests need neither ccxt nor a study.

``UpdateSteps.fetch(now)`` brings the store up to date; ``UpdateSteps.study(out_dir, now)``
runs the study and writes its report files into ``out_dir`` (a staging folder: publishing is
``run_once``'s job). ``default_steps`` wires the real ``feeds.update_store`` and
``backtest.run.run_study``; the imports happen inside it, so importing the scheduler stays
light and does not need those packages.
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


def default_steps(
    data_dir: Path, config_path: Path | None, *, progress: bool = False
) -> UpdateSteps:
    """The real steps: incremental ccxt fetch of the study's ``[data]``, then the whole study.

    The study file is read here, once per update, so an edit takes effect on the next day's
    run without restarting the service.
    """
    import pandas as pd

    from backtest.run import run_study
    from backtest.study import load_study
    from feeds import CandleStore, update_store

    study = load_study(config_path)
    store = CandleStore(Path(data_dir))

    def fetch(now: datetime) -> str:
        reports = update_store(store, study.data, now=pd.Timestamp(now), progress=progress)
        added = sum(report.rows_added for report in reports)
        return f"{added} new candle(s) over {len(reports)} series"

    def run(out_dir: Path, now: datetime) -> str:
        result = run_study(study, Path(data_dir), out_dir, progress=progress, now=now)
        return f"report {result.report_path.name} and {len(result.files) - 1} other file(s)"

    return UpdateSteps(fetch=fetch, study=run)


__all__ = ["StepsFactory", "UpdateSteps", "default_steps"]
