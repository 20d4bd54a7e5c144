"""Dotted field paths into a scenario mapping: parse, expand wildcards, read and write.

A path names a field the way validation errors do: ``market_model.btc_price.
volatility_frac_per_year``, ``sites[0].power.price_usd_per_mwh``. ``[*]`` stands for
every entry of a list, so ``sites[*].conversions[0].lease.rate_usd_per_kw_month`` names
the first conversion's lease rate at every site that has one. The functions work on the
plain mapping of a scenario (``Scenario.model_dump(mode="json")``), in which every field
is present, so a path that does not exist there names no field of the scenario.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from hashpivot.errors import HashpivotError

Part = str | int
"""One step of a concrete path: a field name or a list index."""

WILDCARD = "*"
"""The list index that stands for every entry."""

_TOKEN = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+|\*)\]")


class PathError(HashpivotError, ValueError):
    """A dotted path that does not parse, or names no field of the mapping."""


def parse_path(path: str) -> tuple[Part, ...]:
    """Split ``a.b[0].c`` into ``("a", "b", 0, "c")``; ``[*]`` becomes :data:`WILDCARD`."""
    parts: list[Part] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if (
            m is None
            or (pos == 0 and text.startswith("."))
            or (pos > 0 and m.group(0)[0] not in ".[")
        ):
            msg = (
                f"{path!r} does not parse at character {pos + 1}: write field names joined by "
                "dots, list entries as [0] or [*] (e.g. sites[0].power.price_usd_per_mwh)"
            )
            raise PathError(msg)
        name, index = m.group(1), m.group(2)
        if name is not None:
            parts.append(name)
        else:
            parts.append(WILDCARD if index == WILDCARD else int(index))
        pos = m.end()
    if not parts or not isinstance(parts[0], str):
        msg = f"{path!r} must start with a field name"
        raise PathError(msg)
    return tuple(parts)


def format_path(parts: tuple[Part, ...]) -> str:
    """Join parts back into ``a.b[0].c`` (the form validation errors use)."""
    out = ""
    for part in parts:
        if isinstance(part, int) or part == WILDCARD:
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _step(node: Any, part: Part, done: tuple[Part, ...]) -> Any:
    """The child of ``node`` at ``part``; :class:`PathError` naming what exists instead."""
    where = format_path(done) or "the top level"
    if isinstance(part, str):
        if not isinstance(node, dict):
            kind = "a list" if isinstance(node, list) else f"the value {node!r}"
            msg = f"{where} is {kind}, which has no field {part!r}"
            raise PathError(msg)
        if part not in node:
            close = (
                difflib.get_close_matches(part, list(node), n=1)
                or [k for k in node if k.startswith(part)][:1]
            )
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = f"{where} has no field {part!r}{hint} valid fields: {', '.join(node)}"
            raise PathError(msg)
        return node[part]
    if not isinstance(node, list):
        msg = f"{where} is not a list, so [{part}] names nothing"
        raise PathError(msg)
    if not 0 <= int(part) < len(node):
        msg = f"{where} has {len(node)} entries, so index [{part}] is out of range"
        raise PathError(msg)
    return node[int(part)]


def expand(data: dict[str, Any], parts: tuple[Part, ...]) -> list[tuple[Part, ...]]:
    """The concrete paths a (possibly wildcard) path names in ``data``.

    A wildcard keeps the entries on which the rest of the path exists (sites without a
    conversion are skipped); when it exists on none, the first entry's problem is raised.
    """
    return _expand(data, parts, ())


def _expand(node: Any, parts: tuple[Part, ...], done: tuple[Part, ...]) -> list[tuple[Part, ...]]:
    if not parts:
        return [done]
    head, rest = parts[0], parts[1:]
    if head != WILDCARD:
        return _expand(_step(node, head, done), rest, (*done, head))
    if not isinstance(node, list):
        msg = f"{format_path(done)} is not a list, so [*] names nothing"
        raise PathError(msg)
    if not node:
        msg = f"{format_path(done)} is empty, so [*] names nothing"
        raise PathError(msg)
    found: list[tuple[Part, ...]] = []
    first: PathError | None = None
    for i, child in enumerate(node):
        try:
            found += _expand(child, rest, (*done, i))
        except PathError as exc:
            first = first or exc
    if not found:
        assert first is not None
        raise first
    return found


def get_value(data: dict[str, Any], parts: tuple[Part, ...]) -> Any:
    """The value at a concrete path."""
    node: Any = data
    for i, part in enumerate(parts):
        node = _step(node, part, parts[:i])
    return node


def set_value(data: dict[str, Any], parts: tuple[Part, ...], value: Any) -> None:
    """Set the value at a concrete path, in place (the path must exist)."""
    parent: Any = get_value(data, parts[:-1]) if len(parts) > 1 else data
    last = parts[-1]
    _step(parent, last, parts[:-1])  # the field or entry must exist
    parent[last] = value
