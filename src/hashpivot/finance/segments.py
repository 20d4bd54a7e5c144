"""Segment valuation: each segment's cash flows at its own rate, and the bridge to the DCF.

A company's cash flows are split into segments (mining, each lease, each GPU contract,
corporate overhead, tax). The **sum of the parts** discounts each segment at a rate that
fits its risk and adds the value of each contracted building at the end of its term (exit
value); the **DCF** discounts the same cash flows at one WACC with a Gordon terminal value.
:func:`value_segments` computes both and a **bridge** whose rows (one per difference:
discount rate, exit value vs terminal value, construction haircut, items in the parts
only) take the DCF to the parts exactly: DCF + Σ bridge = parts, to floating-point
rounding.

Also the deal-level formulas the segments are built from: year-1 NOI from a term
average, yield on cost, exit value, rent net of tenant-funded capex, capped backstops,
tax with loss carry-forward and depreciation with bonus.

References
----------
.. [1] Brealey, Myers, Allen, *Principles of Corporate Finance*, 13th ed., 2020: ch. 19
   (DCF of a business, terminal value), ch. 4 (growing perpetuity).
.. [2] Geltner, Miller, Clayton, Eichholtz, *Commercial Real Estate Analysis and
   Investments*, 3rd ed., 2014, ch. 10: cap rate = r − g for a stabilised property
   (Gordon); yield on cost = stabilised year-1 NOI / total development cost; reversion
   (exit) value = next year's NOI / going-out cap rate.
.. [3] Koller, Goedhart, Wessels, *Valuation* (McKinsey), 7th ed., 2020, ch. 14: the
   terminal value must include the reinvestment that sustains the cash flows,
   TV = NOPAT·(1 − g/RONIC)/(WACC − g).
.. [4] 26 U.S.C. § 172(a)(2): a net operating loss carried forward offsets at most 80 %
   of taxable income (losses of tax years after 2017), carried forward indefinitely;
   26 U.S.C. § 11(b): 21 % federal rate; 26 U.S.C. § 168(k): bonus depreciation.
.. [5] Cap rates by tenant credit: ``finance.valuation.CAP_RATE_FRAC_BY_TENANT_CREDIT``
   and its sources (ref. [6] of ``finance.valuation``).

"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hashpivot.finance._checks import ArrayLike, FloatArray, _as_float, _bad, _nonneg
from hashpivot.finance.cashflows import depreciation_of_capex_usd, monthly_rate
from hashpivot.finance.valuation import CAP_RATE_FRAC_BY_TENANT_CREDIT

TENANT_CREDIT_CLASSES = ("hyperscaler", "backstopped", "neocloud")
"""Credit classes of an AI tenant: investment-grade hyperscaler, neocloud with a
hyperscaler backstop, unrated neocloud."""

LEASE_GROWTH_FRAC_PER_YEAR = 0.03
"""Long-run NOI growth implied in data-centre cap rates: the 3 %/yr escalator of Hut 8–
Fluidstack (https://dcpulse.com/news/hut-fluidstack-ai-data-center-deal-river-bend),
so that discount rate = cap rate + growth (ref. [2]) [1/yr]."""

DISCOUNT_RATE_FRAC_BY_TENANT_CREDIT: Mapping[str, float] = {
    k: CAP_RATE_FRAC_BY_TENANT_CREDIT[k] + LEASE_GROWTH_FRAC_PER_YEAR for k in TENANT_CREDIT_CLASSES
}
"""Discount rate of contracted colocation NOI by tenant credit [1/yr] (derived): the cap
rate of the class (ref. [5]: 0.055 hyperscaler, 0.065 backstopped, 0.075 neocloud) plus
:data:`LEASE_GROWTH_FRAC_PER_YEAR`, r = cap + g (ref. [2]): 0.085, 0.095, 0.105."""

EXIT_CAP_RATE_FRAC_BY_TENANT_CREDIT: Mapping[str, float] = {
    k: CAP_RATE_FRAC_BY_TENANT_CREDIT[k] for k in TENANT_CREDIT_CLASSES
}
"""Exit (going-out) cap rate of a contracted building at the end of its term, by the
tenant's credit (ref. [5]) [1/yr]."""

MINING_DISCOUNT_RATE_FRAC = 0.20
"""Discount rate of mining cash flows: equity-like, the middle of 15-25 % (assumption;
crypto DCFs often use rates above 20 %:
https://crypto.greeks.live/learn/what-is-the-appropriate-discount-rate-for-a-crypto-dcf-model)
[1/yr]."""

GPU_DISCOUNT_RATE_FRAC_BY_CONTRACT: Mapping[str, float] = {"contracted": 0.10, "spot": 0.20}
"""Discount rate of a GPU cloud's cash flows by contract type [1/yr]. ``contracted``
(take-or-pay with an investment-grade buyer, e.g. IREN–Microsoft): assumption, between
the under-6 % GPU loan secured on that contract (IREN Q2 FY26 call,
https://www.marketbeat.com/instant-alerts/iren-q2-earnings-call-highlights-2026-02-05/)
and the equity-like mining rate; ``spot`` (GPU-hours sold at market prices): the
equity-like :data:`MINING_DISCOUNT_RATE_FRAC`."""

CONSTRUCTION_HAIRCUT_FRAC = 1.0 - 0.065 / 0.0775
"""Haircut on the value of a lease not yet energised [-] (derived, about 0.16): the
gap between a stabilised cap rate (0.065, JLL 5.5-6.5 % hyperscale / powered shell) and
the development yield on cost (0.0775, the middle of 7-8.5 %), ref. [5]: a building
under construction is worth NOI/0.0775 where a delivered one is worth NOI/0.065."""

NOL_LIMIT_FRAC = 0.8
"""Share of taxable income a loss carried forward may offset (ref. [4]) [-]."""


def year1_noi_from_average_usd(
    average_noi_usd_per_year: ArrayLike, escalator_frac_per_year: ArrayLike, term_years: ArrayLike
) -> FloatArray:
    """Year-1 NOI of a lease whose average NOI over its term is given [USD/yr].

    NOI₁ = average·T / Σ_{y<T}(1+g)^y: an escalating rent averages more than its first
    year, so capitalising the term average overstates value (ref. [2]).
    """
    from hashpivot.ai import _escalation_sum

    avg = _as_float("average_noi_usd_per_year", average_noi_usd_per_year)
    t = _as_float("term_years", term_years)
    return np.asarray(avg * t / _escalation_sum(escalator_frac_per_year, t))


def yield_on_cost_frac(noi_year1_usd: ArrayLike, total_cost_usd: ArrayLike) -> FloatArray:
    """Yield on cost: stabilised year-1 NOI / total development cost (ref. [2]) [1/yr]."""
    noi = _as_float("noi_year1_usd", noi_year1_usd)
    cost = _as_float("total_cost_usd", total_cost_usd)
    if np.any(cost <= 0):
        raise _bad("total_cost_usd: must be > 0 (yield on cost divides by it)")
    return np.asarray(noi / cost)


def exit_value_usd(
    noi_next_year_usd: ArrayLike, exit_cap_rate_frac: ArrayLike, renewal_prob_frac: ArrayLike = 1.0
) -> FloatArray:
    """Value of a building at the end of its lease: p·NOI_{T+1}/cap_exit [USD].

    The reversion value of ref. [2] (next year's NOI at the going-out cap rate), times the
    probability that the tenant renews or the building is re-let (1 by default).
    """
    noi = _as_float("noi_next_year_usd", noi_next_year_usd)
    cap = _as_float("exit_cap_rate_frac", exit_cap_rate_frac)
    p = _as_float("renewal_prob_frac", renewal_prob_frac)
    if np.any((cap <= 0) | (cap > 1)):
        raise _bad(f"exit_cap_rate_frac: {cap} — must be in (0, 1]")
    if np.any((p < 0) | (p > 1)):
        raise _bad(f"renewal_prob_frac: {p} — must be in [0, 1]")
    return np.asarray(p * noi / cap)


def netted_rent_usd_per_year(
    rent_usd_per_year: ArrayLike, tenant_funded_capex_usd: ArrayLike, term_years: ArrayLike
) -> FloatArray:
    """Rent received when the tenant's capex funding is credited back against it [USD/yr].

    rent − funded capex / term: the tenant recovers what it funded straight-line over the
    term (as Core Scientific's CoreWeave-funded builds: 196.4M of 244.5M USD of Q3-2025
    capex; data/companies/corz.yaml and its sources). The company's own capex falls by the
    same amount.
    """
    rent = _as_float("rent_usd_per_year", rent_usd_per_year)
    funded = _nonneg("tenant_funded_capex_usd", tenant_funded_capex_usd)
    t = _as_float("term_years", term_years)
    if np.any(t <= 0):
        raise _bad("term_years: must be > 0")
    return np.asarray(rent - funded / t)


def backstop_recovery_usd(lost_rent_usd: ArrayLike, backstop_cap_usd: ArrayLike) -> FloatArray:
    """Rent a backstop pays after a tenant default: min(lost rent, the guarantee's cap) [USD].

    A backstop (Google's 1.4B USD behind Fluidstack at Cipher, 3.2B at TeraWulf:
    https://blockworks.co/news/cipher-mining-inks-3b-ai-hosting-deal-with-fluidstack ,
    https://z9news.com/google-ups-stake-in-bitcoin-miner-terawulf-to-14-wulf-jumps-13 ) is a
    capped dollar guarantee, not a share of the loss: it pays the lost rent up to its cap,
    then nothing.
    """
    lost = _nonneg("lost_rent_usd", lost_rent_usd)
    cap = _nonneg("backstop_cap_usd", backstop_cap_usd)
    return np.asarray(np.minimum(lost, cap))


def tax_with_loss_carryforward_usd(
    taxable_income_usd: ArrayLike,
    tax_rate_frac: float,
    loss_carryforward_start_usd: float = 0.0,
    nol_limit_frac: float = NOL_LIMIT_FRAC,
) -> tuple[FloatArray, FloatArray]:
    """Tax per period with losses carried forward, and the loss pool after each period.

    A loss adds to the pool and pays no tax; a profit first uses the pool, up to
    ``nol_limit_frac`` of the profit (ref. [4]), and the rest is taxed at the rate. The
    loop runs over periods; leading axes (paths) are vectorised.

    Returns
    -------
    tuple
        Tax ``(..., periods)`` [USD] and loss pool at each period's end [USD].

    """
    income = _as_float("taxable_income_usd", taxable_income_usd)
    if not 0.0 <= tax_rate_frac <= 1.0:
        raise _bad(f"tax_rate_frac: {tax_rate_frac!r} — must be in [0, 1]")
    if not 0.0 <= nol_limit_frac <= 1.0:
        raise _bad(f"nol_limit_frac: {nol_limit_frac!r} — must be in [0, 1]")
    pool = np.full(income.shape[:-1], float(loss_carryforward_start_usd))
    tax = np.zeros_like(income)
    pools = np.zeros_like(income)
    for k in range(income.shape[-1]):
        x = income[..., k]
        used = np.where(x > 0, np.minimum(pool, nol_limit_frac * x), 0.0)
        tax[..., k] = tax_rate_frac * np.maximum(x - used, 0.0)
        pool = pool - used + np.maximum(-x, 0.0)
        pools[..., k] = pool
    return tax, pools


def depreciation_with_bonus_usd(
    capex_usd: ArrayLike, life_months: int, bonus_frac: float = 0.0
) -> FloatArray:
    """Tax depreciation of monthly capex: a bonus share at once, the rest straight-line [USD].

    ``bonus_frac`` of each outlay is deducted in the month it is spent (26 U.S.C. § 168(k),
    ref. [4]); the rest over ``life_months`` (:func:`depreciation_of_capex_usd`).
    """
    c = _as_float("capex_usd", capex_usd)
    if not 0.0 <= bonus_frac <= 1.0:
        raise _bad(f"bonus_frac: {bonus_frac!r} — must be in [0, 1]")
    return np.asarray(
        bonus_frac * c + depreciation_of_capex_usd((1.0 - bonus_frac) * c, life_months)
    )


# --------------------------------------------------------------------------- the two views


@dataclass(frozen=True)
class Segment:
    """One segment's monthly cash flows and how each view values what lies beyond them.

    Attributes
    ----------
    name
        Part name, ending in ``_usd`` (``mining_usd``, ``lease_<id>_usd``...).
    cash_flow_usd
        Cash flow per month after the valuation date (month 0 ends one month after it). [USD]
    rate_frac_per_year
        The segment's own discount rate (sum of the parts). [1/yr]
    exit_value_usd
        Parts view: value of what remains at ``exit_month`` (a building at its exit cap
        rate, GPUs at residual value). [USD]
    exit_month
        Months from the valuation date to the exit. [months]
    terminal_run_rate_usd_per_month
        DCF view: this segment's share of the steady cash flow after the horizon, net of
        the reinvestment that sustains it (ref. [3]); Gordon at the WACC. [USD/month]
    haircut_frac
        Parts view: construction haircut on the segment's value. [-]
    exit_in_dcf
        Whether the DCF also counts the exit value (at the WACC), as a sale at the end of
        a finite life (a lease at its term, GPUs at residual value). [-]

    """

    name: str
    cash_flow_usd: FloatArray
    rate_frac_per_year: float
    exit_value_usd: float = 0.0
    exit_month: int = 0
    terminal_run_rate_usd_per_month: float = 0.0
    haircut_frac: float = 0.0
    exit_in_dcf: bool = False


def _pv(flows: FloatArray, rate_frac_per_year: float) -> float:
    r_m = float(monthly_rate(rate_frac_per_year))
    t = np.arange(1, flows.shape[-1] + 1, dtype=np.float64)
    return float(np.sum(flows * (1.0 + r_m) ** -t))


def _pv_at(amount: float, month: int, rate_frac_per_year: float) -> float:
    return float(amount * (1.0 + float(monthly_rate(rate_frac_per_year))) ** -float(month))


@dataclass(frozen=True)
class SegmentValuation:
    """Both views of the same segment cash flows and the bridge between them [USD]."""

    dcf_enterprise_value_usd: float
    dcf_pv_explicit_usd: float
    dcf_pv_terminal_usd: float
    parts_usd: dict[str, float]
    parts_enterprise_value_usd: float
    bridge: list[dict[str, Any]] = field(default_factory=list)
    residual_usd: float = 0.0

    def bridge_dict(self) -> dict[str, Any]:
        """JSON-ready bridge: start, rows, end and what is left unexplained (≈ 0)."""
        return {
            "dcf_enterprise_value_usd": self.dcf_enterprise_value_usd,
            "rows": self.bridge,
            "parts_enterprise_value_usd": self.parts_enterprise_value_usd,
            "unexplained_usd": self.residual_usd,
        }


def value_segments(
    segments: Sequence[Segment],
    wacc_frac_per_year: float,
    terminal_growth_frac_per_year: float,
    parts_only_usd: Mapping[str, float] | None = None,
) -> SegmentValuation:
    """DCF at the WACC and sum of the parts at segment rates, with the bridge [USD].

    DCF = Σ_s PV_WACC(cf_s) + PV_WACC(TV) (+ PV_WACC(exit_s) for a segment whose exit the
    DCF also counts, ``exit_in_dcf``: a finite-life asset sold or re-let at its end), with
    TV = Σ_s F_s·(1+g_m)/(r_m − g_m) at the horizon (F_s the segment's terminal run rate,
    net of reinvestment, ref. [3]). Parts = Σ_s (1 − h_s)·[PV_{r_s}(cf_s) +
    PV_{r_s}(exit_s)] + items in the parts only (powered land). Bridge rows, per segment:
    discount rate (PV_{r_s} − PV_WACC of the flows), exit value vs terminal value,
    construction haircut; then each parts-only item. Flows are discounted at the end of
    each month at the monthly rate equivalent to the annual one.
    """
    if not segments:
        raise _bad("segments: give at least one segment to value")
    n = max(s.cash_flow_usd.shape[-1] for s in segments)
    w = wacc_frac_per_year
    g = terminal_growth_frac_per_year
    if not -0.5 < g < w:
        raise _bad(f"terminal_growth_frac_per_year: {g!r} — must be below the WACC {w!r}")
    r_m, g_m = float(monthly_rate(w)), float(monthly_rate(g))
    gordon = (1.0 + g_m) / (r_m - g_m)
    rows: list[dict[str, Any]] = []
    parts: dict[str, float] = {}
    pv_explicit = pv_terminal = 0.0
    for s in segments:
        cf = np.zeros(n)
        cf[: s.cash_flow_usd.shape[-1]] = s.cash_flow_usd
        at_wacc = _pv(cf, w)
        tv_wacc = _pv_at(s.terminal_run_rate_usd_per_month * gordon, n, w)
        at_rate = _pv(cf, s.rate_frac_per_year)
        exit_pv = _pv_at(s.exit_value_usd, s.exit_month or n, s.rate_frac_per_year)
        if s.exit_in_dcf:
            tv_wacc += _pv_at(s.exit_value_usd, s.exit_month or n, w)
        haircut = -s.haircut_frac * (at_rate + exit_pv)
        pv_explicit += at_wacc
        pv_terminal += tv_wacc
        parts[s.name] = at_rate + exit_pv + haircut
        label = s.name.removesuffix("_usd")
        rows += [
            {"item": f"{label}: discount rate {s.rate_frac_per_year:.2%} vs WACC {w:.2%}",
             "value_usd": at_rate - at_wacc},
            {"item": f"{label}: exit value vs DCF terminal value", "value_usd": exit_pv - tv_wacc},
        ]  # fmt: skip
        if haircut:
            rows.append({"item": f"{label}: construction haircut", "value_usd": haircut})
    for name, value in (parts_only_usd or {}).items():
        parts[name] = float(value)
        rows.append({"item": f"{name.removesuffix('_usd')}: in the parts only", "value_usd": value})
    dcf_ev = pv_explicit + pv_terminal
    parts_ev = sum(parts.values())
    residual = parts_ev - dcf_ev - sum(r["value_usd"] for r in rows)
    return SegmentValuation(dcf_ev, pv_explicit, pv_terminal, parts, parts_ev, rows, residual)
