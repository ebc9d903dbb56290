"""The scaffold every job of ``backtest.run`` stands on: staging, step timer, progress bar.

``staged(out_dir, command=..., claims=...)`` is the one place a job's files are staged: a
folder inside ``out_dir`` whose files go into it when the block ends well, never touching
another command's files (``flowimpact.staging``), or None, and
nothing written, without an ``out_dir`` (a notebook's result, written later through
``file_writer``). ``Job`` holds a job's start time, its ``seconds_by_step`` and its progress
bar; ``Job.step(name)`` times one step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tqdm.auto import tqdm

from flowimpact.staging import staged_directory


@contextmanager
def staged(
    out_dir: Path | None, *, command: str, claims: Collection[str] = ()
) -> Iterator[Path | None]:
    """The one place a job's files are staged: a folder whose files go into ``out_dir`` when
    the block ends well, ``command`` named as their writer and ``claims`` (the files it surely
    writes) checked against the other commands' files before any work
    (``flowimpact.staging``); None, and nothing written, without ``out_dir``."""
    if out_dir is None:
        yield None
        return
    with staged_directory(Path(out_dir), command=command, claims=claims) as staging:
        yield staging


def final_files(files: dict[str, Path], out_dir: Path | None) -> dict[str, Path]:
    """The staged files' names in ``out_dir``, where they are once the staging is swapped in."""
    if out_dir is None:
        return {}
    return {name: Path(out_dir) / path.name for name, path in files.items()}


def file_writer(
    write: Callable[[Path], dict[str, Path]], *, command: str, claims: Collection[str] = ()
) -> Callable[[Path], dict[str, Path]]:
    """``write`` (a job's file writer) as ``result.write(out_dir)``: staged, final names."""

    def into(out_dir: Path) -> dict[str, Path]:
        with staged(out_dir, command=command, claims=claims) as staging:
            assert staging is not None
            files = write(staging)
        return final_files(files, out_dir)

    return into


class Job:
    """A job's start time, its step timings (``seconds_by_step``) and its progress bar."""

    def __init__(
        self,
        steps: Sequence[str],
        *,
        progress: bool,
        now: datetime | None = None,
        desc: str = "",
    ) -> None:
        self.started = now or datetime.now(UTC)
        self.timings: dict[str, float] = {}
        self.progress = progress
        self.bar = tqdm(total=len(steps), desc=desc, unit="step", disable=not progress, leave=False)

    def __enter__(self) -> Job:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def step(self, name: str) -> Timer:
        self.bar.set_postfix_str(name)
        return Timer(name, self.timings, self.bar)


class Timer:
    """Times one step into ``timings`` and advances the progress bar."""

    def __init__(self, name: str, timings: dict[str, float], bar: tqdm) -> None:
        self.name, self.timings, self.bar = name, timings, bar

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timings[self.name] = round(time.perf_counter() - self.start, 3)
        self.bar.update(1)


__all__ = ["Job", "Timer", "file_writer", "final_files", "staged"]
