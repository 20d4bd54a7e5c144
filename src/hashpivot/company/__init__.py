"""The company: cash flows of mining, AI leases and GPU clouds by site, and what they are worth.

- :mod:`~hashpivot.company.engine`: cash flows as arrays over paths (the kernel of the
  deterministic and Monte Carlo runs);
- :mod:`~hashpivot.company.model`: :class:`CompanyModel`, the company along the
  deterministic base path (``hashpivot company``);
- :mod:`~hashpivot.company.path_flows`: monthly flows per path for a slice of a Monte
  Carlo's paths;
- :mod:`~hashpivot.company.unit_economics`: what one MW earns as mining, colocation or
  GPU cloud;
- :mod:`~hashpivot.company.valuation`: DCF and sum of the parts of a scenario's company or
  a listed company (:func:`value`); the finance primitives live in :mod:`hashpivot.finance`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hashpivot._lazy import lazy_exports

if TYPE_CHECKING:
    from hashpivot.company.engine import MarketArrays, ProjectFlows, Timeline
    from hashpivot.company.listed_value import ListedValuation, Overrides
    from hashpivot.company.model import CompanyModel, CompanyResult
    from hashpivot.company.path_flows import PathCashFlows
    from hashpivot.company.unit_economics import unit_economics
    from hashpivot.company.valuation import (
        Valuation,
        value,
        value_listed_company,
        value_scenario,
    )

_LAZY = {
    "CompanyModel": "model",
    "CompanyResult": "model",
    "Timeline": "engine",
    "MarketArrays": "engine",
    "ProjectFlows": "engine",
    "PathCashFlows": "path_flows",
    "unit_economics": "unit_economics",
    "Valuation": "valuation",
    "ListedValuation": "listed_value",
    "Overrides": "listed_value",
    "value": "valuation",
    "value_scenario": "valuation",
    "value_listed_company": "valuation",
}

__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "CompanyModel",
    "CompanyResult",
    "ListedValuation",
    "MarketArrays",
    "Overrides",
    "PathCashFlows",
    "ProjectFlows",
    "Timeline",
    "Valuation",
    "unit_economics",
    "value",
    "value_listed_company",
    "value_scenario",
]
