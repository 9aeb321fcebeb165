"""glibc's allocator, tuned for the aggregator process.

The embedded engine allocates through its own jemalloc (see `client.release_freed_memory`);
everything else in the process (Python, pydantic, aiokafka, building a batch's rows) uses
glibc's malloc, which by default gives each thread an arena of its own (up to 8 per core)
and serves big blocks from them, so what a batch freed stays in the process. Two arenas,
and big blocks mapped and unmapped straight from the kernel, took a 500,000-event burst's
peak from 928 to 870 MB (loadtests/results/aggregator-burst.md). Allocator settings from
the environment (MALLOC_ARENA_MAX, ..., or glibc.malloc tunables) win over these defaults.
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
    """Apply the defaults above, early (arenas are made as threads start); return what was
    set (nothing where the C library is not glibc)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return {}
    if "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return {}  # tuned by whoever started the process
    applied = {}
    for parameter, variable, value in _OPTIONS:
        if variable not in os.environ and mallopt(parameter, value) == 1:
            applied[variable] = value
    logger.debug("allocator: %s", applied)
    return applied
