"""The Monte Carlo report's plotly figures, as JSON for the dashboard.

The dashboard draws exactly the figures of the HTML report
(:mod:`hashpivot.report.montecarlo`): the three fan charts, the revenue mix, pure vs
hybrid EBITDA, and the AI-share frontier with its risk side. They are built here, on the
server, and sent as plotly JSON (``{"data": [...], "layout": {...}}``) for
``Plotly.newPlot`` to draw.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go

from hashpivot.report.montecarlo import (
    distribution_figure,
    fan_figure,
    frontier_figure,
    frontier_risk,
    frontier_risk_figure,
    revenue_mix_figure,
)

if TYPE_CHECKING:
    from hashpivot.simulation import SimulationResult

MAX_HISTOGRAM_POINTS = 20_000
"""Paths per variant sent for the EBITDA histogram; more are thinned evenly. [paths]"""

FANS = {
    "btc_price_usd": ("BTC price", "USD"),
    "hashprice_usd_per_ph_day": ("Hashprice", "USD per PH/s per day"),
    "network_hashrate_eh_s": ("Network hashrate", "EH/s"),
}
"""Fan charts: key of ``SimulationResult.fans`` → (title, unit)."""


def _thin(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """At most :data:`MAX_HISTOGRAM_POINTS` of ``values``, every k-th (paths are i.i.d.)."""
    step = max(math.ceil(values.size / MAX_HISTOGRAM_POINTS), 1)
    return values[::step]


def _as_json(fig: go.Figure) -> dict[str, Any]:
    """The figure in the report's style, as plain JSON (NaN as null)."""
    fig.update_layout(
        template="plotly_white", margin={"l": 60, "r": 20, "t": 40, "b": 40}, height=None
    )
    out: dict[str, Any] = json.loads(fig.to_json())
    return out


def montecarlo_figures(result: SimulationResult) -> dict[str, dict[str, Any]]:
    """The report's figures of ``result``, by name, as plotly JSON."""
    x = result.month_start
    figs: dict[str, go.Figure] = {}
    for key, (title, unit) in FANS.items():
        if key in result.fans:
            figs[key] = fan_figure(x, result.fans[key], title, unit)
    if "hybrid" in result.revenue_mix_usd:
        figs["revenue_mix"] = revenue_mix_figure(x, result.revenue_mix_usd["hybrid"], result.paths)
    if {"pure_mining", "hybrid"} <= set(result.variants):
        pure = result.variants["pure_mining"]["ebitda_usd_per_year"]
        hybrid = result.variants["hybrid"]["ebitda_usd_per_year"]
        shown = _thin(pure).size
        note = f"{shown:,} of {pure.size:,} paths shown" if shown < pure.size else ""
        figs["ebitda_distribution"] = distribution_figure(_thin(pure), _thin(hybrid), note)
    if result.frontier:
        figs["frontier"] = frontier_figure(result.frontier)
        figs["frontier_risk"] = frontier_risk_figure(frontier_risk(result))
    return {name: _as_json(fig) for name, fig in figs.items()}
