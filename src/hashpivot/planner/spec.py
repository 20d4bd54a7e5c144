"""The planner's inputs: :class:`PlannerSpec`, loaded from YAML or given in code.

This module imports nothing heavy (only :mod:`hashpivot.specbase`), so the scenario spec
can hold a ``planner: PlannerSpec`` section without an import cycle.

Every field carries its unit in its name and a valid range; ``None`` means "no such
limit" for the resource caps, and "take it from the scenario's first lease conversion,
else the package default" for the conversion terms. Defaults that no source gives are
labelled *assumption*.

References
----------
.. [1] Rockafellar, R. T. and Uryasev, S. (2000), "Optimization of conditional
   value-at-risk", Journal of Risk 2(3):21-41: the level α and the weight λ of the
   mean-CVaR objective.
.. [2] Lease and conversion terms: USD 100-160 per kW-month, 10-15 year terms, 9-24 month
   lead times, derived from announced leases, e.g. Core Scientific-CoreWeave, about 500 MW,
   8.7B USD over 12 years (about 121 USD/kW-month, derived), signed Oct. 2024 for 2H 2026,
   https://www.sec.gov/Archives/edgar/data/1839341/000162828024043341/corescientifichpcoption3re.htm
   ; Hut 8-Fluidstack, 245 MW, 7.0B USD over 15 years (about 159, derived),
   https://dcpulse.com/news/hut-fluidstack-ai-data-center-deal-river-bend

"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from hashpivot.errors import SpecError
from hashpivot.specbase import Spec, format_errors

CIPHER_AWS_LEASE_URL = (
    "https://www.mexc.fm/ms-MY/news/cipher-mining-cifr-stock-company-signs-5-5-billion-"
    "amazon-web-services-lease-agreement/152384"
)
"""Cipher-AWS lease: 300 MW, 5.5B USD over 15 years (about 102 USD/kW-month, derived)."""
HUT8_FLUIDSTACK_LEASE_URL = "https://dcpulse.com/news/hut-fluidstack-ai-data-center-deal-river-bend"
"""Hut 8-Fluidstack lease: 245 IT MW, 7.0B USD over 15 years (about 159, derived)."""


class PlannerSpec(Spec):
    """Settings of the conversion planner: horizon, risk appetite, resource limits, terms."""

    period_months: int = Field(
        default=3, ge=1, le=12, description="Months per planning period (3 = quarters). [months]"
    )
    horizon_periods: int = Field(
        default=40,
        ge=1,
        le=200,
        description="Planning periods; 40 quarters cover a 10-year lease term and the 2028 and "
        "2032 halvings (assumption). [periods]",
    )
    scenarios: int = Field(
        default=500,
        ge=1,
        le=20_000,
        description="Sampled futures the optimisation sees (sample-average approximation; "
        "assumption, within 200-1000). [count]",
    )
    evaluation_paths: int = Field(
        default=2000,
        ge=0,
        le=1_000_000,
        description="Fresh paths, never seen by the optimisation, on which every policy is "
        "evaluated; 0 skips the evaluation. [count]",
    )
    seed: int = Field(default=0, ge=0, le=2**63 - 1, description="Seed of the sampled paths.")
    risk_aversion: float = Field(
        default=0.0,
        ge=0.0,
        le=1000.0,
        description="λ: weight of CVaR of loss against expected NPV in the objective "
        "max E[NPV] − λ·CVaR_α(−NPV). [-]",
    )
    cvar_alpha_frac: float = Field(
        default=0.95,
        gt=0.0,
        lt=1.0,
        description="α: CVaR level; the loss tail is the worst 1 − α share of scenarios. [-]",
    )
    frontier_risk_aversions: tuple[float, ...] = Field(
        default=(0.0, 0.1, 0.25, 0.5, 1.0, 2.0),
        max_length=50,
        description="λ values of the efficient frontier; empty skips it. [-]",
    )
    decision_rule_buckets: int = Field(
        default=16,
        ge=1,
        le=50,
        description="Hashprice bands the converted MW may depend on: a non-anticipative "
        "decision rule on the lowest trailing hashprice seen so far (if-then rules as in "
        "Zhao, Haskell and Cardin 2019, arXiv:1905.05328; "
        "equally likely bands on the training paths); 1 plans one schedule for every "
        "future. 16 is an assumption: on the default scenario (seed 0, 2000 fresh paths) "
        "the rule beat the tuned threshold baseline by 4.3, 8.2, 9.8 and 10.1M USD with "
        "3, 8, 16 and 16 bands on 100, 100, 500 and 1000 training paths, a single "
        "schedule lost 15M USD to it. [count]",
    )
    integer_block_mw: float | None = Field(
        default=None,
        gt=0.0,
        le=10_000.0,
        description="Gross MW of one conversion block: conversions come in whole blocks (a "
        "MILP); None converts any amount (an LP). [MW]",
    )
    construction_mw_per_period: float | None = Field(
        default=None,
        ge=0.0,
        le=100_000.0,
        description="Gross MW whose build can start in one period, over all sites (crews, "
        "transformers, long-lead equipment); None is no limit. [MW/period]",
    )
    capex_budget_usd: float | None = Field(
        default=None,
        ge=0.0,
        le=1e13,
        description="Cash for conversion capex over the horizon, before debt; None is no "
        "limit. [USD]",
    )
    capex_budget_usd_per_period: float | None = Field(
        default=None,
        ge=0.0,
        le=1e13,
        description="Conversion capex that can be spent in one period; None is no limit. "
        "[USD/period]",
    )
    debt_capacity_usd: float = Field(
        default=0.0,
        ge=0.0,
        le=1e13,
        description="New debt that can fund conversion capex beyond capex_budget_usd, priced "
        "at the discount rate (so it moves no NPV by itself). [USD]",
    )
    debt_ltv_frac: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="New debt allowed per USD of present value of the new leases' NOI (project "
        "finance against contracted rent); None is no such limit. [-]",
    )
    ai_demand_it_mw_per_period: float | None = Field(
        default=None,
        ge=0.0,
        le=100_000.0,
        description="Critical IT MW that tenants will sign in one period at the lease rate, "
        "over all sites; None is no limit. [MW/period]",
    )
    min_ai_share_frac: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Least share of the company's gross site MW converted to AI (existing "
        "conversions included) by the end of the horizon. [-]",
    )
    max_ai_share_frac: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="Largest share of the company's gross site MW converted to AI (existing "
        "conversions included) by the end of the horizon. [-]",
    )
    lease_rate_usd_per_kw_month: float | None = Field(
        default=None,
        gt=0.0,
        le=2000.0,
        description="Starting rent of new leases; None takes the scenario's first lease, else "
        "130 (middle of the 100-160 that miner deals imply, derived: value / term / IT MW; "
        "Cipher-AWS 102, "
        + CIPHER_AWS_LEASE_URL
        + "; Hut 8-Fluidstack 159, "
        + HUT8_FLUIDSTACK_LEASE_URL
        + "). [USD/kW/month]",
    )
    lease_term_years: float | None = Field(
        default=None,
        gt=0.0,
        le=40.0,
        description="Term of new leases; None takes the scenario's first lease, else 10 "
        "(Cipher and TeraWulf initial terms). [years]",
    )
    lead_time_months: int | None = Field(
        default=None,
        ge=0,
        le=60,
        description="Build time of a conversion, during which its MW neither mine nor earn; "
        "None takes the scenario's first lease conversion, else 12 (9-24 observed). [months]",
    )
    ai_pue: float | None = Field(
        default=None,
        ge=1.0,
        le=2.5,
        description="Gross MW per critical IT MW after conversion; None takes the scenario's "
        "first lease conversion, else 1.3. [-]",
    )
    capex_usd_per_it_mw: float | None = Field(
        default=None,
        ge=0.0,
        le=50e6,
        description="Conversion capex per critical IT MW; None takes the scenario's first lease "
        "conversion, else 9M (AI-ready build). [USD/MW]",
    )
    count_lease_after_horizon: bool = Field(
        default=True,
        description="Count the rent of leases signed inside the horizon to the end of their "
        "term (contracted cash); otherwise only rent inside the horizon counts.",
    )
    threshold_candidates: int = Field(
        default=25,
        ge=2,
        le=1000,
        description="Thresholds tried when tuning the hashprice-threshold baseline on the "
        "training paths (quantiles of the trailing hashprice). [count]",
    )
    time_limit_seconds: float = Field(
        default=600.0, gt=0.0, le=86_400.0, description="Solver time limit per solve. [s]"
    )
    mip_rel_gap_frac: float = Field(
        default=1e-4,
        ge=0.0,
        le=0.5,
        description="Relative optimality gap at which HiGHS stops a MILP (block) solve. [-]",
    )

    @model_validator(mode="after")
    def _share_bounds_ordered(self) -> PlannerSpec:
        if self.min_ai_share_frac > self.max_ai_share_frac:
            msg = (
                f"min_ai_share_frac {self.min_ai_share_frac:g} is above max_ai_share_frac "
                f"{self.max_ai_share_frac:g}"
            )
            raise ValueError(msg)
        return self


def planner_spec_from_dict(data: dict[str, Any], source: str = "<dict>") -> PlannerSpec:
    """Validate planner settings given as a mapping; problems become one :class:`SpecError`."""
    try:
        return PlannerSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_errors(exc, None, PlannerSpec), source) from None


def load_planner_spec(path: str | Path) -> PlannerSpec:
    """Load planner settings from a YAML file: either the mapping itself or under ``planner:``."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError([f"file not found: {p}"], str(p)) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SpecError([f"cannot read {p}: {exc}"], str(p)) from None
    if isinstance(data, dict) and isinstance(data.get("planner"), dict):
        data = data["planner"]
    if not isinstance(data, dict):
        raise SpecError(["(top level) — must be a mapping of planner fields"], str(p))
    return planner_spec_from_dict(data, str(p))
