"""Write one self-contained HTML file from sections of text, tables and plotly figures.

plotly.js is inlined once from the installed plotly package, so a report opens offline
and never fetches a CDN script. The file is written atomically (temporary file, then
rename), so a failed run never leaves half a report.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

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
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}
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


def table_section(title: str, frame: pd.DataFrame, float_format: str = "{:,.4g}") -> Section:
    """A section holding a frame as an HTML table."""
    body = frame.to_html(
        index=False, border=0, float_format=lambda x: float_format.format(x), na_rep="—"
    )
    return Section(title, body)


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
