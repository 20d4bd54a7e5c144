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
import stat
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from hashpivot.errors import SpecError


def _is_numeric_field(annotation: Any) -> bool:
    """Whether a field takes numbers only (``int``, ``float``, or either or ``None``)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation) if origin in (typing.Union, types.UnionType) else ()
    options = args or (annotation,)
    kinds = {a for a in options if a is not type(None)}
    return bool(kinds) and kinds <= {int, float}


class Spec(BaseModel):
    """Base of all specs: frozen, unknown keys refused, defaults validated.

    Numbers are numbers: infinities and NaN are refused everywhere, and a numeric field
    refuses a bool (``horizon_months: true`` is not one month). Text that reads as a
    number is accepted (YAML 1.1 reads ``1e14`` as text); other text is refused.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, value in data.items():
            field = cls.model_fields.get(name) if isinstance(name, str) else None
            if field is None or not _is_numeric_field(field.annotation):
                continue
            if isinstance(value, bool):
                msg = f"{name}: {value} must be a number, not a bool"
                raise ValueError(msg)
        return data


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


MAX_SPEC_BYTES = 16 * 1024 * 1024
"""Largest spec file read (16 MiB; the default scenario is 12 KB, a year of hourly prices
inlined about 150 KB) [bytes]."""
MAX_YAML_DEPTH = 64
"""Deepest nesting of mappings and lists in a spec (the scenario needs 6) [levels]."""
MAX_YAML_NODES = 2_000_000
"""Most nodes a spec may hold once its aliases are expanded; a few KB of nested aliases
(a "billion laughs") would otherwise expand to billions [nodes]."""


class _SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys and keeping impossible dates as text.

    A date such as ``2025-13-01`` or ``2025-02-30`` stays a string, so the spec's date
    field refuses it with its name instead of the loader raising mid-file.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                continue  # unhashable: PyYAML's own check below says so
            if key in seen:
                line = seen[key].start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {line})",
                    key_node.start_mark,
                )  # fmt: skip
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_SpecLoader.add_constructor("tag:yaml.org,2002:timestamp", _SpecLoader.construct_yaml_timestamp)


def _check_size(root: yaml.Node) -> None:
    """Refuse a node graph that nests too deep or expands (through aliases) too far."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_YAML_DEPTH:
            msg = f"nesting deeper than {MAX_YAML_DEPTH} levels (line {node.start_mark.line + 1})"
            raise SpecError([msg])
        children = _children(node)
        if done or not children:
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[id(node)] > MAX_YAML_NODES:
                msg = f"more than {MAX_YAML_NODES:,} values once its aliases are expanded"
                raise SpecError([msg])
            continue
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def parse_yaml_mapping(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """Safe-load YAML text and its node tree (for line numbers); refuse what does not parse.

    Never runs code (safe tags only). Refused, with the reason: text longer than
    :data:`MAX_SPEC_BYTES`, nesting deeper than :data:`MAX_YAML_DEPTH`, aliases that
    expand past :data:`MAX_YAML_NODES` values, and duplicate keys.
    """
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError([f"the text is larger than {MAX_SPEC_BYTES:,} bytes"], source)
    try:
        loader = _SpecLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None, None
            try:
                _check_size(root)
            except SpecError as exc:
                raise SpecError(exc.problems, source) from None
            data = loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError([f"YAML does not parse: {where}{problem}"], source) from None
    except RecursionError:
        msg = f"YAML does not parse: nesting deeper than {MAX_YAML_DEPTH} levels"
        raise SpecError([msg], source) from None
    return data, root


def read_spec_text(path: str | Path, max_bytes: int = MAX_SPEC_BYTES) -> tuple[str, str]:
    """The text of a spec file and its name for messages; unreadable files are refused.

    Only regular files are read (not a directory, device, FIFO or socket, which could
    block or never end), at most ``max_bytes`` of them, as UTF-8.
    """
    p = Path(path)
    try:
        mode = p.stat().st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise SpecError([f"cannot read {p}: {kind}"], str(p))
        with p.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise SpecError([f"file not found: {p}"], str(p)) from None
    except OSError as exc:
        raise SpecError([f"cannot read {p}: {exc.strerror or exc}"], str(p)) from None
    if len(raw) > max_bytes:
        raise SpecError([f"cannot read {p}: larger than {max_bytes:,} bytes"], str(p))
    try:
        return raw.decode("utf-8"), str(p)
    except UnicodeDecodeError as exc:
        msg = f"cannot read {p}: not UTF-8 text (byte {exc.start})"
        raise SpecError([msg], str(p)) from None
