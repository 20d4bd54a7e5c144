"""Reading fields out of JSON answers: a missing or malformed field names source, URL, field."""

from __future__ import annotations

import math
from typing import Any

from hashpivot.sources.http import SourceFormatError


def number(obj: Any, key: str, source: str, url: str, minimum: float = 0.0) -> float:
    """``obj[key]`` as a finite float ≥ ``minimum``, or :class:`SourceFormatError`.

    Strings of digits are accepted, as Coin Metrics sends them; the error names ``key``.
    """
    if not isinstance(obj, dict):
        problem = f"expected an object holding `{key}`, got {type(obj).__name__}"
        raise SourceFormatError(source, url, problem)
    if key not in obj or obj[key] is None:
        raise SourceFormatError(source, url, f"field `{key}` is missing")
    raw = obj[key]
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise SourceFormatError(source, url, f"field `{key}`: {raw!r} is not a number") from None
    if isinstance(raw, bool) or not math.isfinite(value) or value < minimum:
        problem = f"field `{key}`: {raw!r} — must be a finite number ≥ {minimum:g}"
        raise SourceFormatError(source, url, problem)
    return value


def items(obj: Any, key: str | None, source: str, url: str) -> list[Any]:
    """``obj[key]`` (or ``obj`` itself when ``key`` is None) as a non-empty list."""
    value = obj
    if key is not None:
        if not isinstance(obj, dict) or key not in obj:
            raise SourceFormatError(source, url, f"field `{key}` is missing")
        value = obj[key]
    if not isinstance(value, list) or not value:
        where = f"`{key}`" if key else "the answer"
        raise SourceFormatError(source, url, f"{where} must be a non-empty list")
    return value
