"""What one gross MW of a site earns three ways: mining, colocation lease, GPU cloud.

Each option is run through the same functions as the company model, scaled to one gross
MW at the meter, over a common analysis horizon, and summarised on one table: revenue and
EBITDA per MW-year, capex per MW, payback, NPV and IRR per MW, and two measures of
revenue risk (the variation of monthly revenue along the path, and the revenue change
when the BTC price halves).

References
----------
.. [1] Mining facility build cost 300-350k USD per MW (Sabre56, 2024;
   https://binance.com/el/square/post/13104949643562 , secondary).
.. [2] S21 XP price 25.70 USD/TH on 2025-11-03 (Hashrate Index,
   https://hashrateindex.com/blog/hashrate-index-roundup-november-3-2025).

"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import finance
from hashpivot.company import engine
from hashpivot.errors import HashpivotError
from hashpivot.hardware import get_asic, get_gpu
from hashpivot.projection import Projection
from hashpivot.spec import (
    ColocationLeaseSpec,
    ConversionSpec,
    EnergisationPhaseSpec,
    GpuCloudSpec,
    Scenario,
    SiteSpec,
    add_months,
)

FloatArray = npt.NDArray[np.float64]

MINING_FACILITY_USD_PER_MW = 325_000.0
"""Mining facility build cost, midpoint of 300-350k USD per MW (Ref [1]) [USD/MW]."""
ASIC_REPLACEMENT_USD_PER_TH = 25.70
"""Price of new ASICs for the mining option's capex: S21 XP, Ref [2] [USD/TH]."""

DEFAULT_LEASE = {
    "rate_usd_per_kw_month": 150.0,
    "term_years": 10.0,
    "escalator_frac_per_year": 0.03,
}
"""Lease used when the site has none: about 150 USD/kW-month (Cipher 149, TeraWulf 154,
derived: value / term / IT MW, :data:`hashpivot.spec.CIPHER_FLUIDSTACK_URL`,
https://blockspace.media/insight/terawulf-signs-10-year-200-mw-hosting-deals-google-takes-8-stake
), 10 years, 3 % escalator (Hut 8)."""
DEFAULT_GPU_CLOUD = {"gpu_model": "H100 SXM", "price_usd_per_gpu_hour": 2.35}
"""GPU cloud used when the site has none: H100 at 2.35 USD/GPU-h (1-year contract price,
Mar-2026, https://compux.net/docs/guides/gpu-pricing-trends-2026)."""


@dataclass(frozen=True)
class OptionFlows:
    """Monthly flows of one option for one gross MW [USD/month]."""

    option: str
    revenue_usd: FloatArray
    ebitda_usd: FloatArray
    capex_usd: FloatArray


def _pick_site(scenario: Scenario, site: str | None) -> SiteSpec:
    if site is None:
        return next((s for s in scenario.sites if s.fleets), scenario.sites[0])
    for s in scenario.sites:
        if s.name.lower() == site.lower():
            return s
    names = ", ".join(s.name for s in scenario.sites)
    msg = f"site {site!r} not in the scenario; sites: {names}"
    raise HashpivotError(msg)


def _mining_option(
    scenario: Scenario, site: SiteSpec, months: int, price_factor: float = 1.0
) -> OptionFlows:
    if not site.fleets:
        msg = f"site {site.name!r} has no ASIC fleets to value mining with"
        raise HashpivotError(msg)
    market = scenario.market.model_copy(
        update={"btc_price_usd": scenario.market.btc_price_usd * price_factor}
    )
    solo = scenario.model_copy(
        update={"sites": (site.model_copy(update={"conversions": ()}),), "market": market}
    )
    f = Projection(solo).run(months).fleets
    draw_mw = sum(fl.unit()[1] * fl.count for fl in site.fleets) * site.mining_pue / 1e6
    columns = ["revenue_usd", "power_cost_usd", "other_opex_usd", "asic_capex_usd"]
    g = f.groupby("month", sort=True)[columns].sum()
    revenue = g["revenue_usd"].to_numpy() / draw_mw
    ebitda = (g["revenue_usd"] - g["power_cost_usd"] - g["other_opex_usd"]).to_numpy() / draw_mw
    asic_usd = sum(fl.unit()[0] * fl.count * fleet_price_usd_per_th(fl) for fl in site.fleets)
    capex = g["asic_capex_usd"].to_numpy() / draw_mw  # fleets replaced on their dates
    capex[0] += MINING_FACILITY_USD_PER_MW + asic_usd / draw_mw
    return OptionFlows("mining", revenue, ebitda, capex)


def fleet_price_usd_per_th(fleet: Any) -> float:
    """Price of a fleet's own ASICs [USD/TH].

    Its ``capex_usd_per_th``, else the catalogue price of its model, else
    :data:`ASIC_REPLACEMENT_USD_PER_TH` when the catalogue has none.
    """
    if fleet.capex_usd_per_th is not None:
        return float(fleet.capex_usd_per_th)
    price = float(get_asic(fleet.asic_model).price_usd_per_th)
    return ASIC_REPLACEMENT_USD_PER_TH if math.isnan(price) else price


def _template_conversion(site: SiteSpec) -> ConversionSpec | None:
    return site.conversions[0] if site.conversions else None


def _one_mw_conversion(site: SiteSpec, start: dt.date, use: str) -> ConversionSpec:
    """A conversion of one gross MW, on the site's own terms where it has them."""
    tpl = _template_conversion(site)
    base: dict[str, Any] = {"name": f"1 MW {use}", "gross_mw": 1.0, "decision_date": start}
    if tpl is not None:
        base |= {
            "lead_time_months": tpl.lead_time_months,
            "ai_pue": tpl.ai_pue,
            "build": tpl.build,
            "capex_usd_per_it_mw": tpl.capex_usd_per_it_mw,
        }
    lead = int(base.get("lead_time_months", 12))
    ready = add_months(start, lead)
    it_mw = 1.0 / float(base.get("ai_pue", 1.3))
    if use == "colocation":
        terms = dict(DEFAULT_LEASE)
        if tpl is not None and tpl.lease is not None:
            terms = tpl.lease.model_dump(exclude={"it_mw", "energisation", "signing_date"})
        lease = ColocationLeaseSpec(
            **terms,
            it_mw=it_mw,
            signing_date=start,
            energisation=(EnergisationPhaseSpec(date=ready, it_mw=it_mw),),
        )
        return ConversionSpec(**base, lease=lease)
    gpu_terms: dict[str, Any] = dict(DEFAULT_GPU_CLOUD)
    if tpl is not None and tpl.gpu_cloud is not None:
        gpu_terms = tpl.gpu_cloud.model_dump(exclude={"gpu_count", "start_date"})
    gpu_terms["pue"] = float(base.get("ai_pue", 1.3))  # the conversion's PUE sizes the GPUs
    probe = GpuCloudSpec(**gpu_terms, gpu_count=1, start_date=ready)
    per_gpu_mw = get_gpu(probe.gpu_model).tdp_w * (1 + probe.server_overhead_frac) * probe.pue / 1e6
    count = max(math.floor(1.0 / per_gpu_mw), 1)
    cloud = probe.model_copy(update={"gpu_count": count})
    return ConversionSpec(**base, gpu_cloud=cloud)


def _ai_option(scenario: Scenario, site: SiteSpec, months: int, use: str) -> OptionFlows:
    conv = _one_mw_conversion(site, scenario.start_date, use)
    tl = engine.Timeline.from_start(scenario.start_date, months)
    one = np.ones((1, months))
    market = engine.MarketArrays(one, one)
    if use == "colocation":
        assert conv.lease is not None
        flows = engine.lease_project(conv.lease, conv, site, tl, market, None, 0)
    else:
        assert conv.gpu_cloud is not None
        flows = engine.gpu_project(conv.gpu_cloud, conv, site, tl, market, 0)
    f = {k: np.asarray(v)[0] for k, v in flows.items()}
    ebitda = f["revenue_usd"] - f["power_cost_usd"] - f["opex_usd"]
    return OptionFlows(use, f["revenue_usd"], ebitda, f["capex_usd"])


def _payback_years(ebitda: FloatArray, capex: FloatArray) -> float | None:
    cum = np.cumsum(ebitda - capex)
    spent = np.cumsum(capex) > 0
    ok = (cum >= 0) & spent & (np.arange(len(cum)) >= int(np.argmax(capex > 0)))
    return float((np.argmax(ok) + 1) / 12) if ok.any() else None


def _metrics(o: OptionFlows, wacc_frac_per_year: float) -> dict[str, Any]:
    operating = o.revenue_usd > 0
    years_operating = max(operating.sum(), 1) / 12
    rate = float(finance.monthly_rate(wacc_frac_per_year))
    cash = o.ebitda_usd - o.capex_usd
    irr_month = float(finance.irr(cash))
    rev = o.revenue_usd[operating]
    return {
        "option": o.option,
        "revenue_usd_per_mw_year": float(o.revenue_usd.sum() / years_operating),
        "ebitda_usd_per_mw_year": float(o.ebitda_usd.sum() / years_operating),
        "capex_usd_per_mw": float(o.capex_usd.sum()),
        "payback_years": _payback_years(o.ebitda_usd, o.capex_usd),
        "npv_usd_per_mw": float(finance.npv_usd(rate, cash)),
        "irr": None if math.isnan(irr_month) else (1 + irr_month) ** 12 - 1,
        "revenue_cv": float(rev.std() / rev.mean()) if rev.size and rev.mean() > 0 else None,
    }


def unit_economics(scenario: Scenario, site: str | None = None, years: int = 10) -> pd.DataFrame:
    """Per-MW economics of mining, colocation and GPU cloud at one site, on one table.

    Columns: ``option``, ``revenue_usd_per_mw_year``, ``ebitda_usd_per_mw_year``,
    ``capex_usd_per_mw``, ``payback_years`` (None: does not pay back), ``npv_usd_per_mw``
    (at the company's WACC), ``irr`` (annual), ``revenue_cv`` (std/mean of monthly
    revenue while operating) and ``revenue_change_btc_half_frac`` (revenue change when
    the BTC price is halved). Per gross MW at the meter.
    """
    s = _pick_site(scenario, site)
    months = years * 12
    wacc = scenario.company.wacc_frac_per_year
    options = [
        _mining_option(scenario, s, months),
        _ai_option(scenario, s, months, "colocation"),
        _ai_option(scenario, s, months, "gpu_cloud"),
    ]
    rows = [_metrics(o, wacc) for o in options]
    half = _mining_option(scenario, s, months, price_factor=0.5).revenue_usd.sum()
    base = options[0].revenue_usd.sum()
    rows[0]["revenue_change_btc_half_frac"] = float(half / base - 1) if base else None
    rows[1]["revenue_change_btc_half_frac"] = 0.0
    rows[2]["revenue_change_btc_half_frac"] = 0.0
    frame = pd.DataFrame(rows)
    frame.attrs |= {
        "site": s.name,
        "years": years,
        "wacc_frac_per_year": wacc,
        "network_model": scenario.network_model.model,
    }
    return frame
