"""The listed miners side by side: one row per company, valued on one basis ("comps").

Each row is read from a company's file (:mod:`hashpivot.listed.catalog`) and its segment
valuation (:func:`hashpivot.company.valuation.value`, a
:class:`~hashpivot.company.listed_value.ListedValuation`): capacity, hashrate, the
contracted AI revenue backlog and its weighted remaining term, the model's enterprise
value and its parts, and equity value per diluted share. With a share price (the close on
or before the valuation date in a prices file), the row adds market capitalisation,
market EV and the multiples analysts quote (ref. [1]), each against both EVs.

Bases (also in :data:`COLUMN_NOTES`, printed as footnotes):

- backlog: each active contract's (or phase's) announced value, straight-line over its
  term, for the months of the term left after the valuation date (escalators and the
  ramp ignored, as the catalogue's "implied" rate does);
- market EV = share price × diluted shares + debt − cash − BTC held × the valuation's BTC
  price + customer prepayments (debt-like, as in :mod:`hashpivot.listed.dilution`), the
  dilution tested at the market price (ref. [2]);
- EBITDA year 1: the model's segment EBITDA (mining, lease NOI, GPU contracts) over the
  twelve months after the valuation date, on the valuation's market path.

References
----------
.. [1] Damodaran, *Investment Valuation*, 3rd ed., ch. 18 (enterprise value multiples:
   EV/EBITDA), Wiley 2012.
.. [2] FASB ASC 260-10-45 (if-converted and treasury-stock methods),
   https://asc.fasb.org/260/tableOfContent

"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hashpivot.company.listed_value import (
    AI_PUE,
    ListedValuation,
    Overrides,
    choose_market,
    delivered_frac,
    first_month,
    gpu_flows,
    lease_flows,
    market_path,
    mining_flows,
    phase_contracts,
)
from hashpivot.errors import SpecError
from hashpivot.listed.catalog import ListedCompanySpec, company_names, load_company
from hashpivot.listed.dilution import share_price_on
from hashpivot.market_state import MarketState
from hashpivot.spec import Scenario

MONTHS_PER_YEAR = 12

COLUMN_NOTES: dict[str, str] = {
    "operating_gross_mw": "operating gross MW: the company file's operating portfolio figure, "
    "else the sum of its operating sites",
    "operating_it_mw": "operating IT MW: the critical IT MW of operating sites that state one",
    "contracted_it_mw": "contracted IT MW: IT MW under active AI contracts (superseded "
    "figures not summed twice)",
    "contracted_gross_mw": "contracted gross MW: each contract's gross MW, else its IT MW × "
    f"{AI_PUE} (AI PUE assumed in company.listed_value)",
    "ai_share_of_mw_frac": "AI share of MW: contracted gross MW / the largest reported gross "
    "capacity of any status",
    "hashrate_eh_s": "EH/s: the latest reported self-mining hashrate",
    "backlog_usd": "backlog: announced contract value at the company's share, straight-line "
    "over the term, for the months left after the valuation date (escalators and ramp "
    "ignored)",
    "backlog_remaining_years": "remaining term: the backlog-weighted mean of the contracts' "
    "remaining years",
    "enterprise_value_usd": "model EV: the sum of the parts (mining + contracted AI + GPU "
    "cloud + capex still to spend + tax + powered land), without BTC held",
    "gpu_cloud_usd": "GPU cloud part: net of the GPU capex still to buy",
    "equity_value_usd_per_share": "model value per diluted share: (EV − debt + cash + BTC − "
    "prepayments) / diluted shares, dilution at the market price when one is given, else "
    "at the value itself",
    "ebitda_year1_usd": "EBITDA year 1: the model's segment EBITDA over the 12 months after "
    "the valuation date",
    "market_cap_usd": "market cap: close on or before the valuation date × diluted shares "
    "(basic shares where dilution cannot be computed, said in market_cap_shares_basis)",
    "market_ev_usd": "market EV: market cap + debt − cash − BTC held at the valuation's BTC "
    "price + customer prepayments",
    "multiples": "multiples: model_* on the model EV, market_* on the market EV; per MW on "
    "operating gross MW, on the largest reported gross MW and on contracted IT MW; per EH/s "
    "on the latest hashrate",
    "price_to_model_value": "price / model value: share price / model value per share",
    "model_ev_to_market_ev": "model EV / market EV: above 1, the model values the operations "
    "above the market",
}
"""Basis of each column, printed as footnotes under the table."""


@dataclass(frozen=True)
class SharePrice:
    """A share price read for a row: the close and its date, or why there is none."""

    price_usd: float | None
    as_of: dt.date | None = None
    problem: str | None = None


def _finite(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _ratio(num: float | None, den: float | None) -> float | None:
    """The ratio of two numbers; None when either is unknown or den is not > 0."""
    if num is None or den is None or not den > 0:
        return None
    return num / den


def capacity(company: ListedCompanySpec) -> dict[str, float | None]:
    """Operating and contracted MW (IT and gross), AI share of MW, latest hashrate [MW, -, EH/s].

    The AI share is the contracted gross MW over the largest reported gross capacity
    (any status; the contracted MW when larger).
    """
    it_sites = [s.it_mw for s in company.sites
                if s.status == "operating" and s.it_mw is not None]  # fmt: skip
    active = company.active_contracts()
    gross = sum(c.gross_mw or (c.it_mw or 0.0) * AI_PUE for c in active)
    hr = company.latest_hashrate()
    reported = _finite(company.reported_mw())
    return {
        "operating_gross_mw": _finite(company.operating_mw()),
        "operating_it_mw": float(sum(it_sites)) if it_sites else None,
        "contracted_it_mw": company.contracted_it_mw() if active else 0.0,
        "contracted_gross_mw": float(gross),
        "reported_gross_mw": reported,
        "ai_share_of_mw_frac": _ratio(gross, max(reported or 0.0, gross)),
        "hashrate_eh_s": None if hr is None else hr.hashrate_eh_s,
    }


def backlog(company: ListedCompanySpec, as_of: dt.date) -> tuple[float, float | None, list[str]]:
    """Contracted AI revenue left after the valuation date and its weighted remaining term.

    Each active contract (each phase) counts its value straight-line over its term for the
    months of the term after the valuation date, times the company's ``ownership_frac``
    (a joint venture counts for its share, as in the valuation); contracts without value,
    term or IT MW are left out and named.

    Returns
    -------
    tuple
        Backlog [USD], backlog-weighted remaining term [years] (None without backlog),
        notes naming the contracts left out.

    """
    start = first_month(as_of)
    total, weighted, notes = 0.0, 0.0, []
    for whole in company.active_contracts():
        for c in phase_contracts(whole):
            if c.total_value_usd is None or c.term_years is None or c.it_mw is None:
                notes.append(f"{company.ticker} {c.id}: no value, term or IT MW; not in backlog")
                continue
            _, first = delivered_frac(c, start, 1)
            term_m = round(c.term_years * MONTHS_PER_YEAR)
            left_m = max(first + term_m - max(first, 0), 0)
            amount = c.total_value_usd * c.ownership_frac * left_m / term_m
            total += amount
            weighted += amount * left_m / MONTHS_PER_YEAR
    return total, (weighted / total if total > 0 else None), notes


def ev_parts(valuation: ListedValuation) -> dict[str, float]:
    """The model EV's parts: mining, contracted AI, GPU cloud, capex, tax, land [USD].

    Contracted AI is every lease's income (NOI and exit value, after its construction
    haircut); capex is the build capex still to spend on them (negative); the GPU cloud
    part is net of its own capex. The parts add up to the EV.
    """
    p = valuation.valued.parts_usd
    lease = {k: v for k, v in p.items() if k.startswith("lease_")}
    return {
        "mining_usd": p.get("mining_usd", 0.0),
        "contracted_ai_usd": sum(v for k, v in lease.items() if not k.endswith("_capex_usd")),
        "gpu_cloud_usd": sum(v for k, v in p.items() if k.startswith("gpu_")),
        "capex_usd": sum(v for k, v in lease.items() if k.endswith("_capex_usd")),
        "tax_usd": p.get("tax_usd", 0.0),
        "powered_land_usd": p.get("powered_land_usd", 0.0),
    }


def ebitda_year1_usd(
    company: ListedCompanySpec,
    valuation: ListedValuation,
    market_scenario: Scenario,
    market_state: MarketState | None = None,
) -> float:
    """The model's EBITDA over the 12 months after the valuation date [USD].

    Mining EBITDA (:func:`~hashpivot.company.listed_value.mining_flows`) plus each lease's
    NOI and each GPU contract's EBITDA, on the same market path and with the same fleet
    efficiency and power price as the valuation (read from its inputs).
    """
    inputs = {i["name"]: i["value"] for i in valuation.inputs}
    o = Overrides(btc_price_usd=inputs["btc_price_usd"],
                  hashprice_usd_per_ph_day=inputs["hashprice_usd_per_ph_day"])  # fmt: skip
    date = valuation.as_of
    market, _ = choose_market(market_scenario, market_state, date)
    path = market_path(market, date, MONTHS_PER_YEAR, o)
    eff, power = inputs["fleet_efficiency_j_per_th"], inputs["power_usd_per_mwh"]
    total = float(mining_flows(inputs["hashrate_eh_s"], path, eff, power).sum())
    start, notes = first_month(date), list[str]()
    for whole in company.active_contracts():
        for c in phase_contracts(whole):
            flows = (lease_flows(c, start, MONTHS_PER_YEAR, notes, None)
                     if c.kind == "colocation"
                     else gpu_flows(c, start, date, MONTHS_PER_YEAR, notes))  # fmt: skip
            if flows is not None:
                total += float(flows.ebitda_usd.sum())
    return total


def multiples(prefix: str, ev_usd: float | None, row: dict[str, Any]) -> dict[str, float | None]:
    """EV/EBITDA, EV per operating MW, per contracted IT MW, per EH/s, backlog/EV.

    ``prefix`` is ``model`` or ``market``, the EV they are computed on. None where a
    denominator is unknown or not positive (a company with no hashrate has no EV/EH).
    """
    return {
        f"{prefix}_ev_to_ebitda_year1": _ratio(ev_usd, row["ebitda_year1_usd"]),
        f"{prefix}_ev_usd_per_operating_mw": _ratio(ev_usd, row["operating_gross_mw"]),
        f"{prefix}_ev_usd_per_reported_mw": _ratio(ev_usd, row["reported_gross_mw"]),
        f"{prefix}_ev_usd_per_contracted_it_mw": _ratio(ev_usd, row["contracted_it_mw"]),
        f"{prefix}_ev_usd_per_eh_s": _ratio(ev_usd, row["hashrate_eh_s"]),
        f"backlog_to_{prefix}_ev": _ratio(row["backlog_usd"], ev_usd),
    }


def market_values(valuation: ListedValuation, price: SharePrice) -> dict[str, Any]:
    """Market cap, market EV and model EV / market EV, with what is missing for each.

    ``valuation`` should be valued at the market price (its dilution tested against it).
    """
    e = valuation.equity
    out: dict[str, Any] = {"share_price_usd": price.price_usd,
                           "share_price_as_of": None if price.as_of is None
                           else price.as_of.isoformat()}  # fmt: skip
    missing: list[str] = [] if price.problem is None else ["share_price_usd"]
    shares, basis = (e.diluted_shares, "diluted") if e.diluted_shares is not None else (
        e.basic_shares, "basic")  # fmt: skip
    if shares is None:
        missing.append("shares_outstanding")
    cap = None if price.price_usd is None or shares is None else price.price_usd * shares
    claims = {"other_debt_usd": e.debt_usd, "cash_usd": e.cash_usd, "btc_held": e.btc_value_usd}
    missing += [k for k, v in claims.items() if v is None]
    mev = None
    if cap is not None and None not in claims.values():
        mev = cap + e.debt_usd - e.cash_usd - e.btc_value_usd + e.prepayments_usd
    out |= {
        "market_cap_usd": cap,
        "market_cap_shares_basis": basis if shares is not None else None,
        "market_ev_usd": mev,
        "model_ev_to_market_ev": _ratio(valuation.enterprise_value_usd, mev),
        "price_to_model_value": _ratio(price.price_usd, e.equity_value_usd_per_share)
        if (e.equity_value_usd_per_share or 0) > 0 else None,
        "market_missing": missing,
    }  # fmt: skip
    return out


def comps_row(
    company: ListedCompanySpec,
    valuation: ListedValuation,
    ebitda_usd: float,
    price: SharePrice | None = None,
) -> dict[str, Any]:
    """One company's row: capacity, backlog, model EV and parts, per share, multiples."""
    e = valuation.equity
    amount, years, _ = backlog(company, valuation.as_of)
    row: dict[str, Any] = {"ticker": company.ticker, "name": company.name,
                           "as_of": valuation.as_of.isoformat(), **capacity(company),
                           "backlog_usd": amount, "backlog_remaining_years": years}  # fmt: skip
    ev = valuation.enterprise_value_usd
    row |= {
        "enterprise_value_usd": ev,
        **ev_parts(valuation),
        "btc_value_usd": e.btc_value_usd,
        "equity_value_usd": _finite_or_none(e.equity_value_usd),
        "equity_value_usd_per_share": _finite_or_none(e.equity_value_usd_per_share),
        "diluted_shares": e.diluted_shares,
        "missing": list(e.missing),
        "ebitda_year1_usd": ebitda_usd,
        "btc_price_usd": float(
            next(i["value"] for i in valuation.inputs if i["name"] == "btc_price_usd")
        ),
    }
    row |= multiples("model", ev, row)
    if price is not None:
        market = market_values(valuation, price)
        row |= market | multiples("market", market["market_ev_usd"], row)
        row["missing"] = sorted({*row["missing"], *market.pop("market_missing")})
        row.pop("market_missing", None)
    return row


def _finite_or_none(x: float | None) -> float | None:
    return None if x is None else float(x)


def read_share_price(prices: pd.DataFrame | None, ticker: str, day: dt.date) -> SharePrice | None:
    """The close of ``ticker`` on or before ``day``; None without a prices frame.

    A frame without the ticker's column, or without a price on or before the day, gives a
    :class:`SharePrice` whose ``problem`` says which (the row is kept, its market columns
    null).
    """
    if prices is None:
        return None
    try:
        value, when = share_price_on(prices, ticker, day)
    except SpecError as exc:
        return SharePrice(None, None, "; ".join(exc.problems))
    return SharePrice(value, when)


def sort_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows by model EV / market EV when there are prices, else by model EV; unknowns last."""
    key = "model_ev_to_market_ev" if any("market_ev_usd" in r for r in rows) else (
        "enterprise_value_usd")  # fmt: skip
    known = [r for r in rows if r.get(key) is not None]
    unknown = [r for r in rows if r.get(key) is None]
    return sorted(known, key=lambda r: -float(r[key])) + sorted(unknown, key=lambda r: r["ticker"])


@dataclass(frozen=True)
class Comps:
    """Result of :func:`comps`: the rows, the footnotes and the data notes."""

    rows: list[dict[str, Any]]
    notes: list[str]
    as_of: dt.date
    sorted_by: str
    inputs: list[dict[str, Any]] = field(default_factory=list)
    """The valuation inputs every row shares (market path, rates, cost assumptions), each
    ``{"name", "value", "source"}``; company-specific ones (hashrate, land MW) are in the rows."""

    def median_model_ev_to_market_ev(self) -> float | None:
        """Median of model EV / market EV over the rows that have one [-]."""
        known = [r["model_ev_to_market_ev"] for r in self.rows
                 if r.get("model_ev_to_market_ev") is not None]  # fmt: skip
        return float(statistics.median(known)) if known else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``rows`` (one object per company) and ``notes``."""
        return {"as_of": self.as_of.isoformat(), "sorted_by": self.sorted_by,
                "median_model_ev_to_market_ev": self.median_model_ev_to_market_ev(),
                "rows": self.rows, "notes": self.notes, "inputs": self.inputs}  # fmt: skip

    def to_frame(self) -> pd.DataFrame:
        """One row per company, the numeric and text columns of :attr:`rows`."""
        flat = [{k: (", ".join(v) if isinstance(v, list) else v) for k, v in r.items()}
                for r in self.rows]  # fmt: skip
        return pd.DataFrame(flat)


def valuation_date(companies: Sequence[ListedCompanySpec], as_of: dt.date | None) -> dt.date:
    """The one valuation date of the table: the given one, else the latest file's as_of.

    Raises
    ------
    SpecError
        A given date before a company file's as_of (its facts would describe the future).

    """
    date = as_of or max(c.as_of for c in companies)
    early = [c.ticker for c in companies if c.as_of > date]
    if early:
        msg = (f"as_of: {date} — must not be before the company files' as_of "
               f"({', '.join(early)}: {max(c.as_of for c in companies)})")  # fmt: skip
        raise SpecError([msg])
    return date


def comps(
    tickers: Sequence[str] = (),
    as_of: dt.date | None = None,
    prices: pd.DataFrame | None = None,
    market_scenario: Scenario | None = None,
    market_state: MarketState | None = None,
) -> Comps:
    """Value each company on one date and put them side by side.

    Parameters
    ----------
    tickers
        Catalogue tickers or names (an unknown one names the closest); default every
        packaged company.
    as_of
        Valuation date of every row; default the latest company file's as_of.
    prices
        Daily closes (:func:`hashpivot.equities.data.read_prices_csv`); with it, market
        cap, market EV and the market multiples, at the close on or before the date.
    market_scenario, market_state
        As :func:`hashpivot.company.valuation.value` (defaults: the packaged scenario and
        the market state at the valuation date,
        :func:`hashpivot.market_state.valuation_market_state`).

    """
    from hashpivot.company.valuation import value_listed_company
    from hashpivot.market_state import valuation_market_state
    from hashpivot.spec import default_scenario

    companies = [load_company(t) for t in (tickers or company_names())]
    companies = list({c.ticker: c for c in companies}.values())
    date = valuation_date(companies, as_of)
    scenario = market_scenario or default_scenario()
    state = valuation_market_state(date) if market_state is None else market_state
    rows, notes, inputs = [], [], list[dict[str, Any]]()
    for company in companies:
        price = read_share_price(prices, company.ticker, date)
        if price is not None and price.problem:
            notes.append(f"{company.ticker}: {price.problem}")
        o = Overrides(share_price_usd=None if price is None else price.price_usd)
        v = value_listed_company(company, scenario, date, o, state)
        inputs = inputs or shared_inputs(v)
        rows.append(comps_row(company, v, ebitda_year1_usd(company, v, scenario, state), price))
        notes += backlog(company, date)[2]
        if v.equity.missing:
            notes.append(v.equity.message())
    out = sort_rows(rows)
    by = "model_ev_to_market_ev" if prices is not None else "enterprise_value_usd"
    return Comps(out, [*COLUMN_NOTES.values(), *notes], date, by, inputs)


COMPANY_INPUTS = ("hashrate_eh_s", "land_mw_")
"""Valuation inputs (names or name prefixes) that differ by company, left out of
:func:`shared_inputs`."""


def shared_inputs(valuation: ListedValuation) -> list[dict[str, Any]]:
    """The inputs of a valuation that every row of the table shares, with their sources."""
    return [dict(i) for i in valuation.inputs if not str(i["name"]).startswith(COMPANY_INPUTS)]
