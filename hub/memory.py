"""Giving freed heap memory back to the operating system.

glibc's malloc keeps what a process frees for its next allocations and gives back only the free space at the
top of its heap. After a big one-off read (SQLite's page cache of a freeze, let go with `PRAGMA
shrink_memory`), the freed pages lie between live ones and stay resident: 250 MB at 1,000,000 entities, kept
by the process that then draws, and shared with every worker it forks. malloc_trim(0) returns every whole
free page inside the heap (madvise), without moving anything.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def return_free_memory() -> bool:
    """malloc_trim(0) where the C library has it (glibc); False elsewhere (macOS, musl), where it does nothing."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
