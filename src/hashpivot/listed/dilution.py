"""Diluted shares and equity value per share of a listed company, from its balance sheet.

Equity value = EV − debt + cash + BTC held × price − customer prepayments, where debt is
every project note and loan plus the convertibles that stay debt. Per share it is divided
by diluted shares:

- **convertibles, if-converted method**: an issue whose conversion price is below the
  share price used converts: its principal leaves debt and principal / conversion price
  shares are added; otherwise it stays debt and adds no shares;
- **warrants, treasury-stock method**: a warrant in the money adds
  n × (1 − strike / price) shares (the exercise proceeds buy back shares at the price);
  one out of the money adds none; one whose strike no source gives is counted in full
  (the upper bound of its dilution, said in the output).

The share price used is the one given (a market price, ``--price``), else the value per
share itself, found as the fixed point of "value at a price → dilution at that value"
(the usual way to break the circularity when no market price is used; assumption).

Customer prepayments are subtracted as debt-like: the valuation counts the contract's full
rent while the cash already received sits in ``cash_usd`` (assumption, to avoid counting
it twice).

References
----------
.. [1] FASB ASC 260-10-45 (earnings per share): treasury-stock method for warrants and
   options (45-23), if-converted method for convertible instruments (45-40),
   https://asc.fasb.org/260/tableOfContent
.. [2] Damodaran, *Investment Valuation*, 3rd ed., ch. 16 (from firm value to value per
   share: options and convertibles), Wiley 2012.

"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hashpivot.errors import SpecError
from hashpivot.finance import MissingInputError
from hashpivot.listed.catalog import BalanceSheetSpec, ListedCompanySpec, period_bounds
from hashpivot.listed.checks import consistency_warnings

STALE_AFTER_DAYS = 365
"""A balance-sheet item dated more than this before the valuation date is flagged stale
(the issue's rule: older than the valuation date by more than a year) [days]."""

_MAX_ITERATIONS = 100


def share_price_on(prices: pd.DataFrame, ticker: str, day: dt.date) -> tuple[float, dt.date]:
    """The last close of ``ticker`` on or before ``day`` in a date-indexed price frame.

    ``prices`` is :func:`hashpivot.equities.data.read_prices_csv`'s frame (one column per
    ticker) [USD/share].

    Raises
    ------
    SpecError
        The ticker has no column, or no price on or before the day.

    """
    if ticker not in prices.columns:
        msg = f"price file: no column {ticker!r}; columns: {', '.join(map(str, prices.columns))}"
        raise SpecError([msg])
    known = prices[ticker].dropna()
    known = known[known.index <= pd.Timestamp(day)]
    if known.empty:
        msg = f"price file: {ticker} has no price on or before {day}"
        raise SpecError([msg])
    return float(known.iloc[-1]), known.index[-1].date()


def if_converted_shares(
    principal_usd: float, conversion_price_usd_per_share: float, share_price_usd: float
) -> float:
    """Shares a convertible adds at a share price: principal / conversion price when in the money.

    Ref. [1] (ASC 260-10-45-40). Zero when the share price is not above the conversion
    price (the note then stays debt) [shares].
    """
    if share_price_usd > conversion_price_usd_per_share:
        return principal_usd / conversion_price_usd_per_share
    return 0.0


def treasury_stock_shares(
    warrants: float, strike_usd_per_share: float, share_price_usd: float
) -> float:
    """Net shares warrants add at a share price: n × (1 − strike / price) when in the money.

    Ref. [1] (ASC 260-10-45-23): the exercise proceeds n × strike buy back shares at the
    price. Zero when the price is not above the strike [shares].
    """
    if share_price_usd > strike_usd_per_share and share_price_usd > 0:
        return warrants * (1.0 - strike_usd_per_share / share_price_usd)
    return 0.0


@dataclass(frozen=True)
class DilutedEquity:
    """Equity value, diluted shares and value per share, with each instrument's treatment.

    ``equity_value_usd`` is None when cash, debt or BTC held is missing, and
    ``equity_value_usd_per_share`` when that or shares outstanding is; ``missing`` names
    them. ``stale`` lists items dated more than :data:`STALE_AFTER_DAYS` before the
    valuation date.
    """

    subject: str
    enterprise_value_usd: float
    debt_usd: float | None
    cash_usd: float | None
    btc_value_usd: float | None
    prepayments_usd: float
    basic_shares: float | None
    diluted_shares: float | None
    equity_value_usd: float | None
    equity_value_usd_per_share: float | None
    share_price_usd: float | None
    price_source: str
    instruments: list[dict[str, Any]] = field(default_factory=list)
    missing: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    """The company file's consistency warnings (:mod:`hashpivot.listed.checks`)."""

    @property
    def shares_outstanding(self) -> float | None:
        """Shares the value is divided by: diluted when known, else basic [shares]."""
        return self.diluted_shares if self.diluted_shares is not None else self.basic_shares

    def message(self) -> str:
        """What is missing and where to add it; empty when nothing is."""
        return "; ".join(
            str(MissingInputError(self.subject, f, _PURPOSE[f], "the company file under "
                                  "balance_sheet"))
            for f in self.missing
        )  # fmt: skip

    def upside_frac(self) -> float | None:
        """Value per share / given market price − 1, None without a given price [-]."""
        if self.price_source != "given" or self.equity_value_usd_per_share is None:
            return None
        assert self.share_price_usd is not None
        return self.equity_value_usd_per_share / self.share_price_usd - 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: shares, the price used, each instrument, stale items, notes."""
        return {
            "basic_shares": self.basic_shares,
            "diluted_shares": self.diluted_shares,
            "share_price_usd": self.share_price_usd,
            "share_price_source": self.price_source,
            "debt_usd": self.debt_usd,
            "prepayments_usd": self.prepayments_usd,
            "instruments": self.instruments,
            "stale": list(self.stale),
            "notes": list(self.notes),
            "consistency_warnings": list(self.warnings),
        }


_PURPOSE = {
    "shares_outstanding": "compute equity value per share",
    "cash_usd": "compute equity value from enterprise value",
    "btc_held": "compute equity value from enterprise value",
    "other_debt_usd": "compute equity value from enterprise value (the debt is incomplete)",
}


def _stale(bs: BalanceSheetSpec, as_of: dt.date) -> tuple[str, ...]:
    limit = as_of - dt.timedelta(days=STALE_AFTER_DAYS)
    out = []
    for name in ("shares_outstanding", "cash_usd", "btc_held", "btc_value_usd"):
        item = getattr(bs, name)
        if item is not None and period_bounds(item.as_of)[1] < limit:
            out.append(f"{name} (as of {item.as_of})")
    for group in (bs.convertibles, bs.project_debt, bs.warrants, bs.prepayments):
        out.extend(f"{i.id} (as of {i.as_of})" for i in group if period_bounds(i.as_of)[1] < limit)
    return tuple(out)


def _treatment(bs: BalanceSheetSpec, price: float) -> tuple[float, float, list[dict[str, Any]]]:
    """Shares added, convertible principal left as debt, and each instrument's row."""
    added, as_debt, rows = 0.0, 0.0, []
    for c in bs.convertibles:
        shares = if_converted_shares(c.principal_usd, c.conversion_price_usd_per_share, price)
        as_debt += 0.0 if shares else c.principal_usd
        added += shares
        rows.append({"id": c.id, "kind": "convertible", "in_the_money": bool(shares),
                     "strike_usd_per_share": c.conversion_price_usd_per_share,
                     "shares_added": shares, "debt_usd": 0.0 if shares else c.principal_usd,
                     "method": "if-converted"})  # fmt: skip
    for w in bs.warrants:
        if w.strike_usd_per_share is None:
            shares, itm = w.shares, True
        else:
            shares = treasury_stock_shares(w.shares, w.strike_usd_per_share, price)
            itm = shares > 0
        added += shares
        rows.append({"id": w.id, "kind": "warrant", "in_the_money": itm,
                     "strike_usd_per_share": w.strike_usd_per_share, "shares_added": shares,
                     "debt_usd": 0.0, "method": "treasury stock" if w.strike_usd_per_share
                     is not None else "counted in full (strike not found)"})  # fmt: skip
    return added, as_debt, rows


def diluted_equity(
    company: ListedCompanySpec,
    enterprise_value_usd: float,
    btc_price_usd: float,
    share_price_usd: float | None = None,
    as_of: dt.date | None = None,
) -> DilutedEquity:
    """Equity value per diluted share of a listed company (see the module docstring).

    Parameters
    ----------
    company
        The company; its ``balance_sheet`` gives shares, cash, BTC, notes, warrants.
    enterprise_value_usd
        Enterprise value of the operations. [USD]
    btc_price_usd
        BTC price at the valuation date, to value BTC held. [USD/BTC]
    share_price_usd
        Market share price to test conversions and warrants against (and to compare the
        value with); default: the value per share itself (fixed point). [USD/share]
    as_of
        Valuation date, for the stale-item flags; default the company file's as_of.

    """
    if share_price_usd is not None and not (0 < share_price_usd < math.inf):
        msg = f"share price: {share_price_usd!r} — must be a finite number > 0 USD/share"
        raise SpecError([msg])
    date = as_of or company.as_of
    bs = company.balance_sheet or BalanceSheetSpec.model_validate(
        {"missing": [{"item": "other_debt_usd", "reason": "no balance sheet"}]}
    )
    missing = tuple(bs.missing_items())
    cash, debt_listed = bs.value("cash_usd"), bs.value("debt_usd")
    btc = bs.value("btc_held")
    btc_usd = btc * btc_price_usd if btc is not None else (
        bs.btc_value_usd.usd if bs.btc_value_usd is not None else None)  # fmt: skip
    prepaid = sum(p.usd for p in bs.prepayments)
    basic = bs.value("shares_outstanding")
    other_debt = None if debt_listed is None else debt_listed - sum(
        c.principal_usd for c in bs.convertibles)  # fmt: skip
    base = None
    if cash is not None and btc_usd is not None and other_debt is not None:
        base = enterprise_value_usd - other_debt + cash + btc_usd - prepaid
    notes = (
        *(f"{w.id}: strike not found; its {w.shares:,.0f} shares are counted in full"
          for w in bs.warrants if w.strike_usd_per_share is None),
        *(f"not found: {m.item} — {m.reason}" for m in bs.missing if m.item not in missing),
    )  # fmt: skip
    warnings = tuple(consistency_warnings(company))
    if base is None or basic is None:
        return DilutedEquity(company.ticker, enterprise_value_usd, debt_listed, cash, btc_usd,
                             prepaid, basic, None, None, None, share_price_usd,
                             "given" if share_price_usd else "none", [], missing,
                             _stale(bs, date), notes, warnings)  # fmt: skip
    assert other_debt is not None  # base is known only with the debt
    price, source = _price_used(bs, base, basic, share_price_usd)
    added, as_debt, rows = _treatment(bs, price)
    equity = base - as_debt
    diluted = basic + added
    return DilutedEquity(company.ticker, enterprise_value_usd, other_debt + as_debt, cash,
                         btc_usd, prepaid, basic, diluted, equity, equity / diluted, price,
                         source, rows, missing, _stale(bs, date), notes, warnings)  # fmt: skip


def _price_used(
    bs: BalanceSheetSpec, base_usd: float, basic: float, given: float | None
) -> tuple[float, str]:
    """The given share price, else the fixed point price = value per diluted share at price."""
    if given is not None:
        return given, "given"
    price = (base_usd - sum(c.principal_usd for c in bs.convertibles)) / basic
    for _ in range(_MAX_ITERATIONS):
        added, as_debt, _rows = _treatment(bs, price)
        new = (base_usd - as_debt) / (basic + added)
        if abs(new - price) <= 1e-12 * max(1.0, abs(price)):
            return new, "value per share (fixed point)"
        price = new
    return price, "value per share (no fixed point: last iterate)"
