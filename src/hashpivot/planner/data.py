"""Coefficients of the planning model, built from the company model and sampled paths.

:func:`build_data` turns a scenario, a :class:`~hashpivot.planner.spec.PlannerSpec` and
market arrays ``(paths, months)`` into a :class:`PlannerData`: per scenario, period and
fleet tier, the present value of the mining margin per MW of the tier's draw (the
engine's monthly economics, :func:`hashpivot.projection.fleet_coefficients`, so months a
tier is switched off earn nothing); per site and decision period, the present value of
lease NOI and of conversion capex per gross MW converted; and the MW each site and tier
can use. Everything is discounted to the start date at the company's WACC, monthly, end
of month (as :func:`hashpivot.finance.dcf`).

A conversion decided in period τ stops mining at the start of τ, is built for the lead
time (capex spread evenly over the build months, as
:func:`hashpivot.conversion.capex_schedule_usd`), and earns rent from the month the
build ends for the lease term.

References
----------
.. [1] Sample-average approximation: Shapiro, A., Dentcheva, D. and Ruszczyński, A.
   (2014), *Lectures on Stochastic Programming*, 2nd ed., SIAM, ch. 5.
.. [2] Lease economics per kW of critical IT and the gross:IT ratio (AI PUE):
   :mod:`hashpivot.ai`, :mod:`hashpivot.conversion`.

"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import ai, conversion, finance, mining
from hashpivot.company.engine import MarketArrays, Timeline
from hashpivot.errors import HashpivotError
from hashpivot.planner.spec import PlannerSpec
from hashpivot.projection import (
    FleetArrays,
    fleet_coefficients,
    fleet_installed_frac,
    running_indicator,
    stack_fleets,
)
from hashpivot.spec import ConversionSpec, Scenario, SiteSpec

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_LEASE_RATE_USD_PER_KW_MONTH = 130.0
"""Rent when the scenario has no lease: middle of the 100-160 USD/kW-month that announced
miner deals imply (derived; sources in the ``lease_rate_usd_per_kw_month`` description of
:class:`~hashpivot.planner.spec.PlannerSpec`) [USD/kW/month]."""
DEFAULT_LEASE_TERM_YEARS = 10.0
"""Term when the scenario has no lease: Cipher and TeraWulf initial terms [years]."""
DEFAULT_LEAD_TIME_MONTHS = 12
"""Build time when the scenario has no lease conversion: within the 9-24 months observed
[months]."""
DEFAULT_AI_PUE = 1.3
"""Gross:IT MW when the scenario has no lease conversion: TeraWulf 1.25, Hut 8 1.35 [-]."""


@dataclass(frozen=True)
class ConversionTerms:
    """Terms every new conversion of the plan gets (one lease template for all sites)."""

    source: str
    rate_usd_per_kw_month: float
    escalator_frac_per_year: float
    term_months: int
    opex_usd_per_kw_month: float
    tenant_default_prob_per_year: float
    recovery_frac: float
    take_or_pay: bool
    it_load_frac: float
    power_pass_through: bool
    tenant_capex_share_frac: float
    ai_pue: float
    lead_time_months: int
    capex_usd_per_it_mw: float


def _template(scenario: Scenario) -> ConversionSpec | None:
    return next((c for s in scenario.sites for c in s.conversions if c.lease is not None), None)


def conversion_terms(scenario: Scenario, spec: PlannerSpec) -> ConversionTerms:
    """Terms of new conversions: the planner's values, else the first lease, else defaults.

    The scenario's first lease conversion is the template (as the Monte Carlo's AI-share
    sweep uses); without one, the lease defaults of
    :class:`~hashpivot.spec.ColocationLeaseSpec` and the constants above apply.
    """
    tpl = _template(scenario)
    lease = None if tpl is None else tpl.lease
    if tpl is None or lease is None:
        base = ConversionTerms(
            "package defaults", DEFAULT_LEASE_RATE_USD_PER_KW_MONTH, 0.03,
            round(12 * DEFAULT_LEASE_TERM_YEARS), 25.0, 0.02, 0.5, True, 0.8, True, 0.0,
            DEFAULT_AI_PUE, DEFAULT_LEAD_TIME_MONTHS, conversion.CAPEX_USD_PER_IT_MW["ai_ready"],
        )  # fmt: skip
    else:
        base = ConversionTerms(
            f"scenario lease {tpl.name!r}", lease.rate_usd_per_kw_month,
            lease.escalator_frac_per_year, round(12 * lease.term_years),
            lease.opex_usd_per_kw_month, lease.tenant_default_prob_per_year,
            lease.recovery_frac, lease.take_or_pay, lease.it_load_frac,
            lease.power_pass_through, lease.tenant_capex_share_frac, tpl.ai_pue,
            tpl.lead_time_months, tpl.capex_per_it_mw_usd(),
        )  # fmt: skip
    own: dict[str, Any] = {
        "rate_usd_per_kw_month": spec.lease_rate_usd_per_kw_month,
        "term_months": None if spec.lease_term_years is None else round(12 * spec.lease_term_years),
        "ai_pue": spec.ai_pue,
        "lead_time_months": spec.lead_time_months,
        "capex_usd_per_it_mw": spec.capex_usd_per_it_mw,
    }
    return replace(base, **{k: v for k, v in own.items() if v is not None})


@dataclass(frozen=True)
class PlannerData:
    """Every coefficient of one planning problem (S scenarios, T periods, K sites, F tiers).

    Money is in USD, present value at the start date; power in gross MW at the meter.

    Attributes
    ----------
    site, fleet
        Site names (K) and fleet tier labels ``"site / model"`` (F).
    fleet_site
        Site index of each tier (F,).
    period_start
        First day of each period (T).
    margin_usd_per_mw
        PV of the mining margin per MW of tier draw in each scenario and period, ``(S, T, F)``;
        zero in months the tier is switched off. [USD/MW]
    fleet_mw
        Draw of each tier in each period (installed machines at full uptime, cooling
        included), ``(F, T)``. [MW]
    site_mw
        Site MW for mining and new conversions in each period (interconnect less existing
        conversions), ``(K, T)``. [MW]
    convertible_mw
        Site MW new conversions can take (K,). [MW]
    site_capacity_mw, existing_converted_mw
        Interconnect of each site, and MW that existing conversions take (K,). [MW]
    lease_usd_per_mw
        PV of lease NOI per gross MW converted at the start of each period, ``(K, T)``. [USD/MW]
    capex_pv_usd_per_mw
        PV of the capex per gross MW converted in each period, ``(K, T)``. [USD/MW]
    capex_usd_per_mw
        Capex per gross MW, undiscounted (K,). [USD/MW]
    capex_spend_frac
        Share of the capex of a conversion decided in period τ spent in period t,
        ``(K, T, T)`` indexed ``[k, τ, t]``. [-]
    it_mw_per_mw
        Critical IT MW per gross MW converted, 1/AI PUE (K,). [-]
    rent_start_period
        Periods from decision to the first full period of rent, ceil(lead / period) (K,).
    hashprice_signal_usd_per_ph_day
        Trailing hashprice known at the start of each period, ``(S, T)``: the mean of the
        previous period's months; at t = 0 nothing is known yet, so every path gets the
        mean of the first month over paths. [USD/PH/day]
    signal_bucket
        Band of the lowest trailing hashprice so far (:func:`signal_state`) each scenario
        is in at the start of each period, ``(S, T)`` (:func:`signal_buckets`); None puts
        every scenario in one band, so the plan is one schedule for all.

    """

    site: tuple[str, ...]
    fleet: tuple[str, ...]
    fleet_site: IntArray
    period_start: pd.DatetimeIndex
    period_months: int
    margin_usd_per_mw: FloatArray
    fleet_mw: FloatArray
    site_mw: FloatArray
    convertible_mw: FloatArray
    site_capacity_mw: FloatArray
    existing_converted_mw: FloatArray
    lease_usd_per_mw: FloatArray
    capex_pv_usd_per_mw: FloatArray
    capex_usd_per_mw: FloatArray
    capex_spend_frac: FloatArray
    it_mw_per_mw: FloatArray
    rent_start_period: IntArray
    hashprice_signal_usd_per_ph_day: FloatArray
    signal_bucket: IntArray | None = None

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(scenarios, periods, sites, fleets)``."""
        s, t, f = self.margin_usd_per_mw.shape
        return int(s), int(t), len(self.site), int(f)

    @property
    def value_usd_per_mw(self) -> FloatArray:
        """First-stage value per gross MW converted: lease NOI − capex, PV ``(K, T)`` [USD/MW]."""
        return np.asarray(self.lease_usd_per_mw - self.capex_pv_usd_per_mw)


# --------------------------------------------------------------------------- builders


def discount_factors_monthly(wacc_frac_per_year: float, months: int) -> FloatArray:
    """End-of-month discount factors of months 0..n−1 at the monthly equivalent of the WACC [-]."""
    rate = float(finance.monthly_rate(wacc_frac_per_year))
    return np.asarray((1.0 + rate) ** -np.arange(1.0, months + 1.0))


def _per_period(monthly: FloatArray, period_months: int, how: str = "sum") -> FloatArray:
    """Sum or mean the last axis of ``(..., T·P)`` into periods ``(..., T)``."""
    shaped = monthly.reshape(*monthly.shape[:-1], monthly.shape[-1] // period_months, period_months)
    return np.asarray(shaped.sum(axis=-1) if how == "sum" else shaped.mean(axis=-1))


def mining_margin_usd_per_mw(
    scenario: Scenario, tl: Timeline, market: MarketArrays, discount: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Discounted monthly mining margin per MW of each tier ``(F, S, M)``, and tier draw (F,).

    The margin is the engine's (revenue − power − variable opex, in months the tier runs:
    :func:`hashpivot.projection.fleet_coefficients` and
    :func:`~hashpivot.projection.running_indicator`) for the whole tier, divided by its
    draw at full uptime with cooling, so it is linear in the MW a tier keeps.
    """
    f = stack_fleets(scenario)
    n_f = len(f.site)
    c = fleet_coefficients(f, np.ones((n_f, tl.n)), tl.days_in_month)
    draw_mw = np.asarray(mining.fleet_power_mw(f.count, f.unit_w, 1.0, f.pue))
    names = [s.name for s in scenario.sites]
    hp_btc = market.hashprice_btc_per_ph_day
    hp_usd = hp_btc * market.btc_price_usd
    out = np.empty((n_f, *market.shape))
    for i in range(n_f):
        k = names.index(f.site[i])
        factor = None if market.power_price_factor is None else market.power_price_factor[..., k]
        run = running_indicator(c, i, hp_usd, factor)
        price = c.power_price_usd_per_mwh[i] * (1.0 if factor is None else factor)
        margin = c.btc_per_hashprice[i] * hp_usd - c.energy_mwh[i] * price - c.opex_usd[i]
        out[i] = run * margin * discount / draw_mw[i]
    return _merge_replacements(f, out, draw_mw, discount)


def _merge_replacements(
    f: FleetArrays, margin: FloatArray, draw_mw: FloatArray, discount: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """One tier per MW slot: a replaced fleet earns its replacement's margin from then on.

    The replacing machines draw the same MW (:func:`hashpivot.projection.stack_fleets`).
    Their cost is charged as a monthly rent from the replacement month, cost / useful life
    per MW, discounted: a tier mines or idles period by period in the plan
    (:func:`hashpivot.planner.evaluate.mining_mw`), so a lump paid in one period could be
    skipped by idling that period only; as rent, converting the tier's MW saves the new
    machines month by month. Rows ``(F, S, M)`` and draw ``(F,)`` of the scenario's own
    fleets.
    """
    own = f.replaces < 0
    out = margin.copy()
    for new in np.flatnonzero(~own):
        old, m = int(f.replaces[new]), int(f.start_month[new])
        if m >= out.shape[-1]:
            continue
        rent = np.nan_to_num(f.bought_usd[new]) / f.useful_life_months[new] / draw_mw[new]
        out[old, ..., m:] = margin[new, ..., m:] - rent * discount[m:]
    return out[own], draw_mw[own]


def tier_installed_frac(f: FleetArrays, installed: FloatArray) -> FloatArray:
    """Installed share of each MW slot: a fleet's own plus that of the machines replacing it."""
    out = installed.copy()
    for new in np.flatnonzero(f.replaces >= 0):
        out[f.replaces[new]] += installed[new]
    return np.asarray(out[f.replaces < 0])


def lease_noi_usd_per_mw_month(terms: ConversionTerms, power_usd_per_mwh: FloatArray) -> FloatArray:
    """Lease NOI per gross MW converted in each month since rent starts [USD/MW/month].

    ``(1000/PUE)·(rate·(1+g)^⌊j/12⌋·share(j) − opex)`` with ``share`` the expected share
    of rent collected after tenant default (:func:`hashpivot.ai.expected_rent_frac`),
    times the IT load when not take-or-pay, less the power of the IT load when the rent
    includes it. ``power_usd_per_mwh`` gives the site's price in each of the term's months.
    """
    j = np.arange(terms.term_months, dtype=np.float64)
    rate = ai.escalated_rate_usd_per_kw_month(
        terms.rate_usd_per_kw_month, terms.escalator_frac_per_year, j
    )
    share = ai.expected_rent_frac(terms.tenant_default_prob_per_year, terms.recovery_frac, j)
    if not terms.take_or_pay:
        share = share * terms.it_load_frac
    kw_it = ai.KW_PER_MW / terms.ai_pue
    noi = kw_it * (rate * share - terms.opex_usd_per_kw_month)
    if not terms.power_pass_through:
        hours = ai.HOURS_PER_YEAR / 12.0
        noi = noi - terms.it_load_frac * hours * power_usd_per_mwh
    return np.asarray(noi)


def _lease_pv(
    terms: ConversionTerms, site: SiteSpec, discount: FloatArray, n_t: int, p: int, until: int
) -> FloatArray:
    """PV of NOI per gross MW converted at each period start, for one site (T,) [USD/MW].

    Rent counts in months before ``until`` only.
    """
    price = np.asarray(
        mining.escalated_price_usd_per_mwh(
            site.power.price_usd_per_mwh, site.power.escalator_frac_per_year,
            np.arange(len(discount)),
        )
    )  # fmt: skip
    out = np.zeros(n_t)
    for tau in range(n_t):
        months = tau * p + terms.lead_time_months + np.arange(terms.term_months)
        keep = months < min(until, len(discount))
        noi = lease_noi_usd_per_mw_month(terms, price[np.minimum(months, len(price) - 1)])
        out[tau] = float((noi[keep] * discount[months[keep]]).sum())
    return out


def _capex_profile(terms: ConversionTerms, n_t: int, p: int, discount: FloatArray) -> FloatArray:
    """Monthly capex share of a conversion decided at each period start ``(T, months)`` [-]."""
    n_m = len(discount)
    out = np.zeros((n_t, n_m))
    for tau in range(n_t):
        out[tau] = conversion.capex_schedule_usd(1.0, tau * p, terms.lead_time_months, n_m)
    return out


def _existing_converted_mw(scenario: Scenario, tl: Timeline) -> FloatArray:
    """Gross MW existing conversions take from each site in each month ``(K, M)`` [MW]."""
    out = np.zeros((len(scenario.sites), tl.n))
    for k, site in enumerate(scenario.sites):
        for conv in site.conversions:
            out[k] += conv.gross_mw * (np.arange(tl.n) >= tl.index_of(conv.decision_date))
    return out


def _signal(market: MarketArrays, n_t: int, p: int) -> FloatArray:
    hp = market.hashprice_btc_per_ph_day[:, : n_t * p] * market.btc_price_usd[:, : n_t * p]
    per = _per_period(np.asarray(hp), p, "mean")
    first = np.full((hp.shape[0], 1), float(hp[:, 0].mean()))
    return np.asarray(np.concatenate([first, per[:, :-1]], axis=1))


def signal_state(signal_usd_per_ph_day: FloatArray) -> FloatArray:
    """Lowest trailing hashprice seen up to each period ``(S, T)`` [USD/PH/day].

    The state the decision rule reads: a running minimum, so a bad spell is remembered.
    """
    return np.asarray(np.minimum.accumulate(signal_usd_per_ph_day, axis=1))


def bucket_edges(state_usd_per_ph_day: FloatArray, buckets: int) -> FloatArray:
    """Edges of ``buckets`` hashprice bands, the same levels in every period ``(T, B−1)``.

    Quantiles of the state over the training scenarios and periods t ≥ 1, so a band is a
    fixed hashprice range (a threshold rule "convert once the hashprice has been below
    h" is one rule of the family when h is an edge). At t = 0 nothing has been observed
    yet: the edges are +inf and every path is in band 0 [USD/PH/day].
    """
    state = np.asarray(state_usd_per_ph_day, dtype=np.float64)
    q = np.linspace(0.0, 1.0, buckets + 1)[1:-1]
    pooled = state[:, 1:] if state.shape[1] > 1 else state
    edges = np.tile(np.quantile(pooled, q), (state.shape[1], 1))
    edges[0] = np.inf
    return np.asarray(edges)


def signal_buckets(signal_usd_per_ph_day: FloatArray, edges: FloatArray) -> IntArray:
    """Band index of each path's signal in each period ``(S, T)``, given ``edges`` (T, B−1)."""
    sig = np.asarray(signal_usd_per_ph_day)
    out = np.zeros(sig.shape, dtype=np.int64)
    for t in range(sig.shape[1]):
        out[:, t] = np.searchsorted(edges[t], sig[:, t], side="right")
    return out


def build_data(scenario: Scenario, spec: PlannerSpec, market: MarketArrays) -> PlannerData:
    """Coefficients of the planning problem on the first ``spec.scenarios`` paths of ``market``.

    ``market`` must cover at least ``horizon_periods × period_months`` months; with fewer
    paths than ``spec.scenarios`` every path is used.
    """
    p, n_t = spec.period_months, spec.horizon_periods
    n_m = n_t * p
    paths, months = market.shape
    if months < n_m:
        msg = (
            f"market paths cover {months} months; the plan needs horizon_periods × "
            f"period_months = {n_m}"
        )
        raise HashpivotError(msg)
    market = _slice_market(market, min(spec.scenarios, paths), n_m)
    tl = Timeline.from_start(scenario.start_date, n_m)
    terms = conversion_terms(scenario, spec)
    horizon = n_m + terms.lead_time_months + terms.term_months
    discount = discount_factors_monthly(scenario.company.wacc_frac_per_year, horizon)
    margin, draw_mw = mining_margin_usd_per_mw(scenario, tl, market, discount[:n_m])
    return _assemble(scenario, spec, terms, tl, market, margin, draw_mw, discount)


def _slice_market(market: MarketArrays, paths: int, months: int) -> MarketArrays:
    def cut(a: FloatArray | None) -> FloatArray | None:
        return None if a is None else np.asarray(a[:paths, :months])

    return MarketArrays(
        np.asarray(market.btc_price_usd[:paths, :months]),
        np.asarray(market.hashprice_btc_per_ph_day[:paths, :months]),
        cut(market.gpu_price_index),
        cut(market.power_price_factor),
        None if market.default_uniform is None else market.default_uniform[:paths],
    )


def _assemble(
    scenario: Scenario,
    spec: PlannerSpec,
    terms: ConversionTerms,
    tl: Timeline,
    market: MarketArrays,
    margin: FloatArray,
    draw_mw: FloatArray,
    discount: FloatArray,
) -> PlannerData:
    p, n_t = spec.period_months, spec.horizon_periods
    all_fleets = stack_fleets(scenario)
    installed = tier_installed_frac(all_fleets, fleet_installed_frac(scenario, all_fleets, tl.n))
    own = all_fleets.replaces < 0
    tier_name = list(all_fleets.fleet)
    for new in np.flatnonzero(~own):  # a tier is named after its replacement, if any
        tier_name[int(all_fleets.replaces[new])] = all_fleets.fleet[new]
    f_site = [s for s, keep in zip(all_fleets.site, own, strict=True) if keep]
    f_name = [s for s, keep in zip(tier_name, own, strict=True) if keep]
    names = [s.name for s in scenario.sites]
    existing = _existing_converted_mw(scenario, tl)
    capacity = np.asarray([s.power_capacity_mw for s in scenario.sites])
    all_existing = np.asarray([sum(c.gross_mw for c in s.conversions) for s in scenario.sites])
    profile = _capex_profile(terms, n_t, p, discount)
    capex_mw = terms.capex_usd_per_it_mw / terms.ai_pue * (1.0 - terms.tenant_capex_share_frac)
    spend = _per_period(profile[:, : tl.n], p)
    until = len(discount) if spec.count_lease_after_horizon else tl.n
    lease = np.stack([_lease_pv(terms, s, discount, n_t, p, until) for s in scenario.sites])
    n_k = len(names)
    return PlannerData(
        site=tuple(names),
        fleet=tuple(f"{s} / {name}" for s, name in zip(f_site, f_name, strict=True)),
        fleet_site=np.asarray([names.index(s) for s in f_site], dtype=np.int64),
        period_start=tl.month_start[::p],
        period_months=p,
        margin_usd_per_mw=np.ascontiguousarray(np.moveaxis(_per_period(margin, p), 0, -1)),
        fleet_mw=_per_period(draw_mw[:, None] * installed, p, "mean"),
        site_mw=_per_period(capacity[:, None] - existing, p, "mean"),
        convertible_mw=np.maximum(capacity - all_existing, 0.0),
        site_capacity_mw=capacity,
        existing_converted_mw=all_existing,
        lease_usd_per_mw=lease,
        capex_pv_usd_per_mw=np.tile(capex_mw * (profile * discount).sum(axis=1), (n_k, 1)),
        capex_usd_per_mw=np.full(n_k, capex_mw),
        capex_spend_frac=np.tile(spend[None], (n_k, 1, 1)),
        it_mw_per_mw=np.full(n_k, 1.0 / terms.ai_pue),
        rent_start_period=np.full(n_k, math.ceil(terms.lead_time_months / p), dtype=np.int64),
        hashprice_signal_usd_per_ph_day=_signal(market, n_t, p),
    )


def with_decision_rule(data: PlannerData, bands: int) -> tuple[PlannerData, FloatArray | None]:
    """The problem with each scenario's band set, and the band edges (None for one band).

    Bands are read on :func:`signal_state` with :func:`bucket_edges` from these (the
    training) scenarios; fresh paths must be banded with the same edges.
    """
    if bands <= 1:
        return replace(data, signal_bucket=None), None
    state = signal_state(data.hashprice_signal_usd_per_ph_day)
    edges = bucket_edges(state, bands)
    return replace(data, signal_bucket=signal_buckets(state, edges)), edges
