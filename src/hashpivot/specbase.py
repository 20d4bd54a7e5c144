"""The base of every typed spec, and how spec files are read and their errors told.

:class:`Spec` is frozen, refuses unknown keys and validates its defaults.
:func:`read_spec_text` and :func:`parse_yaml_mapping` read YAML safely (never code);
:func:`format_errors` turns pydantic's errors into lines that name the YAML path, the
line, the value as given (:func:`shown_value`) and the rule.

Kept apart from :mod:`hashpivot.spec` so that every module with specs of its own (market
and network models, the planner, sweeps, listed companies, deal events) can import it
without a cycle.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from hashpivot.errors import SpecError


class Spec(BaseModel):
    """Base of all specs: frozen, unknown keys refused, defaults validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _loc_to_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _yaml_line(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at ``loc``, or of its nearest existing parent."""
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            child = next((v for k, v in node.value if k.value == part), None)
            if child is None:  # an unknown key: point at the key itself
                child = next((k for k, _ in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """Valid field names of the spec that holds the field at ``loc``."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        field = fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        nested = [a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            return []
        current = nested[0]
    return list(getattr(current, "model_fields", {}))


def _rule_text(err: Any, model: type[BaseModel]) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        valid = _fields_at(model, loc)
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown field{hint} valid fields here: {', '.join(valid)}"
    if kind == "missing":
        return "required field is missing"
    if loc and str(loc[-1]).endswith("_frac") and kind.startswith(("less_than", "greater_than")):
        msg += " (fractions are written as fractions: 0.02 means 2 %)"
    return msg


MAX_SHOWN_CHARS = 80
"""Longest value an error message repeats; longer ones are cut, with their length [chars]."""


def shown_value(value: Any) -> str:
    """A value as an error message repeats it.

    Dates as ISO text (as they are written in YAML or JSON); lists and long text cut to
    :data:`MAX_SHOWN_CHARS`, with how many items or characters they hold.
    """
    if isinstance(value, dt.date | dt.datetime):
        return repr(value.isoformat())
    text = repr(value)
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    size = f"{len(value)} items" if isinstance(value, list | tuple) else f"{len(text)} characters"
    return f"{text[: MAX_SHOWN_CHARS - 1]}… ({size})"


def format_errors(
    exc: ValidationError, root: yaml.Node | None, model: type[BaseModel]
) -> list[str]:
    """One line per validation problem: YAML path, line, the value as given, the rule."""
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        where = _loc_to_path(loc)
        line = _yaml_line(root, loc) if root is not None else None
        at = f" (line {line})" if line else ""
        value = "" if err["type"] == "missing" else f": {shown_value(err.get('input'))}"
        if err["type"] in {"model_type", "dict_type"} or isinstance(err.get("input"), dict):
            value = ""
        problems.append(f"{where}{at}{value} — {_rule_text(err, model)}")
    return problems


def parse_yaml_mapping(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """Safe-load YAML text and its node tree (for line numbers); refuse what does not parse."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError([f"YAML does not parse: {where}{problem}"], source) from None
    return data, root


def read_spec_text(path: str | Path) -> tuple[str, str]:
    """The text of a spec file and its name for messages; unreadable files are refused."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8"), str(p)
    except FileNotFoundError:
        raise SpecError([f"file not found: {p}"], str(p)) from None
    except (IsADirectoryError, UnicodeDecodeError, PermissionError) as exc:
        raise SpecError([f"cannot read {p}: {exc}"], str(p)) from None
