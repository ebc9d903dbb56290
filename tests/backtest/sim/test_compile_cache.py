"""The run-time estimate knows when numba's cache is cold: a kernel's index absent, fresh
after a call, stale once its source changes; an empty cache folder makes the study's cold."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.scheduler.helpers import REPO_ROOT, subprocess_env

_STATES = textwrap.dedent(
    """
    import importlib, json, os, sys
    sys.path.insert(0, sys.argv[1])
    from backtest.sim.compile_cache import _state
    import toy_kernel
    states = [_state(toy_kernel.double)]
    toy_kernel.double(2.0)
    states.append(_state(toy_kernel.double))
    with open(os.path.join(sys.argv[1], "toy_kernel.py"), "a") as source:
        source.write("# edited\\n")  # the source changed since the cache was written
    importlib.reload(toy_kernel)
    states.append(_state(toy_kernel.double))
    print(json.dumps(states))
    """
)


def test_an_index_is_absent_then_fresh_then_stale(tmp_path: Path) -> None:
    (tmp_path / "toy_kernel.py").write_text(
        "from numba import njit\n\n@njit(cache=True)\ndef double(x):\n    return 2 * x\n"
    )
    env = subprocess_env()
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "cache")
    out = subprocess.run(
        [sys.executable, "-c", _STATES, str(tmp_path)], capture_output=True, text=True,
        check=True, cwd=REPO_ROOT, env=env,
    )  # fmt: skip
    assert json.loads(out.stdout) == ["absent", "fresh", "stale"]


def test_an_empty_cache_folder_makes_the_study_cold(tmp_path: Path) -> None:
    code = (
        "import json; from backtest.sim.compile_cache import cold_kernels, compile_note; "
        "print(json.dumps([cold_kernels(), compile_note()]))"
    )
    env = {**subprocess_env(), "NUMBA_CACHE_DIR": str(tmp_path / "empty")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=REPO_ROOT, env=env,
    )  # fmt: skip
    cold, note = json.loads(out.stdout)
    assert "backtest.sim.portfolio.column_metrics_nb" in cold
    assert "vectorbt.records.nb.col_map_nb" in cold
    assert note.startswith(", plus about 20 s for numba's first compile")
    written = [p.name for p in tmp_path.rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert written == []  # asking compiled nothing (no cache was written)
