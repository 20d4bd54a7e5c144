"""Write one self-contained HTML file from sections of text, tables and plotly figures.

plotly.js is inlined once from the installed plotly package, so a report opens offline
and never fetches a CDN script. The file is written atomically (temporary file, then
rename), so a failed run never leaves half a report.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from hashpivot import __version__
from hashpivot.io import write_atomic

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;padding:0 1rem;color:#1b1f24}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:right;white-space:nowrap}
.tablebox{max-width:100%;overflow-x:auto}
th{background:#f4f6f8}td:first-child,th:first-child{text-align:left}
.meta{color:#667;font-size:.8rem}
"""


@dataclass(frozen=True)
class Section:
    """One titled block of a report: ready HTML for its body."""

    title: str
    body_html: str


def text_section(title: str, text: str) -> Section:
    """A section of plain text (escaped), one paragraph per blank-line-separated block."""
    paras = "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
    return Section(title, paras)


MAX_DECIMALS = 10
"""Most decimals a table shows: smaller magnitudes print as 0, never in scientific notation."""


def plain_number(value: float, digits: int = 4) -> str:
    """A number as an analyst reads it, never in scientific notation.

    Thousands separators and about ``digits`` significant digits (``-142,500,000``,
    ``0.9489``, ``12.35``); magnitudes below 1e-10 print as ``0``.
    """
    x = float(value)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if round(x, MAX_DECIMALS) == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = min(max(digits - 1 - magnitude, 0), MAX_DECIMALS)
    return f"{x:,.{decimals}f}"


def usd_scale(values: npt.ArrayLike) -> tuple[float, str]:
    """Divisor and unit for a set of USD amounts: millions from 1e6, thousands from 1e3."""
    arr = np.abs(np.asarray(values, dtype=np.float64))
    top = float(np.nanmax(arr)) if arr.size and np.isfinite(arr).any() else 0.0
    if top >= 1e6:
        return 1e6, "M USD"
    if top >= 1e3:
        return 1e3, "k USD"
    return 1.0, "USD"


def usd_text(value: float) -> str:
    """One USD amount in millions or thousands with its unit: ``-142.50 M USD``."""
    x = float(value)
    if not math.isfinite(x):
        return plain_number(x)
    scale, unit = usd_scale([x])
    return f"{x / scale:,.2f} {unit}"


def cell_text(value: Any) -> str:
    """A table cell: floats by :func:`plain_number`, integers with separators, else ``str``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return plain_number(float(value))
    return str(value)


_USD_NAME = re.compile(r"_usd(_per_year)?($|\.)")


def is_usd_name(name: str) -> bool:
    """Whether a column or metric name is a USD amount, not a price per unit.

    ``profit_usd``, ``hybrid.npv_usd.mean`` and ``ebitda_usd_per_year`` are amounts;
    ``price_usd_per_mwh`` is not.
    """
    return _USD_NAME.search(name) is not None


def readable_frame(frame: pd.DataFrame, usd_columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The frame as text: USD columns in M or k USD (unit in the header), numbers plain.

    ``usd_columns`` default: the numeric columns named as USD amounts (:func:`is_usd_name`).
    """
    if usd_columns is None:
        usd_columns = [
            str(c)
            for c in frame.columns
            if is_usd_name(str(c)) and pd.api.types.is_numeric_dtype(frame[c])
        ]
    out = {}
    for col in frame.columns:
        values = frame[col]
        if col in usd_columns:
            scale, unit = usd_scale(values.to_numpy(dtype=np.float64))
            out[f"{col} [{unit}]"] = [
                "—" if pd.isna(v) else f"{float(v) / scale:,.2f}" for v in values
            ]
        else:
            out[str(col)] = [cell_text(v) for v in values]
    return pd.DataFrame(out, index=frame.index)


def table_section(
    title: str, frame: pd.DataFrame, usd_columns: Sequence[str] | None = None
) -> Section:
    """A section holding a frame as an HTML table (:func:`readable_frame`).

    The table scrolls sideways inside its box when wider than the page.
    """
    body = readable_frame(frame, usd_columns).to_html(index=False, border=0, na_rep="—")
    return Section(title, f"<div class='tablebox'>{body}</div>")


def figure_section(title: str, fig: go.Figure) -> Section:
    """A section holding a plotly figure (its JS comes from the report's inlined bundle)."""
    fig.update_layout(template="plotly_white", margin={"l": 50, "r": 20, "t": 40, "b": 40})
    body = fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
    return Section(title, body)


def write_report(path: str | Path, title: str, sections: list[Section]) -> Path:
    """Write a self-contained HTML report to ``path`` and return the path."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>",
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>hashpivot {html.escape(__version__)} · generated {stamp}</p>",
    ]
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2>{s.body_html}")
    parts.append("</body></html>")
    out = Path(path)
    write_atomic(out, "\n".join(parts))
    return out
