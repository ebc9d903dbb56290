"""Where the store lives when no folder is given: ``FLOWIMPACT_DATA_DIR``, else the user's.

One home for the rule the command line (``--data-dir``'s default) and the Python API
(``run_study(study)`` without ``data_dir``) both follow.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "FLOWIMPACT_DATA_DIR"


def default_data_dir() -> Path:
    """``FLOWIMPACT_DATA_DIR`` if set, else the user's data directory (platformdirs)."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs  # here: only callers that need a store pay for it

    return Path(platformdirs.user_data_dir("flowimpact", appauthor=False))


def data_dir_or_default(data_dir: Path | str | None) -> Path:
    """``data_dir`` as a Path, or ``default_data_dir()`` when it is None."""
    return default_data_dir() if data_dir is None else Path(data_dir)


__all__ = ["DATA_DIR_ENV", "data_dir_or_default", "default_data_dir"]
