"""Terminal value, DCF, the equity bridge, sum-of-the-parts and EV cross-checks.

Pure functions vectorised over leading axes (paths). Missing numbers are never taken as
zero (:class:`~hashpivot.finance.MissingInputError`). See :mod:`hashpivot.finance`.

References
----------
.. [1] Brealey, R. A., Myers, S. C., Allen, F., *Principles of Corporate Finance*,
   13th ed., McGraw-Hill, 2020: ch. 2 (present value, annuities), ch. 4 (growing
   perpetuity), ch. 5 (IRR), ch. 19 (DCF valuation of a business, terminal value).
.. [4] Gordon, M. J. (1959). Dividends, earnings, and stock prices. *Review of
   Economics and Statistics* 41(2), 99-105. https://doi.org/10.2307/1927792
.. [6] Cap rates for data-centre NOI by tenant credit: hyperscale NNN 5-6 %, stabilised
   powered shell 5.5-6.5 %, wholesale colocation 6-7.5 %, development yield-on-cost
   7-8.5 % (https://maxlifedevelopment.com/academy/courses/20-data-center-and-ai-real-
   estate/lessons/04-cap-rates-and-lease-structures); JLL Q1 2026 as cited: 5.5-6.5 %
   hyperscale, 7-8 % powered shell (https://apers.app/learn/asset-classes/industrial/
   data-centers-power-pricing-pue-hyperscaler).

"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from hashpivot.finance._checks import (
    MONTHS_PER_YEAR,
    ArrayLike,
    FloatArray,
    MissingInputError,
    _as_float,
    _bad,
    _choose,
    _nonneg,
    _rate,
    _show,
)
from hashpivot.finance.cashflows import discount_factors, monthly_rate

# --------------------------------------------------------------------------- terminal value, DCF


def terminal_value_gordon_usd(
    cash_flow_next_usd: ArrayLike, discount_rate_frac: ArrayLike, growth_rate_frac: ArrayLike
) -> FloatArray:
    """Value of a growing perpetuity one period before its first flow: CF₁/(r − g) [USD].

    Parameters
    ----------
    cash_flow_next_usd
        Cash flow of the first period after the valuation date. [USD]
    discount_rate_frac
        Discount rate per period. [1/period]
    growth_rate_frac
        Growth of the cash flow per period; must be below the discount rate. [1/period]

    Returns
    -------
    Terminal value at the valuation date. [USD]

    References
    ----------
    Ref. [4]; ref. [1] ch. 4 and ch. 19.

    """
    cf = _as_float("cash_flow_next_usd", cash_flow_next_usd)
    r = _rate("discount_rate_frac", discount_rate_frac)
    g = _rate("growth_rate_frac", growth_rate_frac)
    if np.any(g >= r):
        gb, rb = np.broadcast_arrays(g, r)
        i = np.argmax((gb >= rb).ravel())
        msg = (
            f"growth_rate_frac {gb.ravel()[i]:g} must be below discount_rate_frac "
            f"{rb.ravel()[i]:g}: a perpetuity growing as fast as the discount rate has no "
            "finite value (Gordon growth model)"
        )
        raise _bad(msg)
    return np.asarray(cf / (r - g))


def terminal_value_exit_multiple_usd(ebitda_usd: ArrayLike, multiple: ArrayLike) -> FloatArray:
    """Terminal value as a multiple of EBITDA: EBITDA × EV/EBITDA [USD].

    Parameters
    ----------
    ebitda_usd
        EBITDA of the year the multiple applies to (usually the last 12 months). [USD/yr]
    multiple
        EV/EBITDA multiple; miners traded at 6-12x against 20-25x for data-centre
        operators (2024 view, https://www.sipoch.com/en/articles/300330023248293). [yr]

    Returns
    -------
    Terminal value. [USD]

    """
    e = _as_float("ebitda_usd", ebitda_usd)
    m = _nonneg("multiple", multiple)
    return np.asarray(e * m)


@dataclass(frozen=True)
class DcfResult:
    """Discounted-cash-flow value; arrays have the leading shape of the cash flows.

    Attributes
    ----------
    enterprise_value_usd
        pv_explicit_usd + pv_terminal_usd. [USD]
    pv_explicit_usd
        Present value of the monthly free cash flows of the horizon. [USD]
    pv_terminal_usd
        Present value of the terminal value. [USD]
    terminal_value_usd
        Terminal value at the end of the horizon (undiscounted). [USD]
    wacc_annual_frac
        Discount rate used. [1/yr]
    terminal
        Terminal method: ``"gordon"``, ``"multiple"`` or ``"none"``.
    horizon_months
        Months of explicit cash flows. [months]

    """

    enterprise_value_usd: FloatArray
    pv_explicit_usd: FloatArray
    pv_terminal_usd: FloatArray
    terminal_value_usd: FloatArray
    wacc_annual_frac: float
    terminal: str
    horizon_months: int

    def terminal_share_frac(self) -> FloatArray:
        """Share of the enterprise value that comes from the terminal value [-]."""
        ev = self.enterprise_value_usd
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.where(ev != 0, self.pv_terminal_usd / ev, np.nan))


TERMINAL_METHODS = ("gordon", "multiple", "none")
"""Terminal-value methods of :func:`dcf`."""


def dcf(
    free_cash_flow_usd: ArrayLike,
    wacc_annual_frac: float,
    terminal: Literal["gordon", "multiple", "none"] = "gordon",
    terminal_growth_frac_per_year: float = 0.0,
    exit_multiple: ArrayLike | None = None,
    final_ebitda_usd: ArrayLike | None = None,
    timing: Literal["end", "mid"] = "end",
) -> DcfResult:
    """Enterprise value of monthly free cash flows plus a terminal value [USD].

    EV = Σ_k FCF_k (1+r_m)^−k + TV (1+r_m)^−n with r_m the monthly rate equivalent to the
    annual WACC (:func:`monthly_rate`) and n the horizon in months.

    - ``"gordon"``: TV = F·(1+g_m)/(r_m − g_m), F the average monthly FCF of the last
      12 months (or of the horizon when shorter) and g_m the monthly equivalent of
      ``terminal_growth_frac_per_year``: a monthly growing perpetuity;
    - ``"multiple"``: TV = ``exit_multiple`` × ``final_ebitda_usd`` (annual EBITDA);
    - ``"none"``: no value after the horizon (a finite-life asset).

    Parameters
    ----------
    free_cash_flow_usd
        Free cash flow per month, shape ``(..., months)``; the first month ends one
        month after the valuation date. [USD]
    wacc_annual_frac
        Discount rate (weighted average cost of capital). [1/yr]
    terminal
        One of :data:`TERMINAL_METHODS`.
    terminal_growth_frac_per_year
        Growth of FCF after the horizon (``"gordon"``), below the WACC. [1/yr]
    exit_multiple
        EV/EBITDA multiple (``"multiple"``). [yr]
    final_ebitda_usd
        EBITDA of the last 12 months of the horizon (``"multiple"``); broadcasts against
        the leading axes. [USD/yr]
    timing
        ``"end"`` or ``"mid"``-month discounting of the explicit flows.

    Returns
    -------
    :class:`DcfResult`.

    References
    ----------
    Ref. [1] ch. 19 (valuing a business by DCF, terminal value by constant growth or by
    multiples); ref. [4].

    """
    fcf = _as_float("free_cash_flow_usd", free_cash_flow_usd)
    if fcf.ndim == 0 or fcf.shape[-1] == 0:
        msg = "free_cash_flow_usd: needs at least one month along the last axis"
        raise _bad(msg)
    method = _choose("terminal method", terminal, TERMINAL_METHODS)
    n = fcf.shape[-1]
    r_m = monthly_rate(wacc_annual_frac)
    pv_explicit = np.sum(fcf * discount_factors(r_m, n, timing), axis=-1)
    tv = _terminal_value_usd(
        fcf,
        method,
        wacc_annual_frac,
        terminal_growth_frac_per_year,
        exit_multiple,
        final_ebitda_usd,
    )
    pv_terminal = tv * np.power(1.0 + r_m, -float(n))
    tv, pv_terminal = np.broadcast_arrays(tv, pv_terminal)
    return DcfResult(
        enterprise_value_usd=np.asarray(pv_explicit + pv_terminal),
        pv_explicit_usd=np.asarray(pv_explicit),
        pv_terminal_usd=np.asarray(pv_terminal),
        terminal_value_usd=np.asarray(tv),
        wacc_annual_frac=float(wacc_annual_frac),
        terminal=method,
        horizon_months=n,
    )


def _terminal_value_usd(
    fcf: FloatArray,
    method: str,
    wacc_annual_frac: float,
    growth_per_year: float,
    exit_multiple: ArrayLike | None,
    final_ebitda_usd: ArrayLike | None,
) -> FloatArray:
    lead = fcf.shape[:-1]
    if method == "none":
        return np.zeros(lead)
    if method == "multiple":
        if exit_multiple is None or final_ebitda_usd is None:
            name = "exit_multiple" if exit_multiple is None else "final_ebitda_usd"
            msg = f"{name} is required when terminal='multiple' (it is never taken as zero)"
            raise _bad(msg)
        tv = terminal_value_exit_multiple_usd(final_ebitda_usd, exit_multiple)
        return np.asarray(np.broadcast_to(tv, np.broadcast_shapes(tv.shape, lead)))
    if growth_per_year >= wacc_annual_frac:
        msg = (
            f"terminal_growth_frac_per_year {growth_per_year:g} must be below "
            f"wacc_annual_frac {wacc_annual_frac:g}: a perpetuity growing as fast as the "
            "discount rate has no finite value (Gordon growth model)"
        )
        raise _bad(msg)
    r_m, g_m = monthly_rate(wacc_annual_frac), monthly_rate(growth_per_year)
    run_rate = fcf[..., -min(MONTHS_PER_YEAR, fcf.shape[-1]) :].mean(axis=-1)
    return terminal_value_gordon_usd(run_rate * (1.0 + g_m), r_m, g_m)


# --------------------------------------------------------------------------- equity bridge


@dataclass(frozen=True)
class EquityBridge:
    """From enterprise value to equity value and value per share.

    ``equity_value_usd`` is None when debt, cash or BTC held is missing, and
    ``equity_value_usd_per_share`` is None when that or shares outstanding is missing;
    ``missing`` names them and :meth:`message` says what to add. Nothing missing is
    ever taken as zero.

    Attributes
    ----------
    enterprise_value_usd
        Enterprise value. [USD]
    btc_value_usd
        BTC held × BTC price, None when unknown. [USD]
    equity_value_usd
        EV − debt + cash + BTC value. [USD]
    equity_value_usd_per_share
        Equity value / shares outstanding. [USD/share]
    missing
        Names of the inputs that were not given.

    """

    subject: str
    enterprise_value_usd: FloatArray
    debt_usd: float | None
    cash_usd: float | None
    btc_value_usd: FloatArray | None
    shares_outstanding: float | None
    equity_value_usd: FloatArray | None
    equity_value_usd_per_share: FloatArray | None
    missing: tuple[str, ...] = field(default=())

    def message(self) -> str:
        """What is missing and where to add it; empty when nothing is."""
        return "; ".join(str(self._error(f)) for f in self.missing)

    def _error(self, name: str) -> MissingInputError:
        purpose = (
            "compute equity value per share"
            if name == "shares_outstanding"
            else "compute equity value from enterprise value"
        )
        return MissingInputError(self.subject, name, purpose)

    def require_per_share(self) -> FloatArray:
        """Equity value per share, or :class:`MissingInputError` naming the first gap."""
        if self.equity_value_usd_per_share is None:
            raise self._error(self.missing[0])
        return self.equity_value_usd_per_share

    def require_equity(self) -> FloatArray:
        """Equity value, or :class:`MissingInputError` naming the first gap."""
        if self.equity_value_usd is None:
            raise self._error(self.missing[0])
        return self.equity_value_usd


def equity_bridge(
    enterprise_value_usd: ArrayLike,
    debt_usd: float | None,
    cash_usd: float | None,
    btc_held: float | None,
    btc_price_usd: ArrayLike | None,
    shares_outstanding: float | None,
    subject: str = "company",
) -> EquityBridge:
    """Equity value = EV − debt + cash + BTC held × price; per share ÷ shares [USD].

    BTC held is added separately because the DCF of operating cash flows does not
    include the treasury (sum-of-the-parts practice, as the "BTC reserve" and JPMorgan approaches:
    https://portfoliopath.org/?p=3449). Any input
    given as None is reported in ``missing``, never taken as zero.

    Parameters
    ----------
    enterprise_value_usd
        Enterprise value; any shape (per path). [USD]
    debt_usd
        Debt (book or face) at the valuation date. [USD]
    cash_usd
        Cash and equivalents. [USD]
    btc_held
        BTC in treasury. [BTC]
    btc_price_usd
        BTC price; may vary by path. Needed only when ``btc_held`` is not zero. [USD/BTC]
    shares_outstanding
        Shares outstanding (diluted if you want diluted value). [shares]
    subject
        Name used in messages, e.g. a ticker.

    Returns
    -------
    :class:`EquityBridge`.

    References
    ----------
    Ref. [1] ch. 19 (from enterprise value to equity value).

    """
    ev = _as_float("enterprise_value_usd", enterprise_value_usd)
    for name, value in (("debt_usd", debt_usd), ("cash_usd", cash_usd), ("btc_held", btc_held)):
        if value is not None and (not math.isfinite(value) or value < 0):
            msg = f"{name}: {value!r} — must be a finite number >= 0"
            raise _bad(msg)
    if shares_outstanding is not None and not (0 < shares_outstanding < math.inf):
        msg = f"shares_outstanding: {shares_outstanding!r} — must be a finite number > 0"
        raise _bad(msg)
    missing = [n for n, v in (("debt_usd", debt_usd), ("cash_usd", cash_usd)) if v is None]
    btc_value = _btc_value_usd(btc_held, btc_price_usd, missing)
    equity = None
    if debt_usd is not None and cash_usd is not None and btc_value is not None:
        equity = np.asarray(ev - debt_usd + cash_usd + btc_value)
    if shares_outstanding is None:
        missing.append("shares_outstanding")
    per_share = None
    if equity is not None and shares_outstanding is not None:
        per_share = np.asarray(equity / shares_outstanding)
    return EquityBridge(
        subject=subject,
        enterprise_value_usd=ev,
        debt_usd=debt_usd,
        cash_usd=cash_usd,
        btc_value_usd=btc_value,
        shares_outstanding=shares_outstanding,
        equity_value_usd=equity,
        equity_value_usd_per_share=per_share,
        missing=tuple(missing),
    )


def _btc_value_usd(
    btc_held: float | None, btc_price_usd: ArrayLike | None, missing: list[str]
) -> FloatArray | None:
    if btc_held is None:
        missing.append("btc_held")
        return None
    if btc_held == 0:
        return np.asarray(0.0)
    if btc_price_usd is None:
        missing.append("btc_price_usd")
        return None
    price = _as_float("btc_price_usd", btc_price_usd)
    if np.any(price <= 0):
        msg = f"btc_price_usd: {_show(price, price <= 0)} — must be > 0"
        raise _bad(msg)
    return np.asarray(btc_held * price)


# --------------------------------------------------------------------------- sum of the parts

CAP_RATE_FRAC_BY_TENANT_CREDIT: Mapping[str, float] = {
    "hyperscaler": 0.055,
    "backstopped": 0.065,
    "neocloud": 0.075,
    "development": 0.08,
}
"""Cap rate for contracted AI NOI by tenant credit [-], picks within the ranges of ref. [6].

- ``hyperscaler``: lease direct to an investment-grade hyperscaler (AWS, Microsoft):
  hyperscale NNN 5-6 %, JLL 5.5-6.5 % → 0.055;
- ``backstopped``: a neocloud tenant whose rent a hyperscaler backstops (Fluidstack with
  Google): between hyperscale and wholesale → 0.065;
- ``neocloud``: an unrated GPU-cloud tenant (CoreWeave, Fluidstack without backstop):
  wholesale colocation 6-7.5 % → 0.075;
- ``development``: not yet energised, development yield-on-cost 7-8.5 %, JLL powered
  shell 7-8 % → 0.08.
"""


def tenant_cap_rate_frac(tenant_credit: str) -> float:
    """Cap rate for a tenant-credit class of :data:`CAP_RATE_FRAC_BY_TENANT_CREDIT` [-].

    An unknown class raises :class:`~hashpivot.errors.UnknownNameError` listing the valid ones.
    """
    valid = tuple(CAP_RATE_FRAC_BY_TENANT_CREDIT)
    return CAP_RATE_FRAC_BY_TENANT_CREDIT[_choose("tenant credit class", tenant_credit, valid)]


@dataclass(frozen=True)
class SumOfTheParts:
    """Sum-of-the-parts value; each part may be an array over paths [USD].

    Attributes
    ----------
    mining_usd
        Value of mining (a DCF of its cash flows). [USD]
    contracted_noi_capitalised_usd
        Contracted annual NOI / cap rate × (1 − construction haircut). [USD]
    remaining_capex_usd
        Capex still to spend on the contracted capacity (subtracted). [USD]
    powered_land_usd
        Uncontracted MW × USD per MW. [USD]
    btc_usd
        BTC held × BTC price. [USD]
    total_usd
        Sum of the parts. [USD]

    """

    mining_usd: FloatArray
    contracted_noi_capitalised_usd: FloatArray
    remaining_capex_usd: FloatArray
    powered_land_usd: FloatArray
    btc_usd: FloatArray
    total_usd: FloatArray
    cap_rate_frac: float
    construction_haircut_frac: float

    def parts(self) -> dict[str, FloatArray]:
        """The parts in order (capex negative) and the total they add up to [USD]."""
        return {
            "mining_usd": self.mining_usd,
            "contracted_noi_capitalised_usd": self.contracted_noi_capitalised_usd,
            "remaining_capex_usd": np.asarray(-self.remaining_capex_usd),
            "powered_land_usd": self.powered_land_usd,
            "btc_usd": self.btc_usd,
            "total_usd": self.total_usd,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per part with its mean over any leading axes [USD]."""
        rows = [(k, float(np.mean(v))) for k, v in self.parts().items()]
        return pd.DataFrame(rows, columns=["part", "value_usd"])


def sum_of_the_parts(
    mining_value_usd: ArrayLike,
    contracted_noi_usd_per_year: ArrayLike,
    cap_rate_frac: float,
    remaining_capex_usd: ArrayLike,
    uncontracted_mw: ArrayLike,
    powered_land_usd_per_mw: float,
    btc_held: float | None,
    btc_price_usd: ArrayLike | None,
    construction_haircut_frac: float = 0.0,
    subject: str = "company",
) -> SumOfTheParts:
    """Mining DCF + contracted NOI / cap rate − remaining capex + powered land + BTC [USD].

    contracted AI = NOI / cap · (1 − haircut) − remaining capex, where the haircut is a
    discount for construction and energisation risk on capacity not yet delivered.

    Parameters
    ----------
    mining_value_usd
        DCF value of the mining business (per path allowed). [USD]
    contracted_noi_usd_per_year
        Stabilised annual NOI of signed leases. [USD/yr]
    cap_rate_frac
        Cap rate, 0.055-0.08 by tenant credit (:func:`tenant_cap_rate_frac`, ref. [6]). [1/yr]
    remaining_capex_usd
        Capex still to spend to deliver the contracted capacity, net of what tenants
        fund. [USD]
    uncontracted_mw
        Powered MW not under an AI contract nor valued by the mining DCF. [MW]
    powered_land_usd_per_mw
        Value of powered, uncontracted capacity; Bernstein about 3M USD per authorized
        MW (https://www.bitgetapp.com/amp/news/detail/12560605039346). [USD/MW]
    btc_held
        BTC in treasury; None is refused (:class:`MissingInputError`), never zero. [BTC]
    btc_price_usd
        BTC price, needed when BTC held is not zero. [USD/BTC]
    construction_haircut_frac
        Haircut on the capitalised NOI for construction risk, in [0, 1). [-]
    subject
        Name used in messages, e.g. a ticker.

    Returns
    -------
    :class:`SumOfTheParts`.

    References
    ----------
    Sum of the parts: mining DCF + contracted NOI / cap rate + option value + BTC held
    (https://coinsbit.io/?p=2449 for NOI × multiple less build cost); ref. [6] (cap rates).

    """
    if not (0.0 < cap_rate_frac <= 1.0):
        msg = f"cap_rate_frac: {cap_rate_frac!r} — must be in (0, 1]; 0.055-0.08 is typical"
        raise _bad(msg)
    if not (0.0 <= construction_haircut_frac < 1.0):
        msg = f"construction_haircut_frac: {construction_haircut_frac!r} — must be in [0, 1)"
        raise _bad(msg)
    mining = _as_float("mining_value_usd", mining_value_usd)
    noi = _as_float("contracted_noi_usd_per_year", contracted_noi_usd_per_year)
    capex = _nonneg("remaining_capex_usd", remaining_capex_usd)
    land = _nonneg("uncontracted_mw", uncontracted_mw) * _nonneg(
        "powered_land_usd_per_mw", powered_land_usd_per_mw
    )
    missing: list[str] = []
    btc = _btc_value_usd(btc_held, btc_price_usd, missing)
    if btc is None:
        raise MissingInputError(subject, missing[0], "value the BTC held in a sum of the parts")
    capitalised = noi / cap_rate_frac * (1.0 - construction_haircut_frac)
    total = mining + capitalised - capex + land + btc
    arrays = np.broadcast_arrays(mining, capitalised, capex, land, btc, total)
    mining, capitalised, capex, land, btc, total = (np.asarray(a) for a in arrays)
    return SumOfTheParts(
        mining_usd=mining,
        contracted_noi_capitalised_usd=capitalised,
        remaining_capex_usd=capex,
        powered_land_usd=land,
        btc_usd=btc,
        total_usd=total,
        cap_rate_frac=cap_rate_frac,
        construction_haircut_frac=construction_haircut_frac,
    )


# --------------------------------------------------------------------------- cross-checks


def ev_per_eh_usd(enterprise_value_usd: ArrayLike, hashrate_eh_s: ArrayLike) -> FloatArray:
    """Enterprise value per EH/s of hashrate [USD per EH/s]; NaN where hashrate is 0.

    About 56M USD per EH/s for listed miners in April 2023 (1.8-2.5x hardware
    replacement cost), https://www.bitooda.io/research/hashrate-growth-on-track-to-400-
    eh-s-by-ye-stocks-largely-outperforming-but-may-still-prove-attractive .
    """
    return _per("hashrate_eh_s", enterprise_value_usd, hashrate_eh_s)


def ev_per_mw_usd(enterprise_value_usd: ArrayLike, mw: ArrayLike) -> FloatArray:
    """Enterprise value per MW of power capacity [USD/MW]; NaN where MW is 0.

    Miners about 4.5M USD/MW against more than 30M for data centres
    (https://tokeninsightly.com/?p=1298); Bernstein about 3M per authorized MW, the
    Aligned deal about 8M per MW (https://cleansky.io/blog/hive-digital-gta-gigafactory-sovereign-ai-2026/
    , https://www.bitgetapp.com/amp/news/detail/12560605039346).
    """
    return _per("mw", enterprise_value_usd, mw)


def _per(name: str, numerator: ArrayLike, denominator: ArrayLike) -> FloatArray:
    num = _as_float("enterprise_value_usd", numerator)
    den = _nonneg(name, denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan))
