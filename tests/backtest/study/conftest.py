"""Fixtures of the chunk and executor tests: the grid study and its one-chunk reference run."""

from __future__ import annotations

from pathlib import Path

import pytest

from backtest.run import RunResult
from backtest.study.config import Study, load_study
from tests.backtest.fixtures import write_study, write_synthetic_store
from tests.backtest.study.grid_helpers import GRID, chunked, run_with


@pytest.fixture(scope="session")
def grid_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Study, Path]:
    root = tmp_path_factory.mktemp("chunks")
    write_synthetic_store(root / "data")
    return load_study(write_study(root / "study.toml", **GRID)), root


@pytest.fixture(scope="session")
def reference(grid_study: tuple[Study, Path]) -> RunResult:
    study, root = grid_study
    return run_with(study, root, "all", chunked(study, chunk_columns=10**6))
