"""Conversion planner: how many MW to convert, where and when, under uncertainty.

A stochastic program solved by sample-average approximation. The first stage is a
non-anticipative decision rule: the gross MW each site has converted by each period,
for each band of the lowest trailing hashprice seen so far (one band: one schedule for
every future), subject to site MW, construction capacity, capex budget and debt, AI
demand and AI-share limits. The second stage mines, per scenario and period, on the MW
left, where the margin pays. The objective is max E[NPV] − λ·CVaR_α(loss) in the
Rockafellar-Uryasev linear form, built with linopy and solved with HiGHS; the plan and
three baselines are then valued on fresh paths the optimisation never saw.

>>> from hashpivot.planner import Planner, PlannerSpec
>>> result = Planner(scenario, PlannerSpec(scenarios=500)).run()  # doctest: +SKIP
>>> result.summary()["out_of_sample"]  # doctest: +SKIP

Modules: :mod:`~hashpivot.planner.spec` (settings), :mod:`~hashpivot.planner.data`
(coefficients from the company model), :mod:`~hashpivot.planner.model` (the
``define_*`` families), :mod:`~hashpivot.planner.solve` (HiGHS, infeasibility
diagnosis, shadow prices), :mod:`~hashpivot.planner.evaluate` (a schedule's value on
any paths), :mod:`~hashpivot.planner.baselines` (never, all now, hashprice threshold),
:mod:`~hashpivot.planner.feedback` (a plan as scenario conversions),
:mod:`~hashpivot.planner.plan` (the orchestrator).

Only the settings are imported eagerly; the rest (linopy, HiGHS, the company model)
loads on first use, so :mod:`hashpivot.spec` can embed :class:`PlannerSpec` without a
cycle and commands that do not plan do not pay for linopy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hashpivot._lazy import lazy_exports
from hashpivot.planner.spec import PlannerSpec, load_planner_spec, planner_spec_from_dict

if TYPE_CHECKING:
    from hashpivot.planner.data import (
        ConversionTerms,
        PlannerData,
        build_data,
        conversion_terms,
    )
    from hashpivot.planner.evaluate import cvar_loss_usd, scenario_npv_usd
    from hashpivot.planner.feedback import planned_scenario
    from hashpivot.planner.model import FAMILIES, build_model
    from hashpivot.planner.plan import (
        EVALUATION_FIRST_BLOCK,
        Planner,
        PlanResult,
        Sampler,
        simulation_sampler,
    )
    from hashpivot.planner.solve import (
        PlanInfeasibleError,
        PlannerError,
        PlanNotSolvedError,
        Solution,
        solve_plan,
    )

_LAZY = {
    "ConversionTerms": "data",
    "PlannerData": "data",
    "build_data": "data",
    "conversion_terms": "data",
    "cvar_loss_usd": "evaluate",
    "scenario_npv_usd": "evaluate",
    "planned_scenario": "feedback",
    "FAMILIES": "model",
    "build_model": "model",
    "EVALUATION_FIRST_BLOCK": "plan",
    "Planner": "plan",
    "PlanResult": "plan",
    "Sampler": "plan",
    "simulation_sampler": "plan",
    "PlanInfeasibleError": "solve",
    "PlanNotSolvedError": "solve",
    "PlannerError": "solve",
    "Solution": "solve",
    "solve_plan": "solve",
}


__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "EVALUATION_FIRST_BLOCK",
    "FAMILIES",
    "ConversionTerms",
    "PlanInfeasibleError",
    "PlanNotSolvedError",
    "PlanResult",
    "Planner",
    "PlannerData",
    "PlannerError",
    "PlannerSpec",
    "Sampler",
    "Solution",
    "build_data",
    "build_model",
    "conversion_terms",
    "cvar_loss_usd",
    "load_planner_spec",
    "planned_scenario",
    "planner_spec_from_dict",
    "scenario_npv_usd",
    "simulation_sampler",
    "solve_plan",
]
