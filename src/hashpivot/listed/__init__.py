"""Listed miners pivoting to AI/HPC: the packaged catalogue of their sites, hashrate and deals.

- :mod:`~hashpivot.listed.catalog`: the company file spec (every fact with its source URL,
  period and basis; the balance sheet item by item), loading by ticker, name or path, and
  the catalogue tables;
- :mod:`~hashpivot.listed.dilution`: equity value per diluted share (convertibles
  if-converted, warrants treasury-stock);
- :mod:`~hashpivot.listed.checks`: warnings where a file's facts disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hashpivot._lazy import lazy_exports

if TYPE_CHECKING:
    from hashpivot.listed.catalog import (
        ListedCompanySpec,
        company_catalog,
        company_names,
        company_summary,
        load_company,
        parse_company,
        require,
    )
    from hashpivot.listed.checks import consistency_warnings
    from hashpivot.listed.dilution import DilutedEquity, diluted_equity

_LAZY = {
    "ListedCompanySpec": "catalog",
    "load_company": "catalog",
    "parse_company": "catalog",
    "company_names": "catalog",
    "company_catalog": "catalog",
    "company_summary": "catalog",
    "require": "catalog",
    "consistency_warnings": "checks",
    "DilutedEquity": "dilution",
    "diluted_equity": "dilution",
}

__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "DilutedEquity",
    "ListedCompanySpec",
    "company_catalog",
    "company_names",
    "company_summary",
    "consistency_warnings",
    "diluted_equity",
    "load_company",
    "parse_company",
    "require",
]
