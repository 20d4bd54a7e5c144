"""Self-contained HTML reports: plotly figures with plotly.js inlined (no CDN, works offline)."""

from hashpivot.report.html import Section, figure_section, table_section, text_section, write_report

__all__ = ["Section", "figure_section", "table_section", "text_section", "write_report"]
