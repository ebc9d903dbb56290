"""The real steps of a scheduled update: the study's feeds and the study run, wired together.

The scheduler knows only the ``UpdateSteps`` protocol (``scheduler.steps``); this module, part
of the command line (the composition root), fills it with ``feeds.update_store`` and
``backtest.run_study``. ``STEPS_REF`` is the textual reference the persistent job stores.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flowimpact.cli.output_options import log
from scheduler.steps import StepReport, UpdateSteps

STEPS_REF = "flowimpact.cli.update_steps:default_steps"


def default_steps(
    data_dir: Path, config_path: Path | None, *, progress: bool = False
) -> UpdateSteps:
    """The real steps: incremental ccxt fetch of the study's ``[data]``, then the whole study.

    With ``[schedule] import_dir`` the update first imports that folder's new and changed CSV
    files (``feeds.import_dir``); a file that cannot be imported becomes a warning of the run
    log and a notice at the top of the day's report, and the update goes on.

    The study file is read here, once per update, so an edit takes effect on the next day's
    run without restarting the service.
    """
    import pandas as pd

    from backtest.run import run_study
    from backtest.study.config import load_study
    from feeds import CandleStore, update_store
    from feeds.import_dir import import_new_files

    study = load_study(config_path)
    store = CandleStore(Path(data_dir))
    notices: list[str] = []  # the import step's problems, for the day's report

    def fetch(now: datetime) -> str:
        log.info("fetch: new candles of %s %s from %s ...", ", ".join(study.data.symbols),
                 study.data.timeframe, study.data.exchange)
        reports = update_store(store, study.data, now=pd.Timestamp(now), progress=progress)
        added = sum(report.rows_added for report in reports)
        return f"{added} new candle(s) over {len(reports)} series"

    def run(out_dir: Path, now: datetime) -> StepReport:
        log.info("study: running %s (%s scenarios) ...", study.study.name, study.n_scenarios)
        result = run_study(
            study, Path(data_dir), out_dir, progress=progress, now=now, notices=tuple(notices),
            compute=study.compute.for_archive(),
        )
        # the study's own warnings (stale prices or ETF tables) go to the run log too; the
        # import step's are there already
        return StepReport(
            summary=f"report {result.report_path.name} and {len(result.files) - 1} other file(s)",
            warnings=tuple(w for w in result.run.warnings if w not in notices),
        )

    import_dir = study.schedule.import_dir.strip()
    if not import_dir:
        return UpdateSteps(fetch=fetch, study=run)

    def import_files(now: datetime) -> StepReport:
        log.info("import: new and changed files of %s ...", import_dir)
        try:
            report = import_new_files(store, Path(import_dir), now=pd.Timestamp(now))
            problems = report.problems
            summary = report.summary()
        except Exception as exc:  # e.g. the state file cannot be written: run on what is stored
            problems, summary = (f"{import_dir}: {type(exc).__name__}: {exc}",), "failed"
        notices[:] = [
            f"[schedule] import_dir: {problem}; this report uses the data already stored"
            for problem in problems
        ]
        return StepReport(summary=summary, warnings=tuple(notices))

    return UpdateSteps(fetch=fetch, study=run, import_files=import_files)


__all__ = ["STEPS_REF", "default_steps"]
