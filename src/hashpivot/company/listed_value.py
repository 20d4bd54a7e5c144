"""Segment cash flows of a catalogued listed company, valued both ways with a bridge.

From the company file's facts (hashrate, sites by status, AI contracts) and the base path
of a market scenario (:func:`hashpivot.projection.deterministic_market`), month by month
from the valuation date:

- **mining**: the latest reported hashrate at the fleet efficiency and all-in power cost
  the company reports (else the assumed :data:`FLEET_EFFICIENCY_J_PER_TH` and
  :data:`POWER_USD_PER_MWH`), earning hashprice × (1 − pool fee) × uptime and paying
  power at the mining PUE, other opex and a G&A share; it runs in a month only when
  revenue covers those cash costs. Two fleet policies, the higher value kept: **run-off**
  (the fleet is not replaced and stops after :data:`MINING_LIFE_MONTHS`, no terminal
  value) or **sustained** (the hashrate bought again at :data:`ASIC_USD_PER_TH` as
  machines of :data:`REPLACEMENT_J_PER_TH` at the end of each life, running to the
  horizon and beyond: a terminal value on the last year's
  EBITDA net of the replacement spread over the life and of tax, floored at 0, since the
  company can stop), :func:`mining_value`;
- **each colocation lease**: year-1 NOI (given, or from the contract's value, term,
  escalator and NOI margin) on the IT MW delivered (a linear ramp between the energisation
  dates, plus any construction delay), escalated yearly, less the rent credited back for
  tenant-funded capex where the deal says so; the build capex on the IT MW not yet
  delivered, net of what the tenant funds; the building's exit value at the end of the
  term at the exit cap rate of the tenant's credit; a construction haircut on the lease's
  income (NOI and exit value, not its capex) in proportion to the IT MW not yet delivered;
- a contract the company owns a share of (a joint venture, ``ownership_frac``) counts
  for that share of its flows, exit value and capex (proportionate consolidation);
- **each GPU contract**: contracted revenue (after any prepayment received before the
  valuation date) on the IT MW delivered, power and other opex, the GPU capex still to
  buy, and the GPUs' residual value at the end of the term;
- **tax**: on the sum of the above less tax depreciation (conversion capex over
  :data:`CONVERSION_TAX_LIFE_YEARS`, GPUs and sustaining ASICs over
  :data:`GPU_TAX_LIFE_YEARS`, straight-line,
  or with bonus depreciation), with losses carried forward;
- **powered land** (parts only): MW that are neither mining nor contracted, by status, at
  :data:`POWERED_LAND_USD_PER_MW` × :data:`LAND_VALUE_FRAC_BY_STATUS`.

:func:`hashpivot.finance.segments.value_segments` discounts the same flows at each
segment's rate (sum of the parts) and at one WACC (DCF), and bridges the two.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import ai
from hashpivot.errors import SpecError
from hashpivot.finance import segments as seg
from hashpivot.finance.cashflows import monthly_rate
from hashpivot.listed.catalog import AiContractSpec, ListedCompanySpec, period_bounds
from hashpivot.listed.dilution import DilutedEquity, diluted_equity
from hashpivot.market_state import MarketState
from hashpivot.projection import deterministic_market, month_index
from hashpivot.spec import (
    CRYPTO_DCF_RATE_URL,
    DC_CAP_RATES_URL,
    Scenario,
)

FloatArray = npt.NDArray[np.float64]

FLEET_EFFICIENCY_J_PER_TH = 20.0
"""Fleet efficiency assumed for a listed miner (assumption: between the S19 XP at 21.5 and
the S21 at 17.5 J/TH, a typical 2025 public-miner fleet) [J/TH]."""
POWER_USD_PER_MWH = 45.0
"""All-in power price assumed for a listed miner [USD/MWh] (assumption; MARA's owned sites
run at about 40: https://blockspace.media/insight/hyperscalers-at-risk-of-energy-agreements-construction-timelines-mara-ceo
)."""
MINING_PUE = 1.05
"""Mining PUE, "close to 1.05" for well-designed ASIC sites
(https://d-central.tech/mining-glossary/power-usage-effectiveness-pue/) [-]."""
POOL_FEE_FRAC = 0.02
"""Pool fee (assumption: common FPPS fee, as the default scenario) [-]."""
UPTIME_FRAC = 0.95
"""Fleet uptime (assumption, as the default scenario) [-]."""
MINING_OTHER_OPEX_USD_PER_MW_MONTH = 6000.0
"""Staff, repairs, insurance per mining MW (assumption, as the default scenario) [USD/MW/month]."""
MINING_GA_FRAC_OF_REVENUE = 0.10
"""G&A charged to mining as a share of its revenue (assumption) [-]."""
MINING_LIFE_MONTHS = 60
"""Months the present fleet is assumed to run at most, and the refresh cycle of a
sustained fleet (assumption: ASIC useful life of about 5 years; the scenario's fleets
default to 60 months) [months]."""
ASIC_USD_PER_TH = 25.70
"""Price of new ASIC hashrate for sustaining a fleet: the S21 XP at 25.70 USD/TH on
2025-11-03 (Hashrate Index,
https://hashrateindex.com/blog/hashrate-index-roundup-november-3-2025) [USD/TH]."""
REPLACEMENT_J_PER_TH = 13.5
"""Efficiency of the machines a sustained fleet is replaced with: the S21 XP that
:data:`ASIC_USD_PER_TH` prices, 270 TH/s at 13.5 J/TH (about 3 645 W, derived),
https://btcminermarketplace.com/how-to-calculate-roi-for-bitcoin-miner-s21-xp); a fleet
already better keeps its own [J/TH]."""
NOI_MARGIN_FRAC = 0.8
"""NOI margin of a colocation lease when the company gives none: Cipher and TeraWulf guide
to 80-85 % (https://blockworks.co/news/cipher-mining-inks-3b-ai-hosting-deal-with-fluidstack ;
TeraWulf site NOI about 85 %:
https://blockspace.media/insight/terawulf-signs-10-year-200-mw-hosting-deals-google-takes-8-stake
) [-]."""
CAPEX_USD_PER_IT_MW = 9.0e6
"""Build capex per IT MW when a contract gives none: TeraWulf 8-10M
(https://blockspace.media/insight/terawulf-signs-10-year-200-mw-hosting-deals-google-takes-8-stake
), Cipher 9-11M USD (https://blockworks.co/news/cipher-mining-inks-3b-ai-hosting-deal-with-fluidstack
) [USD/MW]."""
AI_PUE = 1.3
"""Gross MW per IT MW when a contract gives no gross MW: TeraWulf 1.25, Hut 8 1.35
(derived from about 250:200 MW and 330:245 MW, :data:`hashpivot.spec.TERAWULF_MW_URL`,
:data:`hashpivot.spec.HUT8_MW_URL`) [-]."""
GPU_PUE = 1.2
"""GPU-cloud facility PUE: Applied Digital design 1.18, Bitfarms target 1.2-1.3 (the
GpuCloudSpec default's sources) [-]."""
GPU_OTHER_OPEX_USD_PER_IT_MW_MONTH = 100.0 / 1.83e-3
"""Non-power opex of a GPU cloud per IT MW: 100 USD per GPU-month (GpuCloudSpec default,
assumption) over 1.83 kW of IT per GPU (a 132 kW GB300 NVL72 rack / 72 GPUs,
https://introl.com/blog/why-nvidia-gb300-nvl72-blackwell-ultra-matters) [USD/MW/month]."""
GPU_RESIDUAL_FRAC = 0.1
"""GPU value left at the end of a contract as a share of cost (GpuCloudSpec default,
assumption) [-]."""
CONVERSION_TAX_LIFE_YEARS = 15
"""Tax life of conversion capex (assumption: 15-year qualified improvement property,
26 U.S.C. § 168(e)(3)(E)) [years]."""
GPU_TAX_LIFE_YEARS = 5
"""Tax life of GPUs and servers: 5-year property (26 U.S.C. § 168(e)(3)(B)(iv)) [years]."""
TAX_RATE_FRAC = 0.21
"""US federal corporate rate, 26 U.S.C. § 11(b) [-]."""
POWERED_LAND_USD_PER_MW = 3.0e6
"""Value of a powered MW that can be converted to AI: Bernstein about 3M USD per
authorized MW (https://www.bitgetapp.com/amp/news/detail/12560605039346) [USD/MW]."""
LAND_VALUE_FRAC_BY_STATUS: Mapping[str, float] = {
    "operating": 0.20,
    "secured": 0.20,
    "pipeline": 0.20 * 0.15,
}
"""Share of :data:`POWERED_LAND_USD_PER_MW` a MW neither mining nor contracted is worth,
by status [-]. ``operating`` and ``secured`` (approved, under construction, power
contracted): about 20 % of miner portfolios can be converted to AI (Sabre56 view,
https://binance.com/el/square/post/13104949643562 , secondary); ``pipeline``:
that times the 15 % of capacity in US interconnection queues that reaches operation
(LBNL *Queued Up* 2024: 13-19 % of requests 2000-2018 reached commercial operation,
https://emp.lbl.gov/queued-up), so a pipeline MW is never valued like an energised one."""
SITE_STATUS_GROUP = {
    "operating": "operating",
    "under_construction": "secured",
    "approved": "secured",
    "secured": "secured",
    "pipeline": "pipeline",
}
"""Status groups of the catalogue's site statuses for powered land."""


@dataclass(frozen=True)
class MarketPath:
    """Hashprice and BTC price by month from the valuation date."""

    hashprice_usd_per_ph_day: FloatArray
    btc_price_usd: FloatArray
    days_in_month: FloatArray
    network_model: str


@dataclass(frozen=True)
class Overrides:
    """Valuation inputs given on the command line in place of the defaults."""

    btc_price_usd: float | None = None
    hashprice_usd_per_ph_day: float | None = None
    wacc_frac_per_year: float | None = None
    cap_rate_frac: float | None = None
    mining_rate_frac_per_year: float | None = None
    power_usd_per_mwh: float | None = None
    efficiency_j_per_th: float | None = None
    bonus_depreciation_frac: float = 0.0
    share_price_usd: float | None = None


def first_month(as_of: dt.date) -> dt.date:
    """First day of the month after the valuation date: month 0 of the valuation."""
    return dt.date(as_of.year + as_of.month // 12, as_of.month % 12 + 1, 1)


def market_path(scenario: Scenario, as_of: dt.date, months: int, o: Overrides) -> MarketPath:
    """The scenario's base path from the valuation date, rescaled to any overrides.

    The path starts on the scenario's start date; the months before the valuation date
    are run and dropped. A BTC price or hashprice override scales the path so that its
    first month equals the given value.
    """
    skip = max(month_index(scenario.start_date, first_month(as_of)), 0)
    net, price = deterministic_market(scenario, skip + months)
    hp_btc = net.hashprice_btc_per_ph_day[skip:]
    price = price[skip:]
    if o.btc_price_usd is not None:
        price = price * (o.btc_price_usd / price[0])
    hp_usd = hp_btc * price
    if o.hashprice_usd_per_ph_day is not None:
        hp_usd = hp_usd * (o.hashprice_usd_per_ph_day / hp_usd[0])
    days = net.calendar.days_in_month[skip:].astype(np.float64)
    return MarketPath(hp_usd, price, days, scenario.network_model.model)


def state_scenario(scenario: Scenario, state: MarketState) -> Scenario:
    """The scenario's market block replaced by a dated market state's values.

    The base path starts on the first of the month after the state's network values
    (difficulty, hashrate, height) were read, at the state's BTC price and fees.
    """
    net_as_of = min(state.difficulty.as_of, state.network_hashrate_eh_s.as_of,
                    state.block_height.as_of)  # fmt: skip
    market = scenario.market.model_copy(
        update={
            "btc_price_usd": state.btc_price_usd.value,
            "network_hashrate_eh_s": state.network_hashrate_eh_s.value,
            "difficulty": state.difficulty.value,
            "block_height": int(state.block_height.value),
            "fees_btc_per_block": state.fees_btc_per_block.value,
        }
    )
    return scenario.model_copy(update={"market": market, "start_date": first_month(net_as_of)})


def choose_market(
    scenario: Scenario, state: MarketState | None, as_of: dt.date
) -> tuple[Scenario, str]:
    """The market a valuation starts from, and where its inputs come from.

    The dated market state when one is given and it is not later than the valuation date
    (a valuation only uses what was known on its date); otherwise the scenario's market
    block, saying why.
    """
    if state is not None and state.as_of <= as_of:
        price, net = state.btc_price_usd, state.network_hashrate_eh_s
        source = (
            f"market state '{state.label}' as of {state.as_of}: BTC price {price.as_of} "
            f"({price.source_url}), network as of {net.as_of} ({net.source_url})"
        )
        return state_scenario(scenario, state), source
    why = "" if state is None else f"; the market state is as of {state.as_of}, after it"
    return scenario, f"the scenario's market block as of {scenario.as_of}{why}"


def mining_flows(
    hashrate_eh_s: float,
    path: MarketPath,
    efficiency_j_per_th: float,
    power_usd_per_mwh: float,
    *,
    sustained: bool = False,
) -> FloatArray:
    """Monthly mining EBITDA of a fleet, the whole cost stack [USD] (capex apart).

    Revenue = hashprice × (1 − fee) × PH/s × uptime × days; power = MW × PUE × uptime ×
    hours × price; other opex per MW; G&A share of revenue; the fleet runs in a month only
    when revenue covers those costs, and (unless ``sustained``: bought again at the end of
    its life, :func:`fleet_replacement_capex_usd`) stops after :data:`MINING_LIFE_MONTHS`.
    """
    ph_s = hashrate_eh_s * 1000.0
    mw = hashrate_eh_s * 1e6 * efficiency_j_per_th * MINING_PUE / 1e6
    revenue = path.hashprice_usd_per_ph_day * (1 - POOL_FEE_FRAC) * ph_s * UPTIME_FRAC
    revenue = revenue * path.days_in_month
    power = mw * UPTIME_FRAC * 24.0 * path.days_in_month * power_usd_per_mwh
    cost = power + mw * MINING_OTHER_OPEX_USD_PER_MW_MONTH + MINING_GA_FRAC_OF_REVENUE * revenue
    alive = np.arange(len(revenue)) < (len(revenue) if sustained else MINING_LIFE_MONTHS)
    running = (revenue >= cost) & alive
    return np.asarray(np.where(running, revenue - cost, 0.0))


def fleet_replacement_capex_usd(hashrate_eh_s: float, months: int) -> FloatArray:
    """Capex that replaces the whole fleet at the end of each life: TH/s × USD/TH [USD].

    Months :data:`MINING_LIFE_MONTHS`, 2 × that, … within ``months`` each carry
    hashrate × 1e6 TH/s × :data:`ASIC_USD_PER_TH`; every other month 0.
    """
    capex = np.zeros(months)
    capex[MINING_LIFE_MONTHS::MINING_LIFE_MONTHS] = hashrate_eh_s * 1e6 * ASIC_USD_PER_TH
    return capex


@dataclass(frozen=True)
class MiningValue:
    """The mining segment under the fleet policy worth more, with both policies' values."""

    segment: seg.Segment
    ebitda_usd: FloatArray
    capex_usd: FloatArray
    policy: str
    runoff_value_usd: float
    sustained_value_usd: float
    terminal_run_rate_usd_per_month: float


def mining_value(
    hashrate_eh_s: float,
    path: MarketPath,
    efficiency_j_per_th: float,
    power_usd_per_mwh: float,
    rate_frac_per_year: float,
) -> MiningValue:
    """Mining valued as run-off and as a sustained fleet; the higher is the segment.

    Run-off: the present fleet's EBITDA until its life ends, nothing after. Sustained: the
    same hashrate bought again at the end of each life (:func:`fleet_replacement_capex_usd`)
    as machines of :data:`REPLACEMENT_J_PER_TH` (or the fleet's own J/TH if better), so
    that it runs over the whole path, and beyond the path a steady run rate F = (mean
    EBITDA of the replacement fleet over the last 12 months − TH/s × USD/TH / life) ×
    (1 − tax rate):
    the replacement spread evenly, and tax on that net flow (in a steady state tax
    depreciation equals the replacement capex); F is floored at 0 (the company can stop
    mining). Parts view: F / r_m at the mining rate (Gordon, no growth) as an exit value at
    the horizon; DCF view: the same F as the segment's terminal run rate at the WACC.
    Sustained is worth more than run-off only when the replacements pay for themselves.
    """
    n = len(path.hashprice_usd_per_ph_day)
    runoff = mining_flows(hashrate_eh_s, path, efficiency_j_per_th, power_usd_per_mwh)
    present = mining_flows(
        hashrate_eh_s, path, efficiency_j_per_th, power_usd_per_mwh, sustained=True
    )
    new_j_per_th = min(efficiency_j_per_th, REPLACEMENT_J_PER_TH)
    replaced = mining_flows(hashrate_eh_s, path, new_j_per_th, power_usd_per_mwh, sustained=True)
    ebitda = np.where(np.arange(n) < MINING_LIFE_MONTHS, present, replaced)
    capex = fleet_replacement_capex_usd(hashrate_eh_s, n)
    steady_capex = hashrate_eh_s * 1e6 * ASIC_USD_PER_TH / MINING_LIFE_MONTHS
    last = float(np.mean(replaced[-12:])) if n else 0.0
    run_rate = max(last - steady_capex, 0.0) * (1.0 - TAX_RATE_FRAC)
    r_m = float(monthly_rate(rate_frac_per_year))
    terminal = run_rate / r_m
    disc = (1.0 + r_m) ** -np.arange(1, n + 1, dtype=np.float64)  # end of each month
    runoff_value = float(np.sum(runoff * disc))
    net = ebitda - capex
    sustained_value = float(np.sum(net * disc)) + (terminal * float(disc[-1]) if n else 0.0)
    if sustained_value > runoff_value:
        segment = seg.Segment("mining_usd", np.asarray(net), rate_frac_per_year,
                              exit_value_usd=terminal, exit_month=n,
                              terminal_run_rate_usd_per_month=run_rate)  # fmt: skip
        return MiningValue(segment, ebitda, capex, "sustained", runoff_value, sustained_value,
                           run_rate)  # fmt: skip
    segment = seg.Segment("mining_usd", runoff, rate_frac_per_year)
    return MiningValue(segment, runoff, np.zeros(n), "run-off", runoff_value, sustained_value,
                       0.0)  # fmt: skip


def mining_inputs(company: ListedCompanySpec, o: Overrides) -> tuple[float, str, float, str]:
    """Fleet efficiency and all-in power cost, each with where it comes from.

    An override first, else the latest figure the company file reports (with its date,
    basis and URL), else the assumption (:data:`FLEET_EFFICIENCY_J_PER_TH`,
    :data:`POWER_USD_PER_MWH`).
    """
    given = "given (--option)"
    if o.efficiency_j_per_th is not None:
        eff, eff_src = o.efficiency_j_per_th, given
    elif (rep := company.reported_efficiency()) is not None:
        assert rep.fleet_efficiency_j_per_th is not None
        eff, eff_src = rep.fleet_efficiency_j_per_th, _fact_source("company file", rep)
    else:
        eff, eff_src = FLEET_EFFICIENCY_J_PER_TH, "assumption (none reported in the company file)"
    if o.power_usd_per_mwh is not None:
        power, power_src = o.power_usd_per_mwh, given
    elif (cost := company.reported_power_cost()) is not None:
        power, power_src = cost.power_usd_per_mwh, _fact_source("company file", cost)
    else:
        power = POWER_USD_PER_MWH
        power_src = ("assumption (none reported in the company file; MARA owned sites about "
                     "40, blockspace.media)")  # fmt: skip
    return eff, eff_src, power, power_src


def _fact_source(where: str, fact: Any) -> str:
    """'company file, reported as of 2025-09: URL' for a sourced fact."""
    return f"{where}, {fact.basis} as of {fact.as_of}: {fact.source_url}"


def _month_of(period: str | None, start: dt.date, last: bool = False) -> int | None:
    if period is None:
        return None
    return month_index(start, period_bounds(period)[1 if last else 0])


def delivered_frac(c: AiContractSpec, start: dt.date, months: int) -> tuple[FloatArray, int]:
    """Share of a contract's IT MW delivered by the end of months −1 … n−1, and month of rent start.

    Months are counted from ``start`` (month −1 ends on the valuation date); the IT MW
    ramp linearly from the first energisation month to the last, both shifted by the
    construction delay. Rent starts in the first month (negative when before the valuation).
    """
    first = _month_of(c.energisation_start or c.signed, start)
    assert first is not None
    last = _month_of(c.energisation_end, start, last=True)
    first += c.construction_delay_months
    last = first if last is None else max(last + c.construction_delay_months, first)
    t = np.arange(-1, months, dtype=np.float64)
    frac = np.clip((t - first + 1) / (last - first + 1), 0.0, 1.0)
    return np.asarray(frac), first


@dataclass(frozen=True)
class ContractFlows:
    """Monthly flows of one AI contract from the valuation date [USD]."""

    segments: list[seg.Segment]
    ebitda_usd: FloatArray
    capex_usd: FloatArray
    tax_life_months: int
    summary: dict[str, Any]


def _year1_noi_usd(c: AiContractSpec, notes: list[str]) -> float | None:
    esc = c.escalator_frac_per_year or 0.0
    if c.noi_usd_per_year is not None and c.term_years is not None:
        return float(seg.year1_noi_from_average_usd(c.noi_usd_per_year, esc, c.term_years))
    if c.total_value_usd is None or c.term_years is None or c.it_mw is None:
        notes.append(f"{c.id}: no value, term or IT MW given, not valued")
        return None
    rate = float(ai.implied_rate_usd_per_kw_month(c.total_value_usd, c.it_mw, c.term_years, esc))
    margin = c.noi_margin_frac
    if margin is None:
        margin = NOI_MARGIN_FRAC
        notes.append(f"{c.id}: NOI margin {NOI_MARGIN_FRAC:.0%} assumed (none given)")
    return c.it_mw * ai.KW_PER_MW * rate * 12 * margin


def phase_contracts(c: AiContractSpec) -> list[AiContractSpec]:
    """A contract with phases as one contract per phase; without phases, itself.

    Each phase gets its IT MW share of the value (for its own term), of the NOI and of the
    backstop, its own start and term.
    """
    if not c.phases:
        return [c]
    assert c.it_mw is not None
    out = []
    for k, p in enumerate(c.phases, start=1):
        share = p.it_mw / c.it_mw
        term = p.term_years or c.term_years
        scale = share * (term / c.term_years if term and c.term_years else 1.0)
        out.append(c.model_copy(update={
            "id": f"{c.id}-phase-{k}", "it_mw": p.it_mw, "phases": (),
            "energisation_start": p.start, "energisation_end": None, "term_years": term,
            "total_value_usd": None if c.total_value_usd is None else c.total_value_usd * scale,
            "noi_usd_per_year": None if c.noi_usd_per_year is None
            else c.noi_usd_per_year * share,
            "backstop_usd": None if c.backstop_usd is None else c.backstop_usd * share,
        }))  # fmt: skip
    return out


def lease_flows(
    c: AiContractSpec, start: dt.date, months: int, notes: list[str], cap_rate: float | None
) -> ContractFlows | None:
    """A colocation lease's NOI, capex, exit value and value drivers from the valuation date."""
    noi1 = _year1_noi_usd(c, notes)
    if noi1 is None or c.it_mw is None or c.term_years is None:
        return None
    esc = c.escalator_frac_per_year or 0.0
    frac, first = delivered_frac(c, start, months)
    term_m = round(c.term_years * 12)
    t = np.arange(months)
    in_term = (t >= first) & (t < first + term_m)
    years = np.floor(np.maximum(t - first, 0) / 12)
    capex_per_mw = c.capex_usd_per_it_mw or CAPEX_USD_PER_IT_MW
    gross_capex = c.it_mw * capex_per_mw
    funded = gross_capex * c.tenant_funded_capex_frac
    credit = funded / c.term_years if c.tenant_capex_netted_against_rent else 0.0
    noi = (noi1 * frac[1:] * (1 + esc) ** years - credit) / 12.0 * in_term
    capex = np.diff(frac) * gross_capex * (1.0 - c.tenant_funded_capex_frac)
    credit_class = c.credit_class()
    exit_cap = cap_rate or seg.EXIT_CAP_RATE_FRAC_BY_TENANT_CREDIT[credit_class]
    exit_month = first + term_m
    noi_next = (noi1 * (1 + esc) ** c.term_years) if 0 <= exit_month <= months else 0.0
    exit_value = float(seg.exit_value_usd(noi_next, exit_cap)) if noi_next else 0.0
    rate = seg.DISCOUNT_RATE_FRAC_BY_TENANT_CREDIT[credit_class]
    income = seg.Segment(
        name=f"lease_{c.id}_usd",
        cash_flow_usd=np.asarray(noi),
        rate_frac_per_year=rate,
        exit_value_usd=exit_value,
        exit_month=max(min(exit_month, months), 0),
        exit_in_dcf=True,
        haircut_frac=seg.CONSTRUCTION_HAIRCUT_FRAC * (1.0 - float(frac[0])),
    )
    build = seg.Segment(f"lease_{c.id}_capex_usd", np.asarray(-capex), rate)
    noi1_net = noi1 - credit
    summary = {
        "id": c.id,
        "kind": "colocation",
        "tenant_credit": credit_class,
        "it_mw": c.it_mw,
        "noi_year1_usd": noi1_net,
        "yield_on_cost_frac": float(seg.yield_on_cost_frac(noi1_net, gross_capex - funded)),
        "remaining_capex_usd": float(capex.sum()),
        "tenant_funded_capex_usd": funded,
        "exit_value_usd": exit_value,
        "exit_cap_rate_frac": exit_cap,
        "discount_rate_frac_per_year": rate,
        "construction_haircut_frac": income.haircut_frac,
        "delivered_it_mw_at_valuation": float(frac[0] * c.it_mw),
    }
    return ContractFlows([income, build], np.asarray(noi), capex,
                         CONVERSION_TAX_LIFE_YEARS * 12, summary)  # fmt: skip


def gpu_flows(
    c: AiContractSpec, start: dt.date, as_of: dt.date, months: int, notes: list[str]
) -> ContractFlows | None:
    """A GPU contract: contracted revenue, power and opex, GPU capex, residual value."""
    if c.total_value_usd is None or c.term_years is None or c.it_mw is None:
        notes.append(f"{c.id}: GPU contract with no value, term or IT MW given, not valued")
        return None
    frac, first = delivered_frac(c, start, months)
    term_m = round(c.term_years * 12)
    in_term = (np.arange(months) >= first) & (np.arange(months) < first + term_m)
    revenue = c.total_value_usd / c.term_years / 12.0 * frac[1:] * in_term
    prepaid = c.prepayment_frac or 0.0
    if prepaid and period_bounds(c.signed)[0] <= as_of:
        revenue = revenue * (1.0 - prepaid)
        notes.append(f"{c.id}: {prepaid:.0%} prepaid before the valuation date (in cash, not here)")
    it_mw = c.it_mw * frac[1:] * in_term
    power = it_mw * GPU_PUE * ai.HOURS_PER_YEAR / 12 * POWER_USD_PER_MWH
    ebitda = revenue - power - it_mw * GPU_OTHER_OPEX_USD_PER_IT_MW_MONTH
    capex_total = c.it_mw * (c.capex_usd_per_it_mw or CAPEX_USD_PER_IT_MW)
    capex = np.diff(frac) * capex_total
    exit_month = max(min(first + term_m, months), 0)
    residual = GPU_RESIDUAL_FRAC * capex_total if first + term_m > 0 else 0.0
    segment = seg.Segment(
        name=f"gpu_{c.id}_usd",
        cash_flow_usd=np.asarray(ebitda - capex),
        rate_frac_per_year=seg.GPU_DISCOUNT_RATE_FRAC_BY_CONTRACT[c.contract_type],
        exit_value_usd=residual,
        exit_month=exit_month,
        exit_in_dcf=True,
    )
    summary = {
        "id": c.id,
        "kind": "gpu_cloud",
        "contract_type": c.contract_type,
        "it_mw": c.it_mw,
        "revenue_usd_per_year_full": c.total_value_usd / c.term_years,
        "remaining_capex_usd": float(capex.sum()),
        "residual_value_usd": residual,
        "discount_rate_frac_per_year": segment.rate_frac_per_year,
    }
    return ContractFlows([segment], ebitda, capex, GPU_TAX_LIFE_YEARS * 12, summary)


def land_mw_by_status(
    company: ListedCompanySpec, mining_mw: float, contracted_gross_mw: float
) -> dict[str, float]:
    """MW neither mining nor contracted, by status group (operating, secured, pipeline) [MW].

    Operating MW: the company's operating total less the mining MW and the contracted MW
    (contracted MW come off secured first, where buildings under construction sit, then
    operating; mining MW beyond the operating figure come off secured). Secured: the
    largest secured or approved figure less operating. Pipeline: the largest reported
    figure less both.
    """
    operating = company.operating_mw()
    operating = 0.0 if math.isnan(operating) else operating
    reported = company.reported_mw()
    reported = 0.0 if math.isnan(reported) else reported
    secured_total = max(
        [s.gross_mw or 0.0 for s in company.sites
         if SITE_STATUS_GROUP[s.status] == "secured" and s.scope == "portfolio"]
        + [operating + sum(s.gross_mw or 0.0 for s in company.sites
                           if SITE_STATUS_GROUP[s.status] == "secured" and s.scope == "site")]
    )  # fmt: skip
    secured_total = max(secured_total, operating)
    pipeline = max(reported - secured_total, 0.0)
    secured = secured_total - operating
    take = min(contracted_gross_mw, secured)
    secured -= take
    used_op = mining_mw + contracted_gross_mw - take
    free_op = max(operating - used_op, 0.0)
    secured = max(secured - max(used_op - operating, 0.0), 0.0)
    return {"operating": free_op, "secured": secured, "pipeline": pipeline}


def tax_segment(
    ebitda_usd: FloatArray, depreciation_usd: FloatArray, rate: float
) -> tuple[seg.Segment, FloatArray]:
    """Tax on EBITDA less tax depreciation, losses carried forward (none at the start)."""
    tax, _ = seg.tax_with_loss_carryforward_usd(ebitda_usd - depreciation_usd, TAX_RATE_FRAC)
    return seg.Segment("tax_usd", -tax, rate), tax


def _check_as_of(company: ListedCompanySpec, as_of: dt.date) -> None:
    if as_of < company.as_of:
        msg = (
            f"as_of: {as_of} — must not be before the company file's as_of {company.as_of} "
            "(its facts would describe the future)"
        )
        raise SpecError([msg])


def check_overrides(o: Overrides) -> None:
    """Refuse overrides out of range, naming the field, the value and the rule."""
    problems = []
    for name in ("wacc_frac_per_year", "cap_rate_frac", "mining_rate_frac_per_year"):
        v = getattr(o, name)
        if v is not None and not 0.0 < v < 1.0:
            problems.append(f"{name}: {v!r} — must be in (0, 1)")
    if o.cap_rate_frac is not None and not 0.03 <= o.cap_rate_frac <= 0.15:
        problems.append(
            f"cap_rate_frac: {o.cap_rate_frac!r} — must be in [0.03, 0.15]: data-centre cap "
            "rates run 5-8.5 % (" + DC_CAP_RATES_URL + ")"
        )
    if not 0.0 <= o.bonus_depreciation_frac <= 1.0:
        problems.append(
            f"bonus_depreciation_frac: {o.bonus_depreciation_frac!r} — must be in [0, 1]"
        )
    if problems:
        raise SpecError(problems)


@dataclass(frozen=True)
class ListedValuation:
    """Both views of a listed company's segment cash flows, the bridge and every input."""

    ticker: str
    as_of: dt.date
    valued: seg.SegmentValuation
    parts_usd: dict[str, float | None]
    equity: Any
    ev_per_mw_usd: float
    ev_per_eh_usd: float
    contracts: list[dict[str, Any]]
    notes: list[str]
    inputs: list[dict[str, Any]]
    network_model: str

    @property
    def enterprise_value_usd(self) -> float:
        """Enterprise value: the sum of the parts without BTC held [USD]."""
        return self.valued.parts_enterprise_value_usd

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; values a missing input prevents are null and named in ``missing``."""
        e = self.equity
        return {
            "subject": self.ticker,
            "as_of": str(self.as_of),
            "enterprise_value_usd": self.enterprise_value_usd,
            "dcf_enterprise_value_usd": self.valued.dcf_enterprise_value_usd,
            "equity_value_usd": None if e.equity_value_usd is None else float(e.equity_value_usd),
            "equity_value_usd_per_share": None
            if e.equity_value_usd_per_share is None
            else float(e.equity_value_usd_per_share),
            "missing": list(e.missing),
            "missing_message": e.message(),
            **_dilution_keys(e),
            "sotp": self.parts_usd,
            "bridge": self.valued.bridge_dict(),
            "contracts": self.contracts,
            "ev_per_mw_usd": self.ev_per_mw_usd,
            "ev_per_eh_usd": self.ev_per_eh_usd,
            "network_model": self.network_model,
            "notes": self.notes,
            "inputs": {i["name"]: i["value"] for i in self.inputs},
            "input_sources": {i["name"]: i["source"] for i in self.inputs},
        }

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame of the numbers of :meth:`to_dict`: ``metric`` (dotted name), ``value``."""
        from hashpivot.display import number_frame

        return number_frame(self.to_dict())

    def _repr_html_(self) -> str:
        """Compact HTML summary for Jupyter: values, parts and cross-checks."""
        from hashpivot.display import summary_html

        return summary_html(f"Value of {self.to_dict()['subject']}", self.to_dict())


def _dilution_keys(e: DilutedEquity) -> dict[str, Any]:
    """Diluted shares, each instrument's treatment, stale items and the upside to a price."""
    return {"dilution": e.to_dict(), "stale_balance_sheet_items": list(e.stale),
            "share_price_usd": e.share_price_usd if e.price_source == "given" else None,
            "upside_frac": e.upside_frac()}  # fmt: skip


def _input(name: str, value: Any, source: str) -> dict[str, Any]:
    return {"name": name, "value": value, "source": source}


def _horizon_months(company: ListedCompanySpec, start: dt.date) -> int:
    """Months to the end of the last contract's term (at least the mining life) [months]."""
    ends = [MINING_LIFE_MONTHS]
    for c in (p for whole in company.active_contracts() for p in phase_contracts(whole)):
        if c.term_years is None:
            continue
        last = _month_of(c.energisation_end or c.energisation_start or c.signed, start, last=True)
        ends.append((last or 0) + c.construction_delay_months + round(c.term_years * 12) + 1)
    return max(ends)


OWNED_SUMMARY_USD = (
    "noi_year1_usd",
    "remaining_capex_usd",
    "tenant_funded_capex_usd",
    "exit_value_usd",
    "residual_value_usd",
    "revenue_usd_per_year_full",
)
"""Money fields of a contract's summary that scale with the company's share of it."""


def owned_share(flows: ContractFlows, share: float) -> ContractFlows:
    """A contract's flows, exit values, capex and money summary times the company's share.

    Proportionate consolidation of a joint venture: the company counts ``share`` of
    every cash flow and of the building's exit value; ratios (yield on cost) are unchanged.
    """
    segments = [
        dataclasses.replace(
            s,
            cash_flow_usd=np.asarray(s.cash_flow_usd * share),
            exit_value_usd=s.exit_value_usd * share,
            terminal_run_rate_usd_per_month=s.terminal_run_rate_usd_per_month * share,
        )
        for s in flows.segments
    ]
    summary = {k: (v * share if k in OWNED_SUMMARY_USD else v) for k, v in flows.summary.items()}
    summary["ownership_frac"] = share
    return ContractFlows(segments, np.asarray(flows.ebitda_usd * share),
                         np.asarray(flows.capex_usd * share), flows.tax_life_months,
                         summary)  # fmt: skip


def _add_contract(
    c: AiContractSpec, start: dt.date, date: dt.date, n: int, notes: list[str], o: Overrides,
    segments: list[seg.Segment], contracts: list[dict[str, Any]], ebitda: FloatArray,
    depreciation: FloatArray,
) -> None:  # fmt: skip
    """Value one contract (or phase) and add its segments, record, EBITDA and tax depreciation."""
    flows = (
        lease_flows(c, start, n, notes, o.cap_rate_frac)
        if c.kind == "colocation"
        else gpu_flows(c, start, date, n, notes)
    )
    if flows is None:
        return
    if c.ownership_frac != 1.0:
        flows = owned_share(flows, c.ownership_frac)
    segments.extend(flows.segments)
    contracts.append(flows.summary)
    ebitda += flows.ebitda_usd
    depreciation += seg.depreciation_with_bonus_usd(
        flows.capex_usd, flows.tax_life_months, o.bonus_depreciation_frac
    )


def value_listed(
    company: ListedCompanySpec,
    market_scenario: Scenario,
    as_of: dt.date | None = None,
    overrides: Overrides | None = None,
    market_state: MarketState | None = None,
) -> ListedValuation:
    """Segment cash flows of a listed company valued as a DCF and as a sum of the parts.

    The market inputs come from ``market_state`` when it is not later than the valuation
    date (:func:`choose_market`), else from the market scenario's market block.
    """
    from hashpivot import finance

    o = overrides or Overrides()
    check_overrides(o)
    date = company.as_of if as_of is None else as_of
    _check_as_of(company, date)
    notes: list[str] = []
    start = first_month(date)
    n = _horizon_months(company, start)
    market, market_source = choose_market(market_scenario, market_state, date)
    path = market_path(market, date, n, o)
    eff, eff_src, power, power_src = mining_inputs(company, o)
    hr = company.latest_hashrate()
    hashrate = 0.0 if hr is None else hr.hashrate_eh_s
    if hr is None:
        notes.append("no reported hashrate: mining valued at 0")
    mining_rate = o.mining_rate_frac_per_year or seg.MINING_DISCOUNT_RATE_FRAC
    mining = mining_value(hashrate, path, eff, power, mining_rate)
    if hr is not None:
        notes.append(
            f"mining: {mining.policy} fleet kept (run-off {mining.runoff_value_usd / 1e9:.3f} B "
            f"USD vs sustained {mining.sustained_value_usd / 1e9:.3f} B USD at "
            f"{ASIC_USD_PER_TH:g} USD/TH)"
        )
    segments = [mining.segment]
    ebitda = mining.ebitda_usd.copy()
    depreciation = seg.depreciation_with_bonus_usd(
        mining.capex_usd, GPU_TAX_LIFE_YEARS * 12, o.bonus_depreciation_frac
    )
    contracts: list[dict[str, Any]] = []
    contracted_gross_mw = 0.0
    for whole in company.active_contracts():
        if whole.it_mw is not None or whole.gross_mw is not None:
            contracted_gross_mw += whole.gross_mw or (whole.it_mw or 0.0) * AI_PUE
        for c in phase_contracts(whole):
            _add_contract(c, start, date, n, notes, o, segments, contracts, ebitda, depreciation)
    wacc = o.wacc_frac_per_year or market_scenario.company.wacc_frac_per_year
    tax, _ = tax_segment(ebitda, depreciation, wacc)
    segments.append(tax)
    mining_mw = hashrate * eff * MINING_PUE
    land_mw = land_mw_by_status(company, mining_mw, contracted_gross_mw)
    land = sum(mw * POWERED_LAND_USD_PER_MW * LAND_VALUE_FRAC_BY_STATUS[k]
               for k, mw in land_mw.items())  # fmt: skip
    valued = seg.value_segments(segments, wacc, 0.0, {"powered_land_usd": land})
    price0 = float(path.btc_price_usd[0])
    parts: dict[str, float | None] = _grouped_parts(valued.parts_usd)
    ev = valued.parts_enterprise_value_usd
    # per diluted share: convertibles if-converted, warrants treasury-stock (listed.dilution)
    equity = diluted_equity(company, ev, price0, o.share_price_usd, date)
    parts["btc_usd"] = equity.btc_value_usd
    parts["total_usd"] = None if equity.btc_value_usd is None else ev + equity.btc_value_usd
    reported = company.reported_mw()
    total_mw = 0.0 if math.isnan(reported) else reported
    inputs = _listed_inputs(date, path, (eff, eff_src), (power, power_src), mining_rate, wacc,
                            hashrate, land_mw, o, market_source)  # fmt: skip
    inputs += [
        _input("mining_fleet_policy", mining.policy,
               "the higher of run-off and sustained (module docstring)"),
        _input("asic_usd_per_th", ASIC_USD_PER_TH, "Hashrate Index 2025-11-03, S21 XP "
               "(https://hashrateindex.com/blog/hashrate-index-roundup-november-3-2025)"),
        _input("replacement_fleet_efficiency_j_per_th", min(eff, REPLACEMENT_J_PER_TH),
               "S21 XP (https://btcminermarketplace.com/how-to-calculate-roi-for-bitcoin-miner-s21-xp"
               "), or the fleet's own J/TH if better"),
        _input("mining_runoff_value_usd", mining.runoff_value_usd, "computed"),
        _input("mining_sustained_value_usd", mining.sustained_value_usd, "computed"),
    ]  # fmt: skip
    return ListedValuation(
        ticker=company.ticker,
        as_of=date,
        valued=valued,
        parts_usd=parts,
        equity=equity,
        ev_per_mw_usd=float(finance.ev_per_mw_usd(ev, total_mw)),
        ev_per_eh_usd=float(finance.ev_per_eh_usd(ev, hashrate)),
        contracts=contracts,
        notes=notes,
        inputs=inputs,
        network_model=path.network_model,
    )


def _grouped_parts(parts: Mapping[str, float]) -> dict[str, float | None]:
    """Parts summed by kind: mining, colocation (every lease), GPU cloud, tax, land [USD]."""
    out: dict[str, float | None] = {
        "mining_usd": parts.get("mining_usd", 0.0),
        "colocation_usd": sum(v for k, v in parts.items() if k.startswith("lease_")),
        "gpu_cloud_usd": sum(v for k, v in parts.items() if k.startswith("gpu_")),
        "tax_usd": parts.get("tax_usd", 0.0),
        "powered_land_usd": parts.get("powered_land_usd", 0.0),
    }
    return out


def _listed_inputs(
    date: dt.date, path: MarketPath, eff: tuple[float, str], power: tuple[float, str],
    mining_rate: float, wacc: float,
    hashrate: float, land_mw: Mapping[str, float], o: Overrides, market_source: str,
) -> list[dict[str, Any]]:  # fmt: skip
    given = "given (--option)"
    scen = f"base path from {market_source}"
    return [
        _input("as_of", str(date), "given" if date else "the company file's as_of"),
        _input("btc_price_usd", float(path.btc_price_usd[0]),
               given if o.btc_price_usd is not None else scen),
        _input("hashprice_usd_per_ph_day", float(path.hashprice_usd_per_ph_day[0]),
               given if o.hashprice_usd_per_ph_day is not None else scen),
        _input("network_model", path.network_model, "the market scenario's network_model"),
        _input("hashrate_eh_s", hashrate, "the company file (latest reported)"),
        _input("fleet_efficiency_j_per_th", eff[0], eff[1]),
        _input("power_usd_per_mwh", power[0], power[1]),
        _input("mining_pue", MINING_PUE, "d-central.tech PUE glossary"),
        _input("pool_fee_frac", POOL_FEE_FRAC, "assumption"),
        _input("uptime_frac", UPTIME_FRAC, "assumption"),
        _input("mining_other_opex_usd_per_mw_month", MINING_OTHER_OPEX_USD_PER_MW_MONTH,
               "assumption"),
        _input("mining_ga_frac_of_revenue", MINING_GA_FRAC_OF_REVENUE, "assumption"),
        _input("mining_discount_rate_frac_per_year", mining_rate,
               given if o.mining_rate_frac_per_year is not None else "assumption: equity-like, "
               "15-25 %; crypto DCFs often use more than 20 %: " + CRYPTO_DCF_RATE_URL),
        _input("wacc_frac_per_year", wacc, given if o.wacc_frac_per_year is not None
               else "the market scenario's company.wacc_frac_per_year (assumption)"),
        _input("exit_cap_rate_frac", o.cap_rate_frac or "by tenant credit",
               given if o.cap_rate_frac is not None else "5.5-8 % by tenant credit: "
               + DC_CAP_RATES_URL),
        _input("tax_rate_frac", TAX_RATE_FRAC, "26 U.S.C. § 11(b)"),
        _input("bonus_depreciation_frac", o.bonus_depreciation_frac,
               "given" if o.bonus_depreciation_frac else "straight-line (default)"),
        _input("powered_land_usd_per_mw", POWERED_LAND_USD_PER_MW, "Bernstein, bitgetapp.com"),
        *[_input(f"land_mw_{k}", v, "the company file's sites") for k, v in land_mw.items()],
    ]  # fmt: skip
