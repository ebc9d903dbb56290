"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the same examples every time (a submission must not pass or fail by chance);
# a developer's run explores new ones.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real reference data (../shared/data), given by FLOWIMPACT_SHARED_DATA.

    CI sets the variable; a test that needs the real data fails (not skips) without it, so a
    misconfigured CI cannot pass by running nothing.
    """
    root = os.environ.get("FLOWIMPACT_SHARED_DATA")
    if not root:
        pytest.fail("FLOWIMPACT_SHARED_DATA is not set: point it at ../shared/data")
    path = Path(root)
    if not (path / "prices").is_dir():
        pytest.fail(f"FLOWIMPACT_SHARED_DATA={root} has no prices/ folder")
    return path
