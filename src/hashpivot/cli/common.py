"""Shared pieces of the command line: consoles, JSON output, tables, one error path.

The command modules of :mod:`hashpivot.cli` import these so every command renders
and fails the same way:

- the consoles print user text as data: no Rich markup is interpreted (a scenario named
  ``[/bold]`` is printed as such) and control characters are shown escaped;
- :func:`guarded` wraps every command (:mod:`hashpivot.cli.app` applies it): an input
  fault (a :class:`~hashpivot.errors.HashpivotError`, a file that cannot be read or
  written) prints one message naming it and exits 2; anything else is a bug: it exits 1
  with "this is a bug, please report it" and the file where the traceback was written.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import numpy as np
import pandas as pd
import platformdirs
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from hashpivot.errors import HashpivotError
from hashpivot.io import jsonable, visible_text


class SafeConsole(Console):
    """A Rich console for user text: markup off, control characters shown escaped."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        safe = (s if s.control else Segment(visible_text(s.text), s.style) for s in buffer)
        return super()._render_buffer(safe)


console = SafeConsole()
err_console = SafeConsole(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON object on stdout, nothing else.")
]


def print_error(message: str) -> None:
    """Print ``error: message`` on stderr, the message as plain text."""
    err_console.print(
        Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True
    )


@contextmanager
def errors_exit_2() -> Iterator[None]:
    """Print a :class:`HashpivotError` without a traceback and exit with code 2."""
    try:
        yield
    except HashpivotError as exc:
        print_error(str(exc))
        raise typer.Exit(code=2) from None


def _input_fault(exc: BaseException) -> str | None:
    """The message of an exception that is the user's input at fault, else None."""
    if isinstance(exc, HashpivotError):
        return str(exc)
    if isinstance(exc, ValidationError):
        lines = [f"{'.'.join(map(str, e['loc'])) or '(input)'}: {e['msg']}" for e in exc.errors()]
        return "invalid input:\n  - " + "\n  - ".join(lines)
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"cannot use {exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"input is not UTF-8 text: {exc.reason} at byte {exc.start}"
    if isinstance(exc, MemoryError):
        return "not enough memory for this input; try fewer paths or scenarios"
    return None


def bug_report(exc: BaseException) -> Path | None:
    """Write the traceback of an unexpected error to a file; its path, or None."""
    folder = Path(platformdirs.user_log_dir("hashpivot"))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"bug-{stamp}-{os.getpid()}.txt"
    text = "".join(traceback.format_exception(exc))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(f"hashpivot {' '.join(sys.argv[1:])}\n\n{text}", encoding="utf-8")
    except OSError:
        return None
    return path


def guarded(command: F) -> F:
    """Wrap a command so that nothing it raises ends in a traceback.

    Options that are infinite or NaN are refused first. Input faults
    (:func:`_input_fault`) print their message and exit 2; Typer's and
    Click's own exits pass through; any other exception is a bug: a one-line message
    saying so and where the traceback was written, exit 1.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for name, value in kwargs.items():  # click reads "inf" and "nan" as floats
            if isinstance(value, float) and not math.isfinite(value):
                print_error(f"--{name.replace('_', '-')}: {value} — must be a finite number")
                raise typer.Exit(code=2)
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:
            message = _input_fault(exc)
            if message is not None:
                print_error(message)
                raise typer.Exit(code=2) from None
            where = bug_report(exc)
            detail = f"details in {where}" if where else "".join(traceback.format_exception(exc))
            print_error(f"this is a bug, please report it: {type(exc).__name__}: {exc}; {detail}")
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


def emit_json(payload: dict[str, Any]) -> None:
    """Write one JSON object on stdout, and nothing else."""
    sys.stdout.write(json.dumps(jsonable(payload), default=str) + "\n")


def fmt(value: Any) -> str:
    """Format a cell for a table: thousands separators, NaN as a dash, never an exponent."""
    if isinstance(value, float | np.floating):
        x = float(value) + 0.0  # no "-0"
        if math.isnan(x):
            return "—"
        if abs(x) >= 100:
            return f"{x:,.0f}"
        text = f"{x:,.4g}"
        if "e" in text:  # |x| < 1e-4: fixed-point digits instead of 1.5e-05
            from hashpivot.report.html import plain_number

            return plain_number(x)
        return text
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m")
    return visible_text(str(value))


def table(frame: pd.DataFrame, title: str) -> Table:
    """A Rich table of a frame: numbers right-aligned, text never wrapped."""
    out = Table(title=visible_text(title), title_justify="left")
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        out.add_column(str(col), justify="right" if numeric else "left", no_wrap=not numeric)
    for row in frame.itertuples(index=False):
        out.add_row(*[fmt(v) for v in row])
    return out
