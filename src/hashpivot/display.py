"""Compact HTML summaries of result objects, for Jupyter's ``_repr_html_``.

A result's ``summary()`` (a nested mapping of numbers and text) becomes one small table:
nested keys joined with dots, numbers with thousands separators, fractions (names ending
in ``_frac``) as percentages, lists of records counted rather than spelled out. Every
value is HTML-escaped. It imports nothing from hashpivot, so any module may use it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

MAX_ROWS = 40
"""Rows shown before the table says how many more there are [rows]."""


def _flat(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _flat(f"{prefix}.{key}" if prefix else str(key), child, out)
    elif isinstance(value, list | tuple) and value and isinstance(value[0], Mapping):
        out.append((prefix, f"{len(value)} rows (see to_frame() / to_dict())"))
    else:
        out.append((prefix, value))


def format_value(name: str, value: Any) -> str:
    """One cell as text: fractions as %, large numbers with separators, NaN as a dash."""
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value)
    if isinstance(value, int | float) or hasattr(value, "__float__"):
        try:
            x = float(value)
        except (TypeError, ValueError):
            return str(value)
        if math.isnan(x):
            return "—"
        if name.endswith("_frac") or "_frac." in name:
            return f"{x:.2%}"
        return f"{x:,.0f}" if abs(x) >= 1_000 else f"{x:,.4g}"
    return str(value)


def summary_html(title: str, summary: Mapping[str, Any]) -> str:
    """An HTML table of ``summary`` under the heading ``title``."""
    rows = flat_items(summary)
    shown = rows[:MAX_ROWS]
    body = "".join(
        f"<tr><td style='text-align:left'><code>{html.escape(k)}</code></td>"
        f"<td style='text-align:right'>{html.escape(format_value(k, v))}</td></tr>"
        for k, v in shown
    )
    more = (
        f"<tr><td colspan='2'>… {len(rows) - MAX_ROWS} more: see summary()</td></tr>"
        if len(rows) > MAX_ROWS
        else ""
    )
    return (
        f"<div><strong>{html.escape(title)}</strong><table>"
        f"<thead><tr><th>name</th><th>value</th></tr></thead>"
        f"<tbody>{body}{more}</tbody></table></div>"
    )


def flat_items(summary: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``summary`` as (dotted name, value) pairs; lists of records are counted, not spelled."""
    rows: list[tuple[str, Any]] = []
    _flat("", summary, rows)
    return rows


def frame_html(title: str, frame: pd.DataFrame, max_rows: int = MAX_ROWS) -> str:
    """An HTML table of a ``pandas`` frame's first ``max_rows`` rows under ``title``."""
    extra = len(frame) - max_rows
    more = f"<p>… {extra} more rows: see to_frame()</p>" if extra > 0 else ""
    table = frame.head(max_rows).to_html(index=False, float_format=lambda x: f"{x:,.4g}")
    return f"<div><strong>{html.escape(title)}</strong>{table}{more}</div>"


def number_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """The numbers of a nested summary as a tidy frame: ``metric`` (dotted name), ``value``."""
    rows = [
        (k, float(v))
        for k, v in flat_items(summary)
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return pd.DataFrame(rows, columns=["metric", "value"])
