"""The allocator setting: applied once on glibc, skipped when opted out."""

from __future__ import annotations

import ctypes.util
import sys

import numpy as np
import pytest

from hashpivot import allocator


def test_opt_out_leaves_the_allocator_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(allocator.OPT_OUT_ENV, "0")
    allocator.tune_allocator.cache_clear()
    try:
        assert allocator.tune_allocator() is False
    finally:
        allocator.tune_allocator.cache_clear()


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or ctypes.util.find_library("c") is None,
    reason="mallopt exists on glibc Linux only",
)
def test_thresholds_are_set_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(allocator.OPT_OUT_ENV, raising=False)
    allocator.tune_allocator.cache_clear()
    assert allocator.tune_allocator() is True
    # arrays still allocate and free normally afterwards
    for _ in range(3):
        a = np.ones((2_000, 600))
        assert float(a.sum()) == 1_200_000.0


def test_thresholds_are_within_glibc_limits() -> None:
    # mallopt(3): M_MMAP_THRESHOLD may not exceed 4 MiB x sizeof(long) on 64-bit
    assert allocator.MMAP_THRESHOLD_BYTES <= 4 * 1024 * 1024 * 8
    assert allocator.TRIM_THRESHOLD_BYTES >= allocator.MMAP_THRESHOLD_BYTES
