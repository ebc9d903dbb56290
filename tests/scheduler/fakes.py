"""Fakes for the scheduler tests: file-driven update steps and a controllable clock.

The steps are controlled and observed through files in the data directory, not through
module state, because the scheduler calls them by textual reference (possibly in another
process): ``FETCH_LOG`` gets one line per fetch (the ``now`` it was given), an
``EXCHANGE_DOWN`` file makes the fetch fail as an outage would, ``STUDY_FAILS`` makes the study
fail after writing half its files, and ``HOLD_FETCH`` makes the fetch wait for ``RELEASE``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler

from flowimpact.errors import DataUnavailableError
from scheduler.steps import UpdateSteps

FETCH_LOG = "fake-fetch.log"
EXCHANGE_DOWN = "fake-exchange-down"
STUDY_FAILS = "fake-study-fails"
HOLD_FETCH = "fake-hold-fetch"
FETCH_STARTED = "fake-fetch-started"
RELEASE = "fake-release"
STEPS_REF = "tests.scheduler.fakes:file_steps"


def file_steps(data_dir: Path, config_path: Path | None) -> UpdateSteps:
    """A steps factory (same signature as ``scheduler.steps.default_steps``)."""
    data_dir = Path(data_dir)

    def fetch(now: datetime) -> str:
        (data_dir / FETCH_STARTED).touch()
        if (data_dir / HOLD_FETCH).exists():
            deadline = time.monotonic() + 30.0
            while not (data_dir / RELEASE).exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        if (data_dir / EXCHANGE_DOWN).exists():
            raise DataUnavailableError("fake exchange unreachable: HTTP 503 after 3 retries")
        with (data_dir / FETCH_LOG).open("a", encoding="utf-8") as log:
            log.write(now.isoformat() + "\n")
        return "1 new candle(s) over 1 series"

    def study(out_dir: Path, now: datetime) -> str:
        (out_dir / "scenarios.csv").write_text("scenario_id,asset\ns1,BTC\n", encoding="utf-8")
        if (data_dir / STUDY_FAILS).exists():
            raise RuntimeError("engine ran out of memory")
        (out_dir / "report.html").write_text(f"<p>{now.isoformat()}</p>", encoding="utf-8")
        return "report.html"

    return UpdateSteps(fetch=fetch, study=study)


def fetch_calls(data_dir: Path) -> list[datetime]:
    """The ``now`` of every successful fake fetch, in order."""
    log = Path(data_dir) / FETCH_LOG
    if not log.exists():
        return []
    return [datetime.fromisoformat(line) for line in log.read_text("utf-8").split()]


class FakeClock:
    """A settable UTC clock and a ``datetime`` subclass whose ``now()`` reads it."""

    def __init__(self, start: datetime) -> None:
        self.current = start.astimezone(UTC)
        clock = self

        class FakeDatetime(datetime):
            @classmethod
            def now(cls, tz=None):
                return clock.current.astimezone(tz) if tz else clock.current.replace(tzinfo=None)

        self.datetime_class = FakeDatetime

    def set(self, when: datetime) -> None:
        self.current = when.astimezone(UTC)


class ManualScheduler(BaseScheduler):
    """A scheduler that runs due jobs only when the test calls ``_process_jobs``."""

    def wakeup(self) -> None:
        pass  # no timer thread: time moves when the test says so

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)
