"""Figures and the HTML report of a dispatch run (plotly, self-contained).

Three figures: the all-in price duration curve with each tier's breakeven, mining
uptime by hour of day and month, and the monthly value stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hashpivot.dispatch.core import site_segments
from hashpivot.dispatch.engine import DispatchResult
from hashpivot.report import Section, figure_section, table_section, text_section, write_report

_STACK = (
    ("mining_revenue_usd", 1.0, "mining revenue"),
    ("power_credits_usd", 1.0, "power credits"),
    ("dr_income_usd", 1.0, "demand-response income"),
    ("four_cp_savings_usd", 1.0, "4CP savings"),
    ("energy_cost_usd", -1.0, "energy cost"),
    ("dr_penalty_usd", -1.0, "demand-response penalties"),
)


def price_duration_figure(result: DispatchResult) -> go.Figure:
    """All-in price (price + adder) sorted high to low, path 0; one trace per node and adder.

    Horizontal lines: each tier's breakeven at the run's mean hashprice.
    """
    fig = go.Figure()
    hp_mean = float(np.mean(result.hashprice.usd_per_ph_day))
    curves: dict[tuple[int, float], list[str]] = {}
    for i, site in enumerate(result.sites):
        key = (id(result.site_prices[i]), site.contract.adder_usd_per_mwh)
        curves.setdefault(key, []).append(site.name)
    for (_, adder), names in curves.items():
        prices = result.site_prices[[s.name for s in result.sites].index(names[0])]
        all_in = np.sort(prices[0] + adder)[::-1]
        share = np.arange(1, all_in.size + 1) / all_in.size
        label = f"all-in price ({', '.join(names)})"
        fig.add_trace(go.Scatter(x=share, y=all_in, mode="lines", name=label))
    top = 0.0
    lines = {
        (s.efficiency_j_per_th, s.breakeven_per_hashprice)
        for site in result.sites
        for s in site_segments(site)
    }
    for j_per_th, coef in sorted(lines):
        b = coef * hp_mean
        top = max(top, b)
        fig.add_hline(
            y=b,
            line_dash="dash",
            annotation_text=f"{j_per_th:g} J/TH breakeven {b:,.0f}",
            annotation_position="top right",
        )
    fig.update_layout(
        title="Price duration curve and tier breakevens at the mean hashprice "
        "(y axis cut at 3× the highest breakeven)",
        xaxis_title="share of hours at or above the price [-]",
        yaxis_title="all-in power price [USD/MWh]",
        yaxis_range=[-60, max(200.0, 3 * top)],
    )
    return fig


def uptime_heatmap_figure(result: DispatchResult) -> go.Figure | None:
    """Mining uptime (energy / full draw) by month and hour ending, all sites, path 0."""
    if result.mining_mw_hourly is None:
        return None
    cal = result.calendar
    capacity = sum(s.mining_mw for s in result.sites)
    if capacity <= 0:
        return None
    load = result.mining_mw_hourly[:, 0, :].sum(axis=0) / capacity
    frame = pd.DataFrame(
        {
            "month": np.asarray(cal.months.astype(str))[cal.month_index],
            "he": cal.hour_ending,
            "u": load,
        }
    )
    grid = frame.pivot_table(index="month", columns="he", values="u", aggfunc="mean", sort=False)
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[str(c) for c in grid.columns],
            y=list(grid.index),
            zmin=0,
            zmax=1,
            colorscale="Viridis",
            colorbar={"title": "uptime"},
        )
    )
    fig.update_layout(
        title="Mining uptime by hour ending and month",
        xaxis_title="hour ending (Central Prevailing Time)",
        yaxis_title="month",
    )
    return fig


def value_stack_figure(result: DispatchResult) -> go.Figure:
    """Monthly value stack: revenue and credits up, costs down, profit as a line."""
    monthly = result.monthly()
    fig = go.Figure()
    for key, sign, label in _STACK:
        values = sign * monthly[key].to_numpy()
        if np.any(values != 0):
            fig.add_trace(go.Bar(x=monthly["month"], y=values, name=label))
    fig.add_trace(
        go.Scatter(x=monthly["month"], y=monthly["profit_usd"], mode="lines+markers", name="profit")
    )
    fig.update_layout(barmode="relative", title="Monthly value stack", yaxis_title="USD")
    return fig


def _kv_table(title: str, values: dict[str, Any]) -> Section:
    rows = [(k, v) for k, v in values.items() if not isinstance(v, list | dict)]
    frame = pd.DataFrame(rows, columns=["quantity", "value"]).astype({"value": object})
    return table_section(title, frame)


def dispatch_report(
    path: str | Path,
    result: DispatchResult,
    inputs: dict[str, Any],
    extras: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """Write the dispatch report: summary, figures, tables, notes; returns the path."""
    sections = [
        text_section(
            "What this is",
            "Hourly run/curtail dispatch: each fleet tier runs while the all-in power price is "
            "below its breakeven from hashprice (merit order by J/TH), with the contract, 4CP and "
            "demand-response layers described in hashpivot.dispatch. Profit excludes AI load "
            "energy (reported apart) and the 4CP charge of a firm load of the same MW.",
        ),
        _kv_table("Inputs", inputs),
        _kv_table("Summary (whole run, mean over paths)", result.summary()),
        figure_section("Price duration curve", price_duration_figure(result)),
    ]
    heat = uptime_heatmap_figure(result)
    if heat is not None:
        sections.append(figure_section("Uptime by hour of day and month", heat))
    sections.append(figure_section("Monthly value stack", value_stack_figure(result)))
    for title, values in (extras or {}).items():
        flat = {k: v for k, v in values.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in values.items() if isinstance(v, dict)}
        if flat:
            sections.append(_kv_table(title, flat))
        if nested:
            frame = pd.DataFrame(nested).T.reset_index(names="item")
            sections.append(table_section(f"{title}: detail", frame))
    sections.append(table_section("By year", result.yearly()))
    sections.append(table_section("By month", result.monthly()))
    if result.notes:
        sections.append(text_section("Data rules applied and notes", "\n\n".join(result.notes)))
    return write_report(path, "hashpivot dispatch", sections)
