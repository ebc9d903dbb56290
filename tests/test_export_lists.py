"""The public API is written in three places per package, and they agree.

For ``backtest``, ``feeds`` and ``scheduler``: ``__all__``, the names the package imports or
loads lazily (its ``flowimpact.lazy`` map), and the names it imports for type checkers only
(``if TYPE_CHECKING:``, one per lazy name). Every lazy name exists in its home module, and the
names the README's and docs/contracts.md's Python API sections use are exported.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("backtest", "feeds", "scheduler")
LAZY_MAPS = ("_EXPORTS", "_LAZY")  # the name each package gives its flowimpact.lazy map


def _lists(package: str) -> tuple[list[str], dict[str, str], set[str], set[str]]:
    """``__all__``, the lazy map, the TYPE_CHECKING names, the eagerly imported names."""
    tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
    exported: list[str] = []
    lazy: dict[str, str] = {}
    typed: set[str] = set()
    eager: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name == "__all__":
                exported = list(ast.literal_eval(node.value))
            elif name in LAZY_MAPS:
                lazy = dict(getattr(importlib.import_module(package), name))
        elif isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            typed = {a.asname or a.name for n in node.body for a in getattr(n, "names", [])}
        elif isinstance(node, ast.ImportFrom) and node.module not in (
            "__future__", "typing", "flowimpact.lazy"
        ):
            eager |= {a.asname or a.name for a in node.names}
    return exported, lazy, typed, eager


@pytest.mark.parametrize("package", PACKAGES)
def test_all_the_lazy_map_and_the_type_checking_names_agree(package: str) -> None:
    exported, lazy, typed, eager = _lists(package)
    assert lazy, f"{package}/__init__.py has no lazy map"
    assert len(exported) == len(set(exported)), "a name is in __all__ twice"
    assert set(exported) == set(lazy) | eager, f"{package}: __all__ vs what it provides"
    assert typed == set(lazy), f"{package}: TYPE_CHECKING imports vs the lazy map"
    assert not eager & set(lazy), f"{package}: a name is both eager and lazy"
    for name, home in lazy.items():
        assert hasattr(importlib.import_module(home), name), f"{home} has no {name}"


def test_the_documented_python_api_is_exported() -> None:
    import backtest

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    used = {
        name.strip()
        for line in re.findall(r"^from backtest import (.+)$", section, flags=re.M)
        for name in line.split(",")
    }
    contracts = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    api = contracts.split("## Python API", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([A-Za-z_]+)`", api.split("curated list", 1)[1].split(")", 1)[0]))
    assert used and named
    assert used | named <= set(backtest.__all__), (used | named) - set(backtest.__all__)
