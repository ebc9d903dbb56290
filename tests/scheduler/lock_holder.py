"""Run as a separate process: hold the data directory's lock until stdin closes.

Usage: ``python -m tests.scheduler.lock_holder DATA_DIR``; prints ``locked`` once it holds it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scheduler.lock import process_lock

if __name__ == "__main__":
    with process_lock(Path(sys.argv[1]), timeout_seconds=10.0):
        print("locked", flush=True)
        sys.stdin.read()  # until the test closes our stdin
