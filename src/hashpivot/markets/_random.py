"""Random streams that make every sampler independent of how paths are chunked.

Design
------
Paths are grouped in fixed blocks of :data:`PATH_BLOCK` paths, counted from path 0.
Block ``b`` of a driver draws from its own PCG64 stream seeded with
``SeedSequence(seed, spawn_key=(driver, b))`` (driver numbers in :data:`DRIVER_STREAMS`;
power adds the site), which is what ``SeedSequence(seed).spawn(...)[driver].spawn(...)[b]``
gives. A sampler asked for
paths ``[offset, offset + paths)`` draws every block that overlaps that range in full,
computes it, and keeps the rows it needs. So path ``i`` always gets the same numbers,
whatever the chunk it is sampled in, and one driver's numbers never depend on whether
another driver is sampled. Drawing whole blocks costs at most two blocks of extra work
per call (nothing when chunks are multiples of :data:`PATH_BLOCK`).

References
----------
.. [1] NumPy, Parallel random number generation (SeedSequence spawning),
   https://numpy.org/doc/stable/reference/random/parallel.html

"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
SeedLike = int | np.integer | np.random.SeedSequence | np.random.Generator

PATH_BLOCK = 1000
"""Paths per random-number block; chunk sizes that are multiples of it waste nothing."""

DRIVER_STREAMS = {"btc_price": 0, "fees": 1, "gpu_price": 2, "power_price": 3}
"""Spawn key of each driver's stream under the seed (the network model uses 0x4E4554)."""


def seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """The root :class:`numpy.random.SeedSequence` of a seed.

    An ``int`` (>= 0) is used as entropy. A :class:`numpy.random.Generator` gives one
    63-bit draw as entropy, so two calls with the same generator differ: pass an ``int``
    when results must not depend on path chunking.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(0, 2**63 - 1)))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        msg = f"seed must be an int >= 0 or a numpy Generator, got {type(seed).__name__}"
        raise TypeError(msg)
    if int(seed) < 0:
        msg = f"seed must be >= 0, got {seed}"
        raise ValueError(msg)
    return np.random.SeedSequence(int(seed))


def driver_stream(seed: SeedLike, driver: str) -> np.random.SeedSequence:
    """The stream of ``driver`` (a key of :data:`DRIVER_STREAMS`) under ``seed``.

    Every sampler derives its own stream this way, so calling two samplers directly with
    the same seed gives them independent numbers, and the same numbers as
    :func:`hashpivot.markets.sample_markets` gives them.
    """
    return child(seed_sequence(seed), DRIVER_STREAMS[driver])


def child(root: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The descendant of ``root`` at spawn key ``key`` (same as repeated ``spawn``)."""
    return np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, *key), pool_size=root.pool_size
    )


def block_rng(root: np.random.SeedSequence, block: int) -> np.random.Generator:
    """The generator of path block ``block`` under ``root``."""
    return np.random.Generator(np.random.PCG64(child(root, block)))


def path_blocks(path_offset: int, paths: int) -> Iterator[tuple[int, slice, slice]]:
    """``(block, rows inside the block, rows of the output)`` covering the path range."""
    if path_offset < 0 or paths < 0:
        msg = f"path_offset and paths must be >= 0, got {path_offset} and {paths}"
        raise ValueError(msg)
    end = path_offset + paths
    first, last = path_offset // PATH_BLOCK, (end - 1) // PATH_BLOCK if paths else -1
    for block in range(first, last + 1):
        lo = max(path_offset, block * PATH_BLOCK)
        hi = min(end, (block + 1) * PATH_BLOCK)
        base = block * PATH_BLOCK
        yield block, slice(lo - base, hi - base), slice(lo - path_offset, hi - path_offset)


def fill_by_block(
    root: np.random.SeedSequence,
    path_offset: int,
    paths: int,
    tails: Sequence[tuple[int, ...]],
    sample_block: Callable[[np.random.Generator, int], Sequence[FloatArray]],
) -> list[FloatArray]:
    """Arrays shaped ``(paths, *tail)`` filled block by block.

    ``sample_block(rng, n)`` returns one array per tail, each with ``n`` = :data:`PATH_BLOCK`
    leading rows, computed only from ``rng``.
    """
    outs = [np.empty((paths, *tail), dtype=np.float64) for tail in tails]
    for block, inner, outer in path_blocks(path_offset, paths):
        parts = sample_block(block_rng(root, block), PATH_BLOCK)
        for out, part in zip(outs, parts, strict=True):
            out[outer] = part[inner]
    return outs
