"""The run store: saved runs of ``run``, ``plan``, ``dispatch``, ``value`` and ``sweep``.

One DuckDB file, each run written in one transaction:

- :mod:`~hashpivot.store.runstore`: :class:`RunStore` (save, list, show, compare, export,
  delete) and :func:`record`, which runs a job and saves it only when it succeeds;
- :mod:`~hashpivot.store.records`: what a saved run holds (info, arrays, comparisons);
- :mod:`~hashpivot.store.db`: the file, its location, schema migrations, errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hashpivot._lazy import lazy_exports

if TYPE_CHECKING:
    from hashpivot.store.db import StoreError, UnknownRunError, resolve_store_path
    from hashpivot.store.records import RunComparison, RunInfo, RunRecord
    from hashpivot.store.runstore import EXPORT_FORMATS, RUN_KINDS, RunStore, record

_LAZY = {
    "RunStore": "runstore",
    "record": "runstore",
    "RUN_KINDS": "runstore",
    "EXPORT_FORMATS": "runstore",
    "RunInfo": "records",
    "RunRecord": "records",
    "RunComparison": "records",
    "StoreError": "db",
    "UnknownRunError": "db",
    "resolve_store_path": "db",
}

__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "EXPORT_FORMATS",
    "RUN_KINDS",
    "RunComparison",
    "RunInfo",
    "RunRecord",
    "RunStore",
    "StoreError",
    "UnknownRunError",
    "record",
    "resolve_store_path",
]
