"""Error bodies of the web service, with the same messages as the command line.

Every error answers ``{"detail": ..., "problems": [...], "fields": [...]}``:

* ``detail`` is the text the CLI prints after ``error:`` (for a bad scenario,
  ``invalid input in request body (2 problems):`` and one line per problem);
* ``problems`` holds those lines, each naming the field path, the value and the rule,
  exactly as ``hashpivot validate`` prints them for the same scenario (a JSON body has no
  line numbers, so the ``(line N)`` of a YAML file is absent);
* ``fields`` pairs each line with the field of the request it is about
  (``scenario.market.btc_price_usd``), for a form to show the message beside its input.

A bad scenario is re-validated by :func:`hashpivot.spec.scenario_from_dict`, the CLI's
own code, so the lines cannot drift from the CLI's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hashpivot.errors import HashpivotError, SpecError, UnknownNameError
from hashpivot.specbase import shown_value
from hashpivot.store.db import StoreError, UnknownRunError

SOURCE = "request body"
"""Where a request's input comes from, as named in messages."""

_FIELD_END = re.compile(r" \(line \d+\)|: | — ")


@dataclass(frozen=True)
class Problem:
    """An HTTP error status with the CLI's message, its lines and the fields they name."""

    status_code: int
    detail: str
    problems: list[str]
    fields: list[dict[str, str]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        return {"detail": self.detail, "problems": self.problems, "fields": self.fields}


class ProblemError(Exception):
    """Raised by a route to answer with ``problem`` (its status and body)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def field_of(line: str) -> str:
    """The field path a problem line starts with (``sites[0].power_capacity_mw``)."""
    match = _FIELD_END.search(line)
    return line[: match.start()] if match else line


def spec_problem(exc: SpecError, prefix: str = "", status_code: int = 422) -> Problem:
    """A :class:`SpecError` as a problem; ``prefix`` places its fields in the request."""
    fields = []
    for line in exc.problems:
        path = field_of(line)
        path = "" if path == "(top level)" else path
        full = prefix + ("." if prefix and path and not path.startswith("[") else "") + path
        fields.append({"field": full or "(request)", "message": line})
    return Problem(status_code, str(exc), list(exc.problems), fields)


def line_problem(field: str, line: str, status_code: int = 422) -> Problem:
    """A problem of one line about one request field."""
    detail = str(SpecError([line], SOURCE))
    return Problem(status_code, detail, [line], [{"field": field, "message": line}])


def problem_from_exception(exc: BaseException) -> Problem:
    """The HTTP status and message of an exception raised while serving a request."""
    if isinstance(exc, SpecError):
        return spec_problem(exc)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return Problem(status, str(exc), [str(exc)])
    if isinstance(exc, UnknownRunError):
        msg = _without_paths(str(exc))
        return Problem(404, msg, [msg])
    if isinstance(exc, StoreError):
        msg = f"run store unavailable: {_without_paths(str(exc))}"
        return Problem(503, msg, [msg])
    if isinstance(exc, HashpivotError | UnknownNameError):
        # a conflict among several inputs (an infeasible plan): about the whole request
        msg = str(exc)
        return Problem(422, msg, [msg], [{"field": "(request)", "message": msg}])
    msg = (
        f"internal error ({type(exc).__name__}): this is a bug, please report it; the service "
        "log has the details"
    )
    return Problem(500, msg, [msg])


_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s'\"/;,]+/)*[^\s'\";,]*")


def _without_paths(text: str) -> str:
    """``text`` with absolute file paths replaced by ``<path>``: no server paths in answers."""
    return _ABSOLUTE_PATH.sub("<path>", text)


# --------------------------------------------------------------------------- request bodies

PARAMETER_PARTS = {"query": "query parameter", "path": "URL path parameter",
                   "header": "header", "cookie": "cookie"}  # fmt: skip
"""Where a request's input stands, as messages name it (the body is the default)."""


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(request)"


def _line(loc: Sequence[int | str], err: Mapping[str, Any]) -> str:
    """One problem line in the CLI's style: ``path: value — rule``."""
    kind = str(err.get("type", ""))
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    if kind == "json_invalid":
        reason = (err.get("ctx") or {}).get("error", msg)
        return f"{SOURCE}: JSON does not parse at character {loc[-1] if loc else 0}: {reason}"
    value = err.get("input")
    if kind == "missing":
        return f"{_path(loc)} — required field is missing"
    if kind == "extra_forbidden":
        return f"{_path(loc)} — unknown field"
    shown = "" if isinstance(value, dict | list) else f": {shown_value(value)}"
    return f"{_path(loc)}{shown} — {msg}"


def _field(loc: Sequence[int | str], err: Mapping[str, Any]) -> str:
    """The request field an error is about; the whole request for a body that is not JSON.

    (A JSON syntax error's location is the character where parsing failed, not a field.)
    """
    return "(request)" if err.get("type") == "json_invalid" else _path(loc)


Validator = Callable[[dict[str, Any], str], object]
"""The CLI's validation of one part of a request: raises :class:`SpecError`."""


def request_problem(
    errors: Sequence[Mapping[str, Any]], body: Any, validators: Mapping[str, Validator]
) -> Problem:
    """HTTP 422 for a request that failed validation, with the CLI's messages.

    ``validators`` maps a top-level key of the body (``scenario``) to the CLI's validator
    of that part (:func:`~hashpivot.spec.scenario_from_dict`): its problems are taken
    from it verbatim. Other errors are written in the same style.
    """
    lines: list[str] = []
    fields: list[dict[str, str]] = []
    done: set[str] = set()
    source = SOURCE
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if loc[:1] and loc[0] in PARAMETER_PARTS:
            name = f"{PARAMETER_PARTS[str(loc[0])]} {_path(loc[1:])}"
            line = _line(loc[1:], err).replace(_path(loc[1:]), name, 1)
            lines.append(line)
            fields.append({"field": name, "message": line})
            source = "request"
            continue
        loc = loc[1:] if loc[:1] == ("body",) else loc
        key = str(loc[0]) if loc else ""
        part = body.get(key) if isinstance(body, dict) else None
        if key in validators and isinstance(part, dict) and len(loc) > 1:
            if key not in done:
                done.add(key)
                sub = _validated(validators[key], part, key)
                lines += sub.problems
                fields += sub.fields
            continue
        line = _line(loc, err)
        lines.append(line)
        fields.append({"field": _field(loc, err), "message": line})
    return Problem(422, str(SpecError(lines, source)), lines, fields)


def _validated(validate: Validator, data: dict[str, Any], key: str) -> Problem:
    try:
        validate(data, SOURCE)
    except SpecError as exc:
        return spec_problem(exc, key)
    # the CLI's validator accepts what the request model refused: say so generically
    msg = f"{key}: refused by the request model"
    return Problem(422, msg, [msg], [{"field": key, "message": msg}])
