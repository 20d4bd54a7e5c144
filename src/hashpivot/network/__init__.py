"""Network hashrate, difficulty and halvings by month along BTC price paths.

Models are chosen by name (:class:`~hashpivot.network.spec.NetworkModelSpec`,
:func:`~hashpivot.network.models.network_model`): ``supply_curve`` (the default: fleet
vintages that run while hashprice covers their hashcost, plus lagged new builds) and
``fixed_growth`` (what mining calculators offer).

- :mod:`~hashpivot.network.models`: the registry and :func:`simulate_network`, fixed growth,
  halving dates;
- :mod:`~hashpivot.network.supply`: the supply curve of fleet vintages;
- :mod:`~hashpivot.network.chain`: difficulty retargets and block production by month (and
  the exact daily chain for single projections);
- :mod:`~hashpivot.network.kernels`: the month loops compiled (numba), with NumPy twins;
- :mod:`~hashpivot.network.spec`: the model settings; :mod:`~hashpivot.network.io`: price
  path files and result tables of ``hashpivot network``.

Only the settings are imported eagerly; the models load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hashpivot._lazy import lazy_exports
from hashpivot.network.spec import NETWORK_MODEL_NAMES, NetworkModelSpec

if TYPE_CHECKING:
    from hashpivot.network.chain import NetworkPath, estimate_height, simulate_chain_monthly
    from hashpivot.network.io import read_price_path
    from hashpivot.network.models import (
        fixed_growth_network,
        halving_dates,
        network_from_hashrate,
        network_model,
        simulate_network,
    )
    from hashpivot.network.supply import SupplyShocks, simulate_supply_curve

_LAZY = {
    "simulate_network": "models",
    "network_model": "models",
    "fixed_growth_network": "models",
    "halving_dates": "models",
    "network_from_hashrate": "models",
    "NetworkPath": "chain",
    "simulate_chain_monthly": "chain",
    "estimate_height": "chain",
    "SupplyShocks": "supply",
    "simulate_supply_curve": "supply",
    "read_price_path": "io",
}

__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "NETWORK_MODEL_NAMES",
    "NetworkModelSpec",
    "NetworkPath",
    "SupplyShocks",
    "estimate_height",
    "fixed_growth_network",
    "halving_dates",
    "network_from_hashrate",
    "network_model",
    "read_price_path",
    "simulate_chain_monthly",
    "simulate_network",
    "simulate_supply_curve",
]
