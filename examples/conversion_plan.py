"""Q4, the conversion plan: how many MW each site converts to AI, and when.

Runs the conversion planner (:func:`hashpivot.plan`: a two-stage stochastic LP solved by
HiGHS, objective E[NPV] − λ·CVaR) on the packaged default scenario, then compares the
plan with the baseline policies (never convert, convert all now, convert below a hashprice
threshold) on fresh paths the optimisation never saw.

    python examples/conversion_plan.py [--scenarios S] [--evaluation-paths N] [--risk-aversion L]
"""

from __future__ import annotations

import argparse

import pandas as pd

import hashpivot as hp


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Print the conversions, the out-of-sample comparison and the shadow prices."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=100, help="sampled futures in the LP")
    parser.add_argument("--evaluation-paths", type=int, default=2000, help="fresh paths")
    parser.add_argument("--risk-aversion", type=float, default=None, help="λ (default: spec)")
    args = parser.parse_args(argv)

    scenario = hp.default_scenario()
    base = scenario.planner or hp.PlannerSpec()
    update: dict[str, object] = {
        "scenarios": args.scenarios,
        "evaluation_paths": args.evaluation_paths,
    }
    if args.risk_aversion is not None:
        update["risk_aversion"] = args.risk_aversion
    spec = hp.PlannerSpec.model_validate(base.model_dump() | update)
    result = hp.plan(scenario, spec)
    s = result.summary()
    print(
        f"{s['status']} plan over {s['scenarios']} futures, λ = {s['risk_aversion']:g}: "
        f"E[NPV] {s['expected_npv_usd'] / 1e6:,.1f} M USD, "
        f"CVaR of loss {s['cvar_usd'] / 1e6:,.1f} M"
    )
    schedule = result.schedule()
    year = schedule["period_start"].str[:4].rename("year")
    by_year = schedule.groupby(["site", year], sort=False)["convert_mw"].sum().unstack(fill_value=0)
    print("MW converted per site and year (mean over the futures for a decision rule):")
    print(by_year.round(1).to_string())
    rows = [
        {"policy": k, "expected_npv_usd": v["expected_npv_usd"], "cvar_usd": v["cvar_usd"]}
        for k, v in result.out_of_sample.items()
    ]
    print("on fresh paths:")
    print(pd.DataFrame(rows).round(0).to_string(index=False))
    prices = result.shadow_prices()
    print(prices[prices["value"].abs() > 1e-6].round(0).to_string(index=False))
    return schedule


if __name__ == "__main__":
    main()
