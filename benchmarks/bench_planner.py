"""Benchmark of the conversion planner: S scenarios × T quarters × K sites with CVaR.

Target (DESIGN.md §6): 500 scenarios × 40 quarters × 10 sites with CVaR in under 60 s on
2 cores, model build time below solve time.

``build_seconds`` counts everything but HiGHS itself: the coefficients from the company
model (:func:`hashpivot.planner.build_data`), the linopy model, and its hand-over to
HiGHS; ``solve_seconds`` is HiGHS's own run time. Market paths come from the planner's
own sampler (:func:`hashpivot.planner.simulation_sampler`: the Monte Carlo's market and
network paths); if it fails, the benchmark fails with its error (no stand-in market).
Drawing them is not timed.

    python benchmarks/bench_planner.py --scenarios 500 --periods 40 --sites 10 --json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from hashpivot.company.engine import MarketArrays, Timeline
from hashpivot.planner import PlannerSpec, build_data, simulation_sampler, solve_plan
from hashpivot.planner.data import with_decision_rule
from hashpivot.spec import PowerContractSpec, Scenario, default_scenario


def scenario_with_sites(n_sites: int) -> Scenario:
    """The default scenario's sites repeated to ``n_sites``, power prices spread 34-52 USD/MWh."""
    base = default_scenario()
    sites = []
    for k in range(n_sites):
        src = base.sites[k % len(base.sites)]
        price = 34.0 + 18.0 * k / max(n_sites - 1, 1)
        power = PowerContractSpec(price_usd_per_mwh=price, escalator_frac_per_year=0.02)
        update = {"name": f"{src.name} {k + 1}", "power": power}
        if k >= len(base.sites):
            update["conversions"] = ()
        sites.append(src.model_copy(update=update))
    return base.model_copy(update={"sites": tuple(sites)})


def market(scenario: Scenario, months: int, paths: int, seed: int) -> MarketArrays:
    """The planner's market paths (its errors propagate: no synthetic stand-in)."""
    tl = Timeline.from_start(scenario.start_date, months)
    return simulation_sampler(scenario, tl, seed, 0, -(-paths // 1000))


def run(
    scenarios: int, periods: int, sites: int, risk_aversion: float, bands: int, seed: int
) -> dict:
    sc = scenario_with_sites(sites)
    spec = PlannerSpec(scenarios=scenarios, horizon_periods=periods, seed=seed,
                       risk_aversion=risk_aversion, decision_rule_buckets=bands)  # fmt: skip
    paths = market(sc, periods * spec.period_months, scenarios, seed)
    start = time.perf_counter()
    data, _ = with_decision_rule(build_data(sc, spec, paths), bands)
    data_seconds = time.perf_counter() - start
    sol = solve_plan(data, spec)
    total = time.perf_counter() - start
    return {
        "scenarios": scenarios,
        "periods": periods,
        "sites": sites,
        "fleets": data.shape[3],
        "risk_aversion": risk_aversion,
        "bands": bands,
        "market": "simulation",
        "variables": sol.variables,
        "constraints": sol.constraints,
        "data_seconds": round(data_seconds, 3),
        "build_seconds": round(data_seconds + sol.build_seconds, 3),
        "solve_seconds": round(sol.solve_seconds, 3),
        "total_seconds": round(total, 3),
        "build_below_solve": data_seconds + sol.build_seconds < sol.solve_seconds,
        "status": sol.status,
        "expected_npv_usd": float(np.mean(sol.npv_usd)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=500)
    parser.add_argument("--periods", type=int, default=40)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--risk-aversion", type=float, default=0.5,
                        help="λ > 0 so the CVaR rows are in the model")  # fmt: skip
    parser.add_argument("--bands", type=int, default=PlannerSpec().decision_rule_buckets,
                        help="hashprice bands of the decision rule (1: one schedule)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    out = run(args.scenarios, args.periods, args.sites, args.risk_aversion, args.bands, args.seed)
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
