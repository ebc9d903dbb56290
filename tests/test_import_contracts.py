"""Each import-linter contract inside a layer holds today and breaks on the import it forbids.

A copy of the five packages gets one injected import (appended to a module), and lint-imports
run on the copy must report that contract broken: a contract that cannot fail proves nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flowimpact", "feeds", "strategies", "backtest", "scheduler")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

INJECTED = {
    "pandas in a kernel": (
        "backtest/sim/kernels.py", "import pandas", "the numba kernels import neither pandas"
    ),
    "vectorbt in a kernel": (
        "backtest/sim/metric_kernels.py", "import vectorbt", "the numba kernels import neither"
    ),
    "feeds in sim": ("backtest/sim/engine.py", "import feeds.store", "sim imports no feeds"),
    "a step in the chunk pipeline": (
        "backtest/study/executors.py",
        "import backtest.study.sensitivity.analysis",
        "the chunk pipeline knows no step",
    ),
}  # fmt: skip


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(LINT_IMPORTS.parent)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    skip = shutil.ignore_patterns("__pycache__")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_every_contract_holds_on_the_code(copy: Path) -> None:
    done = _lint(copy)
    assert done.returncode == 0, done.stdout + done.stderr
    for _module, _line, contract in INJECTED.values():
        assert f"{contract}" in done.stdout


@pytest.mark.parametrize("case", sorted(INJECTED))
def test_an_injected_import_breaks_its_contract(case: str, copy: Path) -> None:
    module, line, contract = INJECTED[case]
    path = copy / module
    original = path.read_text(encoding="utf-8")
    path.write_text(f"{original}\n{line}  # injected\n", encoding="utf-8")
    try:
        done = _lint(copy)
    finally:
        path.write_text(original, encoding="utf-8")
    assert done.returncode != 0
    broken = [ln for ln in done.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(contract in ln for ln in broken), done.stdout
