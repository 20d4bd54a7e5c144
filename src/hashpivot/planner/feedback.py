"""Turn a plan back into a scenario: one lease conversion per site and period with MW to convert.

The planned scenario runs through the company model (:func:`hashpivot.company.engine.project_flows`,
the Monte Carlo, valuation) like any other, so a plan can be fed back into the
simulation on fresh paths with taxes, overhead and debt (DESIGN.md §2). Each planned
conversion copies the lease terms the planner used (:class:`~hashpivot.planner.data.ConversionTerms`
and the scenario's first lease for the rest), is decided on its period's first day, and
is energised in one phase when its build ends.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from hashpivot.planner.data import ConversionTerms, PlannerData, _template
from hashpivot.spec import (
    ColocationLeaseSpec,
    ConversionSpec,
    EnergisationPhaseSpec,
    Scenario,
    add_months,
)

FloatArray = npt.NDArray[np.float64]

MIN_CONVERSION_MW = 1e-6
"""Planned conversions below this are solver round-off and left out [MW]."""


def planned_conversion(
    scenario: Scenario, terms: ConversionTerms, site: str, decision_date: dt.date, gross_mw: float
) -> ConversionSpec:
    """One planned lease conversion of ``gross_mw`` at a site, decided on ``decision_date``."""
    tpl = _template(scenario)
    base = tpl.lease if tpl is not None else None
    it_mw = gross_mw / terms.ai_pue
    ready = add_months(decision_date, terms.lead_time_months)
    kept = {} if base is None else base.model_dump(
        exclude={"it_mw", "rate_usd_per_kw_month", "term_years", "signing_date", "energisation",
                 "tenant"}
    )  # fmt: skip
    lease = ColocationLeaseSpec(
        **kept,
        tenant="planned tenant",
        it_mw=it_mw,
        rate_usd_per_kw_month=terms.rate_usd_per_kw_month,
        term_years=terms.term_months / 12.0,
        signing_date=decision_date,
        energisation=(EnergisationPhaseSpec(date=ready, it_mw=it_mw),),
    )
    return ConversionSpec(
        name=f"plan {site} {decision_date:%Y-%m}",
        gross_mw=gross_mw,
        decision_date=decision_date,
        lead_time_months=terms.lead_time_months,
        ai_pue=terms.ai_pue,
        build="ai_ready" if tpl is None else tpl.build,
        capex_usd_per_it_mw=terms.capex_usd_per_it_mw,
        lease=lease,
    )


def planned_scenario(
    scenario: Scenario, data: PlannerData, terms: ConversionTerms, convert_mw: FloatArray
) -> Scenario:
    """The scenario with the plan's conversions ``(K, T)`` added to its sites' conversions.

    ASICs displaced by planned conversions are not sold (the planner does not value
    resale); amounts are clipped so no site converts more than it has.
    """
    x = np.asarray(convert_mw, dtype=np.float64)
    sites = []
    for k, site in enumerate(scenario.sites):
        room = float(data.convertible_mw[k])
        added = []
        for t, mw in enumerate(x[k]):
            mw = min(float(mw), room)
            if mw < MIN_CONVERSION_MW:
                continue
            room -= mw
            date = data.period_start[t].date()
            added.append(planned_conversion(scenario, terms, site.name, date, mw))
        sites.append(site.model_copy(update={"conversions": (*site.conversions, *added)}))
    return scenario.model_copy(update={"sites": tuple(sites)})
