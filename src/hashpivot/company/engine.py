"""Company cash flows as arrays over paths: the kernel of the deterministic and Monte Carlo runs.

One function, :func:`project_flows`, turns market arrays shaped ``(paths, months)`` into
monthly flows per project (each site's mining, each conversion's lease or GPU cloud, the
corporate overhead), and :func:`consolidate` adds debt, taxes and the BTC treasury. The
deterministic company model calls them with one path; the Monte Carlo calls them per
chunk of paths. No loop over paths: the loops run over fleets and projects only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import ai, conversion, finance, kernels, mining
from hashpivot.finance.segments import tax_with_loss_carryforward_usd
from hashpivot.hardware import get_gpu
from hashpivot.projection import (
    FleetArrays,
    FleetCoefficients,
    fleet_capex_usd,
    fleet_coefficients,
    fleet_installed_frac,
    stack_fleets,
)
from hashpivot.spec import ColocationLeaseSpec, ConversionSpec, GpuCloudSpec, Scenario, SiteSpec

FloatArray = npt.NDArray[np.float64]

FLOWS = (
    "revenue_usd",
    "power_cost_usd",
    "opex_usd",
    "capex_usd",
    "depreciation_usd",
    "asic_sale_usd",
    "btc_mined",
)
"""Flows every project reports, each shaped ``(paths, months)``."""

EBITDA_SIGNS = (("revenue_usd", 1.0), ("power_cost_usd", -1.0), ("opex_usd", -1.0))
"""The flows of a project's EBITDA and their signs (:attr:`ProjectFlows.ebitda_usd`)."""


@dataclass(frozen=True)
class Timeline:
    """Month grid shared by every project."""

    start_date: dt.date
    month_start: pd.DatetimeIndex
    days_in_month: npt.NDArray[np.int64]

    @classmethod
    def from_start(cls, start_date: dt.date, months: int) -> Timeline:
        """Calendar months from ``start_date`` (a first of month)."""
        idx = pd.date_range(pd.Timestamp(start_date), periods=months, freq="MS")
        return cls(start_date, idx, np.asarray(idx.days_in_month, dtype=np.int64))

    @property
    def n(self) -> int:
        """Months on the grid."""
        return len(self.month_start)

    @property
    def hours(self) -> FloatArray:
        """Hours in each month [h]."""
        return np.asarray(self.days_in_month * mining.HOURS_PER_DAY, dtype=np.float64)

    def index_of(self, date: dt.date) -> int:
        """Month index of a date (negative before the start)."""
        return (date.year - self.start_date.year) * 12 + (date.month - self.start_date.month)


@dataclass(frozen=True)
class MarketArrays:
    """Market inputs of one batch of paths, each ``(paths, months)``.

    Attributes
    ----------
    btc_price_usd
        BTC price. [USD/BTC]
    hashprice_btc_per_ph_day
        BTC earned per PH/s per day (network model). [BTC/PH/day]
    gpu_price_index
        Rental price relative to the start (1 at month 0); None keeps each GPU cloud's
        own deterministic trend. [-]
    power_price_factor
        Multiplier on each site's contract price, ``(paths, months, sites)``; None is 1. [-]
    default_uniform
        One uniform draw per path and lease, ``(paths, leases)``, that sets the month the
        tenant defaults; None uses the expected rent share instead. [-]

    """

    btc_price_usd: FloatArray
    hashprice_btc_per_ph_day: FloatArray
    gpu_price_index: FloatArray | None = None
    power_price_factor: FloatArray | None = None
    default_uniform: FloatArray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(paths, months)``."""
        p, m = np.shape(self.btc_price_usd)
        return int(p), int(m)


@dataclass
class ProjectFlows:
    """Monthly flows of one project, each ``(paths, months)`` [USD, BTC]."""

    site: str
    segment: str
    project: str
    flows: dict[str, FloatArray] = field(default_factory=dict)

    @property
    def ebitda_usd(self) -> FloatArray:
        """Revenue − power − opex [USD]."""
        f = self.flows
        return f["revenue_usd"] - f["power_cost_usd"] - f["opex_usd"]


def _site_power_price(site: SiteSpec, tl: Timeline, factor: FloatArray | None) -> FloatArray:
    base = mining.escalated_price_usd_per_mwh(
        site.power.price_usd_per_mwh, site.power.escalator_frac_per_year, np.arange(tl.n)
    )
    return base if factor is None else base * factor


def power_factor(market: MarketArrays) -> FloatArray | None:
    """The power price multiplier ``(paths, months, sites)``, or None where it is all 1.

    Fixed power prices come as a read-only broadcast of ones (no memory); None lets the
    kernels skip the multiplier instead of materialising it.
    """
    f = market.power_price_factor
    if f is None or (f.size > 0 and not any(f.strides) and float(f.flat[0]) == 1.0):
        return None
    return f


def _site_factor(market: MarketArrays, site_index: int) -> FloatArray | None:
    """Power price multiplier of one site ``(paths, months)``, or None where it is all 1."""
    f = power_factor(market)
    return None if f is None else np.asarray(f[..., site_index])


def _full(shape: tuple[int, int], **flows: FloatArray) -> dict[str, FloatArray]:
    """Every flow of :data:`FLOWS`, broadcast to ``shape`` (absent ones are zero views)."""
    return {
        k: np.broadcast_to(np.asarray(flows.get(k, 0.0), dtype=np.float64), shape) for k in FLOWS
    }


def _is_zero(a: FloatArray) -> bool:
    """True for a zero-stride view of one zero, as :func:`_full` makes for absent flows."""
    return a.size > 0 and all(st == 0 for st in a.strides) and float(a.flat[0]) == 0.0


def _conversion_capex(conv: ConversionSpec, tl: Timeline, tenant_share: float) -> FloatArray:
    it_mw = float(conversion.it_mw_from_gross_mw(conv.gross_mw, conv.ai_pue))
    total = float(conversion.company_capex_usd(it_mw, conv.capex_per_it_mw_usd(), tenant_share))
    start = tl.index_of(conv.decision_date)
    return conversion.capex_schedule_usd(total, start, conv.lead_time_months, tl.n)


def _rent_share(
    lease: ColocationLeaseSpec, since: FloatArray, uniform: FloatArray | None
) -> FloatArray:
    """Share of contracted rent collected: expected, or 1 before a sampled default month."""
    if uniform is None:
        return ai.expected_rent_frac(lease.tenant_default_prob_per_year, lease.recovery_frac, since)
    p = lease.tenant_default_prob_per_year
    if p <= 0.0:
        return np.ones_like(since)
    # survival (1-p)^(m/12) falls below U at m = 12·ln U / ln(1-p) (inverse transform)
    with np.errstate(divide="ignore"):
        default_month = 12.0 * np.log(uniform) / np.log1p(-p) if p < 1 else np.zeros_like(uniform)
    alive = since[None, :] < default_month[:, None]
    return np.where(alive, 1.0, lease.recovery_frac)


def _backstopped_rent_usd(
    lease: ColocationLeaseSpec, since: FloatArray, rent_usd: FloatArray, uniform: FloatArray | None
) -> FloatArray:
    """Rent collected with a capped backstop [USD/month].

    Full rent while the tenant pays (months before its default time D), then the
    backstop's payments (:func:`hashpivot.ai.backstop_paid_usd`). Sampled: per path, from
    its default time. Expected (no uniforms): S(k)·rent_k plus Σ_{j≤k} P(j−1 < D ≤ j) × the
    backstop's payment in month k after a default in month j, with S the survival.
    """
    p = lease.tenant_default_prob_per_year
    cap = float(lease.backstop_usd or 0.0)
    if uniform is not None:
        if p <= 0.0:
            return np.broadcast_to(rent_usd, (uniform.shape[0], rent_usd.shape[-1])).copy()
        with np.errstate(divide="ignore"):
            default_month = (
                12.0 * np.log(uniform) / np.log1p(-p) if p < 1 else np.zeros_like(uniform)
            )
        alive = since[None, :] < default_month[:, None]
        lost = rent_usd[None, :] * ~alive
        return np.asarray(rent_usd * alive + ai.backstop_paid_usd(lost, np.full(len(uniform), cap)))
    survive = ai.survival_frac(p, since)  # P(D > k): the rent of month k is paid
    default_in = ai.survival_frac(p, since - 1.0) - survive  # P(k − 1 < D ≤ k)
    after = since[None, :] >= since[:, None]  # [j, k]: month k is after a default in month j
    paid = ai.backstop_paid_usd(rent_usd[None, :] * after, np.full(len(since), cap))
    return np.asarray(survive * rent_usd + (default_in[:, None] * paid).sum(axis=0))


def lease_project(
    lease: ColocationLeaseSpec,
    conv: ConversionSpec,
    site: SiteSpec,
    tl: Timeline,
    market: MarketArrays,
    uniform: FloatArray | None,
    site_index: int,
) -> dict[str, FloatArray]:
    """Monthly rent, power, opex and capex of one lease [USD/month].

    Energisation phases start ``construction_delay_months`` after their dates and run for
    their own ``term_years`` (default: to the end of the lease's term). After a
    tenant default the rent falls to ``recovery_frac``, or, when the lease has a
    ``backstop_usd``, the backstop pays the lost rent until its cap is spent
    (:func:`_backstopped_rent_usd`).
    """
    months = np.arange(tl.n)
    phase_m = [tl.index_of(p.date) + lease.construction_delay_months for p in lease.energisation]
    since = months - min(phase_m)
    lease_end = min(phase_m) + round(lease.term_years * 12)
    ends = [lease_end if p.term_years is None else start + round(p.term_years * 12)
            for p, start in zip(lease.energisation, phase_m, strict=True)]  # fmt: skip
    energised = ai.energised_it_mw(phase_m, [p.it_mw for p in lease.energisation], months, ends)
    rate = ai.escalated_rate_usd_per_kw_month(
        lease.rate_usd_per_kw_month, lease.escalator_frac_per_year, since
    )
    load = 1.0 if lease.take_or_pay else lease.it_load_frac
    if lease.backstop_usd is not None:
        contracted = ai.lease_rent_usd(energised, rate, load)
        rent = _backstopped_rent_usd(lease, since.astype(np.float64), contracted, uniform)
    else:
        share = _rent_share(lease, since.astype(np.float64), uniform) * load
        rent = ai.lease_rent_usd(energised, rate, share)
    power = np.zeros(tl.n)
    if not lease.power_pass_through:
        factor = _site_factor(market, site_index)
        draw = ai.ai_power_mw(energised, lease.it_load_frac, conv.ai_pue)
        power = draw * tl.hours * _site_power_price(site, tl, factor)
    return _full(
        market.shape,
        revenue_usd=rent,
        power_cost_usd=power,
        opex_usd=energised * ai.KW_PER_MW * lease.opex_usd_per_kw_month,
        capex_usd=_conversion_capex(conv, tl, lease.tenant_capex_share_frac),
    )


def gpu_project(
    cloud: GpuCloudSpec,
    conv: ConversionSpec,
    site: SiteSpec,
    tl: Timeline,
    market: MarketArrays,
    site_index: int,
) -> dict[str, FloatArray]:
    """Monthly revenue, power, opex, capex and depreciation of one GPU cloud [USD/month]."""
    since = np.arange(tl.n) - tl.index_of(cloud.start_date)
    live = (since >= 0).astype(np.float64)
    if market.gpu_price_index is None:
        spot = ai.gpu_price_path_usd_per_gpu_hour(
            cloud.price_usd_per_gpu_hour, cloud.price_trend_frac_per_year, np.maximum(since, 0)
        )
    else:
        spot = cloud.price_usd_per_gpu_hour * market.gpu_price_index
    contract_price = cloud.contract_usd_per_gpu_hour or cloud.price_usd_per_gpu_hour
    contract = np.where(since < round(cloud.contract_term_years * 12), contract_price, spot)
    revenue = ai.gpu_cloud_revenue_usd(
        cloud.gpu_count * live, tl.hours, cloud.contract_share_frac, contract, spot,
        cloud.utilisation_frac,
    )  # fmt: skip
    load = cloud.contract_share_frac + (1 - cloud.contract_share_frac) * cloud.utilisation_frac
    tdp = get_gpu(cloud.gpu_model).tdp_w
    draw = ai.gpu_cloud_power_mw(
        cloud.gpu_count * live, tdp, cloud.server_overhead_frac, cloud.pue, load
    )
    factor = _site_factor(market, site_index)
    gpu_capex = cloud.gpu_count * cloud.capex_per_gpu_usd()
    capex = _conversion_capex(conv, tl, 0.0)
    if 0 <= -since[0] < tl.n:
        capex[-since[0]] += gpu_capex
    dep = ai.gpu_depreciation_usd_per_month(
        gpu_capex, cloud.useful_life_years, cloud.residual_value_frac
    )
    in_life = live * (since < round(cloud.useful_life_years * 12))
    return _full(
        market.shape,
        revenue_usd=revenue,
        power_cost_usd=draw * tl.hours * _site_power_price(site, tl, factor),
        opex_usd=cloud.gpu_count * live * cloud.opex_usd_per_gpu_month,
        capex_usd=capex,
        depreciation_usd=dep * in_life,
    )


def _asic_sales(scenario: Scenario, f: FleetArrays, active: FloatArray, tl: Timeline) -> FloatArray:
    """Cash from ASICs sold on each conversion's decision month, per fleet ``(fleets, months)``.

    A replaced fleet's hand-over to its replacement is not a sale (the old machines are
    assumed scrapped at no value); replacing machines start with nothing installed.
    """
    before = np.where(f.replaces >= 0, 0.0, 1.0)[:, None]
    drop = np.diff(np.concatenate([before, active], axis=1), axis=1)
    for new in np.flatnonzero(f.replaces >= 0):
        m = int(f.start_month[new])
        if m < tl.n:
            drop[f.replaces[new], m] += active[new, m]
    th_sold = -np.minimum(drop, 0.0) * (f.count * f.unit_th_s)[:, None]
    price = np.zeros((len(f.site), tl.n))
    site_of = np.asarray(f.site)
    for site in scenario.sites:
        for conv in site.conversions:
            m = tl.index_of(conv.decision_date)
            if 0 <= m < tl.n:
                price[site_of == site.name, m] = conv.asic_resale_usd_per_th
    return np.asarray(conversion.asic_sale_proceeds_usd(th_sold, price))


def _mining_coef(c: FleetCoefficients, rows: npt.NDArray[np.intp]) -> dict[str, FloatArray]:
    """The coefficients :func:`kernels.site_mining` takes, for the fleets ``rows``."""
    return {
        "btc_per_hashprice": c.btc_per_hashprice[rows],
        "power_cost_usd": c.energy_mwh[rows] * c.power_price_usd_per_mwh[rows],
        "opex_usd": c.opex_usd[rows],
        "threshold_k": c.hashprice_per_power_usd[rows],
        "power_price_usd_per_mwh": c.power_price_usd_per_mwh[rows],
        "opex_usd_per_mwh": c.opex_usd_per_mwh[rows],
        "shutdown": c.shutdown[rows, 0],
    }


def _fleets_by_site(scenario: Scenario, f: FleetArrays) -> list[npt.NDArray[np.intp]]:
    """Indices of each site's fleets, in the scenario's site order."""
    site_of = np.asarray(f.site)
    return [np.flatnonzero(site_of == site.name) for site in scenario.sites]


def mining_projects(scenario: Scenario, tl: Timeline, market: MarketArrays) -> list[ProjectFlows]:
    """Mining flows per site ``(paths, months)``, accumulated fleet by fleet.

    Each fleet adds its coefficients (:func:`projection.fleet_coefficients`) times its
    running indicator; no array carries a fleet axis, so memory stays at a few
    ``(paths, months)`` arrays per site.
    """
    f = stack_fleets(scenario)
    active = fleet_installed_frac(scenario, f, tl.n)
    c = fleet_coefficients(f, active, tl.days_in_month)
    sales = _asic_sales(scenario, f, active, tl)
    bought = fleet_capex_usd(f, active)
    hp_btc = market.hashprice_btc_per_ph_day
    out = []
    groups = _fleets_by_site(scenario, f)
    for s_idx, (site, rows) in enumerate(zip(scenario.sites, groups, strict=True)):
        if rows.size == 0:
            continue
        btc, power, opex = kernels.site_mining(
            hp_btc, market.btc_price_usd, _site_factor(market, s_idx), _mining_coef(c, rows)
        )
        flows = _full(
            market.shape,
            revenue_usd=btc * market.btc_price_usd,
            power_cost_usd=power,
            opex_usd=opex,
            depreciation_usd=c.depreciation_usd[rows].sum(axis=0),
            asic_sale_usd=sales[rows].sum(axis=0),
            capex_usd=bought[rows].sum(axis=0),
            btc_mined=btc,
        )
        out.append(ProjectFlows(site.name, "mining", "fleets", flows))
    return out


@dataclass(frozen=True)
class MiningTotals:
    """The mining of every site together: what the Monte Carlo keeps of it."""

    revenue_usd: FloatArray
    """BTC mined × price, all sites ``(paths, months)`` [USD]."""
    ebitda_usd: FloatArray
    """Revenue − power − opex, all sites ``(paths, months)`` [USD]."""
    depreciation_usd: FloatArray
    """ASIC depreciation, all sites ``(months,)`` [USD]."""
    asic_sale_usd: FloatArray
    """Cash from ASICs sold at conversions, all sites ``(months,)`` [USD]."""
    capex_usd: FloatArray
    """ASICs bought to replace retired fleets, all sites ``(months,)`` [USD]."""

    @property
    def invest_usd(self) -> FloatArray:
        """Net investment in fleets: replacement capex − ASIC sales ``(months,)`` [USD]."""
        return np.asarray(self.capex_usd - self.asic_sale_usd)


@dataclass(frozen=True)
class MiningPlan:
    """The path-independent part of :func:`mining_totals`: fleet coefficients by site."""

    site_start: npt.NDArray[np.int64]
    """Site ``s`` has fleets ``site_start[s]:site_start[s + 1]`` of ``coef``."""
    coef: dict[str, FloatArray]
    """The fleets' coefficients (:func:`kernels.company_mining`), grouped by site."""
    depreciation_usd: FloatArray
    """ASIC depreciation, all sites ``(months,)`` [USD]."""
    asic_sale_usd: FloatArray
    """Cash from ASICs sold at conversions, all sites ``(months,)`` [USD]."""
    capex_usd: FloatArray
    """ASICs bought to replace retired fleets, all sites ``(months,)`` [USD]."""

    @property
    def invest_usd(self) -> FloatArray:
        """Net investment in fleets: replacement capex − ASIC sales ``(months,)`` [USD]."""
        return np.asarray(self.capex_usd - self.asic_sale_usd)


def mining_plan(scenario: Scenario, tl: Timeline) -> MiningPlan:
    """The fleet coefficients of every site, for :func:`mining_totals` (computed once a run)."""
    f = stack_fleets(scenario)
    active = fleet_installed_frac(scenario, f, tl.n)
    c = fleet_coefficients(f, active, tl.days_in_month)
    groups = _fleets_by_site(scenario, f)
    order = np.concatenate([*groups, np.zeros(0, dtype=np.intp)])
    site_start = np.concatenate([[0], np.cumsum([g.size for g in groups])]).astype(np.int64)
    coef = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in _mining_coef(c, order).items()}
    sales = _asic_sales(scenario, f, active, tl)
    capex = fleet_capex_usd(f, active).sum(axis=0)
    return MiningPlan(site_start, coef, c.depreciation_usd.sum(axis=0), sales.sum(axis=0), capex)


def mining_totals(
    scenario: Scenario, tl: Timeline, market: MarketArrays, plan: MiningPlan | None = None
) -> MiningTotals:
    """:func:`mining_projects` summed over sites, in one compiled pass over the paths.

    The same numbers to rounding (``tests/test_simulation.py``), without the per-site
    ``(paths, months)`` arrays of power, opex and BTC mined. ``plan`` is
    :func:`mining_plan` of the same scenario and timeline, made once for many chunks.
    """
    plan = mining_plan(scenario, tl) if plan is None else plan
    revenue, ebitda = kernels.company_mining(
        market.hashprice_btc_per_ph_day, market.btc_price_usd, power_factor(market),
        plan.site_start, plan.coef,
    )  # fmt: skip
    return MiningTotals(revenue, ebitda, plan.depreciation_usd, plan.asic_sale_usd, plan.capex_usd)


def conversion_projects(
    scenario: Scenario, tl: Timeline, market: MarketArrays
) -> list[ProjectFlows]:
    """Monthly flows of every lease and GPU cloud, then the corporate overhead."""
    projects = []
    k = 0
    for i, site in enumerate(scenario.sites):
        for conv in site.conversions:
            if conv.lease is not None:
                u = None if market.default_uniform is None else market.default_uniform[:, k]
                k += 1
                flows = lease_project(conv.lease, conv, site, tl, market, u, i)
                projects.append(ProjectFlows(site.name, "colocation", conv.name, flows))
            elif conv.gpu_cloud is not None:
                flows = gpu_project(conv.gpu_cloud, conv, site, tl, market, i)
                projects.append(ProjectFlows(site.name, "gpu_cloud", conv.name, flows))
    ga = np.full(tl.n, scenario.company.ga_usd_per_month)
    projects.append(ProjectFlows("corporate", "corporate", "G&A", _full(market.shape, opex_usd=ga)))
    return projects


def project_flows(scenario: Scenario, tl: Timeline, market: MarketArrays) -> list[ProjectFlows]:
    """Monthly flows of every project of the company, each ``(paths, months)``."""
    return mining_projects(scenario, tl, market) + conversion_projects(scenario, tl, market)


def n_leases(scenario: Scenario) -> int:
    """Leases in the scenario: the columns of :attr:`MarketArrays.default_uniform`."""
    return sum(1 for s in scenario.sites for c in s.conversions if c.lease is not None)


def debt_schedule(scenario: Scenario, months: int) -> finance.LoanSchedule:
    """The company's debt service over the horizon (deterministic)."""
    c = scenario.company
    rate = float(finance.monthly_rate(c.debt_rate_frac_per_year))
    term = max(round(c.debt_term_years * 12), 1)
    return finance.loan_schedule(
        c.debt_usd, rate, term, kind=c.debt_amortisation, horizon_periods=months
    )


def _sum_flows(projects: list[ProjectFlows], shape: tuple[int, int]) -> dict[str, FloatArray]:
    """Sum each flow over projects; path-independent flows stay ``(months,)`` until the end."""
    out: dict[str, FloatArray] = {}
    for k in FLOWS:
        per_path = np.zeros(shape)
        common = np.zeros(shape[1])
        for proj in projects:
            a = proj.flows[k]
            if _is_zero(a):
                continue
            if a.strides[0] == 0:  # the same for every path
                common += a[0]
            else:
                per_path += a
        out[k] = per_path + common
    return out


def consolidate(
    scenario: Scenario, projects: list[ProjectFlows], market: MarketArrays, full: bool = True
) -> dict[str, FloatArray]:
    """Company flows ``(paths, months)``: EBITDA, taxes, free cash flow, debt, BTC held.

    Taxes (``taxes_usd``) are on EBT with losses carried forward (none in a loss month; a
    profit first uses the pool, up to 80 % of it, 26 U.S.C. § 172,
    :func:`hashpivot.finance.segments.tax_with_loss_carryforward_usd`); free cash flow is
    unlevered (EBITDA − tax on EBIT each month, as the Monte Carlo keeps it − capex + ASIC
    sales; ``hashpivot value`` recomputes it with losses carried forward), counting mined BTC at
    market value; cash flow to equity subtracts interest, principal and the value of the
    BTC retained in treasury. ``full=False`` returns only ``ebitda_usd`` and
    ``free_cash_flow_usd`` (what the Monte Carlo keeps), skipping the rest.
    """
    c = scenario.company
    total = _sum_flows(projects, market.shape)
    ebitda = total["revenue_usd"] - total["power_cost_usd"] - total["opex_usd"]
    ebit = ebitda - total["depreciation_usd"]
    invest = total["capex_usd"] - total["asic_sale_usd"]
    fcf = ebitda - c.tax_rate_frac * np.maximum(ebit, 0.0) - invest
    if not full:
        return {"ebitda_usd": ebitda, "free_cash_flow_usd": fcf}
    debt = debt_schedule(scenario, market.shape[1])
    taxes, _ = tax_with_loss_carryforward_usd(ebit - debt.interest_usd, c.tax_rate_frac)
    retained = total["btc_mined"] * c.btc_retain_frac
    equity_cf = ebitda - taxes - invest - debt.payment_usd - retained * market.btc_price_usd
    out = dict(total)
    out |= {
        "ebitda_usd": ebitda,
        "interest_usd": np.broadcast_to(debt.interest_usd, ebitda.shape),
        "taxes_usd": taxes,
        "free_cash_flow_usd": fcf,
        "btc_retained_usd": retained * market.btc_price_usd,
        "cash_flow_to_equity_usd": equity_cf,
        "debt_balance_usd": np.broadcast_to(debt.balance_usd, ebitda.shape),
        "btc_held": c.btc_held + np.cumsum(retained, axis=-1),
    }
    return out


def _signed_sum(
    shape: tuple[int, int], terms: list[tuple[float, FloatArray]], start: FloatArray | None = None
) -> FloatArray:
    """Σ sign × array over ``terms`` (signs ±1), path-independent terms added once.

    ``(paths, months)`` when ``start`` or a term varies by path, else ``(months,)``, which
    broadcasts the same; in place, without temporaries.
    """
    per_path = None if start is None else start.copy()
    common = np.zeros(shape[1])
    for sign, a in terms:
        a = np.broadcast_to(a, shape)
        if _is_zero(a):
            continue
        if a.strides[0] == 0:
            (np.add if sign > 0 else np.subtract)(common, a[0], out=common)
        else:
            if per_path is None:
                per_path = np.zeros(shape)
            (np.add if sign > 0 else np.subtract)(per_path, a, out=per_path)
    if per_path is None:
        return common
    per_path += common
    return per_path


def company_ebitda_fcf(
    scenario: Scenario, mining: MiningTotals, others: list[ProjectFlows]
) -> tuple[FloatArray, FloatArray]:
    """EBITDA and unlevered free cash flow ``(paths, months)`` [USD]: :func:`consolidate`'s.

    ``mining`` is :func:`mining_totals`, ``others`` is :func:`conversion_projects`; the
    formulas are those of :func:`consolidate` with ``full=False``.
    """
    shape = mining.ebitda_usd.shape
    terms = [(sign, p.flows[key]) for p in others for key, sign in EBITDA_SIGNS]
    ebitda = _signed_sum(shape, terms, mining.ebitda_usd)
    dep = [(1.0, mining.depreciation_usd)] + [(1.0, p.flows["depreciation_usd"]) for p in others]
    depreciation = _signed_sum(shape, dep)
    invest_terms = [(1.0, mining.invest_usd)] + [
        (s, p.flows[k]) for p in others for s, k in ((1.0, "capex_usd"), (-1.0, "asic_sale_usd"))
    ]
    invest = _signed_sum(shape, invest_terms)
    c = scenario.company
    fcf = ebitda - c.tax_rate_frac * np.maximum(ebitda - depreciation, 0.0) - invest
    return ebitda, fcf


def company_value(scenario: Scenario, fcf_usd: FloatArray) -> finance.DcfResult:
    """DCF of free cash flow at the company's WACC with a Gordon terminal value [USD]."""
    c = scenario.company
    return finance.dcf(fcf_usd, c.wacc_frac_per_year, "gordon", c.terminal_growth_frac_per_year)
