"""Is numba's on-disk cache warm for the kernels a study runs? (for the run-time estimate)

Every kernel of ``backtest.sim`` and the vectorbt record kernel the evaluation calls have
``cache=True``: a process loads them from the cache in well under a second, but the first
process after an install, or after their source changed, compiles them all. That compile is
about ``COLD_COMPILE_SECONDS`` on this project's 2-core machine (the default study with an
empty ``NUMBA_CACHE_DIR``: 30.2 s of CPU against 10.5 s warm, measured side by side), more than
the default study itself, so the estimate printed before a run adds it when the cache is cold.

A kernel's cache index is fresh, stale (written by another numba version or for an older
source: numba's own test, ``IndexDataCacheFile._load_index``, returns an empty index
then) or absent. Helpers that only other kernels call are compiled into their callers and
never get an index of their own, so an absent index alone says nothing; the cache is cold
when an index is stale, when no kernel of ``backtest.sim`` has a fresh one (a new install, a
cleared cache) or when a vectorbt kernel the evaluation calls has none. Not detected: a cache
built on another CPU model (numba recompiles; the index does not say which CPU it holds
without loading it) and a kernel added since the last run.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

#: seconds numba spends compiling the study's kernels when nothing is cached (see above)
COLD_COMPILE_SECONDS = 20.0

#: vectorbt kernels ``backtest.sim.portfolio`` calls from Python (its order simulation runs in
#: vectorbt's Rust engine; ``add_nb`` is compiled into the package's own kernel)
_VECTORBT_KERNELS = ("col_map_nb",)


def cold_kernels() -> list[str]:
    """Names of the study's cached numba kernels the next run would compile (see above)."""
    from numba.core.registry import CPUDispatcher
    from vectorbt.records import nb as records_nb

    import backtest.sim

    ours: dict[str, str] = {}
    for info in pkgutil.iter_modules(backtest.sim.__path__, "backtest.sim."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == info.name:
                ours[f"{info.name}.{value.py_func.__name__}"] = _state(value)
    theirs = {
        f"vectorbt.records.nb.{name}": _state(getattr(records_nb, name))
        for name in _VECTORBT_KERNELS
    }
    cold = [name for name, state in {**ours, **theirs}.items() if state == "stale"]
    if "fresh" not in ours.values():
        cold += [name for name, state in ours.items() if state == "absent"]
    cold += [name for name, state in theirs.items() if state == "absent"]
    return sorted(cold)


def _state(kernel: object) -> str:
    """``fresh``, ``stale`` or ``absent``: ``kernel``'s on-disk cache index."""
    cache = getattr(kernel, "_cache", None)
    index_file = getattr(cache, "_cache_file", None)
    if index_file is None:  # caching off: nothing is loaded, nothing to predict
        return "fresh"
    if not Path(index_file._index_path).exists():
        return "absent"
    try:
        return "fresh" if index_file._load_index() else "stale"
    except Exception:  # an unreadable index: numba recompiles
        return "stale"


def compile_note() -> str:
    """`` plus about N s for numba's first compile (its cache is cold)`` or ``""``."""
    cold = cold_kernels()
    if not cold:
        return ""
    return (
        f", plus about {COLD_COMPILE_SECONDS:.0f} s for numba's first compile "
        f"(its cache is cold for {len(cold)} kernels)"
    )


__all__ = ["COLD_COMPILE_SECONDS", "cold_kernels", "compile_note"]
