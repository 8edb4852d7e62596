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
import threading
from collections.abc import Callable
from functools import cache

TRIM_BYTES = 64 << 20  # made between two hand-backs inside a stage (`Trimmer`)


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
