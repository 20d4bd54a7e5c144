"""Reports of ``hashpivot comps``: HTML (tables, a scatter of EV per MW against AI share) and Excel.

Built from :meth:`hashpivot.listed.comps.Comps.to_dict` with the helpers of
:mod:`hashpivot.report.html` (one self-contained file, plotly inlined) and the sheet plans
of :mod:`hashpivot.report.xlsx`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from hashpivot.report.html import figure_section, table_section, text_section, write_report
from hashpivot.report.xlsx import Sheet, write_workbook

MILLION = 1e6

TABLE_COLUMNS = (
    "ticker",
    "operating_gross_mw",
    "contracted_it_mw",
    "contracted_gross_mw",
    "ai_share_of_mw_frac",
    "hashrate_eh_s",
    "backlog_usd",
    "backlog_remaining_years",
    "enterprise_value_usd",
    "mining_usd",
    "contracted_ai_usd",
    "gpu_cloud_usd",
    "powered_land_usd",
    "capex_usd",
    "tax_usd",
    "equity_value_usd_per_share",
)
MARKET_COLUMNS = (
    "ticker",
    "share_price_usd",
    "share_price_as_of",
    "market_cap_usd",
    "market_ev_usd",
    "market_ev_to_ebitda_year1",
    "market_ev_usd_per_operating_mw",
    "market_ev_usd_per_reported_mw",
    "market_ev_usd_per_contracted_it_mw",
    "market_ev_usd_per_eh_s",
    "backlog_to_market_ev",
    "price_to_model_value",
    "model_ev_to_market_ev",
)
_EV_KINDS = (("model", "#2b6cb0", "circle"), ("market", "#f2a900", "diamond"))


def ev_per_mw_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """EV per reported gross MW [M USD/MW] against the AI share of MW, one point per company.

    One trace for the model EV and, when the rows have market values, one for the market
    EV; companies without a value for either axis are left out and named in the title,
    per trace.
    """
    fig = go.Figure()
    left_out: list[str] = []
    for kind, colour, symbol in _EV_KINDS:
        key = f"{kind}_ev_usd_per_reported_mw"
        if not any(key in r for r in rows):
            continue
        shown = [r for r in rows if r.get(key) is not None and r["ai_share_of_mw_frac"] is not None]
        gone = sorted({r["ticker"] for r in rows} - {r["ticker"] for r in shown})
        if gone:
            left_out.append(f"{kind} EV: {', '.join(gone)}")
        fig.add_trace(go.Scatter(
            x=[r["ai_share_of_mw_frac"] for r in shown],
            y=[r[key] / MILLION for r in shown],
            text=[r["ticker"] for r in shown], mode="markers+text", textposition="top center",
            marker={"color": colour, "symbol": symbol, "size": 10}, name=f"{kind} EV",
        ))  # fmt: skip
    title = "EV per MW against the share of MW under AI contract"
    if left_out:
        title += f"<br><sup>not shown (no value): {'; '.join(left_out)}</sup>"
    fig.update_layout(title=title, height=460, xaxis_title="AI share of MW [-]",
                      yaxis_title="EV per reported gross MW [M USD/MW]")  # fmt: skip
    fig.update_xaxes(range=[-0.05, 1.05])
    return fig


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))


def write_comps_report(out: dict[str, Any], path: str | Path) -> Path:
    """Write the comps report (tables, scatter, footnotes) to ``path``; return the path."""
    rows = out["rows"]
    sections = [
        text_section("Basis", f"Every company valued on {out['as_of']} by the segment model "
                     f"of `hashpivot value`; rows sorted by {out['sorted_by']}."),
        table_section("Capacity, backlog and model value", _frame(rows, TABLE_COLUMNS)),
    ]  # fmt: skip
    if any("market_ev_usd" in r for r in rows):
        sections.append(table_section("Market values and multiples", _frame(rows, MARKET_COLUMNS)))
        median = out.get("median_model_ev_to_market_ev")
        if median is not None:
            sections.append(text_section("Model EV / market EV", f"Median over the companies "
                                         f"with both: {median:.3f}."))  # fmt: skip
    sections.append(figure_section("EV per MW against AI share of MW", ev_per_mw_figure(rows)))
    missing = [f"{r['ticker']}: missing {', '.join(r['missing'])}" for r in rows if r["missing"]]
    notes = [f"[{k}] {n}" for k, n in enumerate(out["notes"], start=1)]
    sections.append(text_section("Notes", "\n\n".join([*missing, *notes])))
    return write_report(path, f"hashpivot comps: listed miners as of {out['as_of']}", sections)


_PRICE_UNITS = {"share_price_usd": "USD/share", "btc_price_usd": "USD/BTC"}


def _xlsx_units(columns: list[str]) -> dict[str, str]:
    """Units of prices and multiples whose suffix says otherwise (``_usd``, ``_mw``, ``_eh_s``)."""
    out = {c: unit for c, unit in _PRICE_UNITS.items() if c in columns}
    for c in columns:
        if "_usd_per_" in c and c.endswith("_mw"):
            out[c] = "USD/MW"
        elif c.endswith("_usd_per_eh_s"):
            out[c] = "USD per EH/s"
    return out


def comps_sheets(out: dict[str, Any]) -> list[Sheet]:
    """``comps --xlsx``: the sheets Assumptions, Comps and Notes.

    Assumptions: the valuation inputs every row shares, with their sources; Comps: one
    row per company, numbers as numbers; Notes: the footnotes and data notes.
    """
    inputs = pd.DataFrame(out.get("inputs", []), columns=["name", "value", "source"])
    rows = [{k: (", ".join(v) if isinstance(v, list) else v) for k, v in r.items()}
            for r in out["rows"]]  # fmt: skip
    frame = pd.DataFrame(rows)
    notes = pd.DataFrame({"note": out["notes"]})
    return [
        Sheet("Assumptions", inputs),
        Sheet("Comps", frame, _xlsx_units([str(c) for c in frame.columns])),
        Sheet("Notes", notes),
    ]


def write_comps_workbook(out: dict[str, Any], path: str | Path) -> Path:
    """Write :func:`comps_sheets` to the workbook ``path``; return the path."""
    return write_workbook(path, comps_sheets(out))


TIMELINE_COLUMNS = (
    "ticker",
    "quarter",
    "projected",
    "mining_gross_mw",
    "ai_it_mw_energised",
    "ai_gross_mw_energised",
    "hashrate_eh_s",
    "hashrate_eh_s_implied",
    "eh_s_retired",
    "ai_revenue_share_frac",
    "ai_bf16_pflops",
)


def timeline_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """The pace of the pivot: per company, mining gross MW and AI IT MW energised by quarter.

    Solid lines: mining gross MW; dashed: AI IT MW energised; one colour per company.
    Quarters after the catalogue date (the announced ramps) say "projected" on hover.
    """
    fig = go.Figure()
    tickers = sorted({r["ticker"] for r in rows})
    for k, ticker in enumerate(tickers):
        own = [r for r in rows if r["ticker"] == ticker]
        colour = _PALETTE[k % len(_PALETTE)]
        quarters = [r["quarter"] for r in own]
        hover = ["projected" if r["projected"] else "reported/announced" for r in own]
        fig.add_trace(go.Scatter(
            x=quarters, y=[r["mining_gross_mw"] for r in own], name=f"{ticker} mining gross MW",
            mode="lines", line={"color": colour}, text=hover, legendgroup=ticker,
        ))  # fmt: skip
        fig.add_trace(go.Scatter(
            x=quarters, y=[r["ai_it_mw_energised"] for r in own], name=f"{ticker} AI IT MW",
            mode="lines", line={"color": colour, "dash": "dash"}, text=hover, legendgroup=ticker,
        ))  # fmt: skip
    fig.update_layout(title="Mining gross MW (solid) and AI IT MW energised (dashed)",
                      height=520, xaxis_title="quarter", yaxis_title="MW")  # fmt: skip
    return fig


def pflops_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """Dense BF16 PFLOPS energised per company and quarter: the seed's unit."""
    fig = go.Figure()
    for ticker in sorted({r["ticker"] for r in rows}):
        own = [r for r in rows if r["ticker"] == ticker]
        fig.add_trace(go.Scatter(x=[r["quarter"] for r in own], name=ticker, mode="lines",
                                 y=[r["ai_bf16_pflops"] for r in own]))  # fmt: skip
    fig.update_layout(title="AI compute energised [dense BF16 PFLOPS]", height=460,
                      xaxis_title="quarter", yaxis_title="PFLOPS")  # fmt: skip
    return fig


_PALETTE = ("#2b6cb0", "#f2a900", "#2f855a", "#c53030", "#6b46c1", "#dd6b20", "#319795",
            "#b83280", "#4a5568", "#975a16", "#2c5282")  # fmt: skip


def write_timeline_report(out: dict[str, Any], path: str | Path) -> Path:
    """Write the pace-of-the-pivot report (two charts, the table, the notes) to ``path``."""
    rows = out["rows"]
    sections = [
        text_section("Basis", f"Catalogue as of {out['as_of']}; quarters after it are the "
                     f"contracts' announced ramps (projected). GPU assumed: {out['gpu_model']}."),
        figure_section("Mining MW against AI MW", timeline_figure(rows)),
        figure_section("AI compute energised", pflops_figure(rows)),
        table_section("Per company and quarter", _frame(rows, TIMELINE_COLUMNS)),
        text_section("Notes", "\n\n".join(f"[{k}] {n}" for k, n in
                                          enumerate(out["notes"], start=1))),
    ]  # fmt: skip
    return write_report(path, f"hashpivot comps --timeline: the pace of the pivot as of "
                        f"{out['as_of']}", sections)  # fmt: skip
