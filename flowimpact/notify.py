"""One-line notices while flowimpact waits (a retry, a busy lock): on stderr, never stdout.

Stdout holds a command's results, so waiting is told on stderr, one line each, prefixed like
the command line's errors. ``tqdm.write`` keeps a progress bar on the same terminal intact.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from tqdm import tqdm

Notify = Callable[[str], None]


def to_stderr(message: str) -> None:
    """Write ``flowimpact: <message>`` as one line on stderr."""
    tqdm.write(f"flowimpact: {' '.join(message.split())}", file=sys.stderr)


__all__ = ["Notify", "to_stderr"]
