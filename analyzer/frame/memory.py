"""Handing freed heap memory back to the system at the end of a stage (a history read, the
rules, the report), and within a stage every so many bytes made (`Trimmer`).

The rules and the report allocate and free hundreds of MB of short-lived arrays. glibc keeps
freed heap pages resident (its mmap threshold grows to 32 MB once a large block is freed),
so each stage's scratch memory stayed counted while the next stage added its own: a
million-row report from a history peaked at 1,035 MB where the live data never exceeded
about 830 MB. `malloc_trim` returns those pages (a few ms); where it does not exist (not
glibc) nothing happens.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Callable
from functools import cache

TRIM_BYTES = 64 << 20  # made between two hand-backs inside a stage (`Trimmer`)
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"  # read once, when pyarrow loads


@cache
def _trim() -> Callable[[int], int] | None:
    try:  # the symbols the process already has: glibc's, on Linux
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


def release_free_memory() -> None:
    """Return the heap's free pages to the system (glibc); a no-op elsewhere."""
    trim = _trim()
    if trim is not None:
        trim(0)


class Trimmer:
    """Hands freed memory back after every TRIM_BYTES made (`made(nbytes)`, from any thread),
    inside a stage that frees as it goes: parts decoded four at a time left their scratch in
    four glibc arenas until the read ended, columns decoded one by one their encoded forms.
    Not after every step: each trim makes the next allocations fault their pages in again (a
    trim per part cost a million-row history read 0.15 s), and small inputs never trim."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since = 0

    def made(self, nbytes: int) -> None:
        with self._lock:
            self._since += nbytes
            due = self._since >= TRIM_BYTES
            if due:
                self._since = 0
        if due:
            release_free_memory()


def use_system_allocator() -> None:
    """Make Arrow allocate with the system allocator (glibc's malloc, which `Trimmer` trims)
    instead of pyarrow's default (mimalloc in today's wheels), unless the user chose one in
    ARROW_DEFAULT_MEMORY_POOL. mimalloc keeps a Parquet read's scratch resident: a million
    rows read from a history with every column held 970 MB after the read instead of 714.

    For the entry points only (the command, the Lambda), which own their process: a library
    does not change a process-wide setting (a notebook chooses, README). Called before
    pyarrow loads (the console script, the Lambda), the variable switches every Arrow
    allocation and reaches the scan workers forked afterwards (their row batches: 20 MB less
    resident each). Once pyarrow is loaded (the CLI run in-process) only pyarrow's own
    default pool can be set: what its readers, conversions and compute functions use, not
    the few C++ paths that ask Arrow's default (a Parquet write's buffers)."""
    if os.environ.get(ARROW_POOL_VARIABLE):
        return
    os.environ[ARROW_POOL_VARIABLE] = "system"
    if "pyarrow" in sys.modules:
        import pyarrow

        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
