"""HTML report of a Monte Carlo run: fans, revenue mix, EBITDA distributions, AI-share frontier."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hashpivot.report.html import Section, figure_section, table_section, text_section, write_report

if TYPE_CHECKING:
    from hashpivot.simulation import SimulationResult

_SEGMENT_COLOURS = {
    "mining": "#f2a900",
    "colocation": "#2b6cb0",
    "gpu_cloud": "#38a169",
    "corporate": "#718096",
}


def fan_figure(x: pd.DatetimeIndex, quantiles: np.ndarray, title: str, unit: str) -> go.Figure:
    """A fan chart from rows of quantiles (p5, p25, p50, p75, p95) over months."""
    p5, p25, p50, p75, p95 = quantiles
    fig = go.Figure()
    band = "rgba(43,108,176,{a})"
    for lo, hi, alpha, name in ((p5, p95, 0.15, "5–95 %"), (p25, p75, 0.3, "25–75 %")):
        fig.add_trace(go.Scatter(x=x, y=hi, line={"width": 0}, showlegend=False, hoverinfo="skip"))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=lo,
                fill="tonexty",
                fillcolor=band.format(a=alpha),
                line={"width": 0},
                name=name,
            )
        )
    fig.add_trace(go.Scatter(x=x, y=p50, line={"color": "#2b6cb0"}, name="median"))
    fig.update_layout(title=title, yaxis_title=unit, height=380)
    return fig


def revenue_mix_figure(x: pd.DatetimeIndex, mix: dict[str, np.ndarray], paths: int) -> go.Figure:
    """Mean monthly revenue by segment, stacked."""
    fig = go.Figure()
    for seg, total in mix.items():
        if not np.any(total):
            continue
        fig.add_trace(
            go.Scatter(
                x=x,
                y=total / paths,
                stackgroup="one",
                name=seg,
                line={"color": _SEGMENT_COLOURS.get(seg)},
            )
        )
    fig.update_layout(
        title="Mean monthly revenue by segment (hybrid)", yaxis_title="USD", height=380
    )
    return fig


def distribution_figure(pure: np.ndarray, hybrid: np.ndarray) -> go.Figure:
    """Overlaid histograms of average annual EBITDA, pure mining vs hybrid."""
    fig = go.Figure()
    fig.add_trace(
        go.Histogram(
            x=pure,
            name="pure mining",
            opacity=0.6,
            nbinsx=60,
            marker_color=_SEGMENT_COLOURS["mining"],
        )
    )
    fig.add_trace(
        go.Histogram(
            x=hybrid,
            name="hybrid",
            opacity=0.6,
            nbinsx=60,
            marker_color=_SEGMENT_COLOURS["colocation"],
        )
    )
    fig.update_layout(
        barmode="overlay",
        title="Average annual EBITDA per path",
        xaxis_title="USD per year",
        yaxis_title="paths",
        height=380,
    )
    return fig


def frontier_figure(points: list[dict[str, float]]) -> go.Figure:
    """Expected NPV against its standard deviation for each AI share; CVaR in the hover."""
    frame = pd.DataFrame(points)
    fig = go.Figure(
        go.Scatter(
            x=frame["npv_std_usd"],
            y=frame["npv_mean_usd"],
            mode="lines+markers+text",
            text=[f"{s:.0%}" for s in frame["ai_share_frac"]],
            textposition="top center",
            customdata=frame["npv_cvar5_usd"],
            hovertemplate="std %{x:,.0f}<br>mean %{y:,.0f}<br>CVaR5 %{customdata:,.0f}",
        )
    )
    fig.update_layout(
        title="AI-share frontier: expected NPV vs standard deviation",
        xaxis_title="NPV std (USD)",
        yaxis_title="E[NPV] (USD)",
        height=420,
    )
    return fig


def write_montecarlo_report(result: SimulationResult, path: str | Path) -> Path:
    """Write the Monte Carlo report for ``result`` to ``path`` (one self-contained file)."""
    s = result.summary()
    x = result.month_start
    rows = []
    for name in ("pure_mining", "hybrid"):
        for metric in ("npv_usd", "ebitda_usd_per_year"):
            rows.append({"variant": name, "metric": metric, **s[name][metric]})
    intro = (
        f"{result.paths:,} paths of {result.months} months from {x[0]:%Y-%m}, seed {result.seed}. "
        f"Hybrid is the scenario's mix; pure mining removes every conversion. Variance "
        f"reduction of average annual EBITDA: {s['variance_reduction_frac']:.1%}; BTC beta "
        f"(elasticity of EBITDA to the BTC price) hybrid {s['hybrid']['btc_beta']:.2f} vs pure "
        f"{s['pure_mining']['btc_beta']:.2f}."
    )
    sections: list[Section] = [
        text_section("Summary", intro),
        table_section(
            "Distributions (USD; EBITDA per year)",
            frame := pd.DataFrame(rows),
            [c for c in frame.columns if c not in ("variant", "metric")],
        ),
        figure_section(
            "Hashprice",
            fan_figure(
                x, result.fans["hashprice_usd_per_ph_day"], "Hashprice", "USD per PH/s per day"
            ),
        ),
        figure_section(
            "Network hashrate",
            fan_figure(x, result.fans["network_hashrate_eh_s"], "Network hashrate", "EH/s"),
        ),
        figure_section(
            "BTC price", fan_figure(x, result.fans["btc_price_usd"], "BTC price", "USD")
        ),
        figure_section(
            "Revenue mix", revenue_mix_figure(x, result.revenue_mix_usd["hybrid"], result.paths)
        ),
        figure_section(
            "EBITDA: pure mining vs hybrid",
            distribution_figure(
                result.variants["pure_mining"]["ebitda_usd_per_year"],
                result.variants["hybrid"]["ebitda_usd_per_year"],
            ),
        ),
    ]
    if result.frontier:
        sections.append(figure_section("AI-share frontier", frontier_figure(result.frontier)))
        sections.append(table_section("Frontier points", pd.DataFrame(result.frontier)))
    return write_report(path, f"hashpivot Monte Carlo: {result.scenario.name}", sections)
