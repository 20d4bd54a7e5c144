"""Company cash flows: mining, AI leases and GPU clouds by site, plus the corporate layer.

``CompanyModel(scenario).run()`` takes the deterministic market path (BTC price, network
hashrate and fees from the scenario, GPU rental prices from each GPU cloud's trend),
runs the mining projection with conversions displacing fleets, adds every conversion's
lease or GPU cloud, then G&A, debt service, simple taxes and the BTC treasury.

Segments: ``mining``, ``colocation``, ``gpu_cloud`` per site, and ``corporate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot.company import engine
from hashpivot.projection import (
    Projection,
    ProjectionResult,
    base_network_model,
    deterministic_market,
)
from hashpivot.spec import Scenario, default_scenario

FloatArray = npt.NDArray[np.float64]

SEGMENT_FLOWS = (
    "revenue_usd",
    "power_cost_usd",
    "opex_usd",
    "ebitda_usd",
    "capex_usd",
    "depreciation_usd",
    "asic_sale_usd",
)
"""Columns of the segment frame that add up over sites, segments and months."""


def _segment_frame(projects: list[engine.ProjectFlows], tl: engine.Timeline) -> pd.DataFrame:
    """One row per (month, site, segment, project) from single-path project flows."""
    frames = []
    for p in projects:
        cols = {k: np.asarray(v)[0] for k, v in p.flows.items()}
        frame = pd.DataFrame(cols)
        frame["ebitda_usd"] = p.ebitda_usd[0]
        frame.insert(0, "month", tl.month_start)
        frame.insert(1, "site", p.site)
        frame.insert(2, "segment", p.segment)
        frame.insert(3, "project", p.project)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@dataclass
class CompanyResult:
    """Result of :class:`CompanyModel`.

    Attributes
    ----------
    segments
        One row per (month, site, segment, project) with revenue, power, opex, EBITDA,
        capex, depreciation, ASIC sales and BTC mined.
    company
        One row per month: consolidated flows, interest, taxes, free cash flow, debt
        balance and BTC held.
    mining
        The mining projection behind the ``mining`` segment.

    """

    scenario: Scenario
    segments: pd.DataFrame
    company: pd.DataFrame
    mining: ProjectionResult

    def by_segment(self, freq: Literal["M", "Y"] = "Y") -> pd.DataFrame:
        """Flows summed by segment and period (calendar year or month)."""
        frame = self.segments.copy()
        frame["period"] = frame["month"].dt.year if freq == "Y" else frame["month"]
        out = frame.groupby(["period", "segment"], sort=False)[list(SEGMENT_FLOWS)].sum()
        return out.reset_index().sort_values(["period", "segment"], ignore_index=True)

    def by_year(self) -> pd.DataFrame:
        """Consolidated company flows by calendar year."""
        frame = self.company.copy()
        frame["period"] = frame["month"].dt.year
        flows = [
            c for c in frame.columns if c.endswith("_usd") and not c.startswith("debt_balance")
        ]
        out = frame.groupby("period")[flows].sum().reset_index()
        ends = frame.groupby("period")[["debt_balance_usd", "btc_held"]].last().reset_index()
        return out.merge(ends, on="period")

    def summary(self) -> dict[str, Any]:
        """Headline numbers, JSON-ready."""
        c = self.company
        seg = self.segments.groupby("segment")[["revenue_usd", "ebitda_usd"]].sum()
        total_rev = float(seg["revenue_usd"].sum())
        return {
            "scenario": self.scenario.name,
            "company": self.scenario.company.name,
            "months": len(c),
            "network_model": self.mining.network_model,
            "revenue_usd": total_rev,
            "ebitda_usd": float(c["ebitda_usd"].sum()),
            "free_cash_flow_usd": float(c["free_cash_flow_usd"].sum()),
            "capex_usd": float(c["capex_usd"].sum()),
            "revenue_share_by_segment": {
                k: (float(v) / total_rev if total_rev else 0.0)
                for k, v in seg["revenue_usd"].items()
            },
            "ebitda_by_segment_usd": {k: float(v) for k, v in seg["ebitda_usd"].items()},
            "btc_held_end": float(c["btc_held"].iloc[-1]),
            "debt_balance_end_usd": float(c["debt_balance_usd"].iloc[-1]),
            "mining": self.mining.summary(),
        }

    def to_frame(self) -> pd.DataFrame:
        """Tidy long frame of the segment flows: month, site, segment, project, metric, value."""
        return self.segments.melt(
            id_vars=["month", "site", "segment", "project"], var_name="metric"
        )

    def _repr_html_(self) -> str:
        """Compact HTML summary for Jupyter: the headline numbers."""
        from hashpivot.display import summary_html

        s = self.summary()
        title = f"{s['company']} ({s['scenario']}): {s['months']} months, base path"
        return summary_html(title, {k: v for k, v in s.items() if k != "mining"})

    def to_dict(self) -> dict[str, Any]:
        """Summary, yearly company flows and yearly segment flows, JSON-ready."""
        yearly = self.by_year()
        seg = self.by_segment("Y")
        return {
            "summary": self.summary(),
            "company_by_year": yearly.to_dict(orient="records"),
            "segments_by_year": seg.to_dict(orient="records"),
        }


class CompanyModel:
    """Monthly cash flows of a scenario's company along its deterministic market path.

    ``network_model`` names the base path's network model
    (:data:`hashpivot.projection.BASE_PATH_MODELS`); default: the scenario's.
    """

    def __init__(self, scenario: Scenario, network_model: str | None = None) -> None:
        self.scenario = scenario
        self.network_model = base_network_model(scenario, network_model)

    def run(self, months: int | None = None) -> CompanyResult:
        """Run ``months`` months (default: the scenario's horizon)."""
        sc = self.scenario
        n = sc.horizon_months if months is None else months
        tl = engine.Timeline.from_start(sc.start_date, n)
        net, price_usd = deterministic_market(sc, n, self.network_model)
        market = engine.MarketArrays(price_usd[None, :], net.hashprice_btc_per_ph_day[None, :])
        projects = engine.project_flows(sc, tl, market)
        flows = engine.consolidate(sc, projects, market)
        company = pd.DataFrame({k: np.asarray(v)[0] for k, v in flows.items()})
        company.insert(0, "month", tl.month_start)
        company["btc_price_usd"] = price_usd
        mining = Projection(sc, self.network_model).run(n)
        return CompanyResult(sc, _segment_frame(projects, tl), company, mining)


def project(scenario: Scenario | None = None, months: int | None = None) -> CompanyResult:
    """The company's cash flows along the deterministic base path (``hashpivot company``).

    ``CompanyModel(scenario).run(months)``; ``scenario`` defaults to the packaged default
    scenario and ``months`` to its horizon.
    """
    return CompanyModel(scenario or default_scenario()).run(months)
