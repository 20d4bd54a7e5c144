"""Typed, validated specs of an hourly dispatch: tiers, contract, 4CP, demand response, limits.

Every numeric field has its unit in its name and a valid range; defaults that no
source gives are labelled *assumption*. All power is measured at the meter (cooling
included), as the grid bills it.

References
----------
.. [1] Breakeven power price p* = hashprice·1000/(24·J/TH) (derived),
   https://coincompare.eu/bitcoin-mining-and-ercot-the-data-tells-the-story/
.. [2] ERCOT 4CP: the transmission charge of a year is set by the load in the four
   June–September monthly system peak intervals, about 50–150 USD/kW-year now.
   https://nfmconsulting.com/knowledge/ercot-4cp-reduce-costs ;
   https://energytariffexperts.com/blog/2013/7/17/ercot-4cp-june-2013-review
.. [3] ERCOT Emergency Response Service paid about 60–70 kUSD/MW-year historically.
   https://loadvizpro.com/kb/dsm/kb-ercot
.. [4] Mining PUE close to 1.05 for well-designed ASIC sites.
   https://d-central.tech/mining-glossary/power-usage-effectiveness-pue/
.. [5] PUCT Substantive Rule 25.192 (transmission service rates): ERCOT transmission
   charges are allocated by each load's share of the average of the four monthly 15-minute
   ERCOT system coincident peaks of June, July, August and September (4CP). An ERCOT
   tariff only: sites in other markets are charged otherwise.
   https://www.puc.texas.gov/agency/rulesnlaws/subrules/electric/25.192/25.192.pdf

"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, model_validator

from hashpivot.errors import SpecError
from hashpivot.spec import PowerMarket, Scenario, SiteSpec, Spec

HOURS_PER_YEAR = 8760.0
"""Hours in a 365-day year [h]."""

MIN_EFFICIENCY_J_PER_TH = 1e-6
"""Lowest tier efficiency accepted [J/TH], as the CLI's ``--efficiency-j-per-th``: the
revenue of a MWh, hashprice/(0.024·J/TH), stays finite for any hashprice."""

ERS_USD_PER_MW_YEAR = 65_000.0
"""Mid-point of the 60–70 kUSD/MW-year historically paid for ERCOT ERS [USD/MW/yr]. Ref [3]."""


class DispatchTierSpec(Spec):
    """One fleet tier in the merit order: an efficiency and the power it draws at the meter."""

    name: str = Field(default="", max_length=80, description="Tier label, e.g. the ASIC model.")
    efficiency_j_per_th: float = Field(
        ge=MIN_EFFICIENCY_J_PER_TH,
        le=10_000.0,
        description="Energy per terahash of the ASICs. [J/TH]",
    )
    power_mw: float = Field(
        gt=0.0,
        le=10_000.0,
        description="Draw of the tier at the meter when it runs, cooling included. [MW]",
    )


class DispatchContractSpec(Spec):
    """How the site buys power: hourly index, fixed-price PPA, or a hybrid of the two.

    ``index``: every MWh consumed costs the hourly price plus the adder. ``ppa``: the
    whole mining load is a fixed-price block paid every hour (take-or-pay); unused block
    energy may be resold at the hourly price (power credits). ``hybrid``: the share
    ``ppa_share_frac`` of the mining MW is such a block, the rest is index. The block
    serves the most efficient tiers first.
    """

    kind: Literal["index", "ppa", "hybrid"] = Field(
        default="index", description="Contract type: 'index', 'ppa' or 'hybrid'."
    )
    adder_usd_per_mwh: float = Field(
        default=0.0,
        ge=-1000.0,
        le=1000.0,
        description="Charges on every MWh consumed on top of the energy price (transmission, "
        "retail, ancillary fees); assumption: 0 unless given. 4CP is modelled apart. [USD/MWh]",
    )
    ppa_price_usd_per_mwh: float | None = Field(
        default=None,
        ge=-1000.0,
        le=10_000.0,
        description="Fixed price of the PPA block; required for 'ppa' and 'hybrid'. [USD/MWh]",
    )
    ppa_share_frac: float | None = Field(
        default=None,
        gt=0.0,
        lt=1.0,
        description="Share of the mining MW under the PPA block; required for 'hybrid'. [-]",
    )
    resale: bool = Field(
        default=True,
        description="Resell unused PPA block energy at the hourly price when that price is "
        "positive (power credits); at zero or negative prices it is left unscheduled.",
    )
    resale_fee_usd_per_mwh: float = Field(
        default=0.0,
        ge=0.0,
        le=1000.0,
        description="Deducted from the hourly price on resold energy (assumption: 0). [USD/MWh]",
    )

    @model_validator(mode="after")
    def _fields_match_kind(self) -> DispatchContractSpec:
        if self.kind != "index" and self.ppa_price_usd_per_mwh is None:
            msg = f"ppa_price_usd_per_mwh: required when kind is {self.kind!r}"
            raise ValueError(msg)
        if self.kind == "index" and self.ppa_price_usd_per_mwh is not None:
            msg = "ppa_price_usd_per_mwh: set, but kind is 'index'; use kind 'ppa' or 'hybrid'"
            raise ValueError(msg)
        if (self.kind == "hybrid") != (self.ppa_share_frac is not None):
            msg = "ppa_share_frac: required for kind 'hybrid' and only for it"
            raise ValueError(msg)
        return self

    def fixed_share_frac(self) -> float:
        """Share of the mining MW under the fixed-price block: 0, 1 or ``ppa_share_frac``."""
        if self.kind == "index":
            return 0.0
        return 1.0 if self.ppa_share_frac is None else self.ppa_share_frac


class FourCPSpec(Spec):
    """ERCOT 4CP avoidance: curtail in the June–September monthly system peaks. Ref [2].

    The tag is the mean load in the four monthly peak intervals and is billed at
    ``rate_usd_per_kw_year`` the next year, so each peak interval is worth
    ``rate·1000/4`` USD per MW avoided.
    """

    strategy: Literal["none", "perfect_foresight", "heuristic"] = Field(
        default="none",
        description="'perfect_foresight' curtails in every true peak hour (the upper bound "
        "of 4CP savings); "
        "'heuristic' curtails when system load reaches threshold_frac of the running "
        "summer peak; 'none' only books what economic curtailment avoids.",
    )
    rate_usd_per_kw_year: float = Field(
        default=50.0,
        ge=0.0,
        le=1000.0,
        description="Transmission charge per kW of 4CP tag; 50 is the low end of the "
        "50–150 USD/kW-year quoted by NFM Consulting (Ref [2]). [USD/kW/yr]",
    )
    threshold_frac: float = Field(
        default=0.95,
        gt=0.0,
        le=1.0,
        description="Heuristic: curtail when system load ≥ this share of the running "
        "summer peak (assumption: 0.95). [-]",
    )
    first_hour_ending: int = Field(
        default=14,
        ge=1,
        le=24,
        description="Heuristic window start; assumption: HE14, the 2023–2025 monthly peaks "
        "all fell on HE17–HE18 (shared data 3e). [h]",
    )
    last_hour_ending: int = Field(
        default=20, ge=1, le=24, description="Heuristic window end (assumption: HE20). [h]"
    )

    @model_validator(mode="after")
    def _window_ordered(self) -> FourCPSpec:
        if self.first_hour_ending > self.last_hour_ending:
            msg = (
                f"first_hour_ending {self.first_hour_ending} must not be after "
                f"last_hour_ending {self.last_hour_ending}"
            )
            raise ValueError(msg)
        return self


class DemandResponseSpec(Spec):
    """Demand-response or ancillary capacity: paid per MW-hour available, curtail when called.

    ``committed_mw`` of the most efficient mining MW are offered. They earn the
    capacity payment in every hour they are available (running, or curtailed for a
    call, as a Load Resource must be consuming to be paid); in an event hour they must
    curtail, else ``penalty_usd_per_mwh`` applies to the MWh not curtailed.
    """

    committed_mw: float = Field(
        default=0.0, ge=0.0, le=10_000.0, description="Mining MW committed. [MW]"
    )
    capacity_usd_per_mw_hour: float = Field(
        default=round(ERS_USD_PER_MW_YEAR / HOURS_PER_YEAR, 2),
        ge=0.0,
        le=10_000.0,
        description="Capacity payment per MW-hour available; default 7.42 = 65 kUSD/MW-year, "
        "the middle of ERCOT ERS's historical 60–70 kUSD (Ref [3]). [USD/MW/h]",
    )
    event_price_usd_per_mwh: float = Field(
        default=1000.0,
        ge=-1000.0,
        le=100_000.0,
        description="An event is called in hours when the node price reaches this "
        "(assumption: 1000, scarcity pricing). [USD/MWh]",
    )
    penalty_usd_per_mwh: float = Field(
        default=5000.0,
        ge=0.0,
        le=100_000.0,
        description="Charged per MWh not curtailed in an event (assumption: 5000, the "
        "ERCOT system-wide offer cap). [USD/MWh]",
    )


class OperatingLimitsSpec(Spec):
    """Minimum load and ramp limits; either one makes the dispatch an LP per site."""

    min_load_mw: float = Field(
        default=0.0,
        ge=0.0,
        le=10_000.0,
        description="Mining load kept running in every hour not curtailed by a grid "
        "obligation (4CP heuristic, demand-response event). [MW]",
    )
    ramp_mw_per_hour: float | None = Field(
        default=None,
        gt=0.0,
        le=10_000.0,
        description="Largest change of the mining load from one hour to the next; none "
        "means unlimited. [MW/h]",
    )

    def needs_lp(self) -> bool:
        """Whether these limits couple hours, so the closed-form rule no longer applies."""
        return self.min_load_mw > 0.0 or self.ramp_mw_per_hour is not None


class DispatchSiteSpec(Spec):
    """A site for hourly dispatch: tiers, firm AI load, contract and flexibility products."""

    name: str = Field(min_length=1, max_length=80, description="Site name.")
    node: str = Field(
        default="",
        max_length=80,
        description="Price column (settlement point) of the site; empty: the run's node.",
    )
    power_market: PowerMarket | None = Field(
        default="ERCOT",
        description="Wholesale market of the site; 4CP applies to ERCOT sites only (Ref [5]). "
        "Default 'ERCOT' (assumption: the market of the hourly data the project ships); "
        "None: not stated, so no 4CP.",
    )
    load_zone: str = Field(
        default="",
        max_length=80,
        description="ERCOT load zone whose 4CP transmission charge the site pays (reported).",
    )
    mining_pue: float = Field(
        default=1.05,
        ge=1.0,
        le=2.0,
        description="Site draw / ASIC draw (Ref [4]); converts meter MW to hashrate. [-]",
    )
    pool_fee_frac: float = Field(
        default=0.02,
        ge=0.0,
        le=0.1,
        description="Pool fee as a fraction of revenue (assumption: 0.02, FPPS). [-]",
    )
    tiers: tuple[DispatchTierSpec, ...] = Field(
        default=(), description="Fleet tiers (any order: dispatch sorts them by J/TH)."
    )
    ai_mw: float = Field(
        default=0.0, ge=0.0, le=10_000.0, description="Firm AI load at the meter. [MW]"
    )
    ai_interruptible_frac: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of the AI load that may be interrupted in 4CP intervals. [-]",
    )
    contract: DispatchContractSpec = Field(
        default_factory=DispatchContractSpec, description="Power contract."
    )
    four_cp: FourCPSpec = Field(default_factory=FourCPSpec, description="4CP avoidance.")
    demand_response: DemandResponseSpec = Field(
        default_factory=DemandResponseSpec, description="Demand response / ancillary capacity."
    )
    limits: OperatingLimitsSpec = Field(
        default_factory=OperatingLimitsSpec, description="Minimum load and ramp limits."
    )

    @property
    def mining_mw(self) -> float:
        """Mining draw at the meter with every tier running [MW]."""
        return float(sum(t.power_mw for t in self.tiers))

    @property
    def has_four_cp(self) -> bool:
        """Whether ERCOT's 4CP transmission charge applies: ERCOT sites only (Ref [5])."""
        return self.power_market == "ERCOT"

    @model_validator(mode="after")
    def _four_cp_in_ercot(self) -> DispatchSiteSpec:
        if self.four_cp.strategy != "none" and not self.has_four_cp:
            msg = (
                f"four_cp.strategy {self.four_cp.strategy!r}: 4CP is an ERCOT tariff (PUCT "
                f"Subst. R. 25.192), the site's power_market is {self.power_market!r}; "
                "use 'none'"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _fits_mining_mw(self) -> DispatchSiteSpec:
        mw = self.mining_mw
        for field, value in (
            ("demand_response.committed_mw", self.demand_response.committed_mw),
            ("limits.min_load_mw", self.limits.min_load_mw),
        ):
            if value > mw * (1 + 1e-9):
                msg = f"{field}: {value:g} exceeds the mining MW of the tiers ({mw:g})"
                raise ValueError(msg)
        return self


class DataRulesSpec(Spec):
    """What to do with gaps, NaN and duplicated hours in an hourly input file."""

    missing: Literal["refuse", "interpolate", "drop"] = Field(
        default="refuse",
        description="Missing hours and NaN values: refuse the file; interpolate linearly "
        "over runs of at most max_gap_hours (longer runs are refused); or drop them.",
    )
    max_gap_hours: int = Field(
        default=3, ge=1, le=168, description="Longest run of hours 'interpolate' fills. [h]"
    )
    duplicates: Literal["refuse", "first", "mean"] = Field(
        default="refuse",
        description="Rows with the same delivery date and hour ending (other than the "
        "DST repeated hour): refuse, keep the first, or average them.",
    )


def tiers_from_site(site: SiteSpec, where: str = "site") -> tuple[DispatchTierSpec, ...]:
    """Dispatch tiers of a scenario site: count × W × mining PUE at the meter, catalogue J/TH.

    A fleet that makes no valid tier (a J/TH below :data:`MIN_EFFICIENCY_J_PER_TH`, or a
    draw that rounds to 0 MW) is a :class:`SpecError` naming ``{where}.fleets[i]``.
    """
    tiers = []
    problems: list[str] = []
    for i, fleet in enumerate(site.fleets):
        _, power_w, j_per_th = fleet.unit()
        mw = fleet.count * power_w * site.mining_pue / 1e6
        try:
            tier = DispatchTierSpec(
                name=fleet.asic_model, efficiency_j_per_th=j_per_th, power_mw=mw
            )
        except ValidationError as exc:
            problems += _fleet_problems(exc, f"{where}.fleets[{i}]")
        else:
            tiers.append(tier)
    if problems:
        raise SpecError(problems, "scenario")
    return tuple(tiers)


def _fleet_problems(exc: ValidationError, where: str) -> list[str]:
    """One line per error of the tier made of the fleet at ``where``, in the fleet's terms."""
    lines = []
    for err in exc.errors():
        msg = str(err["msg"]).removeprefix("Value error, ")
        value = err.get("input")
        if err["loc"] == ("efficiency_j_per_th",):
            lines.append(f"{where}.efficiency_j_per_th: {value!r} — for dispatch: {msg}")
        else:  # the draw, count × W × mining PUE
            lines.append(f"{where}: draws {float(value):g} MW at the meter — for dispatch: {msg}")
    return lines


def sites_from_scenario(scenario: Scenario) -> tuple[DispatchSiteSpec, ...]:
    """One dispatch site per scenario site: fleets, PUE, pool fee, market and node; index power.

    A site whose ``power_market`` is not stated gets none (so no 4CP), not ERCOT's.
    """
    return tuple(
        DispatchSiteSpec(
            name=s.name,
            node=s.node,
            power_market=s.power_market,
            load_zone=s.load_zone,
            mining_pue=s.mining_pue,
            pool_fee_frac=s.pool_fee_frac,
            tiers=tiers_from_site(s, f"sites[{i}]"),
        )
        for i, s in enumerate(scenario.sites)
    )
