"""Valuation of a scenario's company: DCF to equity per share, and a sum of the parts.

DCF: the company's monthly unlevered free cash flow (:class:`~hashpivot.company.model.CompanyModel`)
discounted at the company's WACC, with a Gordon terminal value at its terminal growth;
then the equity bridge (− debt + cash + BTC held). Sum of the parts (methods.md §7): the
mining segment's cash flows discounted at the same WACC with no terminal value (ASICs
wear out), contracted lease NOI capitalised at the cap rate, minus the conversion capex
still to spend, plus powered land for the MW under no AI contract, plus BTC held.
Cross-checks: EV per EH/s and EV per MW.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from hashpivot import ai, bitcoin, finance
from hashpivot.company.model import CompanyModel, CompanyResult
from hashpivot.listed.catalog import ListedCompanySpec, load_company, period_bounds
from hashpivot.projection import deterministic_market
from hashpivot.spec import Scenario, default_scenario, load_scenario


@dataclass(frozen=True)
class Valuation:
    """Result of :func:`value_scenario`: DCF, equity bridge, sum of the parts, cross-checks."""

    subject: str
    dcf: finance.DcfResult
    bridge: finance.EquityBridge
    sotp: finance.SumOfTheParts
    ev_per_eh_usd: float
    ev_per_mw_usd: float
    inputs: dict[str, float]
    network_model: str = "supply_curve"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: enterprise and equity value, per share, SOTP parts, cross-checks."""
        b = self.bridge
        s = self.sotp
        return {
            "subject": self.subject,
            "enterprise_value_usd": float(self.dcf.enterprise_value_usd),
            "pv_explicit_usd": float(self.dcf.pv_explicit_usd),
            "pv_terminal_usd": float(self.dcf.pv_terminal_usd),
            "equity_value_usd": None if b.equity_value_usd is None else float(b.equity_value_usd),
            "equity_value_usd_per_share": None
            if b.equity_value_usd_per_share is None
            else float(b.equity_value_usd_per_share),
            "missing": list(b.missing),
            "sotp": {
                "mining_usd": float(s.mining_usd),
                "contracted_noi_capitalised_usd": float(s.contracted_noi_capitalised_usd),
                "remaining_capex_usd": -float(s.remaining_capex_usd),
                "powered_land_usd": float(s.powered_land_usd),
                "btc_usd": float(s.btc_usd),
                "total_usd": float(s.total_usd),
            },
            "ev_per_eh_usd": self.ev_per_eh_usd,
            "ev_per_mw_usd": self.ev_per_mw_usd,
            "network_model": self.network_model,
            "inputs": self.inputs,
        }

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame of the numbers of :meth:`to_dict`: ``metric`` (dotted name), ``value``."""
        from hashpivot.display import number_frame

        return number_frame(self.to_dict())

    def _repr_html_(self) -> str:
        """Compact HTML summary for Jupyter: values, parts and cross-checks."""
        from hashpivot.display import summary_html

        return summary_html(f"Value of {self.to_dict()['subject']}", self.to_dict())


def contracted_noi_usd_per_year(scenario: Scenario) -> float:
    """Stabilised annual NOI of every lease at full energisation, first-year rate [USD/yr]."""
    total = 0.0
    for site in scenario.sites:
        for conv in site.conversions:
            lease = conv.lease
            if lease is None:
                continue
            margin = lease.rate_usd_per_kw_month - lease.opex_usd_per_kw_month
            total += lease.it_mw * ai.KW_PER_MW * margin * 12
    return total


def _contracted_gross_mw(scenario: Scenario) -> float:
    return sum(c.gross_mw for s in scenario.sites for c in s.conversions if c.lease is not None)


def value_scenario(scenario: Scenario, result: CompanyResult | None = None) -> Valuation:
    """Value the scenario's company along its deterministic path."""
    r = CompanyModel(scenario).run() if result is None else result
    c = scenario.company
    fcf = r.company["free_cash_flow_usd"].to_numpy()
    dcf = finance.dcf(fcf, c.wacc_frac_per_year, "gordon", c.terminal_growth_frac_per_year)
    price0 = scenario.market.btc_price_usd
    bridge = finance.equity_bridge(
        dcf.enterprise_value_usd, c.debt_usd, c.cash_usd, c.btc_held, price0,
        c.shares_outstanding, subject=c.name,
    )  # fmt: skip
    seg = r.segments
    mining = seg[seg["segment"] == "mining"].groupby("month", sort=True)
    mining_cf = (mining["ebitda_usd"].sum() - mining["capex_usd"].sum()).to_numpy()
    mining_value = finance.dcf(mining_cf, c.wacc_frac_per_year, "none").enterprise_value_usd
    ai_capex = float(seg.loc[seg["segment"] != "mining", "capex_usd"].sum())
    total_mw = sum(s.power_capacity_mw for s in scenario.sites)
    sotp = finance.sum_of_the_parts(
        mining_value, contracted_noi_usd_per_year(scenario), c.cap_rate_frac, ai_capex,
        total_mw - _contracted_gross_mw(scenario), c.powered_land_usd_per_mw, c.btc_held,
        price0, subject=c.name,
    )  # fmt: skip
    ev = float(dcf.enterprise_value_usd)
    hashrate_eh_s = r.mining.summary()["fleet_hashrate_eh_s"]
    return Valuation(
        subject=c.name,
        dcf=dcf,
        bridge=bridge,
        sotp=sotp,
        ev_per_eh_usd=float(finance.ev_per_eh_usd(ev, hashrate_eh_s)),
        ev_per_mw_usd=float(finance.ev_per_mw_usd(ev, total_mw)),
        inputs={
            "wacc_frac_per_year": c.wacc_frac_per_year,
            "terminal_growth_frac_per_year": c.terminal_growth_frac_per_year,
            "cap_rate_frac": c.cap_rate_frac,
            "btc_price_usd": price0,
            "power_capacity_mw": total_mw,
            "fleet_hashrate_eh_s": float(np.round(hashrate_eh_s, 6)),
        },
        network_model=r.mining.network_model,
    )


# --------------------------------------------------------------------------- listed companies

FLEET_EFFICIENCY_J_PER_TH = 20.0
"""Fleet efficiency assumed for a listed miner's mining DCF (assumption: between the S19 XP
at 21.5 and the S21 at 17.5 J/TH, a typical 2025 public-miner fleet) [J/TH]."""
POWER_USD_PER_MWH = 45.0
"""All-in power price assumed for a listed miner [USD/MWh] (assumption; MARA's owned sites
run at about 40:
https://blockspace.media/insight/hyperscalers-at-risk-of-energy-agreements-construction-timelines-mara-ceo
)."""
NOI_MARGIN_FRAC = 0.8
"""NOI margin of a colocation lease when the company gives none: Cipher and TeraWulf guide
to 80-85 % (fact sheet, section D) [-]."""


@dataclass(frozen=True)
class ListedValuation:
    """Sum-of-the-parts value of a listed company from its catalogued facts."""

    ticker: str
    parts_usd: dict[str, float | None]
    enterprise_value_usd: float
    equity: finance.EquityBridge
    ev_per_mw_usd: float
    ev_per_eh_usd: float
    notes: list[str]
    inputs: dict[str, float]
    network_model: str = "supply_curve"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; values a missing input prevents are null and named in ``missing``."""
        e = self.equity
        return {
            "subject": self.ticker,
            "enterprise_value_usd": self.enterprise_value_usd,
            "equity_value_usd": None if e.equity_value_usd is None else float(e.equity_value_usd),
            "equity_value_usd_per_share": None
            if e.equity_value_usd_per_share is None
            else float(e.equity_value_usd_per_share),
            "missing": list(e.missing),
            "missing_message": e.message(),
            "sotp": self.parts_usd,
            "ev_per_mw_usd": self.ev_per_mw_usd,
            "ev_per_eh_usd": self.ev_per_eh_usd,
            "notes": self.notes,
            "network_model": self.network_model,
            "inputs": self.inputs,
        }

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame of the numbers of :meth:`to_dict`: ``metric`` (dotted name), ``value``."""
        from hashpivot.display import number_frame

        return number_frame(self.to_dict())

    def _repr_html_(self) -> str:
        """Compact HTML summary for Jupyter: values, parts and cross-checks."""
        from hashpivot.display import summary_html

        return summary_html(f"Value of {self.to_dict()['subject']}", self.to_dict())


def _mining_value_usd(
    hashrate_eh_s: float, market_scenario: Scenario, efficiency_j_per_th: float,
    power_usd_per_mwh: float, wacc: float,
) -> float:  # fmt: skip
    """DCF of a fleet's margin along the scenario's market path, switched off when negative."""
    n = market_scenario.horizon_months
    net, price = deterministic_market(market_scenario, n)
    hashprice = net.hashprice_btc_per_ph_day * price
    cost = float(bitcoin.hashcost_usd_per_ph_day(efficiency_j_per_th, power_usd_per_mwh))
    margin = np.maximum(hashprice - cost, 0.0) * hashrate_eh_s * 1000 * net.calendar.days_in_month
    return float(finance.dcf(margin, wacc, "none").enterprise_value_usd)


def _contract_noi_usd(contract: Any, notes: list[str]) -> float:
    if contract.noi_usd_per_year is not None:
        return float(contract.noi_usd_per_year)
    if contract.total_value_usd is None or contract.term_years is None:
        notes.append(f"{contract.id}: no value or term given, not capitalised")
        return 0.0
    revenue = contract.total_value_usd / contract.term_years
    margin = contract.noi_margin_frac
    if margin is None:
        if contract.kind != "colocation":
            notes.append(f"{contract.id}: GPU-cloud contract with no margin given, not capitalised")
            return 0.0
        margin = NOI_MARGIN_FRAC
        notes.append(f"{contract.id}: NOI margin {NOI_MARGIN_FRAC:.0%} assumed (none given)")
    return float(revenue * margin)


def value_listed_company(
    company: Any,
    market_scenario: Scenario,
    wacc_frac_per_year: float = 0.12,
    cap_rate_frac: float = 0.065,
    powered_land_usd_per_mw: float = 3.0e6,
    efficiency_j_per_th: float = FLEET_EFFICIENCY_J_PER_TH,
    power_usd_per_mwh: float = POWER_USD_PER_MWH,
) -> ListedValuation:
    """Sum of the parts of a catalogued listed company (``hashpivot.listed.catalog``).

    Mining: DCF over the market scenario's horizon of the latest reported hashrate at an
    assumed fleet efficiency and power price. Contracted AI: annual NOI of active
    contracts (given, or straight-line value / term × margin) at the cap rate, less the
    capex of contracts energising after the file's as-of date (IT MW × capex per IT MW,
    9M USD default). Powered land: reported MW not under an AI contract. BTC held and the
    equity bridge need the company's balance sheet; missing numbers are reported, never
    taken as zero.
    """
    notes: list[str] = []
    hr = company.latest_hashrate()
    hashrate = hr.hashrate_eh_s if hr is not None else 0.0
    if hr is None:
        notes.append("no reported hashrate: mining valued at 0")
    mining = _mining_value_usd(hashrate, market_scenario, efficiency_j_per_th, power_usd_per_mwh,
                               wacc_frac_per_year)  # fmt: skip
    contracts = company.active_contracts()
    noi = sum(_contract_noi_usd(c, notes) for c in contracts)
    capex = 0.0
    contracted_gross_mw = 0.0
    for c in contracts:
        it = c.it_mw or 0.0
        contracted_gross_mw += c.gross_mw if c.gross_mw is not None else it * 1.3
        start = c.energisation_start or c.signed
        if period_bounds(start)[0] > company.as_of:
            capex += it * (c.capex_usd_per_it_mw or 9.0e6)
    reported = company.reported_mw()
    total_mw = 0.0 if math.isnan(reported) else reported
    uncontracted = max(total_mw - contracted_gross_mw, 0.0)
    bs = company.balance_sheet
    btc_held = None if bs is None else bs.btc_held
    price0 = market_scenario.market.btc_price_usd
    sotp = finance.sum_of_the_parts(
        mining, noi, cap_rate_frac, capex, uncontracted, powered_land_usd_per_mw,
        0.0 if btc_held is None else btc_held, price0, subject=company.ticker,
    )  # fmt: skip
    parts: dict[str, float | None] = {
        "mining_usd": float(sotp.mining_usd),
        "contracted_noi_capitalised_usd": float(sotp.contracted_noi_capitalised_usd),
        "remaining_capex_usd": -float(sotp.remaining_capex_usd),
        "powered_land_usd": float(sotp.powered_land_usd),
        "btc_usd": None if btc_held is None else float(sotp.btc_usd),
    }
    ev = float(sotp.total_usd) - (0.0 if parts["btc_usd"] is None else float(sotp.btc_usd))
    parts["total_usd"] = None if btc_held is None else float(sotp.total_usd)
    bridge = finance.equity_bridge(
        ev, None if bs is None else bs.debt_usd, None if bs is None else bs.cash_usd,
        btc_held, price0, None if bs is None else bs.shares_outstanding, subject=company.ticker,
    )  # fmt: skip
    return ListedValuation(
        ticker=company.ticker,
        parts_usd=parts,
        enterprise_value_usd=ev,
        equity=bridge,
        ev_per_mw_usd=float(finance.ev_per_mw_usd(ev, total_mw)),
        ev_per_eh_usd=float(finance.ev_per_eh_usd(ev, hashrate)),
        notes=notes,
        inputs={
            "wacc_frac_per_year": wacc_frac_per_year,
            "cap_rate_frac": cap_rate_frac,
            "powered_land_usd_per_mw": powered_land_usd_per_mw,
            "fleet_efficiency_j_per_th": efficiency_j_per_th,
            "power_usd_per_mwh": power_usd_per_mwh,
            "btc_price_usd": price0,
            "hashrate_eh_s": hashrate,
            "reported_mw": total_mw,
            "uncontracted_mw": uncontracted,
        },
        network_model=market_scenario.network_model.model,
    )


def _is_company_file(path: Path) -> bool:
    """Whether a YAML file is a listed company's file (it has a ``ticker``), not a scenario."""
    head = yaml.safe_load(path.read_text(encoding="utf-8")) if path.stat().st_size else None
    return isinstance(head, dict) and "ticker" in head


def value(
    subject: Scenario | ListedCompanySpec | str | Path | None = None,
    market_scenario: Scenario | None = None,
) -> Valuation | ListedValuation:
    """Value a scenario's company or a listed company: the one valuation entry point.

    Parameters
    ----------
    subject
        A :class:`~hashpivot.spec.Scenario`; a listed company's spec; a ticker or company
        name from the catalogue (``"IREN"``); or a path to a scenario or company YAML file.
        ``None`` values the packaged default scenario.
    market_scenario
        The market a listed company is valued against (BTC price, network, horizon);
        default: the packaged default scenario. Not used for a scenario.

    Returns
    -------
    Valuation or ListedValuation
        :func:`value_scenario`'s result for a scenario, :func:`value_listed_company`'s for
        a listed company.

    """
    if subject is None:
        return value_scenario(default_scenario())
    if isinstance(subject, Scenario):
        return value_scenario(subject)
    path = Path(subject) if isinstance(subject, str | Path) else None
    if path is not None and path.is_file() and not _is_company_file(path):
        return value_scenario(load_scenario(path))
    company = subject if isinstance(subject, ListedCompanySpec) else load_company(subject)
    return value_listed_company(company, market_scenario or default_scenario())
