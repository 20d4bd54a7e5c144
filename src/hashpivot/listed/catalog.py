"""Catalogue of listed miners pivoting to AI/HPC: sites, hashrate, AI contracts, with sources.

Each company is one packaged YAML file (``hashpivot/data/companies/<ticker>.yaml``)
validated by :class:`ListedCompanySpec`. Every fact carries the URL it comes from
(``source_url``), the period it describes (``as_of``: a date, month, quarter, half or
year, e.g. ``2025-06-03``, ``2025-06``, ``2025-Q3``, ``2025-H2``, ``2025``) and a
``basis``: ``reported``, or ``secondary`` (news rewrite or aggregator), ``derived``
(arithmetic on sourced numbers) or ``uncertain`` (conflicting or unclear basis).

Numbers that no packaged source gives (shares outstanding, debt, cash, BTC held) are
left out (``balance_sheet: null``). A computation that needs one calls :func:`require`,
which raises :class:`~hashpivot.finance.MissingInputError` naming the company and the
field; they are never taken as zero. Add them to a copy of the file and load it by
path.

Look-up is by ticker, forgiving of case, a ``$`` or exchange prefix, or by company
name; an unknown name raises :class:`~hashpivot.errors.UnknownNameError` listing the
closest tickers.

References
----------
Facts and URLs: each company file gives, beside every fact, the public page, filing or
release it comes from (``source_url``, ``see_also_urls``).

"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import functools
import math
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field, ValidationError, field_validator, model_validator

from hashpivot.errors import SpecError, UnknownNameError
from hashpivot.finance import MissingInputError
from hashpivot.specbase import Spec, format_errors, parse_yaml_mapping

Basis = Literal["reported", "secondary", "derived", "uncertain"]

_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|H([12])|(\d{2})(?:-(\d{2}))?))?$")
_URL = r"^https?://\S+$"


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period: ``YYYY``, ``YYYY-Qn``, ``YYYY-Hn``, ``YYYY-MM[-DD]``.

    Raises ValueError naming the accepted forms when ``period`` is none of them.
    """
    m = _PERIOD.match(period)
    if m is None:
        msg = f"{period!r} is not a period: write YYYY, YYYY-Qn, YYYY-Hn, YYYY-MM or YYYY-MM-DD"
        raise ValueError(msg)
    year, quarter, half, month, day = m.groups()
    y = int(year)
    if quarter or half:
        first_month = (int(quarter) - 1) * 3 + 1 if quarter else (int(half) - 1) * 6 + 1
        last_month = first_month + (2 if quarter else 5)
    elif month:
        first_month = last_month = int(month)
    else:
        first_month, last_month = 1, 12
    if not 1 <= first_month <= 12:
        msg = f"{period!r}: month must be 01-12"
        raise ValueError(msg)
    if day:
        date = dt.date(y, first_month, int(day))  # raises on an impossible day
        return date, date
    end = dt.date(y, last_month, calendar.monthrange(y, last_month)[1])
    return dt.date(y, first_month, 1), end


def _period_text(value: Any) -> Any:
    """YAML reads ``2025-06-03`` as a date and ``2025`` as an int: keep both as text."""
    if isinstance(value, dt.date | int) and not isinstance(value, bool):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return value


class SourcedSpec(Spec):
    """Base of every fact: where it comes from, when it applies, and how firm it is."""

    source_url: str = Field(max_length=500, description="URL of the public source.")
    see_also_urls: tuple[str, ...] = Field(
        default=(), max_length=10, description="Other public URLs that give the fact."
    )
    as_of: str = Field(
        description="Period the fact describes: YYYY, YYYY-Qn, YYYY-Hn, YYYY-MM or YYYY-MM-DD."
    )
    basis: Basis = Field(
        default="reported",
        description="reported, or secondary (news rewrite or aggregator), "
        "derived (arithmetic on sourced numbers) or uncertain (conflicting or unclear basis).",
    )
    note: str = Field(default="", max_length=2000, description="Free text: caveats, wording.")

    @field_validator("as_of", mode="before")
    @classmethod
    def _period_as_text(cls, value: Any) -> Any:
        return _period_text(value)

    @field_validator("as_of")
    @classmethod
    def _valid_period(cls, value: str) -> str:
        period_bounds(value)
        return value

    @field_validator("source_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(_URL, value):
            msg = "must be a URL starting with https:// or http:// (the source of the fact)"
            raise ValueError(msg)
        return value

    @field_validator("see_also_urls")
    @classmethod
    def _urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [u for u in value if not re.match(_URL, u)]
        if bad:
            msg = f"{bad[0]!r} is not a URL starting with https:// or http://"
            raise ValueError(msg)
        return value


class CompanySiteSpec(SourcedSpec):
    """Power capacity of one site, or of the whole portfolio (``scope: portfolio``)."""

    name: str = Field(min_length=1, max_length=120, description="Site or portfolio label.")
    scope: Literal["site", "portfolio"] = Field(
        default="site", description="One site, or a company-wide total."
    )
    gross_mw: float | None = Field(
        default=None, gt=0.0, le=50_000.0, description="Gross (utility) power capacity. [MW]"
    )
    it_mw: float | None = Field(
        default=None, gt=0.0, le=50_000.0, description="Critical IT (leasable) capacity. [MW]"
    )
    target_gross_mw: float | None = Field(
        default=None, gt=0.0, le=50_000.0, description="Capacity the site is planned to reach. [MW]"
    )
    status: Literal["operating", "under_construction", "approved", "secured", "pipeline"] = Field(
        description="operating (energised), under_construction, approved (by the grid "
        "operator), secured (power contracted), or pipeline (in development)."
    )
    use: Literal["mining", "ai_hpc", "mixed", "unspecified"] = Field(
        default="unspecified", description="What the capacity serves."
    )
    region: str = Field(default="", max_length=120, description="State, market or ISO zone.")

    @model_validator(mode="after")
    def _some_mw(self) -> CompanySiteSpec:
        if self.gross_mw is None and self.it_mw is None:
            msg = "give gross_mw or it_mw (or both)"
            raise ValueError(msg)
        return self


class HashrateSpec(SourcedSpec):
    """A reported hashrate."""

    hashrate_eh_s: float = Field(gt=0.0, le=5000.0, description="Hashrate. [EH/s]")
    kind: Literal["self_mining", "energised_total", "guidance", "affiliate"] = Field(
        default="self_mining",
        description="self_mining (own fleet), energised_total (own + hosted), guidance "
        "(a target), or affiliate (a majority-owned subsidiary's fleet).",
    )
    fleet_efficiency_j_per_th: float | None = Field(
        default=None,
        gt=5.0,
        le=200.0,
        description="Fleet efficiency the same source states with the hashrate. [J/TH]",
    )


class PowerCostSpec(SourcedSpec):
    """An all-in power cost of the mining fleet, as the company (or a write-up) reports it."""

    power_usd_per_mwh: float = Field(
        gt=0.0,
        le=500.0,
        description="All-in power cost of the mining fleet (1 US cent/kWh = 10 USD/MWh). [USD/MWh]",
    )
    scope: str = Field(
        default="", max_length=200, description="What it covers: the fleet, a site, a month."
    )


class ContractPhaseSpec(Spec):
    """A phase of a contract: IT MW ready for service from a date, for its own term."""

    start: str = Field(description="Ready for service (same forms as as_of).")
    it_mw: float = Field(gt=0.0, le=50_000.0, description="Critical IT MW of the phase. [MW]")
    term_years: float | None = Field(
        default=None,
        gt=0.0,
        le=40.0,
        description="Term from the phase's own start; default the contract's. [years]",
    )

    @field_validator("start", mode="before")
    @classmethod
    def _start_as_text(cls, value: Any) -> Any:
        return _period_text(value)

    @field_validator("start")
    @classmethod
    def _valid_start(cls, value: str) -> str:
        period_bounds(value)
        return value


HYPERSCALERS = frozenset({"aws", "amazon", "microsoft", "google", "meta", "oracle"})
"""Partners taken as investment-grade hyperscalers when a contract names no credit class
(lower case; assumption: the large public clouds, all investment-grade issuers)."""


class AiContractSpec(SourcedSpec):
    """An AI/HPC contract: a colocation lease or a GPU-cloud contract, as announced."""

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80, description="Identifier in the file."
    )
    partner: str = Field(min_length=1, max_length=120, description="Counterparty (tenant).")
    end_user: str = Field(default="", max_length=120, description="End user behind the tenant.")
    backstop: str = Field(default="", max_length=120, description="Who backstops the rent.")
    backstop_usd: float | None = Field(
        default=None, gt=0.0, le=1e12, description="Amount of the backstop. [USD]"
    )
    kind: Literal["colocation", "gpu_cloud"] = Field(
        default="colocation",
        description="colocation (rent per IT MW) or gpu_cloud (compute sold, hardware "
        "included; values not comparable to colocation).",
    )
    site: str = Field(default="", max_length=120, description="Site of the contract.")
    it_mw: float | None = Field(
        default=None, gt=0.0, le=50_000.0, description="Critical IT MW contracted. [MW]"
    )
    gross_mw: float | None = Field(
        default=None, gt=0.0, le=50_000.0, description="Gross (utility) MW behind it. [MW]"
    )
    total_value_usd: float | None = Field(
        default=None, gt=0.0, le=1e12, description="Announced value over the term. [USD]"
    )
    term_years: float | None = Field(
        default=None, gt=0.0, le=40.0, description="Initial term. [years]"
    )
    escalator_frac_per_year: float | None = Field(
        default=None, ge=-0.2, le=0.3, description="Annual rent escalator. [1/yr]"
    )
    total_value_with_extensions_usd: float | None = Field(
        default=None, gt=0.0, le=1e12, description="Value if every option is exercised. [USD]"
    )
    prepayment_frac: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Share of the value prepaid. [-]"
    )
    capex_usd_per_it_mw: float | None = Field(
        default=None, gt=0.0, le=1e9, description="Build cost announced per IT MW. [USD/MW]"
    )
    noi_usd_per_year: float | None = Field(
        default=None, gt=0.0, le=1e11, description="Announced net operating income. [USD/yr]"
    )
    noi_margin_frac: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Announced NOI / revenue. [-]"
    )
    signed: str = Field(description="Signing or announcement period (same forms as as_of).")
    energisation_start: str | None = Field(
        default=None, description="First capacity ready for service (same forms as as_of)."
    )
    energisation_note: str = Field(default="", max_length=500, description="Ramp as announced.")
    superseded_by: str | None = Field(
        default=None,
        description="id of a later contract figure that includes this one (not summed twice).",
    )
    tenant_credit: Literal["hyperscaler", "backstopped", "neocloud"] | None = Field(
        default=None,
        description="Tenant credit class: hyperscaler (investment grade), backstopped "
        "(a neocloud whose rent a hyperscaler guarantees) or neocloud (unrated); default "
        "derived from partner and backstop (:meth:`credit_class`).",
    )
    energisation_end: str | None = Field(
        default=None,
        description="Last capacity ready for service (same forms as as_of); IT MW ramp "
        "linearly from energisation_start to it. Default: all at energisation_start.",
    )
    construction_delay_months: int = Field(
        default=0,
        ge=0,
        le=120,
        description="Delay assumed on the announced energisation dates. [months]",
    )
    tenant_funded_capex_frac: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Share of the build capex the tenant funds. [-]"
    )
    tenant_capex_netted_against_rent: bool = Field(
        default=False,
        description="Whether the tenant recovers the capex it funded from the rent "
        "(straight-line over the term), as the deal says.",
    )
    phases: tuple[ContractPhaseSpec, ...] = Field(
        default=(),
        max_length=50,
        description="Phases with their own start dates and terms; when given they replace "
        "the linear ramp from energisation_start to energisation_end.",
    )
    contract_type: Literal["contracted", "spot"] = Field(
        default="contracted",
        description="GPU cloud: contracted (take-or-pay for the term) or spot (GPU-hours at "
        "market prices); sets its discount rate.",
    )
    ownership_frac: float = Field(
        default=1.0,
        gt=0.0,
        le=1.0,
        description="Share of the contract's cash flows (rent, capex, exit value) that "
        "belongs to the company, e.g. 0.51 of a joint venture (proportionate "
        "consolidation). [-]",
    )

    @field_validator("signed", "energisation_start", "energisation_end", mode="before")
    @classmethod
    def _dates_as_text(cls, value: Any) -> Any:
        return _period_text(value)

    @field_validator("signed", "energisation_start", "energisation_end")
    @classmethod
    def _valid_periods(cls, value: str | None) -> str | None:
        if value is not None:
            period_bounds(value)
        return value

    @model_validator(mode="after")
    def _phases_within_contract(self) -> AiContractSpec:
        total = sum(p.it_mw for p in self.phases)
        if self.phases and (self.it_mw is None or total > self.it_mw * (1 + 1e-9)):
            msg = f"phases: {total:g} IT MW in all — must not exceed it_mw {self.it_mw}"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _backstop_within_contract(self) -> AiContractSpec:
        if (
            self.backstop_usd is not None
            and self.total_value_usd is not None
            and self.backstop_usd > self.total_value_usd
        ):
            msg = (
                f"backstop_usd: {self.backstop_usd:g} — must not exceed total_value_usd "
                f"{self.total_value_usd:g} (a guarantee covers at most the rent it backs)"
            )
            raise ValueError(msg)
        return self

    def credit_class(self) -> str:
        """Tenant credit class: the given one, else derived from partner and backstop.

        Hyperscaler when the partner is one of :data:`HYPERSCALERS`, backstopped when
        someone backstops the rent, else neocloud.
        """
        if self.tenant_credit is not None:
            return self.tenant_credit
        if self.partner.lower() in HYPERSCALERS:
            return "hyperscaler"
        return "backstopped" if self.backstop else "neocloud"

    def implied_usd_per_kw_month(self) -> float:
        """Straight-line rate: value / term / IT MW / 12 000, NaN when unknown [USD/kW/month].

        Ignores escalators and the ramp, as straight-line "implied" rates usually do.
        """
        if self.total_value_usd is None or self.term_years is None or self.it_mw is None:
            return math.nan
        return self.total_value_usd / self.term_years / self.it_mw / 12_000.0


class TextFactSpec(SourcedSpec):
    """A fact kept as text (revenue, financing, strategy), with its source."""

    text: str = Field(min_length=1, max_length=2000, description="The fact, as the source says.")


class _AmountSpec(SourcedSpec):
    """One dated, sourced balance-sheet amount."""


class SharesSpec(_AmountSpec):
    """Shares outstanding (basic), as the filing's cover page or a release gives them."""

    shares: float = Field(gt=0.0, le=1e12, description="Shares outstanding (basic). [shares]")


class UsdAmountSpec(_AmountSpec):
    """An amount in USD (cash, other debt, the value of BTC held when no count is given)."""

    usd: float = Field(ge=0.0, le=1e13, description="Amount. [USD]")


class BtcAmountSpec(_AmountSpec):
    """BTC in treasury (a count)."""

    btc: float = Field(ge=0.0, le=1e7, description="BTC held. [BTC]")


class ConvertibleSpec(_AmountSpec):
    """A convertible (or exchangeable) note issue: principal, coupon, maturity, conversion price."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80, description="Identifier.")
    principal_usd: float = Field(gt=0.0, le=1e12, description="Principal outstanding. [USD]")
    coupon_frac_per_year: float = Field(ge=0.0, le=0.5, description="Cash coupon. [1/yr]")
    maturity: str = Field(description="Maturity date or period (same forms as as_of).")
    conversion_price_usd_per_share: float = Field(
        description="Conversion price (principal / conversion rate); > 0. [USD/share]"
    )

    @field_validator("maturity", mode="before")
    @classmethod
    def _maturity_as_text(cls, value: Any) -> Any:
        return _period_text(value)

    @field_validator("maturity")
    @classmethod
    def _valid_maturity(cls, value: str) -> str:
        period_bounds(value)
        return value

    @field_validator("conversion_price_usd_per_share")
    @classmethod
    def _positive_price(cls, value: float) -> float:
        if not (0.0 < value < 1e6):
            msg = (
                f"{value!r} — a conversion price must be > 0 (and below 1e6) USD/share: "
                "principal / shares per note"
            )
            raise ValueError(msg)
        return value


class ProjectDebtSpec(_AmountSpec):
    """Debt other than convertibles: project notes, term loans, drawn credit facilities."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80, description="Identifier.")
    principal_usd: float = Field(gt=0.0, le=1e12, description="Principal outstanding. [USD]")
    rate_frac_per_year: float | None = Field(
        default=None, ge=0.0, le=0.5, description="Interest rate, when stated. [1/yr]"
    )
    maturity: str | None = Field(default=None, description="Maturity (same forms as as_of).")

    @field_validator("maturity", mode="before")
    @classmethod
    def _maturity_as_text(cls, value: Any) -> Any:
        return _period_text(value)


class WarrantSpec(_AmountSpec):
    """Warrants (or a stake) granted to a partner or investors: shares and strike."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80, description="Identifier.")
    holder: str = Field(min_length=1, max_length=120, description="Who holds them.")
    shares: float = Field(gt=0.0, le=1e11, description="Shares on exercise. [shares]")
    strike_usd_per_share: float | None = Field(
        default=None,
        ge=0.0,
        le=1e6,
        description="Exercise price; None when no source gives it (then counted in full, "
        "the upper bound of dilution). [USD/share]",
    )


class PrepaymentSpec(_AmountSpec):
    """A customer prepayment: cash received for service not yet delivered (debt-like)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80, description="Identifier.")
    customer: str = Field(min_length=1, max_length=120, description="Who prepaid.")
    usd: float = Field(gt=0.0, le=1e12, description="Prepayment not yet earned. [USD]")


_SCALAR_ATTR = {"shares_outstanding": "shares", "cash_usd": "usd", "btc_held": "btc"}

BALANCE_SHEET_ITEMS = ("shares_outstanding", "cash_usd", "btc_held", "other_debt_usd")
"""Balance-sheet items an equity value per share needs; each given or named in ``missing``
(``btc_held`` may be given as ``btc_value_usd``; ``other_debt_usd`` is debt beyond the
listed notes: when named missing, the debt is incomplete)."""


class MissingItemSpec(Spec):
    """An item no source gives: named, with why, so that it is never taken as zero."""

    item: str = Field(min_length=1, max_length=120, description="Item name.")
    reason: str = Field(min_length=1, max_length=500, description="What was looked for.")


class BalanceSheetSpec(Spec):
    """Balance sheet of a listed company: each item dated and sourced, or named missing.

    A flat form (``shares_outstanding: 4.0e8``, ``debt_usd``, ``cash_usd``, ``btc_held``
    with one ``as_of`` and ``source_url`` for all) is accepted for a user's own file;
    ``debt_usd`` then becomes one ``other_debt`` line.
    """

    shares_outstanding: SharesSpec | None = Field(default=None, description="Basic shares.")
    cash_usd: UsdAmountSpec | None = Field(default=None, description="Cash and equivalents.")
    btc_held: BtcAmountSpec | None = Field(default=None, description="BTC in treasury.")
    btc_value_usd: UsdAmountSpec | None = Field(
        default=None, description="Value of BTC held, when the source gives no count."
    )
    convertibles: tuple[ConvertibleSpec, ...] = Field(default=(), description="Convertibles.")
    project_debt: tuple[ProjectDebtSpec, ...] = Field(
        default=(), description="Project notes, term loans, credit facilities drawn."
    )
    warrants: tuple[WarrantSpec, ...] = Field(default=(), description="Warrants, partner stakes.")
    prepayments: tuple[PrepaymentSpec, ...] = Field(
        default=(), description="Customer prepayments not yet earned."
    )
    missing: tuple[MissingItemSpec, ...] = Field(
        default=(), description="Items no source gives, with what was looked for."
    )

    @model_validator(mode="before")
    @classmethod
    def _flat_form(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "source_url" not in data:
            return data
        common = {k: data[k] for k in ("source_url", "as_of", "basis", "note") if k in data}
        out: dict[str, Any] = {k: v for k, v in data.items() if k not in common}
        for key, inner in (("shares_outstanding", "shares"), ("cash_usd", "usd"),
                           ("btc_held", "btc")):  # fmt: skip
            if key in out and not isinstance(out[key], dict):
                out[key] = {inner: out[key], **common}
        if "debt_usd" in out:
            debt = out.pop("debt_usd")
            if debt:
                out["project_debt"] = [{"id": "debt", "principal_usd": debt, **common}]
        else:
            gap = {"item": "other_debt_usd", "reason": "debt_usd not given"}
            out["missing"] = [*out.get("missing", []), gap]
        return out

    @model_validator(mode="after")
    def _unique_ids(self) -> BalanceSheetSpec:
        ids = [
            *(c.id for c in self.convertibles),
            *(d.id for d in self.project_debt),
            *(w.id for w in self.warrants),
            *(p.id for p in self.prepayments),
        ]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            msg = f"balance-sheet ids must be unique; repeated: {', '.join(dupes)}"
            raise ValueError(msg)
        return self

    def items(self) -> Iterable[SourcedSpec]:
        """Every sourced item."""
        for one in (self.shares_outstanding, self.cash_usd, self.btc_held, self.btc_value_usd):
            if one is not None:
                yield one
        yield from self.convertibles
        yield from self.project_debt
        yield from self.warrants
        yield from self.prepayments

    def missing_items(self) -> list[str]:
        """Names of the items an equity value per share needs that are not given."""
        gaps = {m.item for m in self.missing}
        out = [k for k in ("shares_outstanding", "cash_usd") if getattr(self, k) is None]
        if self.btc_held is None and self.btc_value_usd is None:
            out.append("btc_held")
        if "other_debt_usd" in gaps:
            out.append("other_debt_usd")
        return out

    def value(self, field: str) -> float | None:
        """A scalar input by name: shares_outstanding, cash_usd, btc_held or debt_usd.

        ``debt_usd`` is the principal of every note and loan listed, None when the file
        names ``other_debt_usd`` missing (the debt is then incomplete).
        """
        if field == "debt_usd":
            if "other_debt_usd" in {m.item for m in self.missing}:
                return None
            notes = sum(c.principal_usd for c in self.convertibles)
            return float(notes + sum(d.principal_usd for d in self.project_debt))
        one = getattr(self, field)
        return None if one is None else float(getattr(one, _SCALAR_ATTR[field]))


class ListedCompanySpec(Spec):
    """One listed company: facts with sources, and optional balance-sheet inputs."""

    ticker: str = Field(pattern=r"^[A-Z][A-Z.]{0,7}$", description="Exchange ticker.")
    name: str = Field(min_length=1, max_length=120, description="Company name.")
    as_of: dt.date = Field(description="Date the file was compiled; no fact is later.")
    description: str = Field(default="", max_length=4000, description="Free text.")
    sites: tuple[CompanySiteSpec, ...] = Field(default=(), description="Power capacity.")
    hashrate: tuple[HashrateSpec, ...] = Field(default=(), description="Reported hashrates.")
    ai_contracts: tuple[AiContractSpec, ...] = Field(default=(), description="AI contracts.")
    mining_power_costs: tuple[PowerCostSpec, ...] = Field(
        default=(),
        description="All-in power costs of the mining fleet the company reports; the "
        "valuation uses the latest (else an assumed one).",
    )
    other_facts: tuple[TextFactSpec, ...] = Field(default=(), description="Other facts.")
    balance_sheet: BalanceSheetSpec | None = Field(
        default=None,
        description="Shares, cash, BTC held, convertibles, project debt, warrants and "
        "prepayments, each dated and sourced; items no source gives are named missing.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ListedCompanySpec:
        ids = [c.id for c in self.ai_contracts]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            msg = f"ai_contracts ids must be unique; repeated: {', '.join(dupes)}"
            raise ValueError(msg)
        dangling = [
            c.superseded_by for c in self.ai_contracts if c.superseded_by not in {None, *ids}
        ]
        if dangling:
            msg = f"superseded_by {dangling[0]!r} is not the id of a contract in this file"
            raise ValueError(msg)
        late = [f.as_of for f in self.facts() if period_bounds(f.as_of)[0] > self.as_of]
        if late:
            msg = f"a fact is as of {late[0]}, after the file's as_of {self.as_of}"
            raise ValueError(msg)
        return self

    def facts(self) -> Iterable[SourcedSpec]:
        """Every sourced fact in the file."""
        yield from self.sites
        yield from self.hashrate
        yield from self.ai_contracts
        yield from self.mining_power_costs
        yield from self.other_facts
        if self.balance_sheet is not None:
            yield from self.balance_sheet.items()

    def active_contracts(self) -> tuple[AiContractSpec, ...]:
        """Contracts not superseded by a later figure that includes them."""
        return tuple(c for c in self.ai_contracts if c.superseded_by is None)

    def contracted_it_mw(self) -> float:
        """IT MW under active AI contracts (those that state it) [MW]."""
        return sum(c.it_mw for c in self.active_contracts() if c.it_mw is not None)

    def contract_value_usd(self) -> float:
        """Announced value of active AI contracts (those that state it) [USD]."""
        return sum(c.total_value_usd or 0.0 for c in self.active_contracts())

    def latest_hashrate(self) -> HashrateSpec | None:
        """Latest reported self-mining hashrate, else the latest of any kind but guidance."""
        for kinds in (("self_mining",), ("energised_total", "affiliate")):
            found = [h for h in self.hashrate if h.kind in kinds]
            if found:
                return max(found, key=lambda h: period_bounds(h.as_of)[1])
        return None

    def reported_efficiency(self) -> HashrateSpec | None:
        """The latest hashrate fact that states the fleet's efficiency, if any."""
        found = [h for h in self.hashrate if h.fleet_efficiency_j_per_th is not None]
        return max(found, key=lambda h: period_bounds(h.as_of)[1]) if found else None

    def reported_power_cost(self) -> PowerCostSpec | None:
        """The latest all-in mining power cost the file reports, if any."""
        found = list(self.mining_power_costs)
        return max(found, key=lambda p: period_bounds(p.as_of)[1]) if found else None

    def operating_mw(self) -> float:
        """Operating gross MW: a portfolio figure if reported, else the sum over sites [MW]."""
        running = [s for s in self.sites if s.status == "operating" and s.gross_mw is not None]
        portfolio = [s.gross_mw for s in running if s.scope == "portfolio"]
        if portfolio:
            return float(max(x for x in portfolio if x is not None))
        sites = [s.gross_mw for s in running if s.scope == "site" and s.gross_mw is not None]
        return float(sum(sites)) if sites else math.nan

    def reported_mw(self) -> float:
        """Largest reported gross capacity of any status: portfolio or sum of sites [MW]."""
        portfolio = [s.gross_mw or 0.0 for s in self.sites if s.scope == "portfolio"]
        sites = sum(s.gross_mw or 0.0 for s in self.sites if s.scope == "site")
        best = max([*portfolio, sites], default=0.0)
        return best if best > 0 else math.nan


# --------------------------------------------------------------------------- inputs

BALANCE_SHEET_PURPOSE: dict[str, str] = {
    "shares_outstanding": "compute equity value per share",
    "debt_usd": "compute equity value from enterprise value",
    "cash_usd": "compute equity value from enterprise value",
    "btc_held": "value the BTC held",
}
"""Balance-sheet inputs and what each is needed for."""


def require(company: ListedCompanySpec, field: str, purpose: str | None = None) -> float:
    """A balance-sheet input of a company, or a clear error when it is not given.

    Parameters
    ----------
    company
        The company.
    field
        One of :data:`BALANCE_SHEET_PURPOSE`: ``shares_outstanding``, ``debt_usd``,
        ``cash_usd``, ``btc_held``.
    purpose
        What the number is needed for, used in the message.

    Raises
    ------
    MissingInputError
        ``"IREN: shares_outstanding is required to compute equity value per share; add it
        to the company file under balance_sheet (as of a date, with its source)"``.

    """
    if field not in BALANCE_SHEET_PURPOSE:
        valid = list(BALANCE_SHEET_PURPOSE)
        raise UnknownNameError(
            "balance-sheet field", field, valid, difflib.get_close_matches(field, valid, n=2)
        )
    value = None if company.balance_sheet is None else company.balance_sheet.value(field)
    if value is None:
        why = purpose or BALANCE_SHEET_PURPOSE[field]
        raise MissingInputError(
            company.ticker, field, why, where="the company file under balance_sheet"
        )
    return float(value)


# --------------------------------------------------------------------------- loading


def parse_company(text: str, source: str = "<string>") -> ListedCompanySpec:
    """Parse and validate a company file from YAML text (safe YAML only, never code)."""
    if not text.strip():
        raise SpecError(["the file is empty; start from a packaged company file"], source)
    data, root = parse_yaml_mapping(text, source)
    if not isinstance(data, dict):
        got = type(data).__name__
        raise SpecError([f"(top level) — must be a mapping of fields, got {got}"], source)
    try:
        return ListedCompanySpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_errors(exc, root, ListedCompanySpec), source) from None


def _company_dir() -> Any:
    return resources.files("hashpivot.data").joinpath("companies")


@functools.cache
def _packaged() -> dict[str, ListedCompanySpec]:
    out: dict[str, ListedCompanySpec] = {}
    for ref in sorted(_company_dir().iterdir(), key=lambda r: r.name):
        if ref.name.endswith(".yaml"):
            spec = parse_company(ref.read_text(encoding="utf-8"), f"companies/{ref.name}")
            out[spec.ticker] = spec
    return out


def company_names() -> list[str]:
    """Tickers of every packaged company, sorted."""
    return sorted(_packaged())


def _key(name: str) -> str:
    k = name.strip().upper().lstrip("$")
    k = re.sub(r"^(NASDAQ|NYSE|TSX|NYSEAMERICAN)\s*:\s*", "", k)
    return re.sub(r"[^A-Z0-9]", "", k)


def _name_key(name: str) -> str:
    k = re.sub(r"\b(inc|corp|corporation|ltd|limited|holdings|plc|co)\b\.?", "", name.lower())
    return re.sub(r"[^a-z0-9]", "", k)


def _looks_like_path(text: str) -> bool:
    return text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text


def load_company(ticker_or_path: str | Path) -> ListedCompanySpec:
    """A packaged company by ticker or name, or a company YAML file by path.

    Raises
    ------
    UnknownNameError
        Unknown ticker; the message lists the closest tickers.
    SpecError
        A file that does not exist, does not parse or breaks a rule.

    """
    text = str(ticker_or_path)
    if isinstance(ticker_or_path, Path) or _looks_like_path(text) or Path(text).is_file():
        return _load_file(Path(text))
    companies = _packaged()
    by_key = {_key(t): t for t in companies}
    by_name = {_name_key(c.name): t for t, c in companies.items()}
    ticker = by_key.get(_key(text)) or by_name.get(_name_key(text))
    if ticker is None:
        prefixed = [
            t for k, t in by_name.items() if _name_key(text) and k.startswith(_name_key(text))
        ]
        ticker = prefixed[0] if len(prefixed) == 1 else None
    if ticker is None:
        raise UnknownNameError("company", text, list(companies), _closest(text, companies))
    return companies[ticker]


def _closest(text: str, companies: dict[str, ListedCompanySpec]) -> list[str]:
    close = difflib.get_close_matches(_key(text), list(companies), n=3, cutoff=0.3)
    names = {_name_key(c.name): t for t, c in companies.items()}
    for k in difflib.get_close_matches(_name_key(text), list(names), n=3, cutoff=0.5):
        if names[k] not in close:
            close.append(names[k])
    return close[:3]


def _load_file(path: Path) -> ListedCompanySpec:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([f"file not found: {path}"], str(path)) from None
    except (IsADirectoryError, UnicodeDecodeError, PermissionError) as exc:
        raise SpecError([f"cannot read {path}: {exc}"], str(path)) from None
    return parse_company(text, str(path))


def company_catalog() -> pd.DataFrame:
    """One row per packaged company: capacity, hashrate and AI contracts, for display.

    Columns: ``ticker``, ``name``, ``operating_mw``, ``reported_mw`` (largest reported
    capacity, any status), ``hashrate_eh_s``, ``hashrate_as_of``, ``ai_it_mw`` (IT MW
    under active AI contracts), ``ai_contract_value_usd``, ``ai_contracts``, ``as_of``.
    NaN where no source gives the number.
    """
    rows = [company_summary(c) for c in _packaged().values()]
    return pd.DataFrame(rows)


def company_summary(company: ListedCompanySpec) -> dict[str, Any]:
    """The catalogue row of one company (see :func:`company_catalog`)."""
    hashrate = company.latest_hashrate()
    return {
        "ticker": company.ticker,
        "name": company.name,
        "operating_mw": company.operating_mw(),
        "reported_mw": company.reported_mw(),
        "hashrate_eh_s": hashrate.hashrate_eh_s if hashrate else math.nan,
        "hashrate_as_of": hashrate.as_of if hashrate else "",
        "ai_it_mw": company.contracted_it_mw() if company.active_contracts() else math.nan,
        "ai_contract_value_usd": (
            company.contract_value_usd() if company.active_contracts() else math.nan
        ),
        "ai_contracts": len(company.active_contracts()),
        "as_of": company.as_of.isoformat(),
    }
