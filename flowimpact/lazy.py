"""Lazy package exports (PEP 562): a package's public names load on first use.

``__getattr__ = lazy_exports("feeds", {"update_store": "feeds.ccxt_feed", ...})`` lets
``import feeds`` stay cheap while ``feeds.update_store`` still works: heavy libraries (ccxt,
vectorbt, APScheduler) are imported only when a name that needs them is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``homes[name]`` and returns its ``name``."""

    def attribute(name: str) -> Any:
        if name in homes:
            return getattr(importlib.import_module(homes[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return attribute


__all__ = ["lazy_exports"]
