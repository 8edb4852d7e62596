"""Handing freed heap memory back to the system at the end of a stage (a history read, the
rules, the report).

The rules and the report allocate and free hundreds of MB of short-lived arrays. glibc keeps
freed heap pages resident (its mmap threshold grows to 32 MB once a large block is freed),
so each stage's scratch memory stayed counted while the next stage added its own: a
million-row report from a history peaked at 1,035 MB where the live data never exceeded
about 830 MB. `malloc_trim` returns those pages (a few ms); where it does not exist (not
glibc) nothing happens.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import cache


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
