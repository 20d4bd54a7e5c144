"""HTML report of a Monte Carlo run: fans, revenue mix, EBITDA distributions, AI-share frontier."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hashpivot import risk
from hashpivot.applicability import mark_not_applicable
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


ZOOM_QUANTILES = (0.01, 0.99)
"""The EBITDA histogram shows the 1st–99th percentile of all paths; the tails are counted
in a note (assumption: a view where the bulk of the paths is readable)."""


def distribution_figure(pure: np.ndarray, hybrid: np.ndarray, note: str = "") -> go.Figure:
    """Overlaid histograms of average annual EBITDA, pure mining vs hybrid, in USD millions.

    The view spans the :data:`ZOOM_QUANTILES` of both variants' paths together, with the
    same bins for both; the paths outside it are counted on the title's second line,
    followed by ``note``.
    """
    both = np.concatenate([np.asarray(pure, float), np.asarray(hybrid, float)])
    lo, hi = (float(q) for q in np.quantile(both, ZOOM_QUANTILES))
    if not hi > lo:  # all paths alike: a narrow window around them
        lo, hi = lo - max(1.0, abs(lo) * 1e-3), hi + max(1.0, abs(hi) * 1e-3)
    bins = {"start": lo / 1e6, "end": hi / 1e6, "size": (hi - lo) / 60 / 1e6}
    fig = go.Figure()
    outside = []
    for values, name, colour in (
        (pure, "pure mining", _SEGMENT_COLOURS["mining"]),
        (hybrid, "hybrid", _SEGMENT_COLOURS["colocation"]),
    ):
        v = np.asarray(values, float)
        fig.add_trace(
            go.Histogram(
                x=v / 1e6, name=name, opacity=0.6, xbins=bins, autobinx=False, marker_color=colour
            )
        )
        outside.append(f"{name} {int((v < lo).sum()):,} below, {int((v > hi).sum()):,} above")
    p_lo, p_hi = (round(100 * q) for q in ZOOM_QUANTILES)
    extra = f"; {note}" if note else ""
    fig.update_layout(
        barmode="overlay",
        title=f"Average annual EBITDA per path, p{p_lo}–p{p_hi} of the paths<br>"
        f"<sup>outside the view: {'; '.join(outside)}{extra}</sup>",
        xaxis_title="USD millions per year",
        xaxis_range=[lo / 1e6, hi / 1e6],
        yaxis_title="paths",
        height=400,
    )
    return fig


def frontier_risk(result: SimulationResult) -> list[dict[str, float]]:
    """Risk side of the AI-share frontier: P(EBITDA < 0 in any year) and EBITDA std.

    One row per frontier share, from the share's own paths (the same futures as the
    hybrid): the share of paths with a negative EBITDA in at least one year, and the
    standard deviation across paths of average annual EBITDA [-, USD/yr].
    """
    rows = []
    for point in result.frontier:
        share = float(point["ai_share_frac"])
        v = result.variants[f"ai_share_{share:.2f}"]
        rows.append(
            {
                "ai_share_frac": share,
                "prob_negative_ebitda_any_year": risk.prob_negative_any_period(
                    v["ebitda_usd_by_year"]
                ),
                "ebitda_std_usd_per_year": float(np.std(v["ebitda_usd_per_year"], ddof=1)),
            }
        )
    return rows


def frontier_risk_figure(rows: list[dict[str, float]]) -> go.Figure:
    """P(EBITDA < 0 in any year) (left axis) and EBITDA std (right axis) against AI share."""
    frame = pd.DataFrame(rows)
    share = 100 * frame["ai_share_frac"]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=share,
            y=100 * frame["prob_negative_ebitda_any_year"],
            mode="lines+markers",
            name="P(EBITDA < 0 in any year)",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=share,
            y=frame["ebitda_std_usd_per_year"] / 1e6,
            mode="lines+markers",
            name="EBITDA std (right axis)",
            yaxis="y2",
            line={"dash": "dot"},
        )
    )
    fig.update_layout(
        title="AI-share frontier, risk side",
        xaxis_title="AI share of site MW [%]",
        yaxis={"title": "P(EBITDA < 0 in any year) [%]", "rangemode": "tozero"},
        yaxis2={
            "title": "std of average annual EBITDA [USD M/yr]",
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
        },
        legend={"orientation": "h", "y": -0.2},
        height=420,
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


_EXPOSURE_KEYS = {
    "npv_delta_usd_per_10pct_btc": "NPV change for +10 % BTC (USD)",
    "npv_delta_usd_per_10pct_btc_se": "its standard error (USD)",
    "ebitda_delta_usd_per_10pct_btc": "annual EBITDA change for +10 % BTC (USD/yr)",
    "btc_r2_frac": "share of NPV variance explained by BTC (R²)",
    "btc_corr": "correlation of annual EBITDA with mean BTC price",
    "fcf_cvar5_usd": "CVaR5 of FCF after sustaining capex and debt service (USD/yr)",
    "p_liquidity_shortfall_frac": "P(cash below zero in some month)",
}


def exposure_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """One row per risk measure, one column per variant (hybrid, pure mining)."""
    cols = {
        v: summary[v]["risk"] for v in ("pure_mining", "hybrid") if "risk" in summary.get(v, {})
    }
    rows = [
        {"measure": label, **{v: r[key] for v, r in cols.items()}}
        for key, label in _EXPOSURE_KEYS.items()
        if all(key in r for r in cols.values())
    ]
    return pd.DataFrame(rows)


def bucket_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """EBITDA per year by BTC-price quintile, both variants (USD)."""
    rows = [
        {"variant": v, **b}
        for v in ("pure_mining", "hybrid")
        if "risk" in summary.get(v, {})
        for b in summary[v]["risk"]["ebitda_by_btc_bucket"]
    ]
    return pd.DataFrame(rows)


def bucket_figure(buckets: pd.DataFrame) -> go.Figure:
    """Mean annual EBITDA in each BTC-price bucket, bars by variant, p5-p95 as error bars."""
    fig = go.Figure()
    for v, part in buckets.groupby("variant", sort=False):
        label = [
            f"{lo / 1e3:,.0f}-{hi / 1e3:,.0f}k"
            for lo, hi in zip(part["btc_lo_usd"], part["btc_hi_usd"], strict=True)
        ]
        fig.add_bar(
            x=label, y=part["mean"], name=str(v),
            error_y={"type": "data", "symmetric": False, "array": part["p95"] - part["mean"],
                     "arrayminus": part["mean"] - part["p5"]},
        )  # fmt: skip
    fig.update_layout(
        title="Annual EBITDA by the path's mean BTC price (quintiles; bars p5-p95)",
        xaxis_title="mean BTC price over the horizon (USD)",
        yaxis_title="EBITDA per year (USD)",
        barmode="group",
        height=420,
    )
    return fig


def frontier_cvar_figure(points: list[dict[str, Any]]) -> go.Figure:
    """Expected NPV against the CVaR5 of NPV per AI share, CVaR gained per USD given up."""
    frame = pd.DataFrame(points)
    fig = go.Figure(
        go.Scatter(
            x=frame["npv_cvar5_usd"], y=frame["npv_mean_usd"], mode="lines+markers+text",
            text=[f"{s:.0%}" for s in frame["ai_share_frac"]], textposition="top center",
            customdata=frame["cvar_gain_per_usd_npv_given_up"],
            hovertemplate="CVaR5 %{x:,.0f}<br>mean %{y:,.0f}<br>CVaR gained per USD of "
            "E[NPV] given up %{customdata:.2f}",
        )
    )  # fmt: skip
    fig.update_layout(
        title="AI-share frontier: expected NPV vs CVaR5 of NPV",
        xaxis_title="CVaR5 of NPV (USD; right is safer)",
        yaxis_title="E[NPV] (USD)",
        height=420,
    )
    return fig


def _na(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def write_montecarlo_report(result: SimulationResult, path: str | Path) -> Path:
    """Write the Monte Carlo report for ``result`` to ``path`` (one self-contained file)."""
    has_fleet = any(site.fleets for site in result.scenario.sites)
    s = mark_not_applicable(result.summary(), has_fleet)
    x = result.month_start
    rows = []
    for name in ("pure_mining", "hybrid"):
        for metric in ("npv_usd", "ebitda_usd_per_year"):
            rows.append({"variant": name, "metric": metric, **s[name][metric]})
    intro = (
        f"{result.paths:,} paths of {result.months} months from {x[0]:%Y-%m}, seed {result.seed}. "
        f"Hybrid is the scenario's mix; pure mining removes every conversion. Variance "
        f"reduction of average annual EBITDA: {_na(s['variance_reduction_frac'], '.1%')}; BTC "
        f"beta (elasticity of EBITDA to the BTC price) hybrid {s['hybrid']['btc_beta']:.2f} vs "
        f"pure {s['pure_mining']['btc_beta'] + 0.0:.2f}."
    )
    if s.get("not_applicable"):
        intro += (
            " Not applicable: "
            + "; ".join(f"{k} ({why})" for k, why in s["not_applicable"].items())
            + "."
        )
    warnings = [
        s[v]["btc_beta_warning"] for v in ("pure_mining", "hybrid") if s[v].get("btc_beta_warning")
    ]
    if warnings:
        intro += " Warning on the BTC beta: " + "; ".join(warnings) + "."
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
    exposure = exposure_frame(s)
    if len(exposure):
        sections.append(table_section("Exposure to BTC and risk after capex and debt", exposure))
        if s.get("hedge_after_capex"):
            hedge = pd.DataFrame(
                [{"measure": k, "value": v} for k, v in s["hedge_after_capex"].items()]
            )
            sections.append(table_section("Hybrid vs pure mining after capex and debt", hedge))
        buckets = bucket_frame(s)
        sections.append(figure_section("EBITDA by BTC price", bucket_figure(buckets)))
        sections.append(table_section("EBITDA by BTC-price bucket (USD per year)", buckets))
    if result.frontier:
        sections.append(figure_section("AI-share frontier", frontier_figure(result.frontier)))
        sections.append(
            figure_section("AI-share frontier: CVaR", frontier_cvar_figure(s["frontier"]))
        )
        risk_rows = frontier_risk(result)
        sections.append(figure_section("AI-share frontier: risk", frontier_risk_figure(risk_rows)))
        points = pd.DataFrame(s["frontier"]).merge(pd.DataFrame(risk_rows), on="ai_share_frac")
        sections.append(table_section("Frontier points", points))
    return write_report(path, f"hashpivot Monte Carlo: {result.scenario.name}", sections)
