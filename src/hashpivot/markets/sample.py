"""One call that draws every market driver of a Monte Carlo chunk: :func:`sample_markets`.

The streams, blocks and time convention are described in :mod:`hashpivot.markets`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hashpivot.markets._random import (
    PATH_BLOCK,
    FloatArray,
    seed_sequence,
)
from hashpivot.markets.bootstrap import sample_bootstrap
from hashpivot.markets.btc_price import (
    sample_btc_price_usd,
)
from hashpivot.markets.fees import sample_fees_btc_per_block
from hashpivot.markets.gpu_price import sample_gpu_price_index
from hashpivot.markets.power import (
    sample_power_price_factor,
)
from hashpivot.markets.spec import (
    BootstrapPriceSpec,
    FixedPowerSpec,
    MarketModelSpec,
    PowerPriceSpec,
)


@dataclass(frozen=True)
class MarketPaths:
    """Sampled market paths of one chunk.

    Attributes
    ----------
    btc_price_usd
        BTC price at the end of each month, ``(paths, months)``. [USD/BTC]
    fees_btc_per_block
        Mean fees per block in each month, ``(paths, months)``. [BTC/block]
    gpu_price_index
        GPU rental price index at the end of each month (1 at the start), ``(paths,
        months)``; multiply a GPU cloud's starting price by it. [-]
    power_price_factor
        Factor on each site's contract power price, ``(paths, months, sites)``; treat as
        read-only (a broadcast view when every site is ``fixed``). [-]
    hashrate_log_growth
        Network hashrate log growth in each month, ``log(H_end/H_start)``, from the
        bootstrap; ``None`` for parametric price models. [-]
    seed
        Seed the chunk was drawn with (the entropy of its SeedSequence).
    path_offset
        Index of the chunk's first path. [paths]

    """

    btc_price_usd: FloatArray
    fees_btc_per_block: FloatArray
    gpu_price_index: FloatArray
    power_price_factor: FloatArray
    hashrate_log_growth: FloatArray | None
    seed: int
    path_offset: int = 0


def sample_markets(
    spec: MarketModelSpec,
    start_price_usd: float,
    start_date: dt.date,
    months: int,
    paths: int,
    seed: int | np.random.Generator,
    n_sites: int,
    path_offset: int = 0,
    site_power: Sequence[PowerPriceSpec] | None = None,
    *,
    first_block: int | None = None,
    block_paths: int | None = None,
) -> MarketPaths:
    """Every market driver for paths ``[path_offset, path_offset + paths)``.

    Parameters
    ----------
    spec
        The market models.
    start_price_usd
        BTC price on ``start_date``. [USD/BTC]
    start_date
        First day of month 0.
    months, paths
        Horizon and paths in this chunk. [months], [paths]
    seed
        Seed of the whole run (an ``int`` for chunk-invariant results; a ``Generator``
        gives one draw of entropy, recorded in :attr:`MarketPaths.seed`).
    n_sites
        Sites that get a power price factor. [sites]
    path_offset
        Index of the chunk's first path. [paths]
    site_power
        Optional power model per site, overriding ``spec.power_price`` (length ``n_sites``).
    first_block, block_paths
        Alternative to ``path_offset`` for callers that count in blocks:
        ``path_offset = first_block × block_paths``; ``block_paths`` must equal
        :data:`PATH_BLOCK` when given.

    """
    path_offset = _offset(path_offset, first_block, block_paths)
    if n_sites < 0:
        msg = f"n_sites must be >= 0, got {n_sites}"
        raise ValueError(msg)
    if site_power is not None and len(site_power) != n_sites:
        msg = f"site_power has {len(site_power)} entries for {n_sites} sites"
        raise ValueError(msg)
    root = seed_sequence(seed)
    growth = None
    if isinstance(spec.btc_price, BootstrapPriceSpec):
        boot = sample_bootstrap(
            spec.btc_price,
            start_price_usd,
            start_date,
            months,
            paths,
            root,
            path_offset,
        )
        price, fees, growth = boot.btc_price_usd, boot.fees_btc_per_block, boot.hashrate_log_growth
    else:
        price = sample_btc_price_usd(
            spec.btc_price,
            start_price_usd,
            start_date,
            months,
            paths,
            root,
            path_offset,
        )
        fees = sample_fees_btc_per_block(spec.fees, months, paths, root, path_offset)
    gpu = sample_gpu_price_index(spec.gpu_price, months, paths, root, path_offset)
    models = [spec.power_price] * n_sites if site_power is None else list(site_power)
    power = _power_factors(models, months, paths, root, path_offset)
    entropy = root.entropy
    seed_used = int(entropy) if isinstance(entropy, int | np.integer) else 0
    return MarketPaths(price, fees, gpu, power, growth, seed_used, path_offset)


def _offset(path_offset: int, first_block: int | None, block_paths: int | None) -> int:
    if block_paths is not None and block_paths != PATH_BLOCK:
        msg = f"block_paths must be {PATH_BLOCK} (the random-stream block), got {block_paths}"
        raise ValueError(msg)
    if first_block is None:
        return path_offset
    if path_offset:
        msg = "give path_offset or first_block, not both"
        raise ValueError(msg)
    return first_block * PATH_BLOCK


def _power_factors(
    models: list[PowerPriceSpec],
    months: int,
    paths: int,
    root: np.random.SeedSequence,
    path_offset: int,
) -> FloatArray:
    """Power factors ``(paths, months, sites)``.

    A read-only broadcast of ones when every site is fixed, else a view of a site-major
    array (each site's slice is contiguous).
    """
    if all(isinstance(m, FixedPowerSpec) for m in models):
        return np.broadcast_to(np.ones(1), (paths, months, len(models)))
    out = np.empty((len(models), paths, months))
    for site, model in enumerate(models):
        out[site] = sample_power_price_factor(model, months, paths, root, site, path_offset)
    return np.asarray(out.transpose(1, 2, 0))
