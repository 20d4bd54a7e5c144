"""The Monte Carlo orchestrator: ``Simulation(scenario).run(paths=..., seed=...)``.

For each chunk of paths it samples the market drivers (:mod:`hashpivot.markets`), runs
the network model under each BTC price path (:mod:`hashpivot.network.models`), and evaluates
the company's cash flows (:mod:`hashpivot.company.engine`) for every company variant on the
*same* paths: the scenario's mix (``hybrid``), the same sites with no conversion
(``pure_mining``), and optionally a sweep of AI shares of site MW for the frontier.

Chunks are blocks of whole :data:`BLOCK_PATHS` paths whose random streams depend only
on the seed and the block number, so results are identical whatever the chunk size,
and the same seed gives the same numbers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import finance, kernels, markets, risk
from hashpivot.allocator import tune_allocator
from hashpivot.company import engine
from hashpivot.company.path_flows import PathCashFlows, slice_market, variant_cash_flows
from hashpivot.network import models as net_mod
from hashpivot.spec import (
    ColocationLeaseSpec,
    ConversionSpec,
    EnergisationPhaseSpec,
    Scenario,
    SiteSpec,
)

FloatArray = npt.NDArray[np.float64]

BLOCK_PATHS = 1000
"""Paths per random-stream block; chunk sizes are whole multiples of it [paths]."""
SEGMENTS = ("mining", "colocation", "gpu_cloud", "corporate")
"""Segments reported by the Monte Carlo."""
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles kept per month for fan charts [-]."""
FAN_KEYS = ("hashprice_usd_per_ph_day", "network_hashrate_eh_s", "btc_price_usd")
"""Monthly quantities kept per path for the fan charts [USD/PH/day, EH/s, USD/BTC]."""

_T = TypeVar("_T")
_R = TypeVar("_R")


# --------------------------------------------------------------------------- variants


def pure_mining(scenario: Scenario) -> Scenario:
    """The same company with every conversion removed: all site MW keep mining."""
    sites = tuple(s.model_copy(update={"conversions": ()}) for s in scenario.sites)
    return scenario.model_copy(update={"sites": sites})


def _template(scenario: Scenario) -> ConversionSpec | None:
    return next((c for s in scenario.sites for c in s.conversions if c.lease is not None), None)


def _scaled_lease(tpl: ConversionSpec, site: SiteSpec, share: float) -> ConversionSpec:
    """The template conversion resized to ``share`` of a site's MW."""
    assert tpl.lease is not None
    gross = share * site.power_capacity_mw
    it_mw = gross / tpl.ai_pue
    lease = tpl.lease
    scale = it_mw / lease.it_mw
    # each phase keeps its own terms; a backstop, a dollar cap on the contract's rent,
    # scales with it (assumption: the guarantee covers the same share of the rent)
    phases = tuple(
        EnergisationPhaseSpec(**{**p.model_dump(), "it_mw": p.it_mw * scale})
        for p in lease.energisation
    )
    backstop = None if lease.backstop_usd is None else lease.backstop_usd * scale
    new_lease = ColocationLeaseSpec(
        **lease.model_dump(exclude={"it_mw", "energisation", "backstop_usd"}),
        it_mw=it_mw,
        energisation=phases,
        backstop_usd=backstop,
    )
    return tpl.model_copy(
        update={"name": f"{tpl.name} @ {share:.0%}", "gross_mw": gross, "lease": new_lease}
    )


def ai_share_variant(scenario: Scenario, share: float) -> Scenario:
    """Every site converts ``share`` of its MW on the terms of the scenario's first lease.

    ``share`` = 0 is pure mining. The first lease conversion of the scenario sets the
    dates, PUE, capex and lease terms; a scenario with no lease cannot be swept.
    """
    tpl = _template(scenario)
    if tpl is None:
        msg = "the AI-share frontier needs at least one lease conversion as a template"
        raise ValueError(msg)
    if share <= 0:
        return pure_mining(scenario)
    sites = tuple(
        s.model_copy(update={"conversions": (_scaled_lease(tpl, s, share),)})
        for s in scenario.sites
    )
    return scenario.model_copy(update={"sites": sites})


# --------------------------------------------------------------------------- accumulation


@dataclass
class VariantChunk:
    """One company variant's results on one chunk of paths."""

    npv_usd: FloatArray
    """Enterprise value per path ``(paths,)`` [USD]."""
    ebitda_usd_by_year: FloatArray
    """EBITDA per path and year of 12 months ``(paths, years)`` [USD]."""
    segment_ebitda_usd: dict[str, FloatArray]
    """Mean annual EBITDA per path of each segment ``(paths,)`` [USD/yr]."""
    segment_revenue_usd: dict[str, FloatArray]
    """Revenue of each segment summed over the chunk's paths, per month ``(months,)`` [USD]."""
    risk: dict[str, FloatArray] = field(default_factory=dict)
    """Per-path inputs of the risk object (:func:`risk_chunk`), each ``(paths,)``."""
    flows: tuple[FloatArray, FloatArray] | None = None
    """Monthly EBITDA and free cash flow ``(paths, months)`` [USD] where the joint pass
    was asked for them (:meth:`JointPlan.evaluate`), for :func:`risk_chunk`; not kept."""


@dataclass
class VariantPaths:
    """Per-path results of one company variant, concatenated over chunks."""

    npv_usd: list[FloatArray] = field(default_factory=list)
    ebitda_usd_by_year: list[FloatArray] = field(default_factory=list)
    segment_ebitda_usd: dict[str, list[FloatArray]] = field(default_factory=dict)
    segment_revenue_usd_monthly_sum: dict[str, FloatArray] = field(default_factory=dict)
    risk: dict[str, list[FloatArray]] = field(default_factory=dict)

    def add(self, chunk: VariantChunk) -> None:
        """Append the next chunk's paths (chunks must come in path order)."""
        self.npv_usd.append(chunk.npv_usd)
        self.ebitda_usd_by_year.append(chunk.ebitda_usd_by_year)
        for seg, values in chunk.segment_ebitda_usd.items():
            self.segment_ebitda_usd.setdefault(seg, []).append(values)
        for seg, revenue in chunk.segment_revenue_usd.items():
            prev = self.segment_revenue_usd_monthly_sum.get(seg)
            self.segment_revenue_usd_monthly_sum[seg] = revenue if prev is None else prev + revenue
        for key, values in chunk.risk.items():
            self.risk.setdefault(key, []).append(values)

    def arrays(self) -> dict[str, FloatArray]:
        """Concatenated per-path arrays."""
        by_year = np.concatenate(self.ebitda_usd_by_year)
        out = {
            "npv_usd": np.concatenate(self.npv_usd),
            "ebitda_usd_by_year": by_year,
            "ebitda_usd_per_year": by_year.mean(axis=1),
        }
        for seg, parts in self.segment_ebitda_usd.items():
            out[f"{seg}_ebitda_usd"] = np.concatenate(parts)
        for key, parts in self.risk.items():
            out[key] = np.concatenate(parts)
        return out


def _yearly_sum(monthly: FloatArray, months: int) -> FloatArray:
    """Sum ``(paths, months)`` into calendar-length years of 12 months ``(paths, years)``."""
    years = -(-months // 12)
    pad = years * 12 - months
    padded = np.pad(monthly, ((0, 0), (0, pad))) if pad else monthly
    return np.asarray(padded.reshape(monthly.shape[0], years, 12).sum(axis=-1))


@dataclass(frozen=True)
class LeasePlan:
    """The path-independent part of a variant's leases, for :func:`evaluate_chunk`.

    Each lease's contracted rent (the tenant paying in full) and what is collected after
    a default (times ``recovery_frac``), by month; the months since first energisation
    and the default probability that turn a path's uniform into its default month; and
    every other flow of the non-mining projects (lease power, opex, capex and the
    company's G&A), whose lease revenue is zeroed because the kernel adds it per path;
    and the rows, tax rate and terminal factor of :func:`kernels.variant_value`. Made by
    :func:`lease_plan` once a run, from :func:`engine.conversion_projects` on one path
    whose tenants never default.
    """

    rent_usd: FloatArray
    """Contracted rent of each lease ``(leases, months)`` [USD]."""
    rent_after_default_usd: FloatArray
    """Rent collected after the tenant's default ``(leases, months)`` [USD]."""
    since_months: FloatArray
    """Months since each lease's first energisation ``(leases, months)`` [months]."""
    default_prob_per_year: FloatArray
    """Each tenant's annual default probability ``(leases,)`` [1/yr]."""
    others: list[engine.ProjectFlows]
    """The non-mining projects' other flows, each ``(1, months)`` [USD]."""
    rows: dict[str, FloatArray] = field(default_factory=dict)
    """Path-independent rows ``(months,)`` of :func:`kernels.variant_value`: the
    non-mining EBITDA without rent, all depreciation, capex net of ASIC sales, and the
    discount factors [USD, -]."""
    tax_frac: float = 0.0
    """The company's tax rate [-]."""
    n_last: int = 12
    """Months whose mean free cash flow is the Gordon run rate [months]."""
    terminal_factor: float = 0.0
    """Present value of the terminal value per USD of the last months' summed FCF [-]."""

    def alive_months(self, uniform: FloatArray) -> npt.NDArray[np.int64]:
        """Months before each path's tenant default ``(paths, leases)`` [months].

        The default month is :func:`engine._rent_share`'s inverse transform
        ``12·ln U / ln(1 − p)`` (never for p = 0, at once for p = 1); rent is whole in
        the months whose time since energisation is below it.
        """
        out = np.empty((uniform.shape[0], self.rent_usd.shape[0]), dtype=np.int64)
        for j, p in enumerate(self.default_prob_per_year):
            if p <= 0.0:
                out[:, j] = self.rent_usd.shape[1]
                continue
            with np.errstate(divide="ignore"):
                default_month = (
                    12.0 * np.log(uniform[:, j]) / np.log1p(-p) if p < 1 else np.zeros(len(out))
                )
            out[:, j] = np.searchsorted(self.since_months[j], default_month, side="left")
        return out

    @functools.cached_property
    def segment_constants(self) -> dict[str, tuple[float, list[FloatArray]]]:
        """Each non-mining segment's other flows, which are the same on every path.

        Its EBITDA summed over months (:func:`_ebitda_path_total` of one path) and its
        projects' revenue rows ``(months,)`` [USD], found once rather than per chunk.
        """
        out = {}
        for seg in SEGMENTS[1:]:
            parts = [p for p in self.others if p.segment == seg]
            rows = [np.broadcast_to(p.flows["revenue_usd"], (1, self.rent_usd.shape[1]))[0]
                    for p in parts]  # fmt: skip
            out[seg] = (float(_ebitda_path_total(parts, 1)[0]), rows)
        return out

    def month_rent_total(self, alive: npt.NDArray[np.int64]) -> FloatArray:
        """Rent of all leases summed over the paths, per month ``(months,)`` [USD]."""
        n_p, n_m = alive.shape[0], self.rent_usd.shape[1]
        out = np.zeros(n_m)
        for j in range(self.rent_usd.shape[0]):
            # paths still paying in month m: those whose default comes after it
            paying = n_p - np.searchsorted(np.sort(alive[:, j]), np.arange(n_m), side="right")
            out += self.rent_usd[j] * paying + self.rent_after_default_usd[j] * (n_p - paying)
        return out


def lease_plan(
    scenario: Scenario, tl: engine.Timeline, mining: engine.MiningPlan | None = None
) -> LeasePlan | None:
    """The :class:`LeasePlan` of a variant, or None where the compiled pass does not apply.

    None for a company with a GPU cloud, a Gordon growth at or above the WACC (the
    engine's error then surfaces), or when the compiled pass does not reproduce the
    engine's cash flows and value on a small test market (:func:`_agrees_with_engine`):
    the engine stays the definition, so a change to its tax, lease or DCF rules turns the
    fast path off rather than giving other numbers.
    """
    c = scenario.company
    if any(cv.gpu_cloud is not None for s in scenario.sites for cv in s.conversions):
        return None
    if c.terminal_growth_frac_per_year >= c.wacc_frac_per_year:
        return None
    mining = engine.mining_plan(scenario, tl) if mining is None else mining
    plan = _lease_rows(scenario, tl)
    n = tl.n
    others = plan.others
    rows = {
        "common_ebitda_usd": sum(
            (sign * np.asarray(p.flows[k][0]) for p in others for k, sign in engine.EBITDA_SIGNS),
            np.zeros(n),
        ),
        "depreciation_usd": mining.depreciation_usd
        + sum((np.asarray(p.flows["depreciation_usd"][0]) for p in others), np.zeros(n)),
        "invest_usd": mining.invest_usd
        + sum(
            (np.asarray(p.flows["capex_usd"][0] - p.flows["asic_sale_usd"][0]) for p in others),
            np.zeros(n),
        ),
    }
    r_m = float(finance.monthly_rate(c.wacc_frac_per_year))
    g_m = float(finance.monthly_rate(c.terminal_growth_frac_per_year))
    rows["discount"] = np.asarray(finance.discount_factors(r_m, n))
    n_last = min(12, n)
    # Gordon: TV = mean of the last n_last FCF × (1 + g)/(r − g), discounted n months
    factor = (1.0 + g_m) / (r_m - g_m) * (1.0 + r_m) ** -float(n) / n_last
    out = dataclasses.replace(
        plan, rows=rows, tax_frac=c.tax_rate_frac, n_last=n_last, terminal_factor=factor
    )
    return out if _agrees_with_engine(scenario, tl, mining, out) else None


def _lease_rows(scenario: Scenario, tl: engine.Timeline) -> LeasePlan:
    """Each lease's rent rows and the other projects' rows (one path, no default)."""
    n = engine.n_leases(scenario)
    one = engine.MarketArrays(
        np.ones((1, tl.n)), np.ones((1, tl.n)), default_uniform=np.zeros((1, n))
    )
    with np.errstate(divide="ignore"):  # uniform 0: the default never comes
        projects = engine.conversion_projects(scenario, tl, one)
    leases = [c.lease for s in scenario.sites for c in s.conversions if c.lease is not None]
    rent: list[FloatArray] = []
    after: list[FloatArray] = []
    since: list[FloatArray] = []
    others: list[engine.ProjectFlows] = []
    for proj in projects:
        if proj.segment != "colocation":
            others.append(proj)
            continue
        lease = leases[len(rent)]
        row = np.asarray(proj.flows["revenue_usd"][0], dtype=np.float64)
        rent.append(row)
        after.append(row * lease.recovery_frac)
        first = min(tl.index_of(p.date) for p in lease.energisation)
        since.append(np.arange(tl.n, dtype=np.float64) - first)
        zero = {"revenue_usd": np.broadcast_to(np.zeros(1), (1, tl.n))}
        others.append(dataclasses.replace(proj, flows={**proj.flows, **zero}))
    probs = np.array([lease.tenant_default_prob_per_year for lease in leases], dtype=np.float64)
    shape = (len(rent), tl.n)
    return LeasePlan(
        np.array(rent).reshape(shape), np.array(after).reshape(shape),
        np.array(since).reshape(shape), probs, others,
    )  # fmt: skip


CHECK_PATHS = 32
"""Paths of the synthetic market on which :func:`lease_plan` checks the compiled pass."""


def _agrees_with_engine(
    scenario: Scenario, tl: engine.Timeline, mining: engine.MiningPlan, plan: LeasePlan
) -> bool:
    """Whether the compiled pass gives the engine's numbers (to 1e-9) on a test market.

    The market spans prices and hashprices wide enough that fleets stop and start and
    taxable income changes sign, and uniforms that put tenant defaults inside the horizon.
    """
    market = _check_market(tl, len(plan.rent_usd))
    ref = evaluate_chunk(scenario, tl, market, mining, None)
    got = evaluate_chunk(scenario, tl, market, mining, plan)
    return _same_chunk(got, ref)


def _check_market(tl: engine.Timeline, n_leases: int) -> engine.MarketArrays:
    """A small market on which the compiled passes are checked against the engine."""
    rng = np.random.default_rng(np.random.SeedSequence([0x5AFE, tl.n]))
    shape = (CHECK_PATHS, tl.n)
    return engine.MarketArrays(
        np.exp(rng.uniform(np.log(5e3), np.log(5e5), shape)),
        np.exp(rng.uniform(np.log(2e-5), np.log(2e-3), shape)),
        default_uniform=rng.uniform(0.0, 1.0, (CHECK_PATHS, n_leases)) ** 8,
    )


def _same_chunk(got: VariantChunk, ref: VariantChunk) -> bool:
    """Whether two chunk results agree to 1e-9 of each quantity's largest magnitude."""
    pairs = [(got.npv_usd, ref.npv_usd), (got.ebitda_usd_by_year, ref.ebitda_usd_by_year)]
    pairs += [(got.segment_ebitda_usd[k], ref.segment_ebitda_usd[k]) for k in SEGMENTS]
    pairs += [(got.segment_revenue_usd[k], ref.segment_revenue_usd[k]) for k in SEGMENTS]
    return all(
        a.shape == b.shape
        and bool(np.all(np.abs(a - b) <= 1e-9 * max(float(np.max(np.abs(b), initial=0.0)), 1.0)))
        for a, b in pairs
    )


def _thresholds(plan: engine.MiningPlan) -> FloatArray:
    """Hashprice each fleet needs to run ``(fleets, months)``, -inf where it never stops."""
    c = plan.coef
    out = c["threshold_k"] * (c["power_price_usd_per_mwh"] + c["opex_usd_per_mwh"])
    out[c["shutdown"] == 0] = -np.inf
    return np.asarray(out)


@dataclass(frozen=True)
class JointPlan:
    """Every variant evaluated in one compiled pass (:func:`kernels.joint_variants`).

    For variants with the same fleets and thresholds (the Monte Carlo's hybrid, pure
    mining and AI-share variants of one company with fixed power prices), made once a
    run by :func:`joint_plan` and checked there against the engine.
    """

    names: tuple[str, ...]
    leases: tuple[LeasePlan, ...]
    threshold: FloatArray
    fleets: dict[str, FloatArray]
    rent: dict[str, npt.NDArray[Any]]
    rows: dict[str, FloatArray]
    n_last: int
    fleet_sums: FloatArray
    """:func:`kernels.running_fleet_sums` of ``threshold`` and ``fleets``."""

    def subset(self, names: tuple[str, ...]) -> JointPlan:
        """The plan of some of its variants only, in the order of ``names``.

        Each variant's numbers are those of the whole plan: variants share only each
        fleet's run/stop state, found from the market alone.
        """
        idx = [self.names.index(n) for n in names]
        shared = ("discount",)
        return JointPlan(
            tuple(names), tuple(self.leases[i] for i in idx), self.threshold,
            {k: v[idx] for k, v in self.fleets.items()},
            {k: v[idx] for k, v in self.rent.items()},
            {k: v if k in shared else v[idx] for k, v in self.rows.items()}, self.n_last,
            self.fleet_sums[:, idx],
        )  # fmt: skip

    def evaluate(
        self, tl: engine.Timeline, market: engine.MarketArrays, flows_of: tuple[str, ...] = ()
    ) -> dict[str, VariantChunk]:
        """Every variant's :class:`VariantChunk` on a chunk of paths.

        The variants named in ``flows_of`` also carry their monthly EBITDA and free cash
        flow (:attr:`VariantChunk.flows`).
        """
        assert market.default_uniform is not None
        n_p = market.shape[0]
        alive = np.zeros((len(self.names), n_p, self.rent["rent_usd"].shape[1]), np.int64)
        alive_v = []
        for v, lp in enumerate(self.leases):
            a = lp.alive_months(market.default_uniform)
            alive[v, :, : a.shape[1]] = a
            alive_v.append(a)
        keep = tuple(self.names.index(n) for n in flows_of)
        out = kernels.joint_variants(
            market.hashprice_btc_per_ph_day, market.btc_price_usd, self.threshold, self.fleets,
            {**self.rent, "alive_months": alive}, self.rows, self.n_last, keep, self.fleet_sums,
        )  # fmt: skip
        years = -(-tl.n // 12)
        chunks = {}
        for v, (name, lp) in enumerate(zip(self.names, self.leases, strict=True)):
            seg_ebitda = {"mining": out["mining_ebitda_total_usd"][v] / years}
            seg_revenue = {"mining": out["mining_revenue_usd"][v]}
            for seg in SEGMENTS[1:]:
                # the other projects' flows are the same on every path (lease_plan)
                constant, rows = lp.segment_constants[seg]
                total = np.full(n_p, constant)
                revenue = np.zeros(tl.n)
                for row in rows:
                    revenue += row * n_p
                if seg == "colocation":
                    total += out["rent_total_usd"][v]
                    revenue += lp.month_rent_total(alive_v[v])
                seg_ebitda[seg] = total / years
                seg_revenue[seg] = revenue
            chunks[name] = VariantChunk(
                out["npv_usd"][v], out["ebitda_usd_by_year"][v], seg_ebitda, seg_revenue
            )
        for k, name in enumerate(flows_of):
            chunks[name].flows = (out["ebitda_usd"][k], out["free_cash_flow_usd"][k])
        return chunks


def joint_plan(
    variants: dict[str, Scenario],
    tl: engine.Timeline,
    plans: dict[str, engine.MiningPlan],
    leases: dict[str, LeasePlan | None],
) -> JointPlan | None:
    """The :class:`JointPlan` of a run's variants, or None where it does not apply.

    Needs numba, a lease plan for every variant, and the same fleets with the same
    thresholds in every variant; and the pass must give the engine's numbers (to 1e-9)
    on the test market of :func:`_agrees_with_engine`, else the variants are evaluated
    one by one.
    """
    if not kernels.HAVE_NUMBA or any(lp is None for lp in leases.values()):
        return None
    names = tuple(variants)
    lps = tuple(lp for lp in leases.values() if lp is not None)
    thresholds = [_thresholds(plans[n]) for n in names]
    if any(
        t.shape != thresholds[0].shape or not np.array_equal(t, thresholds[0]) for t in thresholds
    ):
        return None
    if len({lp.n_last for lp in lps}) != 1 or not all(
        np.array_equal(lp.rows["discount"], lps[0].rows["discount"]) for lp in lps
    ):
        return None
    n_j = max(len(lp.rent_usd) for lp in lps)
    rent = np.zeros((len(names), n_j, tl.n))
    after = np.zeros((len(names), n_j, tl.n))
    for v, lp in enumerate(lps):
        rent[v, : len(lp.rent_usd)] = lp.rent_usd
        after[v, : len(lp.rent_usd)] = lp.rent_after_default_usd
    stack = {k: np.stack([plans[n].coef[k] for n in names])
             for k in ("btc_per_hashprice", "power_cost_usd", "opex_usd")}  # fmt: skip
    rows = {k: np.stack([lp.rows[k] for lp in lps])
            for k in ("common_ebitda_usd", "depreciation_usd", "invest_usd")}  # fmt: skip
    rows |= {
        "discount": lps[0].rows["discount"],
        "tax_frac": np.array([lp.tax_frac for lp in lps]),
        "terminal_factor": np.array([lp.terminal_factor for lp in lps]),
    }
    counts = {"rent_usd": rent, "rent_after_default_usd": after,
              "n_leases": np.array([len(lp.rent_usd) for lp in lps], dtype=np.int64)}  # fmt: skip
    sums = kernels.running_fleet_sums(thresholds[0], stack)
    joint = JointPlan(names, lps, thresholds[0], stack, counts, rows, lps[0].n_last, sums)
    market = _check_market(tl, n_j)
    got = joint.evaluate(tl, market)
    agree = all(
        _same_chunk(got[n], evaluate_chunk(variants[n], tl, market, plans[n], None)) for n in names
    )
    return joint if agree else None


def evaluate_chunk(
    scenario: Scenario,
    tl: engine.Timeline,
    market: engine.MarketArrays,
    plan: engine.MiningPlan | None = None,
    leases: LeasePlan | None = None,
) -> VariantChunk:
    """Cash flows of one company variant on one chunk of market paths, reduced.

    Mining is :func:`engine.mining_totals` (all sites in one compiled pass), the other
    projects :func:`engine.conversion_projects`; EBITDA and free cash flow are
    :func:`engine.consolidate`'s (:func:`engine.company_ebitda_fcf`). ``plan`` is the
    variant's :func:`engine.mining_plan`, made once per run (default: made here).
    With ``leases`` (:func:`lease_plan`, made once per run and checked against this
    engine path), fixed power prices and sampled tenant defaults, each path's rent,
    EBITDA, tax, free cash flow and value come from one compiled pass
    (:func:`kernels.variant_value`) instead of ``(paths, months)`` arrays per lease and
    per step: the same numbers to rounding (1e-13 relative).
    """
    mining = engine.mining_totals(scenario, tl, market, plan)
    if (
        leases is not None
        and market.default_uniform is not None
        and engine.power_factor(market) is None
    ):
        return _evaluate_with_lease_plan(scenario, tl, market, mining, leases)
    others = engine.conversion_projects(scenario, tl, market)
    ebitda, fcf = engine.company_ebitda_fcf(scenario, mining, others)
    npv = engine.company_value(scenario, fcf).enterprise_value_usd
    years = -(-tl.n // 12)
    # mean over years of the yearly sums (the last year padded with zeros, as in
    # _yearly_sum) = the total over all months / years
    seg_ebitda = {"mining": mining.ebitda_usd.sum(axis=1) / years}
    seg_revenue = {"mining": mining.revenue_usd.sum(axis=0)}
    for seg in SEGMENTS[1:]:
        parts = [p for p in others if p.segment == seg]
        seg_ebitda[seg] = _ebitda_path_total(parts, market.shape[0]) / years
        seg_revenue[seg] = _month_total([p.flows["revenue_usd"] for p in parts], market.shape)
    return VariantChunk(np.asarray(npv), _yearly_sum(ebitda, tl.n), seg_ebitda, seg_revenue)


def _evaluate_with_lease_plan(
    scenario: Scenario,
    tl: engine.Timeline,
    market: engine.MarketArrays,
    mining: engine.MiningTotals,
    leases: LeasePlan,
) -> VariantChunk:
    """:func:`evaluate_chunk` with rent, tax, free cash flow and value in one compiled pass."""
    assert market.default_uniform is not None
    alive = leases.alive_months(market.default_uniform)
    v = kernels.variant_value(
        mining.ebitda_usd, leases.rent_usd, leases.rent_after_default_usd, alive, leases.rows,
        leases.tax_frac, leases.n_last, leases.terminal_factor,
    )  # fmt: skip
    years = -(-tl.n // 12)
    n_p = market.shape[0]
    seg_ebitda = {"mining": v["mining_ebitda_total_usd"] / years}
    seg_revenue = {"mining": mining.revenue_usd.sum(axis=0)}
    for seg in SEGMENTS[1:]:
        parts = [p for p in leases.others if p.segment == seg]
        total = _ebitda_path_total(parts, n_p)
        revenue = _month_total([p.flows["revenue_usd"] for p in parts], market.shape)
        if seg == "colocation":
            total += v["rent_total_usd"]
            revenue += leases.month_rent_total(alive)
        seg_ebitda[seg] = total / years
        seg_revenue[seg] = revenue
    return VariantChunk(v["npv_usd"], v["ebitda_usd_by_year"], seg_ebitda, seg_revenue)


RISK_VARIANTS = ("hybrid", "pure_mining")
"""Variants whose exposures and risk after capex and debt are measured (:func:`risk_chunk`)."""


def risk_chunk(
    scenario: Scenario,
    tl: engine.Timeline,
    market: engine.MarketArrays,
    plan: engine.MiningPlan,
    leases: LeasePlan | None,
    bump_frac: float = risk.BTC_BUMP_FRAC,
    bumped: VariantChunk | None = None,
    bumped_market: engine.MarketArrays | None = None,
    flows: tuple[FloatArray, FloatArray] | None = None,
    debt_service_usd: FloatArray | None = None,
) -> dict[str, FloatArray]:
    """Per-path inputs of a variant's risk object on one chunk, each ``(paths,)``.

    A second evaluation of the same paths (common random numbers) with every BTC price
    × ``1 + bump_frac`` and the network, power, GPU prices and tenant defaults held:
    ``npv_bumped_usd``, ``ebitda_bumped_usd_per_year`` and ``<segment>_ebitda_bumped_usd``.
    From the engine's monthly flows (:func:`engine.company_ebitda_fcf`): free cash flow
    after sustaining capex (taken equal to ASIC depreciation, an assumption: miners
    replace fleets as they wear out) and debt service (:func:`engine.debt_schedule`),
    per year (``fcf_after_debt_usd_per_year``), the lowest month-end cash from the
    company's ``cash_usd`` (``min_cash_usd``), the lowest annual DSCR (``min_dscr``),
    and the time-series slope of monthly EBITDA changes on BTC returns
    (``ebitda_ts_slope_usd``, :func:`risk.ts_beta_per_path`) with the monthly EBITDA
    level it is scaled by (``ebitda_usd_per_month``), all from
    :func:`hashpivot.kernels.path_risk`. ``bumped`` is the variant already evaluated on
    the bumped market (the run's joint pass), else evaluated here on ``bumped_market``
    (default: the prices × ``1 + bump_frac``, the network held). ``flows`` are the
    variant's monthly EBITDA and free cash flow on ``market`` where the run's joint pass
    already has them (checked against the engine's), else they come from the engine.
    ``debt_service_usd`` is :func:`engine.debt_schedule`'s payment row, the same for every
    chunk of a run (default: found here).
    """
    if flows is None:
        mining = engine.mining_totals(scenario, tl, market, plan)
        flows = engine.company_ebitda_fcf(
            scenario, mining, engine.conversion_projects(scenario, tl, market)
        )
    ebitda, fcf = (np.broadcast_to(f, market.shape) for f in flows)
    service = (
        engine.debt_schedule(scenario, tl.n).payment_usd
        if debt_service_usd is None
        else debt_service_usd
    )
    if bumped is None:
        up = bumped_market or dataclasses.replace(
            market, btc_price_usd=market.btc_price_usd * (1.0 + bump_frac)
        )
        bumped = evaluate_chunk(scenario, tl, up, plan, leases)
    b = bumped
    out = {
        "npv_bumped_usd": b.npv_usd,
        "ebitda_bumped_usd_per_year": b.ebitda_usd_by_year.mean(axis=1),
        **kernels.path_risk(
            ebitda, fcf, market.btc_price_usd, plan.depreciation_usd, service,
            scenario.company.cash_usd,
        ),
    }  # fmt: skip
    return out | {f"{k}_ebitda_bumped_usd": v for k, v in b.segment_ebitda_usd.items()}


def _ebitda_path_total(parts: list[engine.ProjectFlows], paths: int) -> FloatArray:
    """Sum over months of the projects' EBITDA, per path ``(paths,)`` [USD].

    A flow the same on every path (a zero-stride view) is summed once, not per path.
    """
    out = np.zeros(paths)
    for p in parts:
        for key, sign in engine.EBITDA_SIGNS:
            a = np.broadcast_to(p.flows[key], (paths, np.shape(p.flows[key])[-1]))
            out += sign * (a[0].sum() if a.strides[0] == 0 else a.sum(axis=1))
    return out


def _month_total(arrays: list[FloatArray], shape: tuple[int, int]) -> FloatArray:
    """Sum over paths of arrays broadcast to ``(paths, months)``, per month.

    An array the same on every path (a zero-stride view) is its row times the paths.
    """
    out = np.zeros(shape[1])
    for a in arrays:
        a = np.broadcast_to(a, shape)
        out += a[0] * shape[0] if a.strides[0] == 0 else a.sum(axis=0)
    return out


# --------------------------------------------------------------------------- results


@dataclass
class SimulationResult:
    """Monte Carlo results: per-path arrays by variant, market fans, and risk summaries."""

    scenario: Scenario
    paths: int
    seed: int
    months: int
    month_start: pd.DatetimeIndex
    variants: dict[str, dict[str, FloatArray]]
    revenue_mix_usd: dict[str, dict[str, FloatArray]]
    fans: dict[str, FloatArray]
    btc_price_mean_usd: FloatArray
    frontier: list[dict[str, Any]]
    bump_frac: float = risk.BTC_BUMP_FRAC

    def variant_summary(self, name: str) -> dict[str, Any]:
        """Distribution of NPV and average annual EBITDA of one variant, with BTC exposure."""
        v = self.variants[name]
        exposure = risk.btc_exposure(v["ebitda_usd_per_year"], self.btc_price_mean_usd)
        return {
            "npv_usd": risk.distribution(v["npv_usd"]),
            "ebitda_usd_per_year": risk.distribution(v["ebitda_usd_per_year"]),
            "prob_negative_ebitda_any_year": risk.prob_negative_any_period(v["ebitda_usd_by_year"]),
            "btc_beta": exposure["beta"],
            "btc_corr": exposure["corr"],
            "btc_beta_warning": risk.elasticity_with_warning(1.0, v["ebitda_usd_per_year"])[
                "warning"
            ],
            **({"risk": self.variant_risk(name)} if "npv_bumped_usd" in v else {}),
        }

    def variant_risk(self, name: str) -> dict[str, Any]:
        """The risk object of one variant (:func:`hashpivot.risk.variant_risk`)."""
        c = self.scenario.company
        return risk.variant_risk(
            self.variants[name], self.btc_price_mean_usd, self.bump_frac, c.debt_usd > 0
        )

    def summary(self) -> dict[str, Any]:
        """The pure-mining vs hybrid comparison, JSON-ready."""
        hybrid = self.variant_summary("hybrid")
        out: dict[str, Any] = {
            "scenario": self.scenario.name,
            "paths": self.paths,
            "seed": self.seed,
            "months": self.months,
            "hybrid": hybrid,
            "btc_beta": hybrid["btc_beta"],
            "frontier": risk.cvar_per_npv_given_up(self.frontier),
        }
        if "pure_mining" in self.variants:
            pure = self.variants["pure_mining"]["ebitda_usd_per_year"]
            out["pure_mining"] = self.variant_summary("pure_mining")
            out["variance_reduction_frac"] = risk.variance_reduction_frac(
                self.variants["hybrid"]["ebitda_usd_per_year"], pure
            )
            if "risk" in hybrid and "risk" in out["pure_mining"]:
                out["hedge_after_capex"] = risk.hedge_after_capex(
                    self.variants["hybrid"], self.variants["pure_mining"]
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        """Summary plus monthly fan-chart quantiles and the mean revenue mix."""
        months = [d.strftime("%Y-%m") for d in self.month_start]
        fans = {
            k: {f"p{round(q * 100)}": v[i].tolist() for i, q in enumerate(FAN_QUANTILES)}
            for k, v in self.fans.items()
        }
        mix = {
            name: {seg: (arr / self.paths).tolist() for seg, arr in m.items()}
            for name, m in self.revenue_mix_usd.items()
        }
        return {**self.summary(), "month": months, "fans": fans, "revenue_mix_usd": mix}

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-path frame: variant, path, metric, value."""
        rows = []
        for name, arrays in self.variants.items():
            for metric, arr in arrays.items():
                if arr.ndim != 1:
                    continue
                rows.append(
                    pd.DataFrame(
                        {
                            "variant": name,
                            "path": np.arange(arr.size),
                            "metric": metric,
                            "value": arr,
                        }
                    )
                )
        return pd.concat(rows, ignore_index=True)

    def _repr_html_(self) -> str:
        """Compact HTML summary for Jupyter: the pure-mining vs hybrid comparison."""
        from hashpivot.display import summary_html

        title = f"Simulation of {self.scenario.name}: {self.paths:,} paths, seed {self.seed}"
        s = self.summary()
        head = {k: s[k] for k in ("variance_reduction_frac", "btc_beta") if k in s}
        rest = {k: v for k, v in s.items() if k not in head}
        return summary_html(title, head | rest)


# --------------------------------------------------------------------------- orchestrator


ProgressFn = Callable[[int, int], None]


class Simulation:
    """Monte Carlo of a scenario's company: ``Simulation(scenario).run(paths, seed)``.

    Parameters
    ----------
    scenario
        A validated scenario; its ``market`` gives the starting state, its
        ``market_model`` the stochastic drivers and its ``network_model`` the network.
    frontier_shares
        AI shares of site MW to evaluate for the frontier (on the same paths); empty to
        skip. Needs a lease conversion in the scenario as the template.
    btc_bump_frac
        BTC move of the risk object's bump-and-reprice (:func:`risk_chunk`) of
        :data:`RISK_VARIANTS`; None skips the risk object. [-]
    tenant_ai_corr_frac
        ρ of the tenants' default times on the AI-market factor (:func:`market_paths`,
        :func:`hashpivot.risk.tenant_default_uniforms`; 0 keeps them independent of it);
        None: the scenario's ``market_model.tenant_ai_corr_frac`` (0.24 by default,
        :data:`hashpivot.risk.TENANT_AI_CORR_FRAC`). Leases naming one tenant default
        together whatever ρ. [-]
    bump_network
        Let the network respond to the bumped BTC prices (hashrate follows price, so
        hashprice in BTC falls) instead of holding it: a second draw of the same market
        and network random numbers, about the cost of the market draw again.

    """

    def __init__(
        self,
        scenario: Scenario,
        frontier_shares: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0),
        compare_pure_mining: bool = True,
        btc_bump_frac: float | None = risk.BTC_BUMP_FRAC,
        tenant_ai_corr_frac: float | None = None,
        bump_network: bool = False,
    ) -> None:
        self.scenario = scenario
        self.tenant_ai_corr_frac = (
            scenario.market_model.tenant_ai_corr_frac
            if tenant_ai_corr_frac is None
            else tenant_ai_corr_frac
        )
        self.bump_network = bump_network
        self.btc_bump_frac = btc_bump_frac
        self.frontier_shares = frontier_shares if _template(scenario) is not None else ()
        self.compare_pure_mining = compare_pure_mining
        self._variant_specs = self._build_variants()
        self._n_leases = max(engine.n_leases(v) for v in self._variant_specs.values())

    def _build_variants(self) -> dict[str, Scenario]:
        """Company variants evaluated on the same paths, built once.

        A zero AI share is pure mining: when pure mining is already evaluated, that
        frontier point reuses it instead of computing the same company twice.
        """
        out = {"hybrid": self.scenario}
        if self.compare_pure_mining:
            out["pure_mining"] = pure_mining(self.scenario)
        for share in self.frontier_shares:
            if share <= 0 and self.compare_pure_mining:
                continue
            out[f"ai_share_{share:.2f}"] = ai_share_variant(self.scenario, share)
        return out

    def _variants(self) -> dict[str, Scenario]:
        return self._variant_specs

    def _market_chunk(
        self, tl: engine.Timeline, seed: int, first_block: int, n_blocks: int
    ) -> tuple[engine.MarketArrays, net_mod.NetworkPath]:
        return market_paths(
            self.scenario, tl, seed, first_block, n_blocks, self._n_leases,
            self.tenant_ai_corr_frac,
        )  # fmt: skip

    def cash_flows(
        self, paths: int = 1_000, seed: int = 0, variant: str = "hybrid", first_path: int = 0
    ) -> PathCashFlows:
        """Monthly cash flows per path, by site and segment, of paths ``first_path ...``.

        The same futures as :meth:`run` with this ``seed`` (path ``i`` here is path ``i``
        there, with the same NPV), kept whole rather than reduced; ``variant`` is
        ``hybrid``, ``pure_mining`` or ``ai_share_0.50``-style frontier names.
        """
        variants = self._variants()
        if variant not in variants:
            msg = f"unknown variant {variant!r}; one of {', '.join(variants)}"
            raise KeyError(msg)
        if paths < 1 or first_path < 0:
            msg = f"paths must be >= 1 and first_path >= 0, got {paths} and {first_path}"
            raise ValueError(msg)
        sc = self.scenario
        tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
        first_block = first_path // BLOCK_PATHS
        n_blocks = -(-(first_path + paths) // BLOCK_PATHS) - first_block
        market, _ = self._market_chunk(tl, seed, first_block, n_blocks)
        offset = first_path - first_block * BLOCK_PATHS
        market = slice_market(market, slice(offset, offset + paths))
        return variant_cash_flows(variant, variants[variant], tl, market, seed, first_path)

    def run(
        self,
        paths: int = 10_000,
        seed: int = 0,
        chunk_paths: int = 2_000,
        progress: ProgressFn | None = None,
    ) -> SimulationResult:
        """Simulate ``paths`` paths (rounded up to whole blocks of 1 000) with ``seed``.

        Chunks of ``chunk_paths`` paths run on as many threads as the compiled kernels
        may use (:func:`hashpivot.kernels.thread_count`), each chunk on one thread with
        serial kernels; results are gathered in path order, so they do not depend on the
        thread count either.
        """
        tune_allocator()
        n_blocks = max(-(-paths // BLOCK_PATHS), 1)
        per_chunk = max(chunk_paths // BLOCK_PATHS, 1)
        sc = self.scenario
        tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
        variants = self._variants()
        acc = {name: VariantPaths() for name in variants}
        total = n_blocks * BLOCK_PATHS
        fans = {k: np.empty((tl.n, total), np.float32) for k in FAN_KEYS}
        chunks = [(f, min(per_chunk, n_blocks - f)) for f in range(0, n_blocks, per_chunk)]
        # the plans' checks against the engine run on 32 paths: serial kernels, as a
        # parallel kernel's start-up costs more than its work there
        with kernels.serial_kernels():
            plans = {name: engine.mining_plan(v, tl) for name, v in variants.items()}
            lease_plans = {name: lease_plan(v, tl, plans[name]) for name, v in variants.items()}
            joint = joint_plan(variants, tl, plans, lease_plans)
        bump = self.btc_bump_frac
        risk_names = tuple(n for n in RISK_VARIANTS if n in variants) if bump is not None else ()
        # the bumped market is needed for the risk variants only
        joint_risk = joint.subset(risk_names) if joint is not None and risk_names else None
        service = {n: engine.debt_schedule(variants[n], tl.n).payment_usd for n in risk_names}

        def one(chunk: tuple[int, int]) -> tuple[dict[str, VariantChunk], FloatArray]:
            first, k = chunk
            market, net = self._market_chunk(tl, seed, first, k)
            price = market.btc_price_usd
            col0 = first * BLOCK_PATHS
            kernels.store_columns(fans["btc_price_usd"], price, col0)
            kernels.store_columns(fans["network_hashrate_eh_s"], net.network_hashrate_eh_s, col0)
            hp = market.hashprice_btc_per_ph_day
            kernels.store_columns(fans["hashprice_usd_per_ph_day"], hp, col0, price)
            if (
                joint is not None
                and market.default_uniform is not None
                and engine.power_factor(market) is None
            ):
                parts = joint.evaluate(tl, market, risk_names)
            else:
                parts = {
                    name: evaluate_chunk(v, tl, market, plans[name], lease_plans[name])
                    for name, v in variants.items()
                }
            if bump is not None:
                bumped: dict[str, VariantChunk] = {}
                up = (
                    market_paths(
                        self.scenario, tl, seed, first, k, self._n_leases,
                        self.tenant_ai_corr_frac, 1.0 + bump,
                    )[0]
                    if self.bump_network
                    else dataclasses.replace(market, btc_price_usd=price * (1.0 + bump))
                )  # fmt: skip
                if (
                    joint_risk is not None
                    and market.default_uniform is not None
                    and engine.power_factor(market) is None
                ):  # the risk variants' bump in one compiled pass, as the base
                    bumped = joint_risk.evaluate(tl, up)
                for name in risk_names:
                    parts[name].risk = risk_chunk(
                        variants[name], tl, market, plans[name], lease_plans[name], bump,
                        bumped.get(name), up, parts[name].flows, service[name],
                    )  # fmt: skip
                    parts[name].flows = None
            return parts, price.mean(axis=1)

        price_mean: list[FloatArray] = []
        done = 0
        for (_, k), (parts, mean) in zip(chunks, in_threads(one, chunks), strict=True):
            for name, part in parts.items():
                acc[name].add(part)
            price_mean.append(mean)
            done += k * BLOCK_PATHS
            if progress is not None:
                progress(done, total)
        return self._result(total, seed, tl, acc, fans, price_mean)

    def _result(
        self,
        paths: int,
        seed: int,
        tl: engine.Timeline,
        acc: dict[str, VariantPaths],
        fan_paths: dict[str, npt.NDArray[np.float32]],
        price_mean: list[FloatArray],
    ) -> SimulationResult:
        fans = fan_quantiles(fan_paths)
        variants = {name: a.arrays() for name, a in acc.items()}
        mix = {name: a.segment_revenue_usd_monthly_sum for name, a in acc.items()}
        zero = f"ai_share_{0.0:.2f}"
        if any(s <= 0 for s in self.frontier_shares) and zero not in variants:
            variants[zero] = variants["pure_mining"]
            mix[zero] = mix["pure_mining"]
        frontier = [
            risk.frontier_point(share, variants[f"ai_share_{share:.2f}"]["npv_usd"])
            for share in self.frontier_shares
        ]
        return SimulationResult(
            self.scenario, paths, seed, tl.n, tl.month_start, variants, mix, fans,
            np.concatenate(price_mean), frontier, self.btc_bump_frac or risk.BTC_BUMP_FRAC,
        )  # fmt: skip


def in_threads(fn: Callable[[_T], _R], items: list[_T], threads: int | None = None) -> Iterator[_R]:
    """``fn`` of each item, in order, computed on ``threads`` threads with serial kernels.

    ``threads`` defaults to :func:`hashpivot.kernels.thread_count`; with one thread (or one
    item) the items run here, in turn, and the kernels keep their own threads. At most
    twice ``threads`` items are in flight, so finished results never pile up; leaving
    early (an error, an interrupt) cancels those not started.
    """
    n = kernels.thread_count() if threads is None else threads
    if n <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return

    def serial(item: _T) -> _R:
        with kernels.serial_kernels():
            return fn(item)

    pool = ThreadPoolExecutor(max_workers=n)
    pending: deque[Future[_R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(serial, item))
            if len(pending) >= 2 * n:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def fan_quantiles(fans: dict[str, npt.NDArray[np.float32]]) -> dict[str, FloatArray]:
    """:data:`FAN_QUANTILES` by month of each ``(months, paths)`` array ``(quantiles, months)``.

    :func:`hashpivot.kernels.row_quantiles`: NumPy's linear quantiles, found with a
    histogram instead of a partition of each month's paths, the months in parallel.
    """
    return {k: kernels.row_quantiles(v, FAN_QUANTILES) for k, v in fans.items()}


def market_paths(
    scenario: Scenario,
    tl: engine.Timeline,
    seed: int,
    first_block: int = 0,
    n_blocks: int = 1,
    n_leases: int = 0,
    tenant_ai_corr_frac: float | None = None,
    btc_price_factor: float = 1.0,
) -> tuple[engine.MarketArrays, net_mod.NetworkPath]:
    """Market and network arrays for paths ``[first_block, first_block + n_blocks) × 1 000``.

    ``tenant_ai_corr_frac`` None takes the scenario's ``market_model.tenant_ai_corr_frac``.

    The same ``seed`` and block range always give the same arrays, whatever else is
    sampled: this is what the Monte Carlo, the planner and sweeps draw their futures from.
    ``btc_price_factor`` scales every sampled BTC price before the network responds to
    it (the risk object's bump with the network's response, on the same random numbers).
    """
    sc = scenario
    paths = n_blocks * BLOCK_PATHS
    m = markets.sample_markets(
        sc.market_model, sc.market.btc_price_usd, sc.start_date, tl.n, paths, seed,
        n_sites=len(sc.sites), first_block=first_block, block_paths=BLOCK_PATHS,
    )  # fmt: skip
    price = m.btc_price_usd if btc_price_factor == 1.0 else m.btc_price_usd * btc_price_factor
    net = net_mod.simulate_network(
        sc.network_model, price, m.fees_btc_per_block, sc.start_date,
        sc.market.network_hashrate_eh_s, sc.market.difficulty, sc.market.block_height,
        seed=seed, first_block=first_block, block_paths=BLOCK_PATHS,
        hashrate_log_growth=m.hashrate_log_growth,
    )  # fmt: skip
    u = _default_uniforms(seed, first_block, n_blocks, max(engine.n_leases(sc), n_leases))
    if u is not None:
        rho = (
            sc.market_model.tenant_ai_corr_frac
            if tenant_ai_corr_frac is None
            else tenant_ai_corr_frac
        )
        u = shared_tenant_uniforms(sc, tl, u, m.gpu_price_index, rho)
    market = engine.MarketArrays(
        price, net.hashprice_btc_per_ph_day, m.gpu_price_index, m.power_price_factor, u,
    )  # fmt: skip
    return market, net


def lease_tenants(
    scenario: Scenario, tl: engine.Timeline
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """Tenant id, first rent month and default probability of each lease column.

    Leases naming the same ``tenant`` share an id; a lease with no name is its own tenant.
    The first rent month includes ``construction_delay_months``, as the engine's.
    """
    leases = [c.lease for s in scenario.sites for c in s.conversions if c.lease is not None]
    names = [lease.tenant or f"lease #{j}" for j, lease in enumerate(leases)]
    ids = np.array([names.index(n) for n in names], dtype=np.int64)
    starts = [
        min(tl.index_of(p.date) for p in lease.energisation) + lease.construction_delay_months
        for lease in leases
    ]
    probs = [lease.tenant_default_prob_per_year for lease in leases]
    return ids, np.array(starts, dtype=np.float64), np.array(probs, dtype=np.float64)


def shared_tenant_uniforms(
    scenario: Scenario,
    tl: engine.Timeline,
    uniform: FloatArray,
    gpu_price_index: FloatArray,
    corr_frac: float,
) -> FloatArray:
    """The scenario's default uniforms with shared tenants and the AI-market factor.

    :func:`hashpivot.risk.tenant_default_uniforms` on the scenario's lease columns
    (:func:`lease_tenants`); columns beyond them (another variant's extra leases) are
    left independent. With ρ = 0 and no tenant behind two leases nothing changes.
    """
    ids, starts, probs = lease_tenants(scenario, tl)
    n = len(ids)
    if n == 0 or (corr_frac == 0.0 and len(np.unique(ids)) == n):
        return uniform
    z = risk.ai_factor_scores(gpu_price_index, BLOCK_PATHS)
    out = uniform.copy()
    out[:, :n] = risk.tenant_default_uniforms(uniform[:, :n], ids, starts, probs, z, corr_frac)
    return out


def _default_uniforms(
    seed: int, first_block: int, n_blocks: int, n_leases: int
) -> FloatArray | None:
    """One uniform per path and lease position, each column and block its own stream.

    Column ``j`` of block ``b`` depends only on ``(seed, b, j)``, so results do not depend
    on the chunk size nor on how many leases another company variant has.
    """
    if n_leases == 0:
        return None
    cols = []
    for j in range(n_leases):
        blocks = [
            np.random.default_rng(np.random.SeedSequence([seed, 0xDEFA, b, j])).random(BLOCK_PATHS)
            for b in range(first_block, first_block + n_blocks)
        ]
        cols.append(np.concatenate(blocks))
    return np.stack(cols, axis=1)


def month_labels(start: dt.date, months: int) -> list[str]:
    """``YYYY-MM`` labels of the months from ``start``."""
    return [
        d.strftime("%Y-%m") for d in pd.date_range(pd.Timestamp(start), periods=months, freq="MS")
    ]
