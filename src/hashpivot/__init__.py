"""hashpivot: model, plan and value a Bitcoin miner's pivot to AI/HPC compute.

From terahash to petaflops. What a notebook needs first is importable from here::

    import hashpivot as hp

    scenario = hp.load_scenario("scenario.yaml")     # or hp.default_scenario()
    result = hp.Simulation(scenario).run(paths=10_000, seed=1)   # the Monte Carlo
    company = hp.project(scenario)                    # cash flows on the base path
    valuation = hp.value(scenario)                    # or hp.value("IREN")
    plan = hp.plan(scenario)                          # the conversion planner

The package follows its layers: domain functions (:mod:`~hashpivot.bitcoin`,
:mod:`~hashpivot.mining`, :mod:`~hashpivot.hardware`, :mod:`~hashpivot.ai`,
:mod:`~hashpivot.conversion`, :mod:`~hashpivot.risk`, :mod:`~hashpivot.network`,
:mod:`~hashpivot.markets`, :mod:`~hashpivot.finance`) → specs (:mod:`~hashpivot.spec`,
:mod:`~hashpivot.specbase`) → orchestrators (:mod:`~hashpivot.projection`,
:mod:`~hashpivot.company`, :mod:`~hashpivot.simulation`, :mod:`~hashpivot.planner`,
:mod:`~hashpivot.dispatch`, :mod:`~hashpivot.sweep`, :mod:`~hashpivot.equities`) → faces
(:mod:`~hashpivot.cli`, :mod:`~hashpivot.api`, :mod:`~hashpivot.report`), with the run
store (:mod:`~hashpivot.store`) and the listed-company catalogue (:mod:`~hashpivot.listed`)
beside them. ``docs/nomenclature.md`` lists every name and unit. The names below are
imported on first use, so ``import hashpivot`` stays cheap.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from hashpivot._lazy import lazy_exports

try:
    __version__ = version("hashpivot")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from hashpivot.company.model import CompanyModel, CompanyResult, project
    from hashpivot.company.valuation import value
    from hashpivot.dispatch.engine import Dispatch, DispatchResult
    from hashpivot.errors import HashpivotError, SpecError
    from hashpivot.listed.catalog import load_company
    from hashpivot.planner.plan import Planner, PlanResult, plan
    from hashpivot.planner.spec import PlannerSpec
    from hashpivot.projection import Projection
    from hashpivot.simulation import Simulation, SimulationResult
    from hashpivot.spec import Scenario, default_scenario, load_scenario
    from hashpivot.store.runstore import RunStore

_LAZY = {
    "CompanyModel": "company.model",
    "CompanyResult": "company.model",
    "project": "company.model",
    "value": "company.valuation",
    "Dispatch": "dispatch.engine",
    "DispatchResult": "dispatch.engine",
    "HashpivotError": "errors",
    "SpecError": "errors",
    "load_company": "listed.catalog",
    "Planner": "planner.plan",
    "PlanResult": "planner.plan",
    "plan": "planner.plan",
    "PlannerSpec": "planner.spec",
    "Projection": "projection",
    "Simulation": "simulation",
    "SimulationResult": "simulation",
    "Scenario": "spec",
    "default_scenario": "spec",
    "load_scenario": "spec",
    "RunStore": "store.runstore",
}

__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "CompanyModel",
    "CompanyResult",
    "Dispatch",
    "DispatchResult",
    "HashpivotError",
    "PlanResult",
    "Planner",
    "PlannerSpec",
    "Projection",
    "RunStore",
    "Scenario",
    "Simulation",
    "SimulationResult",
    "SpecError",
    "__version__",
    "default_scenario",
    "load_company",
    "load_scenario",
    "plan",
    "project",
    "value",
]
