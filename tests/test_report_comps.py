"""The ``hashpivot comps`` HTML report: its scatter and the file the command writes."""

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.report.comps import ev_per_mw_figure

runner = CliRunner()


def _row(ticker: str, share: float | None, model: float | None, **kw: Any) -> dict[str, Any]:
    return {"ticker": ticker, "ai_share_of_mw_frac": share,
            "model_ev_usd_per_reported_mw": model, **kw}  # fmt: skip


def test_scatter_points_and_what_is_left_out() -> None:
    rows = [
        _row("AAA", 0.5, 4e6, market_ev_usd_per_reported_mw=8e6),
        _row("BBB", 0.0, 1e6, market_ev_usd_per_reported_mw=None),
        _row("CCC", None, 2e6, market_ev_usd_per_reported_mw=3e6),
    ]
    fig = ev_per_mw_figure(rows)
    model, market = fig.data
    assert list(model.text) == ["AAA", "BBB"]
    assert list(model.x) == [0.5, 0.0]
    assert list(model.y) == pytest.approx([4.0, 1.0])  # M USD per MW
    assert list(market.text) == ["AAA"]
    assert list(market.y) == pytest.approx([8.0])
    title = fig.layout.title.text
    assert "model EV: CCC" in title
    assert "market EV: BBB, CCC" in title


def test_scatter_without_prices_has_only_the_model() -> None:
    fig = ev_per_mw_figure([_row("AAA", 0.2, 3e6)])
    assert [t.name for t in fig.data] == ["model EV"]


def test_comps_report_file(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("date,IREN,CORZ\n2026-02-19,40.0,17.0\n", encoding="utf-8")
    out = tmp_path / "comps.html"
    args = ["comps", "IREN", "CORZ", "--prices", str(csv), "--report", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"report: {out}" in result.output
    text = out.read_text(encoding="utf-8")
    for heading in ("Capacity, backlog and model value", "Market values and multiples",
                    "EV per MW against AI share of MW", "Notes"):  # fmt: skip
        assert heading in text
    assert "model_ev_to_market_ev" in text
    assert "cdn.plot.ly" not in text.split("</script>", 1)[1]  # plotly inlined, no CDN


def test_report_to_a_directory_exits_2_before_any_work(tmp_path: Path) -> None:
    result = runner.invoke(app, ["comps", "IREN", "--report", str(tmp_path)])
    assert result.exit_code == 2


def test_comps_workbook(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("date,IREN,CORZ\n2026-02-19,40.0,17.0\n", encoding="utf-8")
    book = tmp_path / "comps.xlsx"
    args = ["comps", "IREN", "CORZ", "--prices", str(csv), "--xlsx", str(book), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["Assumptions", "Comps", "Notes"]
    ws = wb["Comps"]
    header = [c.value for c in ws[1]]
    assert "model_ev_usd_per_operating_mw [USD/MW]" in header
    assert "market_ev_usd_per_eh_s [USD per EH/s]" in header
    assert "share_price_usd [USD/share]" in header
    rows = {
        r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)
    }
    assert rows["IREN"]["share_price_usd [USD/share]"] == 40.0  # a number, not text
    assert rows["CORZ"]["share_price_usd [USD/share]"] == 17.0
    names = [r[0] for r in wb["Assumptions"].iter_rows(min_row=2, values_only=True)]
    assert "wacc_frac_per_year" in names
    assert "hashrate_eh_s" not in names  # per company: in the rows
