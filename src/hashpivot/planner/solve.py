"""Build → solve → read back, only when HiGHS says optimal; name the family of an infeasibility.

:func:`solve_plan` builds the model of :mod:`hashpivot.planner.model`, solves it with
HiGHS through linopy's direct interface, and returns a :class:`Solution` when the
solver reports an optimum. Any other status raises: :class:`PlanInfeasibleError` names
the constraint families that together make the model infeasible (a deletion filter
over families, Chinneck and Dravnieks 1991, run on the first stage alone, since the
second stage is always feasible), :class:`PlanNotSolvedError` gives HiGHS's status.

Shadow prices are the duals of the LP (for a block MILP, of its LP relaxation), turned
into the value of one more unit of each resource in the objective's USD.

References
----------
.. [1] Chinneck, J. W. and Dravnieks, E. W. (1991), "Locating minimal infeasible
   constraint sets in linear programs", ORSA Journal on Computing 3(2):157-168.
.. [2] Huangfu, Q. and Hall, J. A. J. (2018), "Parallelizing the dual revised simplex
   method", Mathematical Programming Computation 10:119-142 (HiGHS).

"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any

import linopy
import numpy as np
import numpy.typing as npt

from hashpivot.errors import HashpivotError
from hashpivot.planner.data import PlannerData
from hashpivot.planner.model import FAMILIES, USD_SCALE, build_model, families_in
from hashpivot.planner.spec import PlannerSpec

FloatArray = npt.NDArray[np.float64]

RESOURCE_FAMILIES = (
    "Market-ai-demand-upper",
    "Company-capex-budget-upper",
    "Company-capex-period-upper",
    "Company-construction-upper",
    "Company-debt-capacity-upper",
    "Company-debt-ltv-upper",
    "Site-convert-capacity-upper",
    "Company-ai-share-lower",
    "Company-ai-share-upper",
)
"""Families whose duals are reported as shadow prices."""

MONEY_FAMILIES = frozenset(
    {"Company-capex-budget-upper", "Company-capex-period-upper", "Company-debt-capacity-upper",
     "Company-debt-ltv-upper"}
)  # fmt: skip
"""Families whose right-hand side is money (their shadow price is USD per USD)."""


class PlannerError(HashpivotError):
    """The planner could not give a plan."""


class PlanInfeasibleError(PlannerError):
    """No schedule meets every limit; ``families`` are the constraint families in conflict."""

    def __init__(self, message: str, families: list[str]) -> None:
        super().__init__(message)
        self.families = families


class PlanNotSolvedError(PlannerError):
    """HiGHS stopped without an optimum (time limit, numerical trouble, unbounded)."""


@dataclass
class Solution:
    """One optimal plan: the schedule, per-scenario NPV, shadow prices, sizes and timings.

    ``convert_mw``, ``converted_mw`` and ``mining_mw`` are ``(K, T)``; ``mining_mw`` is
    the mean over scenarios. ``shadow_prices`` maps a family to the value of one more
    unit of its right-hand side in every row (USD per MW, or USD per USD for money).
    ``mip_gap_frac`` is HiGHS's final relative gap of a block (MILP) plan, at most
    ``PlannerSpec.mip_rel_gap_frac``. ``rule_converted_mw`` ``(K, T, B)`` is the decision
    rule (MW converted by each period, by hashprice band) and ``scenario_convert_mw``
    ``(S, K, T)`` what each training scenario converts; ``convert_mw`` and
    ``converted_mw`` are the means over the training scenarios.
    """

    status: str
    risk_aversion: float
    convert_mw: FloatArray
    converted_mw: FloatArray
    mining_mw: FloatArray
    npv_usd: FloatArray
    rule_converted_mw: FloatArray
    scenario_convert_mw: FloatArray
    objective_usd: float
    shadow_prices: dict[str, FloatArray] = field(default_factory=dict)
    variables: int = 0
    constraints: int = 0
    mip_gap_frac: float | None = None
    build_seconds: float = 0.0
    solve_seconds: float = 0.0


@functools.cache
def _silence_highs_banner() -> None:
    """Create the first HiGHS instance with stdout closed.

    HiGHS prints its banner on stdout once per process, which would spoil ``--json``.
    """
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def run_highs(m: linopy.Model, spec: PlannerSpec) -> tuple[str, float]:
    """Solve with HiGHS (direct interface); termination condition and HiGHS run time [s]."""
    _silence_highs_banner()
    options: dict[str, Any] = {"output_flag": False, "time_limit": spec.time_limit_seconds}
    if m.integers.labels:
        options["mip_rel_gap"] = spec.mip_rel_gap_frac
    log = logging.getLogger("linopy")
    level = log.level
    log.setLevel(logging.ERROR)  # linopy logs every non-optimal status; we raise instead
    try:
        _, condition = m.solve(solver_name="highs", io_api="direct", **options)
    finally:
        log.setLevel(level)
    runtime = float(m.solver_model.getRunTime()) if m.solver_model is not None else 0.0
    return str(condition), runtime


def _is_infeasible(condition: str) -> bool:
    return condition in {"infeasible", "infeasible_or_unbounded"}


def solve_plan(
    data: PlannerData, spec: PlannerSpec, risk_aversion: float | None = None, relax: bool = False
) -> Solution:
    """Build and solve the plan; read it back only if HiGHS reports an optimum.

    Raises :class:`PlanInfeasibleError` naming the families in conflict, or
    :class:`PlanNotSolvedError`. With integer blocks the shadow prices come from a
    second solve of the LP relaxation.
    """
    lam = spec.risk_aversion if risk_aversion is None else risk_aversion
    start = time.perf_counter()
    m = build_model(data, spec, lam, relax=relax)
    built = time.perf_counter()
    condition, runtime = run_highs(m, spec)
    done = time.perf_counter()
    if condition != "optimal":
        _raise_not_optimal(data, spec, condition)
    sol = _read_solution(m, data, lam, condition)
    if m.integers.labels and m.solver_model is not None:
        sol.mip_gap_frac = float(m.solver_model.getInfo().mip_gap)
    sol.build_seconds = (built - start) + max(done - built - runtime, 0.0)
    sol.solve_seconds = runtime
    if spec.integer_block_mw is not None and not relax:
        sol.shadow_prices = solve_plan(data, spec, lam, relax=True).shadow_prices
    return sol


def _clean(values: npt.ArrayLike, tol_mw: float = 1e-7) -> FloatArray:
    """Solver values with round-off below ``tol_mw`` set to 0 (no "-0.0 MW") [MW]."""
    a = np.asarray(values, dtype=np.float64)
    return np.asarray(np.where(np.abs(a) < tol_mw, 0.0, a))


def _shadow_price(m: linopy.Model, name: str) -> FloatArray:
    """Value of one more unit of a family's right-hand side, by site or by period.

    Summed over the other axes (bands, scenarios; periods for a site's capacity), as if
    the limit were relaxed everywhere at once [USD per MW or per USD].
    """
    dual = m.constraints[name].dual
    keep = "site" if name.startswith("Site-") else "period"
    dual = dual.sum([d for d in dual.dims if d != keep])
    unit = 1.0 if name in MONEY_FAMILIES else 1.0 / USD_SCALE
    return np.atleast_1d(-np.asarray(dual.values) * unit + 0.0)


def _fill_unseen_bands(targets: FloatArray, bucket: npt.NDArray[np.int64]) -> FloatArray:
    """Targets of bands no training scenario reached in a period: the nearest reached band's.

    The LP leaves such targets free between their neighbours; taking the nearest reached
    band (the higher-hashprice one first) keeps the rule ordered by hashprice [MW].
    """
    out = targets.copy()
    n_b = targets.shape[2]
    for t in range(targets.shape[1]):
        seen = np.unique(bucket[:, t])
        for b in range(n_b):
            if b in seen:
                continue
            above, below = seen[seen > b], seen[seen < b]
            src = int(above.min()) if above.size else int(below.max())
            out[:, t, b] = targets[:, t, src]
    return out


def _read_solution(m: linopy.Model, data: PlannerData, lam: float, condition: str) -> Solution:
    """Schedule, scenario NPVs and shadow prices of a solved model (USD and MW)."""
    v = m.variables
    mine = np.asarray(v["Fleet-mine"].solution.values)
    n_s, n_t, n_k, _ = data.shape
    mining = np.stack([mine[:, :, data.fleet_site == k].sum(axis=-1).mean(axis=0)
                       for k in range(n_k)])  # fmt: skip
    targets = _clean(v["Site-converted"].solution.transpose("site", "period", "bucket").values)
    bucket = np.zeros((n_s, n_t), np.int64) if data.signal_bucket is None else data.signal_bucket
    targets = _fill_unseen_bands(targets, bucket)
    stock = np.moveaxis(targets[:, np.arange(n_t)[None, :], bucket], 1, 0)  # (S, K, T)
    per_scenario = np.diff(stock, axis=-1, prepend=0.0)
    prices = {}
    if not m.integers.labels:
        for name in RESOURCE_FAMILIES:
            if name in m.constraints:
                prices[name] = _shadow_price(m, name)
    return Solution(
        status=condition,
        risk_aversion=lam,
        convert_mw=per_scenario.mean(axis=0),
        converted_mw=stock.mean(axis=0),
        mining_mw=_clean(mining),
        npv_usd=np.asarray(v["Scenario-npv"].solution.values) / USD_SCALE,
        rule_converted_mw=targets,
        scenario_convert_mw=per_scenario,
        objective_usd=-float(m.objective.value or 0.0) / USD_SCALE,
        shadow_prices=prices,
        variables=int(m.nvars),
        constraints=int(m.ncons),
    )


# --------------------------------------------------------------------------- diagnosis


def _first_stage_feasible(data: PlannerData, spec: PlannerSpec, drop: set[str]) -> bool:
    # a rule is feasible iff one shared schedule is (any scenario's conversions are one)
    m = build_model(replace(data, signal_bucket=None), spec, first_stage_only=True)
    for name in drop:
        if name in m.constraints:
            m.remove_constraints(name)
    condition, _ = run_highs(m, spec)
    if condition == "optimal":
        return True
    if _is_infeasible(condition):
        return False
    msg = f"HiGHS could not decide feasibility of the first stage: {condition}"
    raise PlanNotSolvedError(msg)


def conflicting_families(data: PlannerData, spec: PlannerSpec) -> list[str]:
    """Smallest set of removable families that together make the first stage infeasible.

    A deletion filter: drop each family in turn and keep it dropped when the rest stays
    infeasible; what remains is needed for the infeasibility. Empty if the first stage
    is feasible.
    """
    if _first_stage_feasible(data, spec, set()):
        return []
    m = build_model(replace(data, signal_bucket=None), spec, first_stage_only=True)
    candidates = [f for f in families_in(m) if FAMILIES[f].removable]
    dropped: set[str] = set()
    for name in candidates:
        if not _first_stage_feasible(data, spec, dropped | {name}):
            dropped.add(name)
    return [f for f in candidates if f not in dropped]


def describe_family(name: str, spec: PlannerSpec) -> str:
    """``label (Family-name, field=value)`` for messages."""
    fam = FAMILIES[name]
    if fam.field in PlannerSpec.model_fields:
        return f"{fam.label} ({name}, {fam.field}={getattr(spec, fam.field)!r})"
    if fam.field:
        return f"{fam.label} ({name}, from the sites' {fam.field})"
    return f"{fam.label} ({name})"


def _raise_not_optimal(data: PlannerData, spec: PlannerSpec, condition: str) -> None:
    if _is_infeasible(condition):
        families = conflicting_families(data, spec)
        if families:
            parts = [describe_family(f, spec) for f in families]
            head = parts[0] if len(parts) == 1 else f"{parts[0]} conflicts with "
            tail = "" if len(parts) == 1 else " and ".join(parts[1:])
            msg = f"infeasible: {head}{tail}; relax one of them"
            raise PlanInfeasibleError(msg, families)
    msg = f"HiGHS stopped without an optimum ({condition}); no plan is reported"
    raise PlanNotSolvedError(msg)
