"""Keep freed array memory inside the process instead of returning it to the OS each time.

A Monte Carlo chunk allocates and frees hundreds of temporary arrays of a few MB each.
glibc's ``malloc`` serves blocks above ``M_MMAP_THRESHOLD`` (128 KiB at start, raised
dynamically up to 32 MiB on 64-bit) with fresh ``mmap`` calls and shrinks the heap when
more than ``M_TRIM_THRESHOLD`` is free at its top, so every temporary is faulted in page
by page and zeroed by the kernel again (source: ``mallopt(3)``, Linux man-pages 6.x,
sections M_MMAP_THRESHOLD and M_TRIM_THRESHOLD). Measured on a 10 000-path × 60-month
sweep point: ~50 000 page faults and 20 % of the wall time in the kernel, and two
processes doing so at once slow each other down (they share the memory bus).

:func:`tune_allocator` fixes both thresholds (which also turns off the dynamic
adjustment), so freed blocks are reused: no page faults after the first chunk, the same
peak memory. It is a process-wide setting, applied once, on glibc only; set
``HASHPIVOT_MALLOC_TUNING=0`` to leave the allocator alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys

M_TRIM_THRESHOLD = -1
"""``mallopt`` parameter number of M_TRIM_THRESHOLD (glibc ``malloc.h``)."""
M_MMAP_THRESHOLD = -3
"""``mallopt`` parameter number of M_MMAP_THRESHOLD (glibc ``malloc.h``)."""
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
"""Blocks up to this size come from the heap: glibc's maximum on 64-bit,
DEFAULT_MMAP_THRESHOLD_MAX = 4 MiB × sizeof(long) (``mallopt(3)``). [B]"""
TRIM_THRESHOLD_BYTES = 64 * 1024 * 1024
"""Free memory kept at the top of the heap before it is returned to the OS. Assumption:
64 MiB removed every page fault in the measurement above (256 MiB and 1 GiB did no
better) while bounding what an idle process holds. [B]"""
OPT_OUT_ENV = "HASHPIVOT_MALLOC_TUNING"
"""Environment variable; ``0`` leaves the allocator alone."""


@functools.cache
def tune_allocator() -> bool:
    """Set glibc's mmap and trim thresholds once per process; True when they were set.

    Does nothing (and returns False) off Linux, without glibc, or when
    ``HASHPIVOT_MALLOC_TUNING=0``.
    """
    if os.environ.get(OPT_OUT_ENV, "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok_mmap: bool = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    ok_trim: bool = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
    return ok_mmap and ok_trim
