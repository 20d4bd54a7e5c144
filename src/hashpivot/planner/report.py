"""HTML report of a plan: the schedule as a Gantt chart, MW by state, frontier, out-of-sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hashpivot.planner.plan import PlanResult
from hashpivot.report.html import Section, figure_section, table_section, text_section, write_report

MIN_DRAWN_MW = 0.5
"""Tranches below this (a decision rule's mean over futures) are not drawn or listed [MW]."""
_STATE_COLOURS = {"mining": "#f2a900", "under construction": "#9aa5b1", "leased": "#76b900"}


def gantt_frame(result: PlanResult) -> pd.DataFrame:
    """One bar per conversion tranche and state: site, state, MW, start and end dates."""
    sched = result.schedule()
    d = result.data
    months = d.period_months
    end = d.period_start[-1] + pd.DateOffset(months=months)
    rows = []
    moves = sched[sched["convert_mw"] >= MIN_DRAWN_MW]
    for site, period, conv in zip(moves["site"], moves["period"], moves["convert_mw"], strict=True):
        start = d.period_start[int(period)]
        rent = start + pd.DateOffset(months=int(result.terms.lead_time_months))
        label = f"{conv:,.1f} MW from {start:%Y-%m}"
        rows.append({"site": site, "state": "under construction", "start": start,
                     "end": min(rent, end), "mw": conv, "label": label})  # fmt: skip
        stop = min(rent + pd.DateOffset(months=int(result.terms.term_months)), end)
        if rent < end:
            rows.append({"site": site, "state": "leased", "start": rent, "end": stop,
                         "mw": conv, "label": label})  # fmt: skip
    return pd.DataFrame(rows, columns=["site", "state", "start", "end", "mw", "label"])


def _gantt(result: PlanResult) -> go.Figure:
    frame = gantt_frame(result)
    if frame.empty:
        return go.Figure().add_annotation(text="no conversion in the plan", showarrow=False)
    fig = px.timeline(
        frame, x_start="start", x_end="end", y="site", color="state", text="label",
        color_discrete_map=_STATE_COLOURS, hover_data={"mw": ":.1f"},
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_layout(barmode="overlay", height=120 + 60 * len(result.data.site))
    return fig


def _mw_by_state(result: PlanResult) -> go.Figure:
    sched = (
        result.schedule()
        .groupby("period_start", sort=True)[["mining_mw", "under_construction_mw", "leased_mw"]]
        .sum()
    )
    fig = go.Figure()
    for col, name in (("mining_mw", "mining"), ("under_construction_mw", "under construction"),
                      ("leased_mw", "leased")):  # fmt: skip
        fig.add_bar(x=sched.index, y=sched[col], name=name, marker_color=_STATE_COLOURS[name])
    fig.update_layout(barmode="stack", yaxis_title="gross MW (mining: mean over scenarios)")
    return fig


def _rule_heatmaps(result: PlanResult) -> go.Figure:
    """Per site: MW converted by each period, by band of the lowest trailing hashprice."""
    rule = result.rule()
    sites = list(result.data.site)
    fig = make_subplots(rows=len(sites), cols=1, shared_xaxes=True, subplot_titles=sites,
                        vertical_spacing=0.4 / max(len(sites), 1))  # fmt: skip
    for i, site in enumerate(sites, start=1):
        grid = rule[rule["site"] == site].pivot(index="band", columns="period_start",
                                                values="converted_mw")  # fmt: skip
        fig.add_trace(
            go.Heatmap(z=grid.to_numpy(), x=list(grid.columns), y=list(grid.index),
                       coloraxis="coloraxis",
                       hovertemplate="%{x}, band %{y}: %{z:.1f} MW<extra></extra>"),
            row=i, col=1,
        )  # fmt: skip
        fig.update_yaxes(title_text="band (0 = lowest)", row=i, col=1)
    fig.update_layout(height=140 + 160 * len(sites), coloraxis={"colorscale": "Greens",
                      "colorbar": {"title": "MW converted"}})  # fmt: skip
    return fig


def _frontier(result: PlanResult) -> go.Figure:
    frame = pd.DataFrame(result.frontier)
    fig = go.Figure()
    if frame.empty:
        return fig
    text = [f"λ={v:g}" for v in frame["risk_aversion"]]
    fig.add_scatter(x=frame["cvar_usd"] / 1e6, y=frame["expected_npv_usd"] / 1e6,
                    mode="lines+markers+text", text=text, textposition="top center",
                    name="in sample (optimised)")  # fmt: skip
    if "oos_cvar_usd" in frame:
        fig.add_scatter(x=frame["oos_cvar_usd"] / 1e6, y=frame["oos_expected_npv_usd"] / 1e6,
                        mode="lines+markers", name="fresh paths")  # fmt: skip
    fig.update_layout(xaxis_title="CVaR of loss, MUSD (lower is safer)",
                      yaxis_title="expected NPV, MUSD")  # fmt: skip
    return fig


def _out_of_sample(result: PlanResult) -> go.Figure:
    fig = go.Figure()
    for name, npv in result.npv_out_of_sample_usd.items():
        fig.add_box(y=np.asarray(npv) / 1e6, name=name, boxmean=True)
    fig.update_layout(yaxis_title="NPV on fresh paths, MUSD", showlegend=False)
    return fig


def _oos_table(result: PlanResult) -> pd.DataFrame:
    rows = [{"policy": name, **{k: v for k, v in stats.items() if not isinstance(v, dict)}}
            for name, stats in result.out_of_sample.items()]  # fmt: skip
    return pd.DataFrame(rows)


def _method(result: PlanResult) -> str:
    s, d, t = result.spec, result.data, result.terms
    n_s, n_t, n_k, n_f = d.shape
    bands = result.solution.rule_converted_mw.shape[2]
    rule = (
        "one schedule shared by every future"
        if bands == 1
        else f"a decision rule: the MW converted by each period depend on which of {bands} "
        "equally likely bands (on the training paths) the lowest trailing hashprice seen so "
        "far is in, so the plan reacts to what the market shows and to nothing it has not "
        "shown yet; the schedule below is its mean over the training futures"
    )
    return (
        f"Sample-average approximation over {n_s} sampled futures, {n_t} periods of "
        f"{d.period_months} months, {n_k} sites and {n_f} fleet tiers. First stage: {rule}. "
        "A converted MW stops mining at once and earns rent "
        f"after a {t.lead_time_months}-month build. Second stage: each future mines its best "
        "tiers on the MW left, in months the margin pays. Objective: max E[NPV] − "
        f"λ·CVaR_α(−NPV), λ = {result.solution.risk_aversion:g}, α = {s.cvar_alpha_frac:g} "
        "(Rockafellar and Uryasev 2000), NPV at the company WACC, pre-tax, before G&A and "
        f"debt. Lease terms from {t.source}: {t.rate_usd_per_kw_month:g} USD/kW-month, "
        f"{t.term_months} months, PUE {t.ai_pue:g}, capex {t.capex_usd_per_it_mw / 1e6:g}M USD "
        "per IT MW.\n\nEvery policy is valued on fresh paths the optimisation never saw; the "
        "threshold baseline's level is tuned on the training paths. Standard errors are of "
        "the mean over the fresh paths."
    )


def write_plan_report(result: PlanResult, path: str | Path) -> Path:
    """Write the plan's self-contained HTML report to ``path``."""
    sched = result.schedule()
    moves = sched[sched["convert_mw"] >= MIN_DRAWN_MW]
    sections: list[Section] = [
        text_section("Method", _method(result)),
        figure_section("Conversion schedule (Gantt)", _gantt(result)),
        figure_section("Gross MW by state", _mw_by_state(result)),
        table_section(f"Conversions of {MIN_DRAWN_MW:g} MW or more", moves),
        figure_section("Efficient frontier over λ", _frontier(result)),
    ]
    if result.solution.rule_converted_mw.shape[2] > 1:
        sections.insert(
            3, figure_section("Decision rule by hashprice band", _rule_heatmaps(result))
        )
    if result.out_of_sample:
        sections += [
            figure_section("Out of sample: NPV by policy", _out_of_sample(result)),
            table_section("Out of sample: policies on fresh paths", _oos_table(result)),
        ]
    prices = result.shadow_prices()
    sections.append(table_section("Shadow prices", prices[prices["value"].abs() > 1e-6]))
    return write_report(path, f"Conversion plan: {result.scenario.name}", sections)
