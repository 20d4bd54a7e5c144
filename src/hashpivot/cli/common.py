"""Shared pieces of the command line: consoles, JSON output, tables, exit code 2.

The command modules of :mod:`hashpivot.cli` import these so every command renders
and fails the same way.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from hashpivot.errors import HashpivotError
from hashpivot.io import jsonable

console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON object on stdout, nothing else.")
]


@contextmanager
def errors_exit_2() -> Iterator[None]:
    """Print a :class:`HashpivotError` without a traceback and exit with code 2."""
    try:
        yield
    except HashpivotError as exc:
        err_console.print(
            f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True
        )
        raise typer.Exit(code=2) from None


def emit_json(payload: dict[str, Any]) -> None:
    """Write one JSON object on stdout, and nothing else."""
    sys.stdout.write(json.dumps(jsonable(payload), default=str) + "\n")


def fmt(value: Any) -> str:
    """Format a cell for a table: thousands separators, NaN as a dash."""
    if isinstance(value, float | np.floating):
        x = float(value) + 0.0  # no "-0"
        if math.isnan(x):
            return "—"
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.4g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m")
    return str(value)


def table(frame: pd.DataFrame, title: str) -> Table:
    """A Rich table of a frame: numbers right-aligned, text never wrapped."""
    out = Table(title=title, title_justify="left")
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        out.add_column(str(col), justify="right" if numeric else "left", no_wrap=not numeric)
    for row in frame.itertuples(index=False):
        out.add_row(*[fmt(v) for v in row])
    return out
