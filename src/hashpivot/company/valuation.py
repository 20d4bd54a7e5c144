"""Valuation of a scenario's company: DCF to equity per share, and a sum of the parts.

DCF: the company's monthly unlevered free cash flow (:class:`~hashpivot.company.model.CompanyModel`)
discounted at the company's WACC, with a Gordon terminal value at its terminal growth;
then the equity bridge (− debt + cash + BTC held). Sum of the parts
(https://coinsbit.io/?p=2449): the
mining segment's cash flows discounted at the same WACC with no terminal value (ASICs
wear out), contracted lease NOI capitalised at the cap rate, minus the conversion capex
still to spend, plus powered land for the MW under no AI contract, plus BTC held.
Cross-checks: EV per EH/s and EV per MW.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import ai, finance
from hashpivot.company.listed_value import (
    ListedValuation,
    Overrides,
    check_overrides,
    first_month,
    value_listed,
)
from hashpivot.company.model import CompanyModel, CompanyResult
from hashpivot.errors import SpecError
from hashpivot.finance import segments as seg
from hashpivot.listed.catalog import ListedCompanySpec, load_company
from hashpivot.market_state import MarketState, valuation_market_state
from hashpivot.projection import fleet_installed_frac, month_index, stack_fleets
from hashpivot.spec import Scenario, default_scenario, load_scenario
from hashpivot.specbase import parse_yaml_mapping, read_spec_text


@dataclass(frozen=True)
class Valuation:
    """Result of :func:`value_scenario`: DCF, equity bridge, parts, bridge, cross-checks.

    ``bridge`` is the equity bridge (EV to equity); ``segments.bridge`` walks from the DCF
    to the sum of the parts.
    """

    subject: str
    dcf: finance.DcfResult
    bridge: finance.EquityBridge
    sotp: dict[str, float]
    segments: seg.SegmentValuation
    segments_list: list[seg.Segment]
    ev_per_eh_usd: float
    ev_per_mw_usd: float
    inputs: dict[str, float]
    network_model: str = "supply_curve"
    input_sources: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: enterprise and equity value, per share, SOTP parts, bridge, cross-checks."""
        b = self.bridge
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
            "sotp": dict(self.sotp),
            "bridge": self.segments.bridge_dict(),
            "ev_per_eh_usd": self.ev_per_eh_usd,
            "ev_per_mw_usd": self.ev_per_mw_usd,
            "network_model": self.network_model,
            "inputs": self.inputs,
            "input_sources": self.input_sources,
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


def _conversions(scenario: Scenario) -> dict[str, Any]:
    return {c.name: c for s in scenario.sites for c in s.conversions}


def _run_rate(cf: npt.NDArray[np.float64]) -> float:
    return float(cf[-min(12, len(cf)) :].mean())


def _project_segment(
    scenario: Scenario, kind: str, project: str, cf: npt.NDArray[np.float64], capex_usd: float
) -> seg.Segment:
    """One project's segment: its rate, and what each view counts after the horizon.

    Colocation: discounted at the rate of the tenant's credit; exit value = next year's
    NOI at the company's ``cap_rate_frac`` (the lease runs on or is re-let), DCF run rate
    = the last year's NOI. GPU cloud and
    mining: the run rate net of the reinvestment that sustains it (capex spread over the
    asset's life, ref. [3] of :mod:`hashpivot.finance.segments`), floored at zero (an
    owner stops rather than reinvest at a loss); the parts capitalise it at the segment's
    own rate.
    """
    c = scenario.company
    run = _run_rate(cf)
    name = f"{kind}_{project}_usd".replace(" ", "_")
    if kind == "colocation":
        lease = _conversions(scenario)[project].lease
        credit = lease.tenant_credit
        noi_next = run * 12 * (1.0 + lease.escalator_frac_per_year)
        exit_cap = c.cap_rate_frac  # the scenario's cap rate (0.055-0.08 by tenant credit)
        return seg.Segment(
            name, cf, seg.DISCOUNT_RATE_FRAC_BY_TENANT_CREDIT[credit],
            exit_value_usd=float(seg.exit_value_usd(max(noi_next, 0.0), exit_cap)),
            terminal_run_rate_usd_per_month=run,
        )  # fmt: skip
    if kind == "gpu_cloud":
        cloud = _conversions(scenario)[project].gpu_cloud
        share = cloud.contract_share_frac
        rates = seg.GPU_DISCOUNT_RATE_FRAC_BY_CONTRACT
        rate = share * rates["contracted"] + (1 - share) * rates["spot"]
        sustain = capex_usd / (cloud.useful_life_years * 12)
    else:
        rate = c.mining_discount_rate_frac_per_year
        sustain = _fleet_replacement_usd_per_month(scenario)
    steady = max(run - sustain, 0.0)
    return seg.Segment(
        name, cf, rate, exit_value_usd=steady / float(finance.monthly_rate(rate)),
        terminal_run_rate_usd_per_month=steady,
    )  # fmt: skip


def _fleet_replacement_usd_per_month(scenario: Scenario) -> float:
    """Capex that keeps the fleets of the last month running: their cost over their life.

    Each fleet still installed in the horizon's last month (a replaced fleet counts through
    its replacement), at its own price (its ``capex_usd_per_th``, else the catalogue's, or
    the replacement price; fleets with no known price count zero), times its installed
    share, spread over ``useful_life_months`` [USD/month].
    """
    f = stack_fleets(scenario)
    last = fleet_installed_frac(scenario, f, scenario.horizon_months)[:, -1]
    cost = np.nan_to_num(f.bought_usd) * last
    return float(np.sum(cost / f.useful_life_months))


def scenario_segments(
    scenario: Scenario, r: CompanyResult
) -> tuple[list[seg.Segment], npt.NDArray[np.float64]]:
    """Segments of a scenario's company: each project, corporate overhead, tax; and FCF.

    Tax is recomputed on EBITDA less depreciation with losses carried forward
    (:func:`hashpivot.finance.segments.tax_with_loss_carryforward_usd`), unlevered.
    """
    c = scenario.company
    s = r.segments
    segments: list[seg.Segment] = []
    for (kind, project), g in s.groupby(["segment", "project"], sort=False):
        by_month = g.groupby("month", sort=True)
        cf = (by_month["ebitda_usd"].sum() - by_month["capex_usd"].sum()
              + by_month["asic_sale_usd"].sum()).to_numpy()  # fmt: skip
        if kind == "corporate":
            rate = c.wacc_frac_per_year
            run = _run_rate(cf)
            segments.append(seg.Segment(
                f"corporate_{project}_usd".replace(" ", "_"), cf, rate,
                exit_value_usd=run / float(finance.monthly_rate(rate)),
                terminal_run_rate_usd_per_month=run,
            ))  # fmt: skip
            continue
        segments.append(_project_segment(scenario, str(kind), str(project), cf,
                                         float(g["capex_usd"].sum())))  # fmt: skip
    co = r.company
    taxable = (co["ebitda_usd"] - co["depreciation_usd"]).to_numpy()
    tax, _ = seg.tax_with_loss_carryforward_usd(taxable, c.tax_rate_frac)
    rate = c.wacc_frac_per_year
    run = _run_rate(-tax)
    segments.append(seg.Segment("tax_usd", -tax, rate, exit_value_usd=run / float(
        finance.monthly_rate(rate)), terminal_run_rate_usd_per_month=run))  # fmt: skip
    fcf = np.sum([x.cash_flow_usd for x in segments], axis=0)
    return segments, fcf


def _free_mw(scenario: Scenario) -> float:
    """Site MW neither mining nor converted to AI [MW].

    Mining MW: fleet capacity still installed in the first month (after conversions), at
    the mining PUE.
    """
    f = stack_fleets(scenario)
    installed = fleet_installed_frac(scenario, f, 1)[:, 0]
    mining_mw = float(np.sum(f.count * installed * f.unit_w * f.pue) / 1e6)
    contracted = sum(c.gross_mw for s in scenario.sites for c in s.conversions)
    total = sum(s.power_capacity_mw for s in scenario.sites)
    return max(total - mining_mw - contracted, 0.0)


def _from_valuation_date(
    scenario: Scenario, segments: list[seg.Segment], as_of: dt.date | None
) -> tuple[list[seg.Segment], int]:
    """Segments without the months before the valuation date, and how many were dropped."""
    if as_of is None:
        return segments, 0
    if as_of < scenario.as_of:
        msg = f"as_of: {as_of} — must not be before the scenario's as_of {scenario.as_of}"
        raise SpecError([msg])
    skip = max(month_index(scenario.start_date, first_month(as_of)), 0)
    if skip >= scenario.horizon_months:
        msg = f"as_of: {as_of} — must fall before the end of the scenario's horizon"
        raise SpecError([msg])
    cut = [replace(s, cash_flow_usd=s.cash_flow_usd[skip:],
                   exit_month=max(s.exit_month - skip, 0)) for s in segments]  # fmt: skip
    return cut, skip


def value_scenario(
    scenario: Scenario, result: CompanyResult | None = None, as_of: dt.date | None = None
) -> Valuation:
    """Value the scenario's company along its deterministic path: DCF, parts and the bridge.

    The DCF discounts the segments' cash flows at the WACC with a Gordon terminal value on
    their run rates net of reinvestment; the parts discount each at its own rate
    (:mod:`hashpivot.finance.segments`) and add powered land on the MW neither mining nor
    contracted (operating, :data:`hashpivot.company.listed_value.LAND_VALUE_FRAC_BY_STATUS`)
    and BTC held. With ``as_of``, the months before the valuation date are left out and
    the rest is discounted to it.
    """
    from hashpivot.company.listed_value import LAND_VALUE_FRAC_BY_STATUS

    r = CompanyModel(scenario).run() if result is None else result
    c = scenario.company
    segments, fcf = scenario_segments(scenario, r)
    segments, skip = _from_valuation_date(scenario, segments, as_of)
    fcf = fcf[skip:]
    free_mw = _free_mw(scenario)
    land = free_mw * c.powered_land_usd_per_mw * LAND_VALUE_FRAC_BY_STATUS["operating"]
    valued = seg.value_segments(segments, c.wacc_frac_per_year, c.terminal_growth_frac_per_year,
                                {"powered_land_usd": land})  # fmt: skip
    dcf = finance.DcfResult(
        enterprise_value_usd=np.asarray(valued.dcf_enterprise_value_usd),
        pv_explicit_usd=np.asarray(valued.dcf_pv_explicit_usd),
        pv_terminal_usd=np.asarray(valued.dcf_pv_terminal_usd),
        terminal_value_usd=np.asarray(np.nan),
        wacc_annual_frac=c.wacc_frac_per_year,
        terminal="gordon",
        horizon_months=len(fcf),
    )
    price0 = float(r.company["btc_price_usd"].iloc[skip])
    bridge = finance.equity_bridge(
        dcf.enterprise_value_usd, c.debt_usd, c.cash_usd, c.btc_held, price0,
        c.shares_outstanding, subject=c.name,
    )  # fmt: skip
    sotp = _scenario_parts(valued.parts_usd)
    sotp["btc_usd"] = c.btc_held * price0
    sotp["total_usd"] = valued.parts_enterprise_value_usd + sotp["btc_usd"]
    ev = float(dcf.enterprise_value_usd)
    total_mw = sum(s.power_capacity_mw for s in scenario.sites)
    hashrate_eh_s = r.mining.summary()["fleet_hashrate_eh_s"]
    return Valuation(
        subject=c.name,
        dcf=dcf,
        bridge=bridge,
        sotp=sotp,
        segments=valued,
        segments_list=segments,
        ev_per_eh_usd=float(finance.ev_per_eh_usd(ev, hashrate_eh_s)),
        ev_per_mw_usd=float(finance.ev_per_mw_usd(ev, total_mw)),
        inputs={
            "wacc_frac_per_year": c.wacc_frac_per_year,
            "terminal_growth_frac_per_year": c.terminal_growth_frac_per_year,
            "mining_discount_rate_frac_per_year": c.mining_discount_rate_frac_per_year,
            "btc_price_usd": price0,
            "power_capacity_mw": total_mw,
            "free_mw": free_mw,
            "fleet_hashrate_eh_s": float(np.round(hashrate_eh_s, 6)),
            "cap_rate_frac": c.cap_rate_frac,
            "powered_land_usd_per_mw": c.powered_land_usd_per_mw,
            "tax_rate_frac": c.tax_rate_frac,
        },
        network_model=r.mining.network_model,
        input_sources={
            "wacc_frac_per_year": "the scenario's company block",
            "terminal_growth_frac_per_year": "the scenario's company block",
            "mining_discount_rate_frac_per_year": "the scenario's company block",
            "btc_price_usd": "the scenario's market block (no dated market state used)",
            "power_capacity_mw": "the scenario's sites",
            "free_mw": "derived: site MW − fleet MW (after conversions, at the mining PUE) − "
            "converted MW",
            "fleet_hashrate_eh_s": "the scenario's fleets, first month",
            "cap_rate_frac": "the scenario's company block (exit cap rate of every lease)",
            "powered_land_usd_per_mw": "the scenario's company block (Bernstein), × 0.20 "
            "(Sabre56: share of miner MW convertible)",
            "tax_rate_frac": "the scenario's company block (26 U.S.C. § 11(b))",
            "lease discount rates": "finance.segments: cap rate by tenant credit + 3 %/yr growth",
        },
    )


def _scenario_parts(parts: dict[str, float]) -> dict[str, float]:
    """Parts summed by kind: mining, colocation, GPU cloud, corporate, tax, land [USD]."""
    kinds = ("mining", "colocation", "gpu_cloud", "corporate", "tax", "powered_land")
    return {f"{k}_usd": float(sum(v for n, v in parts.items() if n.startswith(k))) for k in kinds}


# --------------------------------------------------------------------------- listed companies


def value_listed_company(
    company: ListedCompanySpec,
    market_scenario: Scenario,
    as_of: dt.date | None = None,
    overrides: Overrides | None = None,
    market_state: MarketState | None = None,
) -> ListedValuation:
    """Segment valuation of a catalogued listed company (:mod:`hashpivot.listed.catalog`).

    :func:`hashpivot.company.listed_value.value_listed`: mining with its whole cost stack,
    each lease and GPU contract at a rate set by its tenant's credit or contract type,
    exit values, tax with loss carry-forward, powered land by status; the DCF at the WACC
    and the bridge between the two. Missing balance-sheet numbers are reported, never zero.
    """
    return value_listed(company, market_scenario, as_of, overrides, market_state)


def _is_company_file(path: Path) -> bool:
    """Whether a YAML file is a listed company's file (it has a ``ticker``), not a scenario."""
    head, _ = parse_yaml_mapping(*read_spec_text(path))
    return isinstance(head, dict) and "ticker" in head


def value(
    subject: Scenario | ListedCompanySpec | str | Path | None = None,
    market_scenario: Scenario | None = None,
    as_of: dt.date | None = None,
    overrides: Overrides | None = None,
    market_state: MarketState | None = None,
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
    as_of
        Valuation date of a listed company (default: its file's as_of; never earlier).
    overrides
        Inputs given in place of the defaults (BTC price, hashprice, WACC, cap rate...);
        for a scenario, the WACC and BTC price replace the scenario's.
    market_state
        Dated market inputs of a listed company's valuation; default
        :func:`hashpivot.market_state.valuation_market_state`: the state at the
        valuation date (the newest not later than it of the cached state and the
        packaged series), used only when it is not later than the valuation date.

    Returns
    -------
    Valuation or ListedValuation
        :func:`value_scenario`'s result for a scenario, :func:`value_listed_company`'s for
        a listed company.

    """
    o = overrides or Overrides()
    if subject is None or isinstance(subject, Scenario):
        return value_scenario(_with_overrides(subject or default_scenario(), o), as_of=as_of)
    path = Path(subject) if isinstance(subject, str | Path) else None
    if path is not None and path.is_file() and not _is_company_file(path):
        return value_scenario(_with_overrides(load_scenario(path), o), as_of=as_of)
    company = subject if isinstance(subject, ListedCompanySpec) else load_company(subject)
    date = company.as_of if as_of is None else as_of
    state = valuation_market_state(date) if market_state is None else market_state
    return value_listed_company(company, market_scenario or default_scenario(), as_of, o, state)


def _with_overrides(scenario: Scenario, o: Overrides) -> Scenario:
    """The scenario with the WACC, mining rate and BTC price given as overrides."""
    check_overrides(o)
    company = {k: v for k, v in (("wacc_frac_per_year", o.wacc_frac_per_year),
               ("mining_discount_rate_frac_per_year", o.mining_rate_frac_per_year),
               ("cap_rate_frac", o.cap_rate_frac)) if v is not None}  # fmt: skip
    update: dict[str, Any] = {}
    if company:
        update["company"] = scenario.company.model_copy(update=company)
    if o.btc_price_usd is not None:
        update["market"] = scenario.market.model_copy(update={"btc_price_usd": o.btc_price_usd})
    return scenario.model_copy(update=update) if update else scenario
