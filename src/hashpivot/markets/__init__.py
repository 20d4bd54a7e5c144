"""Stochastic market drivers: BTC price, fees per block, GPU rental price, power price.

One call, :func:`sample_markets`, draws every driver of a Monte Carlo chunk. Each driver
has its own random stream, ``SeedSequence(seed).spawn(4)[driver]`` with drivers numbered
as in :data:`DRIVER_STREAMS` (each sampler derives it itself, so a sampler called alone
with the seed gives the same numbers), and inside it one stream per block of
:data:`~hashpivot.markets._random.PATH_BLOCK` paths (see :mod:`hashpivot.markets._random`).
So:

- the same seed gives the same arrays;
- sampling paths ``[0, N)`` at once equals sampling ``[0, n)`` then ``[n, N)`` with
  ``path_offset=n`` (any ``n``; multiples of 1 000 waste no draws);
- a driver's draws do not depend on which other drivers are used, nor a site's power
  factor on how many sites there are.

Time convention: entry ``[i, m]`` of a price or index is its value at the **end** of
simulated month ``m`` (the start value holds at the start of month 0); fees are the mean
over month ``m``; power factors hold for the whole month.

References
----------
.. [1] Models and defaults, with their sources: :mod:`hashpivot.markets.spec`.
.. [2] NumPy parallel streams, https://numpy.org/doc/stable/reference/random/parallel.html

"""

from __future__ import annotations

from hashpivot.markets._random import DRIVER_STREAMS, PATH_BLOCK, SeedLike
from hashpivot.markets.bootstrap import BootstrapPaths, sample_bootstrap
from hashpivot.markets.btc_price import BTC_PRICE_MODELS, btc_price_model, sample_btc_price_usd
from hashpivot.markets.fees import sample_fees_btc_per_block
from hashpivot.markets.gpu_price import sample_gpu_price_index
from hashpivot.markets.power import (
    POWER_PRICE_MODELS,
    power_price_model,
    sample_power_price_factor,
)
from hashpivot.markets.sample import MarketPaths, sample_markets
from hashpivot.markets.spec import (
    BootstrapPriceSpec,
    BtcPriceSpec,
    CsvPriceSpec,
    EscalatingPowerSpec,
    FeesSpec,
    FixedPowerSpec,
    GbmPriceSpec,
    GpuPriceSpec,
    JumpPriceSpec,
    LognormalPowerSpec,
    MarketModelSpec,
    PowerPriceSpec,
    RegimePriceSpec,
    RegimeStateSpec,
)

__all__ = [
    "BTC_PRICE_MODELS",
    "DRIVER_STREAMS",
    "PATH_BLOCK",
    "POWER_PRICE_MODELS",
    "BootstrapPaths",
    "BootstrapPriceSpec",
    "BtcPriceSpec",
    "CsvPriceSpec",
    "EscalatingPowerSpec",
    "FeesSpec",
    "FixedPowerSpec",
    "GbmPriceSpec",
    "GpuPriceSpec",
    "JumpPriceSpec",
    "LognormalPowerSpec",
    "MarketModelSpec",
    "MarketPaths",
    "PowerPriceSpec",
    "RegimePriceSpec",
    "RegimeStateSpec",
    "SeedLike",
    "btc_price_model",
    "power_price_model",
    "sample_bootstrap",
    "sample_btc_price_usd",
    "sample_fees_btc_per_block",
    "sample_gpu_price_index",
    "sample_markets",
    "sample_power_price_factor",
]
