"""Helpers shared by the market samplers: time step, argument checks, name look-up."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import TypeVar

from hashpivot.errors import UnknownNameError

MONTH_YEARS = 1.0 / 12.0
"""Length of one simulation step: parametric models step by a twelfth of a year [yr]."""

MONTHS_PER_YEAR = 12
"""Months per year [months]."""

T = TypeVar("T")


def check_shape(months: int, paths: int) -> None:
    """Refuse a negative or non-integer count of months or paths."""
    for name, value in (("months", months), ("paths", paths)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            msg = f"{name} must be an int >= 0, got {value!r}"
            raise ValueError(msg)


def check_price(start_price_usd: float) -> float:
    """The starting price as a float, refused unless finite and > 0 [USD/BTC]."""
    value = float(start_price_usd)
    if not math.isfinite(value) or value <= 0.0:
        msg = f"start_price_usd must be finite and > 0, got {start_price_usd!r}"
        raise ValueError(msg)
    return value


def lookup(kind: str, name: str, registry: Mapping[str, T]) -> T:
    """``registry[name]``, or an :class:`UnknownNameError` listing the valid names."""
    try:
        return registry[name]
    except KeyError:
        valid = sorted(registry)
        close = difflib.get_close_matches(str(name), valid, n=3)
        raise UnknownNameError(kind, str(name), valid, close) from None
