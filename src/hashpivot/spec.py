"""Typed, validated scenario specs (pydantic v2) and their YAML input/output.

Every numeric field carries its unit in its name and a valid range. Unknown keys are
refused. :func:`load_scenario` turns every problem into one
:class:`~hashpivot.errors.SpecError` whose lines name the YAML path of the field, its
line in the file, the bad value and the rule.

Defaults that no source gives are labelled *assumption* in their description.
"""

from __future__ import annotations

import datetime as dt
import math
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from hashpivot.bitcoin import (
    difficulty_for_hashrate,
    expected_blocks_per_day,
    hashprice_usd_per_ph_day,
    subsidy_btc,
)
from hashpivot.conversion import CAPEX_USD_PER_IT_MW
from hashpivot.errors import SpecError, UnknownNameError
from hashpivot.hardware import get_asic, get_gpu
from hashpivot.markets.spec import MarketModelSpec
from hashpivot.network.spec import NetworkModelSpec
from hashpivot.planner.spec import (  # Cipher-AWS and Hut 8 leases, cited below
    CIPHER_AWS_LEASE_URL,
    HUT8_FLUIDSTACK_LEASE_URL,
    PlannerSpec,
)
from hashpivot.specbase import (
    Spec as Spec,  # re-exported: specs import it from here
)
from hashpivot.specbase import format_errors, parse_yaml_mapping, read_spec_text


class FleetSpec(Spec):
    """A fleet tier: one ASIC model × a count of machines at a site."""

    asic_model: str = Field(
        description="ASIC model name from the catalogue (`hashpivot catalog asics`)."
    )
    count: int = Field(gt=0, le=5_000_000, description="Machines installed. [units]")
    uptime_frac: float = Field(
        default=0.95,
        gt=0.0,
        le=1.0,
        description="Share of hours the fleet hashes (assumption: 0.95, typical of public "
        "miners' reported fleet uptime). [-]",
    )
    capex_usd_per_th: float | None = Field(
        default=None,
        ge=0.0,
        le=1000.0,
        description="ASIC purchase price for payback; default is the catalogue price, "
        "none when the catalogue has none. [USD/TH]",
    )

    hashrate_th_s_per_unit: float | None = Field(
        default=None,
        gt=0.0,
        le=10_000.0,
        description="Hashrate of one machine when tuned away from the catalogue value. [TH/s]",
    )
    efficiency_j_per_th: float | None = Field(
        default=None,
        gt=0.0,
        le=10_000.0,
        description="Efficiency when tuned away from the catalogue value (power follows as "
        "TH/s × J/TH). [J/TH]",
    )
    useful_life_months: int = Field(
        default=36,
        ge=1,
        le=240,
        description="Straight-line depreciation life of the ASICs, counted from the "
        "projection start (assumption: 36 months). [months]",
    )
    replace_after_months: int | None = Field(
        default=None,
        ge=1,
        le=600,
        description="Months after the projection start at which the fleet is retired and "
        "replaced, once, by new ASICs at the network model's frontier efficiency on that "
        "date (network_model.frontier_*), drawing the same power; the new machines are "
        "paid for that month and depreciated over useful_life_months. None: never "
        "replaced. [months]",
    )
    replacement_capex_usd_per_w: float = Field(
        default=0.92,
        ge=0.0,
        le=100.0,
        description="Price of the replacing ASICs per watt of machine power: CleanSpark "
        "bought 60,000 S21 (17.5 J/TH) at 16.10 USD/TH on 2024-01-08, 0.92 USD/W ("
        "https://gocryptonft.com/news/bitcoin-miner-cleanspark-buys-another-193/108996); "
        "assumption: new machines keep that price per watt, "
        "so their price per TH falls with their J/TH (Hashrate Index's S21 XP at 25.70 "
        "USD/TH, Nov-2025, is 1.90 USD/W). [USD/W]",
    )

    @field_validator("asic_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        try:
            return get_asic(value).model
        except UnknownNameError as exc:
            raise ValueError(str(exc)) from None

    def unit(self) -> tuple[float, float, float]:
        """``(TH/s, W, J/TH)`` of one machine: catalogue values with any overrides."""
        asic = get_asic(self.asic_model)
        th_s = self.hashrate_th_s_per_unit or asic.hashrate_th_s
        if self.efficiency_j_per_th is None and self.hashrate_th_s_per_unit is None:
            return th_s, asic.power_w, asic.efficiency_j_per_th
        j_per_th = self.efficiency_j_per_th or asic.efficiency_j_per_th
        return th_s, th_s * j_per_th, j_per_th


class PowerContractSpec(Spec):
    """Power bought at a fixed price with an optional annual escalator."""

    kind: Literal["fixed"] = Field(default="fixed", description="Contract type: 'fixed' price.")
    price_usd_per_mwh: float = Field(
        ge=-1000.0, le=10_000.0, description="All-in power price (energy + adders). [USD/MWh]"
    )
    escalator_frac_per_year: float = Field(
        default=0.0, ge=-0.5, le=0.5, description="Annual escalation of the price. [1/yr]"
    )


class EnergisationPhaseSpec(Spec):
    """A phase of critical IT MW that starts earning rent on a date."""

    date: dt.date = Field(description="Rent commencement of the phase.")
    it_mw: float = Field(gt=0.0, le=10_000.0, description="Critical IT MW of the phase. [MW]")
    term_years: float | None = Field(
        default=None,
        gt=0.0,
        le=40.0,
        description="Term of this phase from its own rent commencement (each building of "
        "Applied Digital's CoreWeave leases runs 15 years from its own date); default: the "
        "lease's term from its first phase. [years]",
    )


# Public sources cited in the field descriptions below.
CORZ_COREWEAVE_OPTION_URL = (
    "https://www.sec.gov/Archives/edgar/data/1839341/000162828024043341/"
    "corescientifichpcoption3re.htm"
)
"""Core Scientific press release (SEC exhibit), Oct. 22, 2024: about 500 MW with CoreWeave."""
CIPHER_FLUIDSTACK_URL = (
    "https://blockworks.co/news/cipher-mining-inks-3b-ai-hosting-deal-with-fluidstack"
)
"""Cipher-Fluidstack: 168 IT MW (244 gross), 3.0B USD / 10 years, Google backstop 1.4B USD."""
CIPHER_FLUIDSTACK_MW_URL = (
    "https://blockonomi.com/cipher-mining-gains-3b-ai-contract-google-takes-equity-stake"
)
"""Cipher-Fluidstack site: 244 gross MW for 168 IT MW."""
TERAWULF_GOOGLE_STAKE_URL = (
    "https://z9news.com/google-ups-stake-in-bitcoin-miner-terawulf-to-14-wulf-jumps-13"
)
"""TeraWulf CB-5: Google backstop raised to 3.2B USD."""
TERAWULF_MW_URL = "https://zioncoins.net/?p=26100"
"""TeraWulf-Fluidstack: about 250 gross MW for 200 IT MW."""
HUT8_MW_URL = (
    "https://particle.news/story/hut-8-strikes-google-backed-7-billion-ai-data-center-deal-"
    "with-anthropic-and-fluidstack"
)
"""Hut 8-Fluidstack: about 330 utility MW for 245 IT MW."""
APLD_PUE_URL = "http://www.idcnova.com/html/1/59/153/3595.html"
"""Applied Digital Polaris Forge: design PUE 1.18."""
BITFARMS_HPC_URL = (
    "https://theminermag.com/news/2025-11-13/bitfarms-wind-down-bitcoin-mining-2027-hpc-conversion"
)
"""Bitfarms Washington GPU-as-a-service site: target PUE 1.2-1.3."""
GPU_RESERVED_TERM_STRUCTURE_URL = "https://techecho.bigdataflowing.com/zh/item/40246398"
"""1-year against 3-year reserved GPU prices imply about -28 %/yr."""
RBC_GPU_PRICES_2025_URL = "https://www.newsbeep.com/au/?p=220110"
"""RBC: H100 rental -22 %, H200 -29 % year to date in 2025."""
COREWEAVE_NOTES_URL = "https://wukong123.substack.com/p/crwv-small-group-meeting-notes-part"
"""CoreWeave meeting notes (secondary): GPU contracts 3-5 years, about 6-year life."""
GPU_ALL_IN_COST_URL = (
    "https://www.greaterwrong.com/posts/NBEmGx3djmSXawp3H/no77e-s-shortform/comment/"
    "5QKKfBJSbAykKegWo"
)
"""Forum estimate (uncertain): H100 systems about 50k USD per GPU all-in."""
GPU_STREET_PRICE_URL = "https://www.aiinframap.com/tools/chips/h100-vs-h200-vs-b200-tco"
"""Rough mid-2026 street prices: H100 about 30k, H200 35k, B200 40k USD."""
GPU_DEPRECIATION_URL = (
    "https://thecuberesearch.com/298-breaking-analysis-resetting-gpu-depreciation-why-ai-"
    "factories-bend-but-dont-break-useful-life-assumptions"
)
"""theCUBE Research: hyperscalers depreciate GPUs over 6 years, expected to compress to 5."""
CRYPTO_DCF_RATE_URL = (
    "https://crypto.greeks.live/learn/what-is-the-appropriate-discount-rate-for-a-crypto-dcf-model"
)
"""Crypto DCFs often use discount rates above 20 % (secondary)."""
DC_CAP_RATES_URL = (
    "https://maxlifedevelopment.com/academy/courses/20-data-center-and-ai-real-estate/lessons/"
    "04-cap-rates-and-lease-structures"
)
"""Data-centre cap rates: hyperscale NNN 5-6 %, powered shell 5.5-6.5 %, wholesale 6-7.5 %."""
JLL_CAP_RATES_URL = (
    "https://apers.app/learn/asset-classes/industrial/data-centers-power-pricing-pue-hyperscaler"
)
"""JLL Q1 2026 as cited: 5.5-6.5 % hyperscale, 7-8 % powered shell."""
LEAD_TIME_SOURCES = (
    "Cipher-AWS Nov. 2025 to rent from Aug. 2026, " + CIPHER_AWS_LEASE_URL + "; Core Scientific "
    "Oct. 2024 to 2H 2026, " + CORZ_COREWEAVE_OPTION_URL
)
"""Signing-to-energisation examples spanning the 9-24 months observed."""


SP_DEFAULT_STUDY_2023_URL = (
    "https://www.spglobal.com/ratings/en/research/articles/240328-default-transition-and-"
    "recovery-2023-annual-global-corporate-default-and-rating-transition-study-13047827"
)
"""S&P Global Ratings, 2023 Annual Global Corporate Default And Rating Transition Study."""

TENANT_DEFAULT_PROB_PER_YEAR_BY_CREDIT: dict[str, float] = {
    "hyperscaler": 0.0007,
    "backstopped": 0.037,
    "neocloud": 0.037,
}
"""A lease's annual tenant default probability when the scenario gives none, by tenant
credit [1/yr]. ``hyperscaler``: investment grade, S&P Global's investment-grade default
rates of 0.00-0.21 % a year over 1981-1996, mean 0.07 % (2023 Annual Global Corporate
Default And Rating Transition Study, Table 1, :data:`SP_DEFAULT_STUDY_2023_URL`; derived
mean; an upper bound for AA-AAA hyperscalers). ``neocloud``: speculative grade, the
same study's global speculative-grade default rate of 3.7 % in 2023 (4.4 % on average
over 1981-1995 in its Table 1; CoreWeave is rated B+ and most neoclouds are unrated:
assumption that they default like speculative grade). ``backstopped``: the neocloud's own
rate, as a backstop caps the loss, not the chance of default (``backstop_usd``)."""


class ColocationLeaseSpec(Spec):
    """A colocation lease of critical IT capacity to an AI/HPC tenant."""

    @model_validator(mode="before")
    @classmethod
    def _default_prob_by_credit(cls, data: Any) -> Any:
        """A missing default probability is the tenant credit class's."""
        if isinstance(data, dict) and data.get("tenant_default_prob_per_year") is None:
            credit = data.get("tenant_credit", "neocloud")
            if credit in TENANT_DEFAULT_PROB_PER_YEAR_BY_CREDIT:
                data = {**data, "tenant_default_prob_per_year":
                        TENANT_DEFAULT_PROB_PER_YEAR_BY_CREDIT[credit]}  # fmt: skip
        return data

    tenant: str = Field(default="", max_length=120, description="Tenant name.")
    tenant_credit: Literal["hyperscaler", "backstopped", "neocloud"] = Field(
        default="neocloud",
        description="Tenant credit class: hyperscaler (investment grade), backstopped (a "
        "neocloud whose rent a hyperscaler guarantees) or neocloud (unrated); sets the "
        "lease's discount and exit cap rates (hashpivot.finance.segments).",
    )
    it_mw: float = Field(gt=0.0, le=10_000.0, description="Critical IT MW leased. [MW]")
    rate_usd_per_kw_month: float = Field(
        gt=0.0,
        le=2000.0,
        description="Starting rent per kW of critical IT per month; announced miner deals "
        "imply about 100-160 (derived: value / term / IT MW / 12000; Cipher-AWS 102, "
        + CIPHER_AWS_LEASE_URL
        + "; Hut 8-Fluidstack 159, "
        + HUT8_FLUIDSTACK_LEASE_URL
        + "). [USD/kW/month]",
    )
    escalator_frac_per_year: float = Field(
        default=0.03,
        ge=-0.2,
        le=0.3,
        description="Annual rent escalator; 0.03 as in Hut 8-Fluidstack (https://dcpulse.com/"
        "news/hut-fluidstack-ai-data-center-deal-river-bend). [1/yr]",
    )
    term_years: float = Field(gt=0.0, le=40.0, description="Initial term. [years]")
    renewal_options: int = Field(default=0, ge=0, le=10, description="Renewal options. [count]")
    renewal_term_years: float = Field(
        default=5.0, gt=0.0, le=20.0, description="Length of each renewal option. [years]"
    )
    signing_date: dt.date = Field(description="Date the lease was signed.")
    energisation: tuple[EnergisationPhaseSpec, ...] = Field(
        min_length=1, description="Phases of IT MW with their rent commencement dates."
    )
    tenant_capex_share_frac: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Share of conversion capex the tenant funds. [-]"
    )
    power_pass_through: bool = Field(
        default=True, description="Tenant pays the power (NNN); otherwise the rent includes it."
    )
    take_or_pay: bool = Field(
        default=True, description="Rent is due on energised MW whether the tenant uses them."
    )
    tenant_default_prob_per_year: float = Field(
        default=0.037,
        ge=0.0,
        le=1.0,
        description="Annual probability the tenant defaults; default by tenant_credit: "
        "hyperscaler 0.0007 (S&P investment-grade rates 1981-1996), neocloud and "
        "backstopped 0.037 (S&P global speculative-grade rate, 2023). [1/yr]",
    )
    recovery_frac: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Share of rent still collected after a default, via a guarantee or "
        "re-letting (assumption: 0.5). [-]",
    )
    backstop_usd: float | None = Field(
        default=None,
        ge=0.0,
        le=1e12,
        description="Capped guarantee of the rent after a default (Google backstops 1.4B USD "
        "of Cipher's and 3.2B of TeraWulf's Fluidstack leases, "
        + CIPHER_FLUIDSTACK_URL
        + ", "
        + TERAWULF_GOOGLE_STAKE_URL
        + "): it pays the lost rent until the cap is spent; replaces recovery_frac when "
        "given. [USD]",
    )
    construction_delay_months: int = Field(
        default=0,
        ge=0,
        le=120,
        description="Delay of every energisation phase beyond its announced date. [months]",
    )
    opex_usd_per_kw_month: float = Field(
        default=25.0,
        ge=0.0,
        le=500.0,
        description="Landlord operating cost; 25 gives the 80-85 % NOI margins Cipher and "
        "TeraWulf guide to at 150 USD/kW-month (derived). [USD/kW/month]",
    )
    it_load_frac: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="Average IT load / leased IT MW, for power when the rent includes it "
        "(assumption: 0.8). [-]",
    )

    @model_validator(mode="after")
    def _phases_valid(self) -> ColocationLeaseSpec:
        early = [p.date for p in self.energisation if p.date < self.signing_date]
        if early:
            msg = f"energisation date {early[0]} is before signing_date {self.signing_date}"
            raise ValueError(msg)
        total = sum(p.it_mw for p in self.energisation)
        if total > self.it_mw * (1 + 1e-9):
            msg = f"energisation phases sum to {total:g} MW, more than it_mw {self.it_mw:g}"
            raise ValueError(msg)
        contract = self.it_mw * 1000.0 * self.rate_usd_per_kw_month * 12.0 * self.term_years
        if self.backstop_usd is not None and self.backstop_usd > contract * (1 + 1e-9):
            msg = (
                f"backstop_usd: {self.backstop_usd:g} — must not exceed the contract's rent "
                f"{contract:g} USD (it_mw × 1000 × rate × 12 × term, before escalators)"
            )
            raise ValueError(msg)
        return self


class GpuCloudSpec(Spec):
    """A GPU cloud the company owns and sells by the GPU-hour."""

    gpu_model: str = Field(description="GPU model from the catalogue (`hashpivot catalog gpus`).")
    gpu_count: int = Field(gt=0, le=10_000_000, description="GPUs installed. [units]")
    start_date: dt.date = Field(description="First month the GPUs earn.")
    server_overhead_frac: float = Field(
        default=0.4,
        ge=0.0,
        le=3.0,
        description="Server power beyond GPU TDP; a GB200 NVL72 rack draws about 120 kW for "
        "72 x 1200 W GPUs (0.39, derived from https://introl.com/blog/"
        "why-nvidia-gb300-nvl72-blackwell-ultra-matters). [-]",
    )
    pue: float = Field(
        default=1.2,
        ge=1.0,
        le=2.5,
        description="AI facility PUE: Applied Digital design 1.18, Bitfarms target 1.2-1.3 "
        "(" + APLD_PUE_URL + ", " + BITFARMS_HPC_URL + "). [-]",
    )
    price_usd_per_gpu_hour: float = Field(
        gt=0.0,
        le=200.0,
        description="On-demand rental price at the start; H100 about 2.35 on 1-year terms "
        "(Mar-2026, https://compux.net/docs/guides/gpu-pricing-trends-2026). [USD/GPU-h]",
    )
    price_trend_frac_per_year: float = Field(
        default=-0.2,
        ge=-0.9,
        le=1.0,
        description="Rental price trend; -0.15 to -0.30 (1-year against 3-year reserved "
        "prices imply about -0.28, "
        + GPU_RESERVED_TERM_STRUCTURE_URL
        + "; RBC: H100 -22 % in 2025, "
        + RBC_GPU_PRICES_2025_URL
        + ") (assumption: -0.20). [1/yr]",
    )
    utilisation_frac: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="Share of on-demand GPU-hours sold; about 0.7 is common "
        "(https://www.computetape.com/learn/how-fast-does-an-h100-depreciate/). [-]",
    )
    contract_share_frac: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Share of GPUs on reserved contracts (assumption: 0.5). [-]",
    )
    contract_usd_per_gpu_hour: float | None = Field(
        default=None,
        gt=0.0,
        le=200.0,
        description="Reserved price; default the starting on-demand price. [USD/GPU-h]",
    )
    contract_term_years: float = Field(
        default=3.0,
        gt=0.0,
        le=10.0,
        description="Reserved term, after which contracts re-price at the on-demand path; "
        "CoreWeave contracts run 3-5 years (" + COREWEAVE_NOTES_URL + ", secondary). [years]",
    )
    capex_usd_per_gpu: float | None = Field(
        default=None,
        gt=0.0,
        le=2_000_000.0,
        description="All-in capex per GPU (server, network, storage); default the catalogue "
        "price x 50/30, from H100 systems at about 50k USD per GPU all-in against 30k street "
        "(forum estimate, uncertain: "
        + GPU_ALL_IN_COST_URL
        + "; street: "
        + GPU_STREET_PRICE_URL
        + "). [USD]",
    )
    useful_life_years: float = Field(
        default=5.0,
        gt=0.0,
        le=15.0,
        description="Depreciation life; hyperscalers use 6, expected to compress to about 5 "
        "(" + GPU_DEPRECIATION_URL + "). [years]",
    )
    residual_value_frac: float = Field(
        default=0.1, ge=0.0, le=1.0, description="Value left at end of life (assumption). [-]"
    )
    opex_usd_per_gpu_month: float = Field(
        default=100.0,
        ge=0.0,
        le=10_000.0,
        description="Non-power opex per GPU: staff, support, software (assumption). [USD/month]",
    )

    @field_validator("gpu_model")
    @classmethod
    def _known_gpu(cls, value: str) -> str:
        try:
            return get_gpu(value).model
        except UnknownNameError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _capex_known(self) -> GpuCloudSpec:
        if self.capex_usd_per_gpu is None and math.isnan(get_gpu(self.gpu_model).price_usd):
            msg = f"capex_usd_per_gpu is required: the catalogue has no price for {self.gpu_model}"
            raise ValueError(msg)
        return self

    def capex_per_gpu_usd(self) -> float:
        """All-in capex per GPU: the given value or the catalogue-derived default [USD]."""
        if self.capex_usd_per_gpu is not None:
            return self.capex_usd_per_gpu
        return float(get_gpu(self.gpu_model).price_usd) * 50.0 / 30.0


class ConversionSpec(Spec):
    """Converting gross site MW from mining to an AI lease or a GPU cloud."""

    name: str = Field(min_length=1, max_length=120, description="Conversion project name.")
    gross_mw: float = Field(gt=0.0, le=10_000.0, description="Gross site MW converted. [MW]")
    decision_date: dt.date = Field(description="Date the converted MW stop mining.")
    lead_time_months: int = Field(
        default=12,
        ge=0,
        le=60,
        description="Build time during which the MW neither mine nor earn; 9-24 months "
        "observed (" + LEAD_TIME_SOURCES + "). [months]",
    )
    ai_pue: float = Field(
        default=1.3,
        ge=1.0,
        le=2.5,
        description="Gross MW / critical IT MW after conversion; TeraWulf 1.25, Hut 8 1.35, "
        "Cipher 1.45 (derived: gross MW / IT MW from "
        + TERAWULF_MW_URL
        + ", "
        + HUT8_MW_URL
        + ", "
        + CIPHER_FLUIDSTACK_MW_URL
        + "). [-]",
    )
    build: Literal["ai_ready", "powered_shell"] = Field(
        default="ai_ready", description="AI-ready liquid-cooled build, or a powered shell."
    )
    capex_usd_per_it_mw: float | None = Field(
        default=None,
        ge=0.0,
        le=50e6,
        description="Capex per critical IT MW; default 9M (ai_ready: TeraWulf 8-10M, Cipher "
        "9-11M) or 2M (powered_shell: Hut 8). [USD/MW]",
    )
    asic_resale_usd_per_th: float = Field(
        default=0.0,
        ge=0.0,
        le=500.0,
        description="Price received for displaced ASICs (assumption: 0, no resale unless "
        "given). [USD/TH]",
    )
    lease: ColocationLeaseSpec | None = Field(default=None, description="The AI lease.")
    gpu_cloud: GpuCloudSpec | None = Field(default=None, description="The GPU cloud.")

    @model_validator(mode="after")
    def _one_use_and_timing(self) -> ConversionSpec:
        if (self.lease is None) == (self.gpu_cloud is None):
            msg = "give exactly one of lease or gpu_cloud"
            raise ValueError(msg)
        ready = add_months(self.decision_date, self.lead_time_months)
        it_mw = self.gross_mw / self.ai_pue
        if self.lease is not None:
            first = min(p.date for p in self.lease.energisation)
            if first < ready:
                msg = (
                    f"lease energisation {first} is before the build ends {ready} "
                    f"(decision_date + lead_time_months)"
                )
                raise ValueError(msg)
            if self.lease.it_mw > it_mw * (1 + 1e-9):
                msg = f"lease it_mw {self.lease.it_mw:g} exceeds gross_mw / ai_pue = {it_mw:.1f} MW"
                raise ValueError(msg)
        if self.gpu_cloud is not None and self.gpu_cloud.start_date < ready:
            msg = (
                f"gpu_cloud start_date {self.gpu_cloud.start_date} is before the build ends {ready}"
            )
            raise ValueError(msg)
        return self

    def capex_per_it_mw_usd(self) -> float:
        """Capex per IT MW: the given value or the default for the build type [USD/MW]."""
        if self.capex_usd_per_it_mw is not None:
            return self.capex_usd_per_it_mw
        return CAPEX_USD_PER_IT_MW[self.build]


def add_months(date: dt.date, months: int) -> dt.date:
    """The date ``months`` calendar months after ``date`` (day clamped to the month's end)."""
    out: dt.date = (pd.Timestamp(date) + pd.DateOffset(months=months)).date()
    return out


PowerMarket = Literal["ERCOT", "PJM", "MISO", "SPP", "NYISO", "ISO-NE", "CAISO", "other"]
"""Wholesale power markets a site may stand in: the seven US ISO/RTOs
(https://www.ferc.gov/electric-power-markets), or 'other' (bilateral, non-US)."""


class SiteSpec(Spec):
    """A site: grid interconnect, power contract, cooling overhead and ASIC fleets."""

    name: str = Field(min_length=1, max_length=80, description="Site name, unique in the scenario.")
    region: str = Field(
        default="", max_length=80, description="Market or ISO zone, e.g. 'ERCOT West'."
    )
    power_market: PowerMarket | None = Field(
        default=None,
        description="Wholesale power market (ISO/RTO) of the site; it decides which grid "
        "tariffs apply in hourly dispatch (ERCOT 4CP only at ERCOT sites). None: not stated.",
    )
    node: str = Field(
        default="",
        max_length=80,
        description="Settlement point whose hourly price the site pays, a column of the "
        "hourly price file in dispatch (e.g. ERCOT 'LZ_WEST'); empty: not stated.",
    )
    load_zone: str = Field(
        default="",
        max_length=80,
        description="ERCOT load zone whose transmission (4CP) charge the site pays, e.g. "
        "'LZ_WEST'; ERCOT sites only.",
    )
    power_capacity_mw: float = Field(
        gt=0.0, le=10_000.0, description="Gross interconnect capacity at the meter. [MW]"
    )
    mining_pue: float = Field(
        default=1.05,
        ge=1.0,
        le=2.0,
        description="Mining power usage effectiveness: site draw / ASIC draw; well-designed "
        "ASIC sites are close to 1.05 (https://d-central.tech/mining-glossary/"
        "power-usage-effectiveness-pue/). [-]",
    )
    pool_fee_frac: float = Field(
        default=0.02,
        ge=0.0,
        le=0.1,
        description="Mining-pool fee as a fraction of revenue (assumption: 0.02, a common "
        "FPPS fee). [-]",
    )
    other_opex_usd_per_mw_month: float = Field(
        default=0.0,
        ge=0.0,
        le=1_000_000.0,
        description="Non-power operating cost per MW of fleet draw in months the fleet runs "
        "(staff, repairs, hosting); switched-off fleets cost nothing. [USD/MW/month]",
    )
    shutdown_when_unprofitable: bool = Field(
        default=True,
        description="Switch a fleet off in months when its revenue would not pay its power "
        "and variable opex (breakeven power price below contract price + opex per MWh).",
    )
    power: PowerContractSpec = Field(description="Power contract.")
    fleets: tuple[FleetSpec, ...] = Field(default=(), description="ASIC fleet tiers.")
    conversions: tuple[ConversionSpec, ...] = Field(
        default=(), description="Conversions of site MW to AI leases or GPU clouds."
    )

    @model_validator(mode="after")
    def _load_zone_in_ercot(self) -> SiteSpec:
        if self.load_zone and self.power_market != "ERCOT":
            msg = (
                f"load_zone {self.load_zone!r}: set, but power_market is "
                f"{self.power_market!r}; ERCOT load zones (4CP) apply to ERCOT sites only"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _fleets_fit_interconnect(self) -> SiteSpec:
        draw_mw = sum(f.unit()[1] * f.count for f in self.fleets) / 1e6
        draw_mw *= self.mining_pue
        if draw_mw > self.power_capacity_mw * (1 + 1e-9):
            msg = (
                f"fleets draw {draw_mw:.1f} MW with cooling (ASIC W × count × mining_pue), "
                f"more than power_capacity_mw {self.power_capacity_mw:g}"
            )
            raise ValueError(msg)
        converted = sum(c.gross_mw for c in self.conversions)
        if converted > self.power_capacity_mw * (1 + 1e-9):
            msg = (
                f"conversions take {converted:g} gross MW, more than power_capacity_mw "
                f"{self.power_capacity_mw:g}"
            )
            raise ValueError(msg)
        return self


class MarketSpec(Spec):
    """Deterministic market assumptions: starting values and constant monthly growth."""

    btc_price_usd: float = Field(gt=0.0, le=1e8, description="BTC price at the start. [USD/BTC]")
    btc_price_growth_frac_per_month: float = Field(
        default=0.0, ge=-0.5, le=0.5, description="BTC price growth per month. [1/month]"
    )
    network_hashrate_eh_s: float = Field(
        gt=0.0, le=1e6, description="Network hashrate at the start. [EH/s]"
    )
    network_hashrate_growth_frac_per_month: float = Field(
        default=0.0, ge=-0.5, le=0.5, description="Network hashrate growth per month. [1/month]"
    )
    difficulty: float | None = Field(
        default=None,
        gt=0.0,
        le=1e20,
        description="Difficulty at the start; default is the difficulty that the starting "
        "hashrate meets at 600 s per block. [-]",
    )
    block_height: int = Field(
        ge=0, le=10_000_000, description="Block height at the start. [blocks]"
    )
    fees_btc_per_block: float = Field(
        default=0.05, ge=0.0, le=100.0, description="Transaction fees per block. [BTC/block]"
    )

    @model_validator(mode="after")
    def _network_state_is_consistent(self) -> MarketSpec:
        check_network_state(
            self.network_hashrate_eh_s, self.difficulty, self.block_height,
            self.btc_price_usd, self.fees_btc_per_block,
        )  # fmt: skip
        return self


BLOCKS_PER_DAY_RANGE = (36.0, 576.0)
"""Blocks a day that a starting hashrate and difficulty may imply: 144 / 4 to 144 × 4, the
clamp of one retarget (Bitcoin Core ``pow.cpp``, ``CalculateNextWorkRequired``) [blocks/day]."""
HASHPRICE_USD_PER_PH_DAY_MAX = 1e8
"""Highest starting hashprice accepted: history's peak was about 7e6 USD/PH/day in 2011
(difficulty ~1.5e6, 50 BTC, ~10 USD; hashprice identity,
https://elektronics.dev/docs/hashprice ) [USD/PH/day]."""


def check_network_state(
    hashrate_eh_s: float,
    difficulty: float | None,
    block_height: int,
    btc_price_usd: float,
    fees_btc_per_block: float,
) -> None:
    """Refuse a starting network state whose derived quantities no chain could have.

    Blocks a day (86400·H/(D·2^32)) must lie within one retarget's clamp of 144, and the
    hashprice they give must be finite and below :data:`HASHPRICE_USD_PER_PH_DAY_MAX`; a
    difficulty typed in the wrong unit (``109.78`` for 109.78 T) fails here, before any
    array is sized from it.
    """
    hashrate_h_s = hashrate_eh_s * 1e18
    met = float(difficulty_for_hashrate(hashrate_h_s))
    d = met if difficulty is None else difficulty
    with np.errstate(over="ignore", divide="ignore"):  # overflow to inf is refused below
        per_day = float(expected_blocks_per_day(hashrate_h_s, d))
    low, high = BLOCKS_PER_DAY_RANGE
    if not low <= per_day <= high:
        msg = (
            f"difficulty {d:.6g} with network_hashrate_eh_s {hashrate_eh_s:g} gives "
            f"{per_day:.3g} blocks per day (must be {low:g} to {high:g}: one retarget moves "
            f"difficulty at most 4x); {hashrate_eh_s:g} EH/s meets difficulty {met:.4g} "
            "(difficulty is a plain number: 1.1e14, not 110 for 110 T)"
        )
        raise ValueError(msg)
    with np.errstate(over="ignore", divide="ignore"):
        hashprice = float(
            hashprice_usd_per_ph_day(
                btc_price_usd, d, float(subsidy_btc(block_height)), fees_btc_per_block
            )
        )
    if not math.isfinite(hashprice) or hashprice > HASHPRICE_USD_PER_PH_DAY_MAX:
        msg = (
            f"btc_price_usd {btc_price_usd:g}, difficulty {d:.6g} and block_height "
            f"{block_height} give a hashprice of {hashprice:.3g} USD/PH/day (must be at most "
            f"{HASHPRICE_USD_PER_PH_DAY_MAX:g})"
        )
        raise ValueError(msg)


class CompanySpec(Spec):
    """Corporate layer: overhead, debt, taxes, BTC treasury, shares, valuation inputs."""

    name: str = Field(default="company", min_length=1, max_length=120, description="Company name.")
    ga_usd_per_month: float = Field(
        default=0.0, ge=0.0, le=1e9, description="Corporate overhead (G&A). [USD/month]"
    )
    debt_usd: float = Field(default=0.0, ge=0.0, le=1e12, description="Debt at the start. [USD]")
    debt_rate_frac_per_year: float = Field(
        default=0.08, ge=0.0, le=1.0, description="Interest rate on the debt. [1/yr]"
    )
    debt_amortisation: Literal["annuity", "straight", "bullet"] = Field(
        default="straight", description="How the debt is repaid over its term."
    )
    debt_term_years: float = Field(
        default=5.0, gt=0.0, le=40.0, description="Years until the debt is repaid. [years]"
    )
    tax_rate_frac: float = Field(
        default=0.21,
        ge=0.0,
        le=0.6,
        description="Tax on positive monthly pre-tax profit, no loss carry-forward (simple); "
        "0.21 is the US federal rate, 26 U.S.C. section 11(b). [-]",
    )
    btc_retain_frac: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Share of mined BTC kept in treasury. [-]"
    )
    btc_held: float = Field(default=0.0, ge=0.0, le=1e7, description="BTC held at the start. [BTC]")
    cash_usd: float = Field(default=0.0, ge=0.0, le=1e12, description="Cash at the start. [USD]")
    shares_outstanding: float | None = Field(
        default=None,
        gt=0.0,
        le=1e12,
        description="Shares outstanding; required for value per share, never assumed. [shares]",
    )
    wacc_frac_per_year: float = Field(
        default=0.12,
        gt=0.0,
        le=1.0,
        description="Discount rate for the DCF (assumption: 0.12; crypto DCFs often use "
        "more than 0.2, " + CRYPTO_DCF_RATE_URL + "). [1/yr]",
    )
    terminal_growth_frac_per_year: float = Field(
        default=0.0,
        ge=-0.5,
        le=0.2,
        description="Growth of free cash flow after the horizon (assumption: 0). [1/yr]",
    )
    mining_discount_rate_frac_per_year: float = Field(
        default=0.20,
        gt=0.0,
        lt=1.0,
        description="Discount rate of the mining segment in the sum of the parts: "
        "assumption: equity-like, the middle of 15-25 % (crypto DCFs often use more than 20 %, "
        + CRYPTO_DCF_RATE_URL
        + "). [1/yr]",
    )
    cap_rate_frac: float = Field(
        default=0.065,
        gt=0.0,
        le=0.5,
        description="Cap rate for contracted AI NOI; 0.055-0.08 by tenant credit "
        "(" + DC_CAP_RATES_URL + "; JLL Q1 2026: " + JLL_CAP_RATES_URL + "). [-]",
    )
    powered_land_usd_per_mw: float = Field(
        default=3.0e6,
        ge=0.0,
        le=1e8,
        description="Value of a powered MW that can be converted to AI; Bernstein about 3M "
        "USD per authorized MW (https://www.bitgetapp.com/amp/news/detail/12560605039346). "
        "`value` counts MW neither mining nor converted at 20 % of it (hashpivot.company."
        "listed_value.LAND_VALUE_FRAC_BY_STATUS). [USD/MW]",
    )


FIRST_DATE = dt.date(2009, 1, 1)
"""Earliest date a scenario may start or describe: the genesis block, 2009-01-03."""
LAST_START_DATE = dt.date(2200, 1, 1)
"""Latest start: past it month dates leave pandas' range (2262) within a 600-month horizon
(assumption; the subsidy ends about 2140 anyway)."""


class Scenario(Spec):
    """Everything one run needs."""

    name: str = Field(min_length=1, max_length=120, description="Scenario name.")
    description: str = Field(default="", max_length=4000, description="Free text.")
    as_of: dt.date = Field(description="Date the inputs describe.")
    start_date: dt.date = Field(description="First day of the first projected month.")
    horizon_months: int = Field(default=60, ge=1, le=600, description="Months projected. [months]")
    market: MarketSpec = Field(description="Market state at the start and the base-case growth.")
    market_model: MarketModelSpec = Field(
        default_factory=MarketModelSpec,
        description="Stochastic market drivers of the Monte Carlo (BTC price, fees, GPU "
        "rental, power).",
    )
    network_model: NetworkModelSpec = Field(
        default_factory=NetworkModelSpec,
        description="Network hashrate and difficulty model of the Monte Carlo.",
    )
    planner: PlannerSpec | None = Field(
        default=None, description="Conversion planner settings (`hashpivot plan`)."
    )
    sites: tuple[SiteSpec, ...] = Field(min_length=1, description="Sites of the company.")
    company: CompanySpec = Field(
        default_factory=CompanySpec, description="Corporate layer of the company."
    )

    @field_validator("start_date")
    @classmethod
    def _first_of_month(cls, value: dt.date) -> dt.date:
        if value.day != 1:
            msg = (
                f"must be the first day of a month (projections run by calendar month), got {value}"
            )
            raise ValueError(msg)
        return value

    @field_validator("start_date", "as_of")
    @classmethod
    def _within_modelled_years(cls, value: dt.date) -> dt.date:
        if not FIRST_DATE <= value <= LAST_START_DATE:
            msg = f"must be between {FIRST_DATE} and {LAST_START_DATE}, got {value}"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _has_a_fleet_or_a_conversion(self) -> Scenario:
        # a company with nothing to run (no ASIC and no AI MW) has no cash flow to model; a
        # company with AI conversions and no ASIC fleet (a host or AI landlord, e.g. Applied
        # Digital) is modelled, its pure-mining variant then mining nothing
        if not any(site.fleets or site.conversions for site in self.sites):
            msg = (
                "sites: every site's fleets and conversions are empty; a scenario needs at "
                "least one ASIC fleet or one conversion"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _wacc_above_terminal_growth(self) -> Scenario:
        wacc, growth = self.company.wacc_frac_per_year, self.company.terminal_growth_frac_per_year
        if wacc <= growth:
            msg = (
                f"company.wacc_frac_per_year {wacc:g} must exceed "
                f"company.terminal_growth_frac_per_year {growth:g} (the Gordon terminal value "
                "FCF·(1+g)/(r−g) needs r > g)"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _unique_site_names(self) -> Scenario:
        names = [s.name for s in self.sites]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            msg = f"site names must be unique; repeated: {', '.join(dupes)}"
            raise ValueError(msg)
        return self


# --------------------------------------------------------------------------- YAML I/O


def parse_scenario(text: str, source: str = "<string>") -> Scenario:
    """Parse and validate a scenario from YAML text (safe YAML only, never code)."""
    if not text.strip():
        raise SpecError(["the file is empty; start from `hashpivot init PATH`"], source)
    data, root = parse_yaml_mapping(text, source)
    if not isinstance(data, dict):
        got = type(data).__name__
        raise SpecError([f"(top level) — must be a mapping of fields, got {got}"], source)
    return scenario_from_dict(data, source, root)


def scenario_from_dict(
    data: dict[str, Any], source: str = "<dict>", root: yaml.Node | None = None
) -> Scenario:
    """Validate a scenario given as a mapping; problems become one :class:`SpecError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_errors(exc, root, Scenario), source) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario YAML file."""
    return parse_scenario(*read_spec_text(path))


def default_scenario_text() -> str:
    """The packaged default scenario as commented YAML."""
    ref = resources.files("hashpivot.data").joinpath("default_scenario.yaml")
    return ref.read_text(encoding="utf-8")


def default_scenario() -> Scenario:
    """The packaged default scenario, validated."""
    return parse_scenario(default_scenario_text(), "default scenario")


def scenario_to_yaml(scenario: Scenario) -> str:
    """Dump a scenario as plain YAML (no comments) that loads back to an equal spec."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False)
