"""Valuation: discounting, NPV and IRR, annuities and loans, depreciation, DCF, sum-of-the-parts.

Pure functions. Cash flows run along the **last** axis; every other axis is a leading
scenario axis (paths, sites, ...) and rates broadcast against those leading axes. Rates
are per period and written as fractions (0.01 per month, not 1). Cash flows are signed:
outlays negative, receipts positive.

- :mod:`hashpivot.finance.cashflows`: :func:`monthly_rate`, :func:`discount_factors`,
  :func:`npv_usd`, :func:`irr`, :func:`annuity_payment_usd`,
  :func:`annuity_present_value_usd`, :func:`loan_schedule`,
  :func:`depreciation_of_capex_usd`, :func:`straight_line_depreciation_usd`;
- :mod:`hashpivot.finance.valuation`: :func:`terminal_value_gordon_usd`,
  :func:`terminal_value_exit_multiple_usd`, :func:`dcf`, :func:`equity_bridge`,
  :func:`sum_of_the_parts`, :func:`tenant_cap_rate_frac`, :func:`ev_per_eh_usd`,
  :func:`ev_per_mw_usd`.

Missing numbers are never taken as zero: a valuation that needs a number nobody gave
(shares outstanding, debt, cash, BTC held) says which one is missing
(:class:`MissingInputError`).

References are listed in each module's docstring.
"""

from __future__ import annotations

from hashpivot.finance._checks import MONTHS_PER_YEAR, MissingInputError
from hashpivot.finance.cashflows import (
    LOAN_KINDS,
    LoanSchedule,
    annuity_payment_usd,
    annuity_present_value_usd,
    depreciation_of_capex_usd,
    discount_factors,
    irr,
    loan_schedule,
    monthly_rate,
    npv_usd,
    straight_line_depreciation_usd,
)
from hashpivot.finance.valuation import (
    CAP_RATE_FRAC_BY_TENANT_CREDIT,
    TERMINAL_METHODS,
    DcfResult,
    EquityBridge,
    SumOfTheParts,
    dcf,
    equity_bridge,
    ev_per_eh_usd,
    ev_per_mw_usd,
    sum_of_the_parts,
    tenant_cap_rate_frac,
    terminal_value_exit_multiple_usd,
    terminal_value_gordon_usd,
)

__all__ = [
    "CAP_RATE_FRAC_BY_TENANT_CREDIT",
    "LOAN_KINDS",
    "MONTHS_PER_YEAR",
    "TERMINAL_METHODS",
    "DcfResult",
    "EquityBridge",
    "LoanSchedule",
    "MissingInputError",
    "SumOfTheParts",
    "annuity_payment_usd",
    "annuity_present_value_usd",
    "dcf",
    "depreciation_of_capex_usd",
    "discount_factors",
    "equity_bridge",
    "ev_per_eh_usd",
    "ev_per_mw_usd",
    "irr",
    "loan_schedule",
    "monthly_rate",
    "npv_usd",
    "straight_line_depreciation_usd",
    "sum_of_the_parts",
    "tenant_cap_rate_frac",
    "terminal_value_exit_multiple_usd",
    "terminal_value_gordon_usd",
]
