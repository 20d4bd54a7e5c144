from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from hashpivot.report import figure_section, table_section, text_section, write_report


def test_report_is_self_contained(tmp_path: Path) -> None:
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    out = write_report(
        tmp_path / "r.html",
        "Test <report>",
        [
            text_section("Intro", "a & b\n\nsecond"),
            table_section("Table", pd.DataFrame({"x": [1.5, None]})),
            figure_section("Figure", fig),
        ],
    )
    text = out.read_text(encoding="utf-8")
    assert "Test &lt;report&gt;" in text
    assert "<script src=" not in text.replace(" ", "")
    assert "<script type='text/javascript'>" in text
    assert "Plotly.newPlot" in text or "newPlot" in text
    assert "a &amp; b" in text
    assert not list(tmp_path.glob(".*.tmp"))
