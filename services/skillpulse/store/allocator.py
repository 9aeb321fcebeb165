"""glibc's allocator, tuned for the process that hosts the embedded store.

chdb runs ClickHouse inside our process on glibc's malloc (it ships no jemalloc), with
a thread pool for inserts, merges and queries. By default glibc gives each such thread
an arena of its own (up to 8 per core) and serves big blocks from them, so memory freed
after a batch or a merge stays in the process. Two arenas, and big blocks mapped and
unmapped straight from the kernel, gave back ~100 MB of a burst's peak (the figures are
in loadtests/results/aggregator-burst.md). An allocator variable set in the environment
(MALLOC_ARENA_MAX, ...) wins over these defaults.
"""

from __future__ import annotations

import ctypes
import logging
import os

logger = logging.getLogger("skillpulse.store")

# mallopt(3) parameters and the environment variables that set them at start-up.
_OPTIONS = (
    (-8, "MALLOC_ARENA_MAX", 2),                  # M_ARENA_MAX
    (-3, "MALLOC_MMAP_THRESHOLD_", 128 * 1024),   # M_MMAP_THRESHOLD (fixed: no upward drift)
    (-1, "MALLOC_TRIM_THRESHOLD_", 128 * 1024),   # M_TRIM_THRESHOLD
)


def tune_allocator() -> dict[str, int]:
    """Apply the defaults above before the engine starts its threads; return what was set
    (nothing where the C library is not glibc)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return {}
    applied = {}
    for parameter, variable, value in _OPTIONS:
        if variable not in os.environ and mallopt(parameter, value) == 1:
            applied[variable] = value
    logger.debug("allocator: %s", applied)
    return applied
