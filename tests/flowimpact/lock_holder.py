"""Run as a separate process: hold the data directory's lock until stdin closes.

Usage: ``python -m tests.flowimpact.lock_holder DATA_DIR PURPOSE``; prints ``locked`` once it
holds it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flowimpact.locking import data_dir_lock

if __name__ == "__main__":
    with data_dir_lock(Path(sys.argv[1]), 10.0, purpose=sys.argv[2]):
        print("locked", flush=True)
        sys.stdin.read()  # until the test closes our stdin
