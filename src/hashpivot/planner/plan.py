"""The planning orchestrator: ``Planner(scenario, spec).run()`` → :class:`PlanResult`.

Steps: sample training paths (blocks ``[0, n)`` of the Monte Carlo's random streams),
build the coefficients, solve the mean-CVaR plan, solve again along the frontier of λ,
tune the threshold baseline on the same training paths, then value every policy on
fresh paths (blocks from :data:`EVALUATION_FIRST_BLOCK` on) that the optimisation never
saw, with the same per-MW economics.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot.company.engine import MarketArrays, Timeline
from hashpivot.planner.baselines import baseline_policies, meets_min_share, rule_schedule
from hashpivot.planner.data import (
    ConversionTerms,
    PlannerData,
    build_data,
    conversion_terms,
    with_decision_rule,
)
from hashpivot.planner.evaluate import (
    cvar_loss_usd,
    npv_summary,
    paired_difference,
    scenario_npv_usd,
)
from hashpivot.planner.feedback import planned_scenario
from hashpivot.planner.model import FAMILIES
from hashpivot.planner.solve import MONEY_FAMILIES, Solution, solve_plan
from hashpivot.planner.spec import PlannerSpec
from hashpivot.simulation import market_paths
from hashpivot.spec import Scenario, default_scenario

FloatArray = npt.NDArray[np.float64]

BLOCK_PATHS = 1000
"""Paths per random-stream block of :func:`hashpivot.simulation.market_paths` [paths]."""
EVALUATION_FIRST_BLOCK = 1000
"""First block of the fresh evaluation paths: far from the training blocks ``[0, n)``."""

Sampler = Callable[[Scenario, Timeline, int, int, int], MarketArrays]
"""``(scenario, timeline, seed, first_block, n_blocks) -> MarketArrays``: n_blocks × 1 000
paths of the blocks from first_block on."""


def simulation_sampler(
    scenario: Scenario, tl: Timeline, seed: int, first_block: int, n_blocks: int
) -> MarketArrays:
    """Paths of the Monte Carlo (:func:`hashpivot.simulation.market_paths`)."""
    market, _ = market_paths(scenario, tl, seed, first_block, n_blocks)
    return market


@dataclass
class PlanResult:
    """Result of :meth:`Planner.run`: the plan, its frontier and its out-of-sample record.

    Attributes
    ----------
    data
        Coefficients on the training scenarios.
    solution
        The optimal plan at the spec's λ.
    frontier
        Optimal plans along ``spec.frontier_risk_aversions``.
    out_of_sample
        Per policy (``planner`` and the baselines): expected NPV with its standard
        error, CVaR of loss, percentiles, on the fresh paths [USD].
    npv_out_of_sample_usd
        Per policy, the NPV on each fresh path [USD].
    bucket_edges
        Edges of the trailing-hashprice bands the decision rule uses, per period
        ``(T, B−1)``; None for a single schedule [USD/PH/day].

    """

    scenario: Scenario
    spec: PlannerSpec
    terms: ConversionTerms
    data: PlannerData
    solution: Solution
    frontier: list[dict[str, Any]]
    out_of_sample: dict[str, dict[str, Any]]
    npv_out_of_sample_usd: dict[str, FloatArray]
    comparison: dict[str, Any]
    bucket_edges: FloatArray | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def schedule(self) -> pd.DataFrame:
        """One row per site and period: MW converted, under construction, leased, mining.

        For a decision rule these are means over the training scenarios.
        """
        d, sol, p = self.data, self.solution, self.data.period_months
        stock = sol.converted_mw
        n_k, n_t = stock.shape
        # a decision at τ earns rent from month τ·P + lead for the term: leased at the
        # start of period t when τ·P + lead ≤ t·P < τ·P + lead + term
        start = np.arange(n_t)[:, None] * p + self.terms.lead_time_months  # (τ, 1)
        now = np.arange(n_t)[None, :] * p  # (1, t)
        live = (start <= now) & (now < start + self.terms.term_months)  # (τ, t)
        leased = sol.convert_mw @ live.astype(np.float64)
        return pd.DataFrame(
            {
                "site": np.repeat(d.site, n_t),
                "period": np.tile(np.arange(n_t), n_k),
                "period_start": np.tile(d.period_start.strftime("%Y-%m-%d"), n_k),
                "convert_mw": sol.convert_mw.ravel(),
                "converted_mw": stock.ravel(),
                "under_construction_mw": (stock - leased).ravel(),
                "leased_mw": leased.ravel(),
                "mining_mw": sol.mining_mw.ravel(),
            }
        )

    def shadow_prices(self) -> pd.DataFrame:
        """Value of one more unit of each limit, per row: a period, a site or the whole plan.

        In the objective's USD per MW (USD per USD for money limits); from the LP, or the
        LP relaxation of a block plan.
        """
        d = self.data
        rows = []
        for name, values in self.solution.shadow_prices.items():
            unit = "USD/USD" if name in MONEY_FAMILIES else "USD/MW"
            flat = np.ravel(values)
            if name.startswith("Site-"):
                where = list(d.site)
            elif flat.size == len(d.period_start):
                where = list(d.period_start.strftime("%Y-%m-%d"))
            else:
                where = ["horizon"] * flat.size
            for w, v in zip(where, flat, strict=True):
                rows.append({"family": name, "resource": FAMILIES[name].label, "where": w,
                             "unit": unit, "value": float(v)})  # fmt: skip
        return pd.DataFrame(rows, columns=["family", "resource", "where", "unit", "value"])

    def summary(self) -> dict[str, Any]:
        """Headline numbers, JSON-ready."""
        sol, d = self.solution, self.data
        prices = self.shadow_prices()
        return {
            "scenario": self.scenario.name,
            "status": sol.status,
            "risk_aversion": sol.risk_aversion,
            "cvar_alpha_frac": self.spec.cvar_alpha_frac,
            "scenarios": d.shape[0],
            "periods": d.shape[1],
            "period_months": d.period_months,
            "seed": self.spec.seed,
            "expected_npv_usd": float(np.mean(sol.npv_usd)),
            "cvar_usd": cvar_loss_usd(sol.npv_usd, self.spec.cvar_alpha_frac),
            "objective_usd": sol.objective_usd,
            "decision_rule_bands": int(sol.rule_converted_mw.shape[2]),
            "converted_mw_by_site": dict(
                zip(d.site, sol.converted_mw[:, -1].tolist(), strict=True)
            ),
            "shadow_prices_usd": {
                name: float(g["value"].sum()) for name, g in prices.groupby("family", sort=False)
            },
            "out_of_sample": self.out_of_sample,
            "comparison": self.comparison,
        }

    def rule(self) -> pd.DataFrame:
        """The decision rule: MW converted by each period, per site and hashprice band.

        Band b of period t holds the lowest trailing hashprice seen so far in
        [low, high) [USD/PH/day]; with a single schedule there is one band (−inf, inf).
        """
        rule = self.solution.rule_converted_mw
        n_k, n_t, n_b = rule.shape
        edges = np.full((n_t, max(n_b - 1, 0)), np.inf) if self.bucket_edges is None else (
            self.bucket_edges
        )  # fmt: skip
        bounds = np.concatenate([np.full((n_t, 1), -np.inf), edges, np.full((n_t, 1), np.inf)], 1)
        k, t, b = np.meshgrid(np.arange(n_k), np.arange(n_t), np.arange(n_b), indexing="ij")
        return pd.DataFrame(
            {
                "site": np.asarray(self.data.site)[k.ravel()],
                "period": t.ravel(),
                "period_start": self.data.period_start.strftime("%Y-%m-%d")[t.ravel()],
                "band": b.ravel(),
                "hashprice_low_usd_per_ph_day": bounds[t.ravel(), b.ravel()],
                "hashprice_high_usd_per_ph_day": bounds[t.ravel(), b.ravel() + 1],
                "converted_mw": rule.ravel(),
            }
        )

    def planned_scenario(self) -> Scenario:
        """The scenario with the plan's conversions added, for the simulation and valuation.

        For a decision rule, the mean schedule over the training scenarios.
        """
        return planned_scenario(self.scenario, self.data, self.terms, self.solution.convert_mw)

    def to_frame(self) -> pd.DataFrame:
        """Tidy schedule: site, period, period_start, metric, value."""
        return self.schedule().melt(id_vars=["site", "period", "period_start"], var_name="metric")

    def _repr_html_(self) -> str:
        """Compact HTML summary for Jupyter: status, E[NPV], CVaR, MW converted by site."""
        from hashpivot.display import summary_html

        s = self.summary()
        title = f"Conversion plan for {s['scenario']}: {s['status']}, λ = {s['risk_aversion']:g}"
        return summary_html(title, s)

    def to_dict(self) -> dict[str, Any]:
        """Everything a script needs, JSON-ready (the ``hashpivot plan --json`` payload)."""
        sol = self.solution
        return {
            **self.summary(),
            "schedule": self.schedule().to_dict(orient="records"),
            "decision_rule": self.rule().query("converted_mw > 1e-6").to_dict(orient="records"),
            "frontier": self.frontier,
            "shadow_prices": self.shadow_prices().to_dict(orient="records"),
            "conversion_terms": asdict(self.terms),
            "model": {
                "variables": sol.variables,
                "constraints": sol.constraints,
                "mip_gap_frac": sol.mip_gap_frac,
            },
            "seconds": self.seconds,
        }


class Planner:
    """How many MW to convert, where and when: ``Planner(scenario, spec).run()``.

    Parameters
    ----------
    scenario
        A validated scenario: sites, fleets, power contracts, company WACC, and the
        lease conversion whose terms new conversions copy (if any).
    spec
        Planner settings; default :class:`PlannerSpec()`.
    sampler
        Where sampled paths come from when :meth:`run` is not given them; default the
        Monte Carlo's :func:`simulation_sampler`.

    """

    def __init__(
        self, scenario: Scenario, spec: PlannerSpec | None = None, sampler: Sampler | None = None
    ) -> None:
        self.scenario = scenario
        self.spec = spec or PlannerSpec()
        self.sampler = sampler or simulation_sampler
        self.edges: FloatArray | None = None

    def _months(self) -> int:
        return self.spec.horizon_periods * self.spec.period_months

    def _sample(self, paths: int, first_block: int) -> MarketArrays:
        tl = Timeline.from_start(self.scenario.start_date, self._months())
        blocks = max(math.ceil(paths / BLOCK_PATHS), 1)
        return self.sampler(self.scenario, tl, self.spec.seed, first_block, blocks)

    def run(
        self, training: MarketArrays | None = None, evaluation: MarketArrays | None = None
    ) -> PlanResult:
        """Solve the plan and its frontier, and evaluate it against the baselines.

        ``training`` and ``evaluation`` are market paths ``(paths, months)``; when None
        they are sampled (training from block 0, evaluation from
        :data:`EVALUATION_FIRST_BLOCK`). Raises a
        :class:`~hashpivot.planner.solve.PlannerError` subclass when no optimal plan exists.
        """
        spec, clock = self.spec, {"start": time.perf_counter()}
        market = training if training is not None else self._sample(spec.scenarios, 0)
        data = build_data(self.scenario, spec, market)
        data, self.edges = with_decision_rule(data, spec.decision_rule_buckets)
        clock["data"] = time.perf_counter()
        solution = solve_plan(data, spec)
        clock["solve"] = time.perf_counter()
        fresh = self._evaluation_data(evaluation)
        frontier = self._frontier(data, solution, fresh)
        clock["frontier"] = time.perf_counter()
        oos, npvs, comparison = self._out_of_sample(data, solution, fresh)
        clock["evaluate"] = time.perf_counter()
        return PlanResult(
            self.scenario, spec, conversion_terms(self.scenario, spec), data, solution,
            frontier, oos, npvs, comparison, self.edges, _durations(clock, solution),
        )  # fmt: skip

    def _evaluation_data(self, evaluation: MarketArrays | None) -> PlannerData | None:
        n = self.spec.evaluation_paths
        if evaluation is None and n == 0:
            return None
        market = evaluation if evaluation is not None else self._sample(n, EVALUATION_FIRST_BLOCK)
        paths = market.shape[0] if evaluation is not None and n == 0 else n
        return build_data(self.scenario, self.spec.model_copy(update={"scenarios": paths}), market)

    def _frontier(
        self, data: PlannerData, solution: Solution, fresh: PlannerData | None
    ) -> list[dict[str, Any]]:
        rows = []
        alpha = self.spec.cvar_alpha_frac
        for lam in self.spec.frontier_risk_aversions:
            sol = solution if lam == solution.risk_aversion else solve_plan(data, self.spec, lam)
            row = {
                "risk_aversion": lam,
                "expected_npv_usd": float(np.mean(sol.npv_usd)),
                "cvar_usd": cvar_loss_usd(sol.npv_usd, alpha),
                "converted_mw": float(sol.converted_mw[:, -1].sum()),
            }
            if fresh is not None:
                npv = scenario_npv_usd(fresh, self._apply(fresh, sol))
                row["oos_expected_npv_usd"] = float(np.mean(npv))
                row["oos_cvar_usd"] = cvar_loss_usd(npv, alpha)
            rows.append(row)
        return rows

    def _apply(self, fresh: PlannerData, solution: Solution) -> FloatArray:
        """The plan's conversions on fresh paths ``(S, K, T)``, cut to the limits [MW]."""
        return rule_schedule(fresh, self.spec, solution.rule_converted_mw, self.edges)

    def _out_of_sample(
        self, data: PlannerData, solution: Solution, fresh: PlannerData | None
    ) -> tuple[dict[str, dict[str, Any]], dict[str, FloatArray], dict[str, Any]]:
        if fresh is None:
            return {}, {}, {}
        spec, alpha = self.spec, self.spec.cvar_alpha_frac
        npvs = {"planner": scenario_npv_usd(fresh, self._apply(fresh, solution))}
        out = {"planner": npv_summary(npvs["planner"], alpha)}
        out["planner"]["in_sample_expected_npv_usd"] = float(np.mean(solution.npv_usd))
        for policy in baseline_policies(data, spec):
            schedule = policy.schedule(fresh)
            npvs[policy.name] = scenario_npv_usd(fresh, schedule)
            out[policy.name] = npv_summary(npvs[policy.name], alpha)
            out[policy.name]["meets_min_share_frac"] = meets_min_share(fresh, spec, schedule)
            if policy.threshold_usd_per_ph_day is not None:
                out[policy.name]["threshold_usd_per_ph_day"] = policy.threshold_usd_per_ph_day
        return out, npvs, _comparison(npvs, spec)


def _comparison(npvs: dict[str, FloatArray], spec: PlannerSpec) -> dict[str, Any]:
    """Planner minus the best baseline (by the planner's objective), paired on the paths."""
    lam, alpha = spec.risk_aversion, spec.cvar_alpha_frac

    def score(x: FloatArray) -> float:
        return float(np.mean(x)) - lam * cvar_loss_usd(x, alpha)

    baselines = {k: v for k, v in npvs.items() if k != "planner"}
    best = max(baselines, key=lambda k: score(baselines[k]))
    diff = paired_difference(npvs["planner"], baselines[best])
    return {
        "best_baseline": best,
        "planner_minus_best_expected_npv_usd": diff["mean_usd"],
        "std_error_usd": diff["std_error_usd"],
        "planner_minus_best_cvar_usd": cvar_loss_usd(npvs["planner"], alpha)
        - cvar_loss_usd(baselines[best], alpha),
    }


def _durations(clock: dict[str, float], solution: Solution) -> dict[str, float]:
    return {
        "data": clock["data"] - clock["start"],
        "build": solution.build_seconds,
        "solve": solution.solve_seconds,
        "frontier": clock["frontier"] - clock["solve"],
        "evaluate": clock["evaluate"] - clock["frontier"],
        "total": clock["evaluate"] - clock["start"],
    }


def plan(scenario: Scenario | None = None, spec: PlannerSpec | None = None) -> PlanResult:
    """Solve the conversion plan and value it against the baselines (``hashpivot plan``).

    ``Planner(scenario, spec).run()``; ``scenario`` defaults to the packaged default
    scenario and ``spec`` to the scenario's ``planner`` settings.
    """
    sc = scenario or default_scenario()
    return Planner(sc, spec or sc.planner).run()
