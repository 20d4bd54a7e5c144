"""Figures and the HTML report of a dispatch run (plotly, self-contained).

Four figures: the all-in price duration curve with each tier's breakeven (in the legend),
mining uptime by hour of day and month, the monthly value of flexibility (curtailment
and 4CP savings, credits, flexibility value: the headline answer) and the value stack.
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
from hashpivot.report.html import cell_text, usd_text

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
        # a legend entry per breakeven, not a label on the line: close breakevens of
        # similar tiers would print their labels on top of each other
        fig.add_trace(
            go.Scatter(
                x=[0.0, 1.0],
                y=[b, b],
                mode="lines",
                line={"dash": "dash", "width": 1.5},
                name=f"breakeven {j_per_th:g} J/TH: {b:,.0f} USD/MWh",
                hovertemplate=f"{j_per_th:g} J/TH breakeven {b:,.1f} USD/MWh<extra></extra>",
            )
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


_FLEX = (
    ("curtailment_savings_usd", "curtailment savings"),
    ("four_cp_savings_usd", "4CP savings"),
    ("power_credits_usd", "power credits"),
    ("dr_income_usd", "demand-response income"),
)


def flexibility_figure(result: DispatchResult) -> go.Figure:
    """The headline answer by month: what curtailing earns, and the flexibility value.

    Bars: curtailment savings (energy not bought above breakeven), 4CP savings, power
    credits and demand-response income; line: flexibility value = profit − profit if
    every mining MW ran every hour (it nets the revenue given up while curtailed).
    """
    monthly = result.monthly()
    fig = go.Figure()
    for key, label in _FLEX:
        values = monthly[key].to_numpy() / 1e6
        if np.any(values != 0):
            fig.add_trace(go.Bar(x=monthly["month"], y=values, name=label))
    fig.add_trace(
        go.Scatter(
            x=monthly["month"],
            y=monthly["flexibility_value_usd"] / 1e6,
            mode="lines+markers",
            name="flexibility value",
            line={"color": "black"},
        )
    )
    fig.update_layout(
        barmode="group",
        title="Monthly value of flexibility",
        yaxis_title="USD millions",
        yaxis_tickformat=",.1f",
    )
    return fig


def _kv_table(title: str, values: dict[str, Any]) -> Section:
    """Quantity and value; USD amounts in M or k USD, other numbers without exponents."""
    rows = [
        (k, usd_text(v) if k.endswith("_usd") and isinstance(v, int | float) else cell_text(v))
        if k not in ("year", "seed")
        else (k, str(v))
        for k, v in values.items()
        if not isinstance(v, list | dict)
    ]
    return table_section(title, pd.DataFrame(rows, columns=["quantity", "value"]))


def _detail_table(title: str, nested: dict[str, dict[str, Any]]) -> Section:
    """Rows of a nested block; when every row is a USD amount, all its numbers are USD."""
    frame = pd.DataFrame(nested).T.reset_index(names="item")
    usd = None
    if all(str(k).endswith("_usd") for k in nested):
        usd = [c for c in frame.columns if c != "item" and pd.api.types.is_numeric_dtype(frame[c])]
    return table_section(title, frame.infer_objects(), usd)


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
    sections.append(figure_section("Monthly value of flexibility", flexibility_figure(result)))
    sections.append(figure_section("Monthly value stack", value_stack_figure(result)))
    for title, values in (extras or {}).items():
        flat = {k: v for k, v in values.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in values.items() if isinstance(v, dict)}
        if flat:
            sections.append(_kv_table(title, flat))
        if nested:
            sections.append(_detail_table(f"{title}: detail", nested))
    sections.append(table_section("By year", result.yearly()))
    sections.append(table_section("By month", result.monthly()))
    if result.notes:
        sections.append(text_section("Data rules applied and notes", "\n\n".join(result.notes)))
    return write_report(path, "hashpivot dispatch", sections)
