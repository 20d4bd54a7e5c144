"""Discounting, NPV and IRR, annuities and loan schedules, straight-line depreciation.

Pure functions; cash flows run along the last axis, rates broadcast against the leading
axes. See :mod:`hashpivot.finance`.

References
----------
.. [1] Brealey, R. A., Myers, S. C., Allen, F., *Principles of Corporate Finance*,
   13th ed., McGraw-Hill, 2020: ch. 2 (present value, annuities), ch. 4 (growing
   perpetuity), ch. 5 (IRR), ch. 19 (DCF valuation of a business, terminal value).
.. [2] Gitman, L. J., *Principles of Managerial Finance, Brief*, 3rd ed.,
   Addison-Wesley, 2003, pp. 346-348 (NPV, IRR), as cited by numpy-financial:
   https://numpy.org/numpy-financial/latest/npv.html ,
   https://numpy.org/numpy-financial/latest/irr.html
.. [3] Microsoft Excel function reference (NPV, IRR, PMT, PV and their worked examples):
   https://support.microsoft.com/en-us/excel/functions/npv-function ,
   https://support.microsoft.com/en-us/excel/functions/irr-function ,
   https://support.microsoft.com/en-US/excel/functions/pmt-function ,
   https://support.microsoft.com/en-us/excel/functions/pv-function
.. [5] Brent, R. P. (1973). *Algorithms for Minimization Without Derivatives*, ch. 4
   (the root finder behind :func:`scipy.optimize.brentq`).

"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hashpivot.finance._checks import (
    MONTHS_PER_YEAR,
    ArrayLike,
    FloatArray,
    _as_float,
    _bad,
    _choose,
    _count,
    _periods,
    _rate,
    _show,
)

# --------------------------------------------------------------------------- discounting


def monthly_rate(annual_rate_frac: ArrayLike) -> FloatArray:
    """Monthly rate with the same compounded growth as an annual rate: (1+r)^(1/12) − 1.

    Parameters
    ----------
    annual_rate_frac
        Effective annual rate, e.g. a WACC of 0.12. [1/yr]

    Returns
    -------
    Effective monthly rate. [1/month]

    References
    ----------
    Effective-rate conversion, ref. [1] ch. 2.

    """
    r = _rate("annual_rate_frac", annual_rate_frac)
    return np.asarray(np.power(1.0 + r, 1.0 / MONTHS_PER_YEAR) - 1.0)


def discount_factors(
    rate_per_period: ArrayLike, n_periods: int, timing: Literal["end", "mid"] = "end"
) -> FloatArray:
    """Discount factors of periods 1..n: (1+r)^−t, t = k (end) or k − ½ (mid-period).

    Parameters
    ----------
    rate_per_period
        Discount rate per period, any shape (leading axes). [1/period]
    n_periods
        Periods to discount. [periods]
    timing
        ``"end"``: each period's flow arrives at its end; ``"mid"``: in its middle (the
        usual convention for flows earned evenly through a period).

    Returns
    -------
    Factors of shape ``rate.shape + (n_periods,)``. [-]

    """
    r = _rate("rate_per_period", rate_per_period)
    n = _count("n_periods", n_periods)
    offset = {"end": 0.0, "mid": 0.5}[_choose("timing", timing, ("end", "mid"))]
    t = np.arange(1, n + 1, dtype=np.float64) - offset
    return np.asarray(np.power(1.0 + r[..., None], -t))


def npv_usd(
    rate_per_period: ArrayLike, cash_flows_usd: ArrayLike, t0_included: bool = True
) -> FloatArray:
    """Net present value of cash flows along the last axis [USD].

    NPV = Σ_t c_t (1+r)^−t with t = 0, 1, … when ``t0_included`` (the first flow is
    today and is not discounted, as ``numpy_financial.npv``) or t = 1, 2, … otherwise
    (the first flow one period out, as Excel's ``NPV``).

    Parameters
    ----------
    rate_per_period
        Discount rate per period; broadcasts against the leading axes of the flows.
        [1/period]
    cash_flows_usd
        Signed cash flows, shape ``(..., periods)``. [USD]
    t0_included
        Whether the first flow falls at t = 0.

    Returns
    -------
    NPV with the leading shape. [USD]

    References
    ----------
    Refs. [1] ch. 2, [2] p. 346, [3] (NPV).

    """
    c = _as_float("cash_flows_usd", cash_flows_usd)
    if c.ndim == 0 or c.shape[-1] == 0:
        msg = "cash_flows_usd: needs at least one period along the last axis"
        raise _bad(msg)
    r = _rate("rate_per_period", rate_per_period)
    t = np.arange(c.shape[-1], dtype=np.float64) + (0.0 if t0_included else 1.0)
    factors = np.power(1.0 + r[..., None], -t)
    return np.asarray(np.sum(c * factors, axis=-1))


def _scaled_npv(log_growth: FloatArray, flows: FloatArray) -> FloatArray:
    """NPV at rates e^x − 1 divided by its largest term: same sign and roots, no overflow."""
    nonzero = flows != 0.0
    t = np.arange(flows.size, dtype=np.float64)[nonzero]
    log_terms = np.log(np.abs(flows[nonzero]))[None, :] - np.outer(log_growth, t)
    scale = log_terms.max(axis=1, keepdims=True)
    terms = np.sign(flows[nonzero])[None, :] * np.exp(log_terms - scale)
    return np.asarray(terms.sum(axis=1))


_IRR_GRID = np.linspace(math.log(1e-3), math.log(1e3), 1201)
"""Grid of log(1 + r) scanned for sign changes of NPV: r from −0.999 to 999 per period."""


def _irr_row(flows: FloatArray) -> float:
    from scipy.optimize import brentq  # imported here: scipy.optimize costs ~0.3 s to import

    if not (np.any(flows > 0) and np.any(flows < 0)):
        return math.nan
    values = _scaled_npv(_IRR_GRID, flows)
    roots = list(_IRR_GRID[values == 0.0])
    change = np.nonzero(values[:-1] * values[1:] < 0)[0]
    for i in change:
        a, b = float(_IRR_GRID[i]), float(_IRR_GRID[i + 1])
        roots.append(
            brentq(
                lambda x: float(_scaled_npv(np.array([x]), flows)[0]),
                a,
                b,
                xtol=1e-14,
                rtol=1e-14,
            )
        )
    if not roots:
        return math.nan
    rates = np.expm1(np.asarray(roots, dtype=np.float64))
    return float(rates[np.argmin(np.abs(rates))])


def irr(cash_flows_usd: ArrayLike) -> FloatArray:
    """Internal rate of return per period of cash flows along the last axis [1/period].

    The rate at which :func:`npv_usd` (first flow at t = 0) is zero. Sign changes of
    the NPV are located on a grid of rates from −99.9 % to 99 900 % per period and each
    is refined with Brent's method (``scipy.optimize.brentq``, ref. [5]). When several
    rates solve the equation the one closest to zero is returned, as
    ``numpy_financial.irr`` does. Applied row by row over the leading axes.

    Parameters
    ----------
    cash_flows_usd
        Signed cash flows, shape ``(..., periods)``, first flow at t = 0. [USD]

    Returns
    -------
    IRR with the leading shape; NaN where no rate exists (no sign change in the flows,
    or no root in the scanned range). [1/period]

    References
    ----------
    Refs. [1] ch. 5, [2] p. 348, [3] (IRR).

    """
    c = _as_float("cash_flows_usd", cash_flows_usd)
    if c.ndim == 0 or c.shape[-1] < 2:
        msg = "cash_flows_usd: needs at least two periods along the last axis"
        raise _bad(msg)
    rows = c.reshape(-1, c.shape[-1])
    out = np.array([_irr_row(row) for row in rows], dtype=np.float64)
    return out.reshape(c.shape[:-1])


# --------------------------------------------------------------------------- annuities, loans


def _annuity_factor(r: FloatArray, n: FloatArray) -> FloatArray:
    """Present value of 1 paid at the end of each of n periods: (1 − (1+r)^−n)/r, n at r=0."""
    small = np.abs(r) < 1e-12
    safe_r = np.where(small, 1.0, r)
    factor = np.where(small, n, -np.expm1(-n * np.log1p(safe_r)) / safe_r)
    return np.asarray(factor, dtype=np.float64)


def annuity_payment_usd(
    principal_usd: ArrayLike, rate_per_period: ArrayLike, n_periods: ArrayLike
) -> FloatArray:
    """Level payment at the end of each period that repays a principal with interest [USD].

    PMT = P·r / (1 − (1+r)^−n); P/n at r = 0.

    Parameters
    ----------
    principal_usd
        Amount borrowed (present value). [USD]
    rate_per_period
        Interest rate per period. [1/period]
    n_periods
        Number of payments, at least 1. [periods]

    Returns
    -------
    Payment per period, positive for a positive principal. [USD]

    References
    ----------
    Refs. [1] ch. 2, [3] (PMT).

    """
    p = _as_float("principal_usd", principal_usd)
    r = _rate("rate_per_period", rate_per_period)
    n = _periods("n_periods", n_periods)
    return np.asarray(p / _annuity_factor(r, n))


def annuity_present_value_usd(
    payment_usd: ArrayLike, rate_per_period: ArrayLike, n_periods: ArrayLike
) -> FloatArray:
    """Present value of a level payment at the end of each of n periods [USD].

    PV = PMT·(1 − (1+r)^−n)/r; PMT·n at r = 0.

    Parameters
    ----------
    payment_usd
        Payment per period. [USD]
    rate_per_period
        Discount rate per period. [1/period]
    n_periods
        Number of payments, at least 1. [periods]

    Returns
    -------
    Present value. [USD]

    References
    ----------
    Refs. [1] ch. 2, [3] (PV).

    """
    pmt = _as_float("payment_usd", payment_usd)
    r = _rate("rate_per_period", rate_per_period)
    n = _periods("n_periods", n_periods)
    return np.asarray(pmt * _annuity_factor(r, n))


@dataclass(frozen=True)
class LoanSchedule:
    """Repayment schedule of a loan, periods along the last axis.

    Attributes
    ----------
    interest_usd
        Interest paid in each period. [USD]
    principal_usd
        Principal repaid in each period. [USD]
    payment_usd
        Interest + principal. [USD]
    balance_usd
        Balance outstanding at the end of each period. [USD]

    """

    interest_usd: FloatArray
    principal_usd: FloatArray
    payment_usd: FloatArray
    balance_usd: FloatArray

    def to_frame(self) -> pd.DataFrame:
        """One row per period (1-D schedules only)."""
        if self.balance_usd.ndim != 1:
            msg = "to_frame() needs a 1-D schedule; index the leading axes first"
            raise _bad(msg)
        return pd.DataFrame(
            {
                "period": np.arange(1, self.balance_usd.size + 1),
                "interest_usd": self.interest_usd,
                "principal_usd": self.principal_usd,
                "payment_usd": self.payment_usd,
                "balance_usd": self.balance_usd,
            }
        )


LOAN_KINDS = ("annuity", "straight", "bullet")
"""Amortisation profiles: level payments, equal principal instalments, all at maturity."""


def loan_schedule(
    principal_usd: ArrayLike,
    rate_per_period: ArrayLike,
    n_periods: int,
    kind: Literal["annuity", "straight", "bullet"] = "annuity",
    horizon_periods: int | None = None,
) -> LoanSchedule:
    """Interest, principal and balance of a loan drawn at t = 0, paid at period ends.

    - ``"annuity"``: level payments (:func:`annuity_payment_usd`);
    - ``"straight"``: equal principal instalments P/n, interest on the opening balance;
    - ``"bullet"``: interest only, the whole principal in the last period.

    Parameters
    ----------
    principal_usd
        Amount borrowed; any shape (leading axes). [USD]
    rate_per_period
        Interest rate per period, broadcasting with the principal. [1/period]
    n_periods
        Term of the loan. [periods]
    kind
        Amortisation profile, one of :data:`LOAN_KINDS`.
    horizon_periods
        Length of the returned arrays: shorter than the term truncates the schedule,
        longer pads it with zeros after maturity. Default: the term. [periods]

    Returns
    -------
    :class:`LoanSchedule` with arrays of shape ``leading + (horizon_periods,)``.

    References
    ----------
    Ref. [1] ch. 2 (amortising loans), ref. [3] (PMT).

    """
    p = _as_float("principal_usd", principal_usd)
    r = _rate("rate_per_period", rate_per_period)
    n = _count("n_periods", n_periods)
    profile = _choose("loan kind", kind, LOAN_KINDS)
    p, r = np.broadcast_arrays(p, r)
    k = np.arange(1, n + 1, dtype=np.float64)
    growth = np.power(1.0 + r[..., None], k)
    if profile == "annuity":
        pmt = annuity_payment_usd(p, r, n)[..., None]
        small = np.abs(r[..., None]) < 1e-12
        accrued = np.where(small, k, (growth - 1.0) / np.where(small, 1.0, r[..., None]))
        balance = p[..., None] * growth - pmt * accrued
    elif profile == "straight":
        balance = p[..., None] * (1.0 - k / n)
    else:
        balance = np.where(k < n, p[..., None], 0.0)
    balance = np.where(np.abs(balance) < 1e-9 * np.maximum(1.0, np.abs(p[..., None])), 0.0, balance)
    opening = np.concatenate([p[..., None], balance[..., :-1]], axis=-1)
    interest = opening * r[..., None]
    principal = opening - balance
    return _fit_horizon(
        LoanSchedule(interest, principal, interest + principal, balance), horizon_periods
    )


def _fit_horizon(s: LoanSchedule, horizon_periods: int | None) -> LoanSchedule:
    if horizon_periods is None:
        return s
    h = _count("horizon_periods", horizon_periods)
    n = s.balance_usd.shape[-1]
    if h <= n:
        return LoanSchedule(*(a[..., :h] for a in _arrays(s)))
    pad = [(0, 0)] * (s.balance_usd.ndim - 1) + [(0, h - n)]
    return LoanSchedule(*(np.pad(a, pad) for a in _arrays(s)))


def _arrays(s: LoanSchedule) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    return s.interest_usd, s.principal_usd, s.payment_usd, s.balance_usd


# --------------------------------------------------------------------------- depreciation


def depreciation_of_capex_usd(
    capex_usd: ArrayLike, life_periods: int, residual_frac: ArrayLike = 0.0
) -> FloatArray:
    """Straight-line depreciation of capex spent over several periods [USD].

    Capex spent in period k is depreciated by capex·(1 − residual)/life in each of
    periods k … k + life − 1 (it starts to depreciate in the period it is spent); the
    result is the convolution of the capex series with that kernel, truncated to the
    length of the series.

    Parameters
    ----------
    capex_usd
        Capex per period, shape ``(..., periods)``. [USD]
    life_periods
        Useful life. [periods]
    residual_frac
        Residual value at the end of the life as a share of cost, in [0, 1]; broadcasts
        against the leading axes. [-]

    Returns
    -------
    Depreciation per period, same shape as ``capex_usd``. [USD]

    References
    ----------
    Straight-line method: ref. [1] ch. 6; IAS 16 paragraphs 50-62.

    """
    c = _as_float("capex_usd", capex_usd)
    if c.ndim == 0:
        msg = "capex_usd: needs a periods axis; use straight_line_depreciation_usd for one amount"
        raise _bad(msg)
    life = _count("life_periods", life_periods)
    res = _as_float("residual_frac", residual_frac)
    if np.any((res < 0) | (res > 1)):
        msg = f"residual_frac: {_show(res, (res < 0) | (res > 1))} — must be in [0, 1]"
        raise _bad(msg)
    cum = np.cumsum(c, axis=-1)
    lagged = np.zeros_like(cum)
    lagged[..., life:] = cum[..., :-life] if life < c.shape[-1] else 0.0
    return np.asarray((cum - lagged) * (1.0 - res[..., None]) / life)


def straight_line_depreciation_usd(
    capex_usd: ArrayLike,
    life_periods: int,
    residual_frac: ArrayLike,
    n_periods: int,
    start_period: int = 0,
) -> FloatArray:
    """Straight-line depreciation of one outlay placed in service at ``start_period`` [USD].

    capex·(1 − residual)/life in each of periods start … start + life − 1, zero elsewhere,
    over ``n_periods`` periods (later periods are cut off).

    Parameters
    ----------
    capex_usd
        Cost of the asset; any shape (leading axes). [USD]
    life_periods
        Useful life. [periods]
    residual_frac
        Residual value as a share of cost, in [0, 1]. [-]
    n_periods
        Length of the returned schedule. [periods]
    start_period
        Index (0-based) of the first period of depreciation. [periods]

    Returns
    -------
    Depreciation of shape ``capex.shape + (n_periods,)``. [USD]

    """
    c = _as_float("capex_usd", capex_usd)
    n = _count("n_periods", n_periods)
    start = _count("start_period", start_period, minimum=0)
    spend = np.zeros((*c.shape, n), dtype=np.float64)
    if start < n:
        spend[..., start] = c
    return depreciation_of_capex_usd(spend, life_periods, residual_frac)
