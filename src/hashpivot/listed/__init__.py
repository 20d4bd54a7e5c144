"""Listed miners pivoting to AI/HPC: the packaged catalogue of their sites, hashrate and deals.

- :mod:`~hashpivot.listed.catalog`: the company file spec (every fact with its source URL,
  period and basis), loading by ticker, name or path, and the catalogue tables.
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

_LAZY = {
    "ListedCompanySpec": "catalog",
    "load_company": "catalog",
    "parse_company": "catalog",
    "company_names": "catalog",
    "company_catalog": "catalog",
    "company_summary": "catalog",
    "require": "catalog",
}

__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "ListedCompanySpec",
    "company_catalog",
    "company_names",
    "company_summary",
    "load_company",
    "parse_company",
    "require",
]
