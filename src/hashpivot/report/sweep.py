"""HTML report of a sweep: tornado charts, one-way and two-way plots, the planner's decision."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hashpivot.report.html import (
    Section,
    figure_section,
    is_usd_name,
    table_section,
    text_section,
    write_report,
)
from hashpivot.sweep.analysis import DECISION_METRIC
from hashpivot.sweep.spec import is_number

if TYPE_CHECKING:
    from hashpivot.sweep.core import SweepResult

MAX_METRIC_FIGURES = 6
"""Metrics that get their own tornado and one-way figures (the first ones listed)."""
MAX_PAIRS = 6
"""Two-way plots drawn per metric (the first pairs of design parameters)."""
MAX_TABLE_ROWS = 500
"""Points listed in the report's table of points."""

_LOW, _HIGH = "#2b6cb0", "#dd6b20"


def tornado_figure(frame: pd.DataFrame, metric: str) -> go.Figure:
    """Horizontal bars from the base value to the metric at each parameter's low and high end."""
    f = frame[frame["metric"] == metric].sort_values("swing", kind="stable")
    labels = [f"{r.label} ({r.low:g} → {r.high:g})" for r in f.itertuples()]
    fig = go.Figure()
    for end, colour, name in (("metric_low", _LOW, "low end"), ("metric_high", _HIGH, "high end")):
        fig.add_trace(
            go.Bar(
                y=labels,
                x=f[end] - f["metric_base"],
                base=f["metric_base"],
                orientation="h",
                name=name,
                marker_color=colour,
                opacity=0.85,
                customdata=f[end],
                hovertemplate="%{y}<br>" + name + ": %{customdata:,.4g}",
            )
        )
    base = float(f["metric_base"].iloc[0]) if len(f) else math.nan
    if math.isfinite(base):
        fig.add_vline(x=base, line_dash="dot", line_color="#444")
    fig.update_layout(
        barmode="overlay",
        title=f"Tornado: {metric} (base {base:,.4g})",
        xaxis_title=metric,
        height=160 + 40 * max(len(f), 1),
    )
    return fig


def one_way_figure(curves: pd.DataFrame, metric: str) -> go.Figure:
    """One panel per parameter: the metric across its values, the base point as a diamond."""
    c = curves[curves["metric"] == metric]
    params = list(dict.fromkeys(c["parameter"]))
    cols = min(3, max(len(params), 1))
    rows = max(math.ceil(len(params) / cols), 1)
    labels = [str(c.loc[c["parameter"] == p, "label"].iloc[0])[:60] for p in params]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=labels or None)
    for i, p in enumerate(params):
        line = c[c["parameter"] == p]
        r, col = i // cols + 1, i % cols + 1
        x = [v if is_number(v) or isinstance(v, str) else str(v) for v in line["value"]]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=line["metric_value"],
                mode="lines+markers",
                marker_color=_LOW,
                showlegend=False,
            ),
            row=r,
            col=col,
        )
        base = line[line["is_base"]]
        if not base.empty:
            fig.add_trace(
                go.Scatter(
                    x=list(base["value"]),
                    y=base["metric_value"],
                    mode="markers",
                    marker={"symbol": "diamond", "size": 10, "color": _HIGH},
                    name="base",
                    showlegend=i == 0,
                ),
                row=r,
                col=col,
            )
    fig.update_layout(height=280 * rows + 60, yaxis_title=metric[:40])
    return fig


def two_way_figure(
    x: str,
    y: str,
    frame: pd.DataFrame,
    metric: str,
    scatter: bool = False,
    labels: dict[str, str] | None = None,
) -> go.Figure:
    """A heatmap of the metric over two grid parameters, or (``scatter``) one dot per point.

    ``labels`` maps parameter paths to the names shown on the axes (default the paths).
    """
    names = labels or {}
    lx, ly = names.get(x, x)[:60], names.get(y, y)[:60]
    if scatter:
        fig = go.Figure(
            go.Scatter(
                x=frame[x],
                y=frame[y],
                mode="markers",
                marker={
                    "color": frame[metric],
                    "colorscale": "Viridis",
                    "showscale": True,
                    "size": 9,
                    "colorbar": {"title": metric[:30]},
                },
                hovertemplate=f"{lx}: %{{x}}<br>{ly}: %{{y}}<br>{metric}: %{{marker.color:,.4g}}",
            )
        )
    else:
        table = frame.pivot_table(index=y, columns=x, values=metric, aggfunc="mean")
        fig = go.Figure(
            go.Heatmap(
                z=table.to_numpy(),
                x=[str(v) for v in table.columns],
                y=[str(v) for v in table.index],
                colorscale="Viridis",
                colorbar={"title": metric[:30]},
                hovertemplate=f"{lx}: %{{x}}<br>{ly}: %{{y}}<br>{metric}: %{{z:,.4g}}"
                + "<extra></extra>",
            )
        )
    fig.update_layout(
        title=f"{metric} over {lx[:40]} × {ly[:40]}", xaxis_title=lx, yaxis_title=ly, height=460
    )
    return fig


def _labels(result: SweepResult) -> dict[str, str]:
    return {p.path: p.spec.name() for p in result.parameters}


def _intro(result: SweepResult) -> str:
    s = result.summary()
    seeds = (
        "every point uses the same seed (common random numbers), so differences between points "
        "come from the parameters"
        if s["random_numbers"] == "common"
        else "each point has its own seed from the sweep seed, so differences between points "
        "include Monte Carlo noise of about the std_error column of the tornado table"
    )
    return (
        f"Sweep {s['sweep']!r} of the scenario {s['base_scenario']!r}: {s['points']} points "
        f"({s['ok']} computed or reused, {s['failed']} failed, {s['not_run']} not run; "
        f"{s['reused']} reused from an earlier run), {s['paths_per_point']:,} paths per point, "
        f"sweep seed {s['seed']}; {seeds}. Ran on {s['executor']} in {s['seconds']:.1f} s.\n\n"
        "The tornado moves one parameter at a time to the low and high end of its one-way "
        "values, every other field at base; the vertical line is the base point."
    )


def write_sweep_report(result: SweepResult, path: str | Path) -> Path:
    """Write the sweep report for ``result`` to ``path`` (one self-contained file)."""
    metrics = list(result.spec.metrics)[:MAX_METRIC_FIGURES]
    sections: list[Section] = [text_section("Summary", _intro(result))]
    torn = result.tornado()
    for m in metrics:
        if (torn["metric"] == m).any():
            sections.append(figure_section(f"Tornado: {m}", tornado_figure(torn, m)))
    if not torn.empty:
        sections.append(table_section("Tornado table", _tornado_table(torn)))
    curves = result.one_way(metrics)
    for m in metrics:
        if (curves["metric"] == m).any():
            sections.append(figure_section(f"One-way: {m}", one_way_figure(curves, m)))
    lhs = result.spec.design == "lhs"
    for m in metrics[:2]:
        for x, y, frame in result.two_way(m)[:MAX_PAIRS]:
            if not frame.empty:
                sections.append(
                    figure_section(
                        f"Two-way: {m}", two_way_figure(x, y, frame, m, lhs, _labels(result))
                    )
                )
    sections += _decision_sections(result)
    failures = pd.DataFrame(result.failures())
    if not failures.empty:
        sections.append(table_section("Failed points", failures))
    wide = result.wide()
    cols = ["point", "design", "seed", "ok"] + [p.path for p in result.parameters]
    shown = wide[cols + list(result.spec.metrics)].head(MAX_TABLE_ROWS).astype({"seed": str})
    sections.append(table_section(f"Points (first {MAX_TABLE_ROWS})", shown))
    return write_report(path, f"hashpivot sweep: {result.spec.name}", sections)


_TORNADO_METRIC_COLUMNS = ("metric_low", "metric_base", "metric_high", "swing", "std_error")


def _tornado_table(torn: pd.DataFrame) -> pd.DataFrame:
    """The tornado rows with USD metrics in USD millions, the unit named beside the metric."""
    out = torn.copy()
    usd = out["metric"].map(lambda m: is_usd_name(str(m))).to_numpy(dtype=bool)
    cols = [c for c in _TORNADO_METRIC_COLUMNS if c in out.columns]
    out[cols] = out[cols].astype(float)
    out.loc[usd, cols] = out.loc[usd, cols] / 1e6
    out.loc[usd, "metric"] = out.loc[usd, "metric"].astype(str) + " [M USD]"
    return out


def _decision_sections(result: SweepResult) -> list[Section]:
    """The planner's first-period decision across the sweep, and where it flips."""
    if result.spec.planner is None:
        return []
    curves = result.one_way([DECISION_METRIC])
    out = [
        text_section(
            "Conversion decision",
            "Gross MW the planner converts in its first period at each point (its own "
            "seed and sampled futures). A flip is a pair of neighbouring one-way values "
            "between which the answer changes between convert and wait.",
        )
    ]
    if not curves.empty:
        out.append(
            figure_section(
                "First-period conversion, one-way", one_way_figure(curves, DECISION_METRIC)
            )
        )
    flips = result.decision_flips()
    out.append(
        table_section("Where the decision flips", flips.drop(columns="parameter"))
        if not flips.empty
        else text_section("Where the decision flips", "No flip along any one-way line.")
    )
    for x, y, frame in result.two_way(DECISION_METRIC)[:MAX_PAIRS]:
        if not frame.empty:
            out.append(
                figure_section(
                    "First-period conversion, two-way",
                    two_way_figure(
                        x, y, frame, DECISION_METRIC, result.spec.design == "lhs", _labels(result)
                    ),
                )
            )
    return out
