"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package names its public API in its ``__init__`` and imports each name from its module
on first use, so importing one small module of a package (its spec, say) does not load
the rest (numba kernels, linopy, the company model), and packages whose specs embed each
other's never import each other in a cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``name`` from ``package.exports[name]``.

    Parameters
    ----------
    package
        The package's dotted name (``__name__`` of its ``__init__``).
    exports
        Public name → the submodule (relative to ``package``) that defines it.

    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
