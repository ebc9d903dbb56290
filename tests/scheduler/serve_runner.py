"""Run as a separate process: the real service (``serve``) with the fake file steps.

Usage: ``python -m tests.scheduler.serve_runner DATA_DIR OUT_DIR``; prints ``started`` once the
scheduler runs, and exits when ``serve`` returns (after SIGTERM or Ctrl-C).
"""

from __future__ import annotations

import sys
from pathlib import Path

from scheduler.service import DailyJob, serve
from tests.scheduler.fakes import STEPS_REF

if __name__ == "__main__":
    job = DailyJob(data_dir=Path(sys.argv[1]), out_dir=Path(sys.argv[2]), steps_factory=STEPS_REF)
    serve(job, on_started=lambda _job: print("started", flush=True))
    print("stopped", flush=True)
