"""Optional packages (yfinance, gridstatus): imported only when an adapter is called."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from hashpivot.errors import HashpivotError


def optional_module(name: str, hint: str) -> ModuleType:
    """Import the optional package ``name``, or raise a :class:`HashpivotError` with ``hint``.

    Availability is asked of the import system (``find_spec``) before importing, so an
    error raised inside an installed package is never mistaken for "not installed".
    """
    if importlib.util.find_spec(name) is None:
        msg = (
            f"this adapter needs the optional package {name} "
            f"(pip install {name}, or pip install 'hashpivot[data]'); {hint}"
        )
        raise HashpivotError(msg)
    return importlib.import_module(name)
