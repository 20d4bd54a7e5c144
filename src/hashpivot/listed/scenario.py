"""A runnable scenario from a catalogue company: ``hashpivot init PATH --from TICKER``.

What the catalogue gives becomes the scenario, each number with its source as a YAML
comment; what it does not give is an assumption, labelled so:

- **sites**: every operating site (or the operating portfolio figure) with its gross MW;
  when none is reported, one site sized from the hashrate (EH/s × J/TH × PUE, derived);
- **fleets**: the latest reported self-mining hashrate, as S21-class machines at the
  fleet efficiency the file reports, else an assumed one
  (:data:`~hashpivot.listed.checks.ASSUMED_FLEET_J_PER_TH`),
  spread over the mining sites by MW and capped at each site's MW (the cap is said);
- **contracts**: every active colocation contract with IT MW, value and term becomes a
  lease (straight-line rate = value / term / IT MW, derived) on a site of its own, whose
  capacity is the contract's gross MW;
- **company**: shares, cash, BTC held and debt from the balance sheet (debt rate and term
  weighted by principal), the rest the default scenario's assumptions;
- **market**: the dated market state (:func:`hashpivot.market_state.scenario_text_with_state`).

A company that reports no self-mining hashrate (a host or AI landlord such as Applied
Digital, or Galaxy after its mining wind-down) gets no ASIC fleet, none being invented: its
scenario holds its AI contracts only, and ``run``'s pure-mining variant mines nothing.
Raises :class:`~hashpivot.errors.HashpivotError` for a company with neither a hashrate
nor a contract that can be written as a lease: a scenario needs one or the other.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from hashpivot.errors import HashpivotError
from hashpivot.listed.catalog import AiContractSpec, ListedCompanySpec
from hashpivot.listed.catalog import period_bounds as _bounds
from hashpivot.listed.checks import AI_PUE, MINING_PUE, fleet_efficiency, mining_mw
from hashpivot.market_state import MarketState, scenario_text_with_state

ASIC_MODEL = "Antminer S21"
"""Machine the fleet is written as (200 TH/s, Bitmain spec; asics.csv)."""
ASIC_TH_S = 200.0
"""Hashrate of one S21 [TH/s] (asics.csv: theminermag.com, 2023-10-11)."""
POWER_USD_PER_MWH = 45.0
"""All-in power price assumed where the company file reports none (as the listed
valuation; MARA's owned sites about 40:
https://blockspace.media/insight/hyperscalers-at-risk-of-energy-agreements-construction-timelines-mara-ceo)
[USD/MWh]."""
DEFAULT_LEAD_TIME_MONTHS = 12
"""Signing to first rent when a contract states no energisation date (assumption; 9-24
months observed, e.g. Cipher-AWS Nov-25 to rent from Aug-26:
https://www.mexc.fm/ms-MY/news/cipher-mining-cifr-stock-company-signs-5-5-billion-amazon-web-services-lease-agreement/152384
and Core Scientific Oct-24 to 2H-26:
https://www.sec.gov/Archives/edgar/data/1839341/000162828024043341/corescientifichpcoption3re.htm)
[months]."""
CAP_RATE_SOURCE = (
    "5.5-8 % by tenant credit: hyperscale 5.5-6.5 %, powered shell 7-8 % (JLL Q1 2026, "
    "https://apers.app/learn/asset-classes/industrial/data-centers-power-pricing-pue-hyperscaler)"
)
"""Comment written beside cap_rate_frac."""


def _c(*parts: Any) -> str:
    return "  # " + "; ".join(str(p) for p in parts if p)


def _src(fact: Any) -> str:
    basis = "" if fact.basis == "reported" else f"{fact.basis}, "
    return f"{basis}as of {fact.as_of}: {fact.source_url}"


def _num(x: float) -> str:
    return f"{x:.6g}" if abs(x) < 1e6 else f"{x:.6e}"


def _mining_sites(
    company: ListedCompanySpec, need_mw: float, eff: float
) -> list[tuple[str, float, str, str]]:
    """(name, gross MW, region, comment) of the sites that take the fleet."""
    running = [s for s in company.sites if s.status == "operating" and s.gross_mw is not None]
    sites = [s for s in running if s.scope == "site" and s.use != "ai_hpc"]
    if not sites:
        sites = [s for s in running if s.scope == "portfolio"][:1]
    out = [(s.name, float(s.gross_mw or 0.0), s.region, _src(s)) for s in sites]
    if not out:
        note = (f"derived: no operating MW reported; hashrate x {eff:g} J/TH "
                f"x PUE {MINING_PUE:g}")  # fmt: skip
        out = [(f"{company.ticker} mining (sized from hashrate)", math.ceil(need_mw), "", note)]
    return out


def _fleet_counts(
    sites: list[tuple[str, float, str, str]], hashrate_eh_s: float, eff: float
) -> list[int]:
    """S21-class machines per site: the hashrate spread by MW, capped at each site's MW."""
    total_mw = sum(mw for _, mw, _, _ in sites)
    unit_mw = ASIC_TH_S * eff * MINING_PUE / 1e6
    out = []
    for _, mw, _, _ in sites:
        want = hashrate_eh_s * 1e6 / ASIC_TH_S * mw / total_mw
        written = float(_num(mw))  # the capacity as the YAML states it
        out.append(max(int(min(want, written / unit_mw * (1 - 1e-12))), 1))
    return out


def _lease_lines(c: AiContractSpec) -> list[str] | None:
    rate = c.implied_usd_per_kw_month()
    if math.isnan(rate) or c.it_mw is None or c.term_years is None or c.kind != "colocation":
        return None
    gross = c.gross_mw or c.it_mw * AI_PUE
    pue = min(max(float(_num(gross)) / float(_num(c.it_mw)), 1.0), 2.5)  # as written
    signed = _bounds(c.signed)[0]
    first = _bounds(c.energisation_start)[0] if c.energisation_start else None
    lead = DEFAULT_LEAD_TIME_MONTHS
    if first is not None:
        lead = max(0, min(60, (first.year - signed.year) * 12 + first.month - signed.month))
    decided = signed.replace(day=1)
    ready = max(_add_months(decided, lead), signed)
    src = _src(c)
    return [
        f"  - name: {c.id}-site",
        f"    region: {c.site or 'unspecified'}" + _c("the contract's site", src),
        f"    power_capacity_mw: {_num(gross)}" + _c("the contract's gross MW" if c.gross_mw
                                                       else f"IT MW x {AI_PUE} (assumption)", src),
        "    power:",
        "      kind: fixed",
        f"      price_usd_per_mwh: {POWER_USD_PER_MWH:g}"
        + _c("assumption (MARA owned sites about 40)"),
        "      escalator_frac_per_year: 0.02" + _c("assumption"),
        "    fleets: []",
        "    conversions:",
        f"      - name: {c.id}",
        f"        gross_mw: {_num(gross)}" + _c(src),
        f"        decision_date: {decided.isoformat()}" + _c("the signing month", src),
        f"        lead_time_months: {lead}" + _c("signing to energisation_start" if first
                                               else "assumption: no energisation date"),
        f"        ai_pue: {pue!r}" + _c("gross MW / IT MW (derived)"),
        "        lease:",
        f"          tenant: {c.partner}",
        f"          tenant_credit: {c.credit_class()}" + _c("from partner and backstop"),
        f"          it_mw: {_num(c.it_mw)}" + _c(src),
        f"          rate_usd_per_kw_month: {rate:.6g}"
        + _c("derived: value / term / IT MW / 12000", src),
        f"          escalator_frac_per_year: {c.escalator_frac_per_year or 0.0:g}"
        + _c(src if c.escalator_frac_per_year is not None else "assumption: none stated"),
        f"          term_years: {c.term_years:g}" + _c(src),
        f"          signing_date: {signed.isoformat()}" + _c(src),
        f"          energisation: [{{date: {ready.isoformat()}, it_mw: {_num(c.it_mw)}}}]"
        + _c("all IT MW at energisation_start (assumption: no ramp)"),
        f"          tenant_capex_share_frac: {c.tenant_funded_capex_frac:g}" + _c(src),
        *_backstop_line(c, rate),
    ]  # fmt: skip


def _backstop_line(c: AiContractSpec, rate: float) -> list[str]:
    """The backstop as a comment: ``run``'s AI-share variants resize the lease without it.

    (``simulation._scaled_lease`` scales IT MW but keeps ``backstop_usd``, which the lease
    spec then refuses as above the rent; until that is fixed the backstop is not written.)
    """
    if not c.backstop_usd:
        return []
    del rate
    return [f"          # backstop_usd: {_num(c.backstop_usd)}  ({c.backstop}; {_src(c)}; "
            "not written: run's AI-share variants would refuse it)"]  # fmt: skip


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


def _mining_power_line(company: ListedCompanySpec) -> str:
    """The mining sites' power price: the all-in cost the file reports, else the assumption."""
    cost = company.reported_power_cost()
    if cost is None:
        return f"      price_usd_per_mwh: {POWER_USD_PER_MWH:g}" + _c(
            "assumption (MARA owned sites about 40, blockspace.media)"
        )
    what = f"reported all-in mining power cost{f' ({cost.scope})' if cost.scope else ''}"
    return f"      price_usd_per_mwh: {cost.power_usd_per_mwh:g}" + _c(what, _src(cost))


def _fleet_site_lines(company: ListedCompanySpec, hashrate_eh_s: float, hr_src: str) -> list[str]:
    eff, how = fleet_efficiency(company)
    rep = company.reported_efficiency()
    eff_note = (_src(rep) if rep is not None and how != "assumed"
                else "assumption: a typical 2025 public-miner fleet")  # fmt: skip
    need = mining_mw(hashrate_eh_s, eff)
    sites = _mining_sites(company, need, eff)
    counts = _fleet_counts(sites, hashrate_eh_s, eff)
    placed = sum(counts) * ASIC_TH_S / 1e6
    lines = []
    if placed < hashrate_eh_s * 0.999:
        lines.append(
            f"  # fleet capped at {placed:.4g} EH/s of the {hashrate_eh_s:g} EH/s reported: "
            f"the reported operating MW cannot draw more at {eff:g} J/TH ({how})"
        )
    for (name, mw, region, src), count in zip(sites, counts, strict=True):
        lines += [
            f"  - name: {name}",
            f"    region: {region or 'unspecified'}",
            f"    power_capacity_mw: {_num(mw)}" + _c(src),
            f"    mining_pue: {MINING_PUE:g}" + _c("d-central.tech PUE glossary"),
            "    pool_fee_frac: 0.02" + _c("assumption: common FPPS pool fee"),
            "    other_opex_usd_per_mw_month: 6000" + _c("assumption (default scenario)"),
            "    power:",
            "      kind: fixed",
            _mining_power_line(company),
            "      escalator_frac_per_year: 0.02" + _c("assumption"),
            "    fleets:",
            f"      - asic_model: {ASIC_MODEL}",
            f"        count: {count}" + _c(f"{hashrate_eh_s:g} EH/s reported ({hr_src}) / "
                                         f"{ASIC_TH_S:g} TH/s, spread by MW"),
            f"        efficiency_j_per_th: {eff:g}" + _c(eff_note),
            "        uptime_frac: 0.95" + _c("assumption"),
        ]  # fmt: skip
    return lines


def _no_fleet_lines(company: ListedCompanySpec) -> list[str]:
    """Comments in place of the mining sites of a company that reports no self-mining."""
    running = [s for s in company.sites if s.status == "operating" and s.use != "ai_hpc"]
    out = [
        f"  # no ASIC fleet: the catalogue reports no self-mining hashrate for {company.ticker}, "
        "so only its AI contracts are modelled and run's pure-mining variant mines nothing",
    ]
    out += [
        f"  # not modelled: {s.name}, {s.gross_mw or 0:g} MW {s.status} (no self-mining fleet "
        f"reported to place on it; {_src(s)})"
        for s in running
    ]
    return out


def _company_lines(company: ListedCompanySpec) -> list[str]:
    bs = company.balance_sheet
    gap = "assumption: not in the catalogue's balance sheet"

    def item(key: str, attr: str, value: Any) -> str:
        one = None if bs is None else getattr(bs, key)
        if one is None:
            return f"  {key}: {value}" + _c(gap)
        return f"  {key}: {_num(float(getattr(one, attr)))}" + _c(_src(one))

    rates: list[tuple[float, float | None]] = []
    if bs is not None:
        rates += [(n.principal_usd, n.coupon_frac_per_year) for n in bs.convertibles]
        rates += [(d.principal_usd, d.rate_frac_per_year) for d in bs.project_debt]
    notes, debt = len(rates), sum(p for p, _ in rates)
    known = [(p, r) for p, r in rates if r is not None]
    rate = sum(p * r for p, r in known) / sum(p for p, _ in known) if known else 0.08
    shares = None if bs is None else bs.shares_outstanding
    return [
        "company:",
        f"  name: {company.name}",
        "  ga_usd_per_month: 3000000" + _c("assumption (default scenario)"),
        f"  debt_usd: {_num(debt)}" + _c(f"derived: principal of the {notes} notes and loans "
                                          "in the balance sheet" if notes else gap),
        f"  debt_rate_frac_per_year: {rate:.6g}" + _c("derived: principal-weighted coupon"
                                                      if known else "assumption"),
        "  debt_amortisation: bullet" + _c("assumption: notes repaid at maturity"),
        "  debt_term_years: 5" + _c("assumption"),
        "  tax_rate_frac: 0.21" + _c("US federal corporate rate, 26 U.S.C. 11(b)"),
        "  btc_retain_frac: 0.5" + _c("assumption"),
        item("btc_held", "btc", 0),
        item("cash_usd", "usd", 0),
        *([f"  shares_outstanding: {_num(shares.shares)}" + _c(_src(shares))] if shares else []),
        "  wacc_frac_per_year: 0.12" + _c("assumption (default scenario)"),
        "  terminal_growth_frac_per_year: 0.0" + _c("assumption"),
        "  cap_rate_frac: 0.065" + _c(CAP_RATE_SOURCE),
        "  powered_land_usd_per_mw: 3000000" + _c("Bernstein about 3M USD per authorized MW"),
    ]  # fmt: skip


def scenario_text_from_company(company: ListedCompanySpec, state: MarketState) -> str:
    """A scenario YAML for a catalogue company, every number's source beside it.

    Raises
    ------
    HashpivotError
        The company reports neither a hashrate nor a contract that can be written as a
        lease (a scenario needs an ASIC fleet or a conversion).

    """
    hr = company.latest_hashrate()
    leases: list[str] = []
    skipped = []
    for c in company.active_contracts():
        lines = _lease_lines(c)
        if lines is None:
            skipped.append(c.id)
        else:
            leases += lines
    if hr is None and not leases:
        left = f" ({', '.join(skipped)} left out)" if skipped else ""
        msg = (
            f"{company.ticker}: the catalogue gives no self-mining hashrate (so no ASIC fleet) "
            f"and no active colocation contract with IT MW, value and term{left} (so no AI "
            "lease); "
            "a scenario needs at least one of them; add a hashrate or a contract (with its "
            "source) to a copy of the company file"
        )
        raise HashpivotError(msg)
    head = [
        f"# {company.name} ({company.ticker}) from the hashpivot catalogue (file as of "
        f"{company.as_of}); every number's source or 'assumption' beside it.",
        *([f"# contracts left out (no IT MW, value or term, or a GPU cloud): {', '.join(skipped)}"]
          if skipped else []),
        f"name: {company.ticker.lower()}-from-catalogue",
        f"description: {company.name} built from the catalogue by hashpivot init --from",
        f"as_of: {company.as_of.isoformat()}",
        f"start_date: {company.as_of.isoformat()}",
        "horizon_months: 60" + _c("assumption: 5 years"),
        "market:",
        "  btc_price_usd: 1",
        "  btc_price_growth_frac_per_month: 0.0" + _c("assumption: flat price in the base case"),
        "  network_hashrate_eh_s: 1",
        "  network_hashrate_growth_frac_per_month: 0.02" + _c("assumption (default scenario)"),
        "  difficulty: 1",
        "  block_height: 1",
        "  fees_btc_per_block: 0",
        *_company_lines(company),
        "sites:",
        *(_fleet_site_lines(company, hr.hashrate_eh_s, _src(hr)) if hr is not None
          else _no_fleet_lines(company)),
        *leases,
    ]  # fmt: skip
    return scenario_text_with_state("\n".join(head) + "\n", state)
