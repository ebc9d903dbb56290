"""Grid-sized scratch arrays kept from one chunk to the next: one ``Workspace`` per worker.

Why: a chunk's engine writes its outputs ``[scenario, path, day, asset]`` (8,000 columns over
1,461 days: 94 MB each) into arrays made for that chunk. Arrays that large are mapped fresh
from the kernel by the allocator (glibc's ``mmap`` threshold stops at 32 MiB) and unmapped
when freed, so every chunk faulted its output pages in again and the kernel zeroed each one:
measured on the default study at 800 paths (39 chunks), 59,600 minor faults and 2.2 s of
system time in the engine, none of it in the evaluation or the bands, whose smaller
temporaries the allocator already reuses. A ``Workspace`` holds one flat float64 buffer per
output name; the next chunk of the same shape, or a smaller one, writes into the front of
it, so its pages are faulted in once per process.

Who owns one: whoever runs chunks one after another, and never two at a time on the same
workspace (``backtest.study.executors.map_chunks``: one for its loop in this process, one per
Dask worker thread for the map's lifetime). Nothing here is module state: a workspace is an
object passed in, dropped with its owner.

The contract: an array from ``array(name, shape)`` is valid until the next ``array`` call of
that name; a caller keeps only what it copied or reduced out of it (``run_chunk`` keeps
quantiles, bands and metric tables, all new arrays). Its contents on return are whatever the
last user left: ask only for arrays the caller overwrites in full (the engine's kernel writes
every cell of every output it fills). Memory stays bounded: one buffer per name, as large as
the largest request, however many chunks run.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class Workspace:
    """Named float64 buffers, grown to the largest request and reused for every smaller one."""

    def __init__(self) -> None:
        self._buffers: dict[str, FloatArray] = {}

    def array(self, name: str, shape: tuple[int, ...]) -> FloatArray:
        """A C-contiguous float64 array of ``shape``: the front of buffer ``name``, uninitialised.

        The buffer grows (a new one replaces it) when ``shape`` holds more cells than it has;
        the old one is dropped first, so the workspace never holds two for one name.
        """
        cells = math.prod(shape)
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < cells:
            self._buffers.pop(name, None)
            buffer = np.empty(max(cells, 1))
            self._buffers[name] = buffer
        return buffer[:cells].reshape(shape)

    @property
    def nbytes(self) -> int:
        """Bytes the workspace's buffers hold."""
        return sum(int(buffer.nbytes) for buffer in self._buffers.values())

    def holds(self, array: npt.ArrayLike) -> bool:
        """Whether ``array`` shares memory with a buffer of this workspace (for the tests)."""
        values = np.asarray(array)
        return any(np.shares_memory(values, buffer) for buffer in self._buffers.values())

    def clear(self) -> None:
        """Drop every buffer (arrays handed out stay valid as long as someone holds them)."""
        self._buffers.clear()


__all__ = ["Workspace"]
