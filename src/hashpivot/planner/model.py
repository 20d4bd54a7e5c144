"""The conversion-planning LP/MILP: one ``define_<family>()`` per family of rows or columns.

Sets: scenarios s ∈ S (equally likely sampled futures), periods t ∈ T, sites k ∈ K,
fleet tiers f ∈ F (each on one site k(f)), bands b ∈ B of the trailing hashprice.
Money is in million USD inside the model (:data:`USD_SCALE`) for conditioning; results
are converted back to USD.

First stage: ``y[k,t,b]`` gross MW converted at site k by period t (the converted
stock) when the lowest trailing hashprice seen so far is in band b at the start of t: a
non-anticipative target-stock decision rule (Zhao, Haskell and Cardin 2019); with one
band it is one schedule shared by all scenarios. Optionally in whole blocks
``n[k,t,b]``. Scenario s holds the stock ``C[s,k,t] = y[k,t,b(s,t)]`` and converts
``X[s,k,t] = C[s,k,t] − C[s,k,t−1] ≥ 0`` (conversions are irreversible). Second stage
(per scenario and period): ``m[s,t,f]`` MW of tier f that mine. Objective, after
Rockafellar and Uryasev (2000)::

    max  1/|S| Σ_s npv[s]  −  λ·( η + 1/((1−α)|S|) Σ_s u[s] )
    npv[s] = Σ_{t,f} μ[s,t,f]·m[s,t,f] + Σ_{k,t} (lease[k,t] − capex[k,t])·X[s,k,t]
    u[s] ≥ −npv[s] − η,  u[s] ≥ 0

At the optimum η is the VaR_α of the loss −npv and the bracket its CVaR_α.

References
----------
.. [1] Rockafellar, R. T. and Uryasev, S. (2000), "Optimization of conditional
   value-at-risk", Journal of Risk 2(3):21-41, eqs. (9)-(10) and the LP of section 3.
.. [2] Zhao, S., Haskell, W. B. and Cardin, M.-A. (2019), "Decision rule-based method in
   solving multi-stage stochastic capacity expansion problems", arXiv:1905.05328.
.. [3] Brown, T., Hörsch, J. and Schlachtberger, D. (2018), "PyPSA: Python for Power
   System Analysis", J. Open Research Software 6(1):4 (the define-per-family layout).
.. [4] Hofmann, F. (2023), "Linopy: Linear optimization with n-dimensional labeled
   variables", J. Open Source Software 8(84):4823.

"""

from __future__ import annotations

from dataclasses import dataclass

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from hashpivot.planner.data import PlannerData
from hashpivot.planner.spec import PlannerSpec

USD_SCALE = 1e-6
"""Model money unit per USD: the model counts million USD [MUSD/USD]."""


@dataclass(frozen=True)
class Family:
    """A named family of constraints: what it says, and the input that sets its bound."""

    name: str
    label: str
    field: str
    removable: bool = True


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("Site-convert-nonnegative", "irreversible conversions", "", removable=False),
        Family("Site-converted-band-monotone", "rule ordered by hashprice", "",
               removable=False),
        Family("Company-ai-share-lower", "min AI share", "min_ai_share_frac"),
        Family("Company-ai-share-upper", "max AI share", "max_ai_share_frac"),
        Family("Site-convert-capacity-upper", "site capacity", "power_capacity_mw"),
        Family("Site-convert-block-equality", "whole conversion blocks", "integer_block_mw"),
        Family("Company-construction-upper", "construction capacity",
               "construction_mw_per_period"),
        Family("Market-ai-demand-upper", "AI demand cap", "ai_demand_it_mw_per_period"),
        Family("Company-capex-budget-upper", "capex budget", "capex_budget_usd"),
        Family("Company-capex-period-upper", "capex per period", "capex_budget_usd_per_period"),
        Family("Company-debt-capacity-upper", "debt capacity", "debt_capacity_usd"),
        Family("Company-debt-ltv-upper", "debt loan-to-value", "debt_ltv_frac"),
        Family("Site-mining-capacity-upper", "site MW shared by mining and conversion", "",
               removable=False),
        Family("Scenario-npv-definition", "scenario NPV", "", removable=False),
        Family("Risk-cvar-excess-lower", "CVaR excess loss", "", removable=False),
    )
}  # fmt: skip
"""Every constraint family the model can hold, by name; requirements (lower bounds) first,
so an infeasibility reads "requirement conflicts with limit"."""


@dataclass(frozen=True)
class Coords:
    """Labelled axes of one problem."""

    scenario: pd.RangeIndex
    period: pd.RangeIndex
    site: pd.Index
    fleet: pd.Index
    bucket: pd.RangeIndex

    @classmethod
    def of(cls, data: PlannerData) -> Coords:
        """Axes of ``data``."""
        n_s, n_t, _, _ = data.shape
        n_b = 1 if data.signal_bucket is None else int(data.signal_bucket.max()) + 1
        return cls(
            pd.RangeIndex(n_s, name="scenario"),
            pd.RangeIndex(n_t, name="period"),
            pd.Index(list(data.site), name="site"),
            pd.Index(list(data.fleet), name="fleet"),
            pd.RangeIndex(n_b, name="bucket"),
        )

    def site_period(self, values: np.ndarray) -> xr.DataArray:
        """A ``(site, period)`` array as a labelled DataArray."""
        return xr.DataArray(values, coords=[self.site, self.period])


def is_rule(data: PlannerData) -> bool:
    """True when conversions depend on the hashprice band (more than one band)."""
    return data.signal_bucket is not None and int(data.signal_bucket.max()) > 0


def scenario_stock(m: linopy.Model, data: PlannerData) -> linopy.Variable:
    """C: each scenario's converted stock y[k,t,b(s,t)], dims (site, period[, scenario]) [MW]."""
    y = m.variables["Site-converted"]
    if not is_rule(data) or data.signal_bucket is None:
        shared: linopy.Variable = y.isel(bucket=0)
        return shared
    c = Coords.of(data)
    band = xr.DataArray(data.signal_bucket, coords=[c.scenario, c.period])
    per_scenario: linopy.Variable = y.isel(bucket=band)
    return per_scenario


def scenario_conversions(m: linopy.Model, data: PlannerData) -> linopy.LinearExpression:
    """X: MW each scenario starts converting in each period, C[t] − C[t−1] [MW]."""
    stock = scenario_stock(m, data)
    out: linopy.LinearExpression = stock - stock.shift(period=1).fillna(0)
    return out


# --------------------------------------------------------------------------- first stage


def define_conversion_variables(
    m: linopy.Model, data: PlannerData, spec: PlannerSpec, relax: bool
) -> None:
    """Variable ``Site-converted`` y[k,t,b] ≥ 0, the stock targets of the rule [MW].

    With ``integer_block_mw`` = β (and not ``relax``), also integer
    ``Site-convert-blocks`` n[k,t,b] ≥ 0 and the family ``Site-convert-block-equality``,
    so every conversion is a whole number of blocks::

        y[k,t,b] = β · n[k,t,b]
    """
    c = Coords.of(data)
    y = m.add_variables(lower=0.0, coords=[c.site, c.period, c.bucket], name="Site-converted")
    if spec.integer_block_mw is not None and not relax:
        n = m.add_variables(lower=0, coords=[c.site, c.period, c.bucket],
                            name="Site-convert-blocks", integer=True)  # fmt: skip
        m.add_constraints(y - spec.integer_block_mw * n == 0, name="Site-convert-block-equality")


def define_irreversible_conversion(m: linopy.Model, data: PlannerData) -> None:
    """``Site-convert-nonnegative``: a scenario's stock never falls (MW do not go back).

    ::

        X[s,k,t] = C[s,k,t] − C[s,k,t−1] ≥ 0,   C[s,k,−1] = 0
    """
    m.add_constraints(scenario_conversions(m, data) >= 0, name="Site-convert-nonnegative")


def define_band_monotone(m: linopy.Model, data: PlannerData) -> None:
    """``Site-converted-band-monotone``: a lower hashprice never means fewer MW converted.

    Bands are numbered from the lowest hashprice up, so::

        y[k,t,b] ≥ y[k,t,b+1]

    The rule stays economically ordered and cannot chase noise between bands.
    """
    if not is_rule(data):
        return
    y = m.variables["Site-converted"]
    upper = y.shift(bucket=-1).fillna(0)
    m.add_constraints(
        (y - upper).sel(bucket=slice(None, len(Coords.of(data).bucket) - 2)) >= 0,
        name="Site-converted-band-monotone",
    )


def define_site_convert_capacity(m: linopy.Model, data: PlannerData) -> None:
    """``Site-convert-capacity-upper``: a site converts at most the MW it has left.

    ::

        y[k,t,b] ≤ capacity_k − existing conversions_k
    """
    c = Coords.of(data)
    m.add_constraints(
        m.variables["Site-converted"] <= xr.DataArray(data.convertible_mw, coords=[c.site]),
        name="Site-convert-capacity-upper",
    )


def define_construction_capacity(m: linopy.Model, data: PlannerData, spec: PlannerSpec) -> None:
    """``Company-construction-upper``: gross MW whose build starts in a period, all sites.

    ::

        Σ_k X[s,k,t] ≤ construction_mw_per_period
    """
    if spec.construction_mw_per_period is None:
        return
    x = scenario_conversions(m, data)
    m.add_constraints(
        x.sum("site") <= spec.construction_mw_per_period, name="Company-construction-upper"
    )


def define_ai_demand(m: linopy.Model, data: PlannerData, spec: PlannerSpec) -> None:
    """``Market-ai-demand-upper``: IT MW that tenants sign per period at the lease rate.

    ::

        Σ_k X[s,k,t] / PUE_k ≤ ai_demand_it_mw_per_period
    """
    if spec.ai_demand_it_mw_per_period is None:
        return
    c = Coords.of(data)
    it = xr.DataArray(data.it_mw_per_mw, coords=[c.site])
    m.add_constraints(
        (it * scenario_conversions(m, data)).sum("site") <= spec.ai_demand_it_mw_per_period,
        name="Market-ai-demand-upper",
    )


def define_capex_budget(m: linopy.Model, data: PlannerData, spec: PlannerSpec) -> None:
    """Capex funded by the budget and new debt, variable ``Company-debt`` d[(s)] ≥ 0 [MUSD].

    ::

        Company-capex-budget-upper:   Σ_{k,t} capex_k·X[s,k,t] − d[s] ≤ capex_budget_usd
        Company-debt-capacity-upper:  d[s] ≤ debt_capacity_usd
        Company-debt-ltv-upper:       d[s] − ltv·Σ_{k,t} lease[k,t]·X[s,k,t] ≤ 0  (if set)
    """
    if spec.capex_budget_usd is None:
        return
    c = Coords.of(data)
    x = scenario_conversions(m, data)
    debt = m.add_variables(lower=0.0, coords=[c.scenario] if is_rule(data) else None,
                           name="Company-debt")  # fmt: skip
    capex = xr.DataArray(data.capex_usd_per_mw * USD_SCALE, coords=[c.site])
    m.add_constraints(
        (capex * x).sum(["site", "period"]) - debt <= spec.capex_budget_usd * USD_SCALE,
        name="Company-capex-budget-upper",
    )
    m.add_constraints(
        debt <= spec.debt_capacity_usd * USD_SCALE, name="Company-debt-capacity-upper"
    )
    if spec.debt_ltv_frac is not None:
        lease = c.site_period(data.lease_usd_per_mw * USD_SCALE)
        m.add_constraints(
            debt - spec.debt_ltv_frac * (lease * x).sum(["site", "period"]) <= 0,
            name="Company-debt-ltv-upper",
        )


def define_capex_per_period(m: linopy.Model, data: PlannerData, spec: PlannerSpec) -> None:
    """``Company-capex-period-upper``: capex spent in a period, builds spread over the lead.

    The spend profile g_k(ℓ), the share of a conversion's capex spent ℓ periods after
    its decision, is the same for every decision period (``capex_spend_frac[k, 0]``)::

        Σ_k Σ_ℓ capex_k·g_k(ℓ)·X[s,k,t−ℓ] ≤ capex_budget_usd_per_period
    """
    if spec.capex_budget_usd_per_period is None:
        return
    c = Coords.of(data)
    x = scenario_conversions(m, data)
    profile = data.capex_spend_frac[:, 0, :] * (data.capex_usd_per_mw * USD_SCALE)[:, None]
    lags = [lag for lag in range(profile.shape[1]) if profile[:, lag].any()]
    terms = [
        (xr.DataArray(profile[:, lag], coords=[c.site]) * x.shift(period=lag).fillna(0)).sum("site")
        for lag in lags
    ]
    spend: linopy.LinearExpression = terms[0]
    for term in terms[1:]:
        spend = spend + term
    m.add_constraints(
        spend <= spec.capex_budget_usd_per_period * USD_SCALE, name="Company-capex-period-upper"
    )


def define_ai_share(m: linopy.Model, data: PlannerData, spec: PlannerSpec) -> None:
    """Share of all site MW in AI by the end of the horizon, existing conversions included.

    ::

        Company-ai-share-lower:  Σ_k C[s,k,T−1] ≥ min_share·Σ_k capacity_k − Σ_k existing_k
        Company-ai-share-upper:  Σ_k C[s,k,T−1] ≤ max_share·Σ_k capacity_k − Σ_k existing_k
    """
    total = float(data.site_capacity_mw.sum())
    existing = float(data.existing_converted_mw.sum())
    last = scenario_stock(m, data).isel(period=-1).sum("site")
    if spec.min_ai_share_frac > 0.0:
        rhs = spec.min_ai_share_frac * total - existing
        m.add_constraints(last >= rhs, name="Company-ai-share-lower")
    if spec.max_ai_share_frac < 1.0:
        rhs = spec.max_ai_share_frac * total - existing
        m.add_constraints(last <= rhs, name="Company-ai-share-upper")


# --------------------------------------------------------------------------- second stage


def define_mining_operation(m: linopy.Model, data: PlannerData) -> None:
    """Variables ``Fleet-mine`` 0 ≤ m[s,t,f] ≤ draw[f,t] and ``Site-mining-capacity-upper``.

    ::

        Σ_{f on k} m[s,t,f] + C[s,k,t] ≤ site_mw[k,t]

    Mining and converted MW (under construction or leased) share the site's interconnect,
    so MW are conserved; each scenario mines its best tiers on the MW left.
    """
    c = Coords.of(data)
    upper = xr.DataArray(data.fleet_mw.T, coords=[c.period, c.fleet]).expand_dims(
        scenario=c.scenario
    )
    mine = m.add_variables(lower=0.0, upper=upper, name="Fleet-mine")
    site_of = xr.DataArray(np.asarray(data.site)[data.fleet_site], coords=[c.fleet], name="site")
    by_site = mine.groupby(site_of).sum().reindex(site=c.site).fillna(0)
    m.add_constraints(
        by_site + scenario_stock(m, data) <= c.site_period(data.site_mw),
        name="Site-mining-capacity-upper",
    )


def define_scenario_npv(m: linopy.Model, data: PlannerData) -> None:
    """Variable ``Scenario-npv`` and ``Scenario-npv-definition`` [MUSD].

    ::

        npv[s] = Σ_{t,f} μ[s,t,f]·m[s,t,f] + Σ_{k,t} (lease[k,t] − capex[k,t])·X[s,k,t]
    """
    c = Coords.of(data)
    npv = m.add_variables(coords=[c.scenario], name="Scenario-npv")
    margin = xr.DataArray(
        data.margin_usd_per_mw * USD_SCALE, coords=[c.scenario, c.period, c.fleet]
    )
    value = c.site_period(data.value_usd_per_mw * USD_SCALE)
    mining = (margin * m.variables["Fleet-mine"]).sum(["period", "fleet"])
    first = (value * scenario_conversions(m, data)).sum(["site", "period"])
    m.add_constraints(npv - mining - first == 0, name="Scenario-npv-definition")


def define_cvar(m: linopy.Model, data: PlannerData) -> None:
    """Variables ``Risk-var`` η (free) and ``Risk-excess`` u[s] ≥ 0, and their rows.

    ::

        Risk-cvar-excess-lower:  u[s] ≥ −npv[s] − η
    """
    c = Coords.of(data)
    eta = m.add_variables(name="Risk-var")
    excess = m.add_variables(lower=0.0, coords=[c.scenario], name="Risk-excess")
    m.add_constraints(
        excess + eta + m.variables["Scenario-npv"] >= 0, name="Risk-cvar-excess-lower"
    )


def define_objective(
    m: linopy.Model, data: PlannerData, risk_aversion: float, alpha: float
) -> None:
    """Minimise −E[npv] + λ·(η + Σ_s u[s] / ((1−α)·|S|)), the mean-CVaR objective."""
    n_s = data.shape[0]
    expected = m.variables["Scenario-npv"].sum() / n_s
    if risk_aversion > 0.0:
        cvar = m.variables["Risk-var"] + m.variables["Risk-excess"].sum() / ((1 - alpha) * n_s)
        m.add_objective(risk_aversion * cvar - expected)
    else:
        m.add_objective(-1.0 * expected)


# --------------------------------------------------------------------------- assembly


def build_model(
    data: PlannerData,
    spec: PlannerSpec,
    risk_aversion: float | None = None,
    first_stage_only: bool = False,
    relax: bool = False,
) -> linopy.Model:
    """The planning model of ``data``: first stage, operation, NPV, CVaR and objective.

    With ``first_stage_only``, the first stage alone (no operation, zero objective).
    ``risk_aversion`` overrides ``spec.risk_aversion``; ``relax`` drops the integer blocks
    (the LP relaxation). The first-stage-only model has a zero-cost objective and serves
    the infeasibility diagnosis: the second stage is always feasible (mine nothing).
    """
    lam = spec.risk_aversion if risk_aversion is None else risk_aversion
    m = linopy.Model(force_dim_names=True)
    define_conversion_variables(m, data, spec, relax)
    define_irreversible_conversion(m, data)
    define_band_monotone(m, data)
    define_site_convert_capacity(m, data)
    define_construction_capacity(m, data, spec)
    define_ai_demand(m, data, spec)
    define_capex_budget(m, data, spec)
    define_capex_per_period(m, data, spec)
    define_ai_share(m, data, spec)
    if first_stage_only:
        m.add_objective(0.0 * m.variables["Site-converted"].sum())
        return m
    define_mining_operation(m, data)
    define_scenario_npv(m, data)
    if lam > 0.0:
        define_cvar(m, data)
    define_objective(m, data, lam, spec.cvar_alpha_frac)
    return m


def families_in(m: linopy.Model) -> list[str]:
    """Names of the constraint families present in a model, in the order of :data:`FAMILIES`."""
    present = set(m.constraints)
    return [name for name in FAMILIES if name in present]
