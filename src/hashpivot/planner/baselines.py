"""Baseline policies the planner is compared with: never convert, convert all now, threshold.

Each policy turns paths into a schedule ``(S, K, T)`` of MW converted, period by period,
using only what is known at the start of each period (no look-ahead), and within the
same limits as the planner (site MW, construction, AI demand, capex budget and debt,
the maximum AI share, whole blocks). Within a period, sites with the lowest expected
mining margin per MW convert first. The minimum AI share is not forced on a baseline;
:func:`meets_min_share` says whether a schedule meets it.

The threshold rule (convert a site once the trailing hashprice falls below a level) is
the "if-then" decision rule of flexible capacity expansion; its level is tuned on the
training paths with the planner's own objective.

References
----------
.. [1] Zhao, S., Haskell, W. B. and Cardin, M.-A. (2019), "Decision rule-based method in
   solving multi-stage stochastic capacity expansion problems", arXiv:1905.05328.

"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hashpivot.planner.data import PlannerData, signal_buckets, signal_state
from hashpivot.planner.evaluate import objective_usd, scenario_npv_usd
from hashpivot.planner.spec import PlannerSpec

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_BIG = 1e30


@dataclass(frozen=True)
class Policy:
    """A named policy: a function from the problem data to a schedule ``(S, K, T)`` [MW]."""

    name: str
    schedule: Callable[[PlannerData], FloatArray]
    threshold_usd_per_ph_day: float | None = None


def site_order(data: PlannerData) -> npt.NDArray[np.int64]:
    """Sites by rising mean mining margin per MW of their tiers (worst miners convert first)."""
    n_k = data.shape[2]
    mean = np.full(n_k, -_BIG)
    for k in range(n_k):
        tiers = data.fleet_site == k
        if tiers.any():
            w = data.fleet_mw[tiers].sum(axis=1)
            per_tier = data.margin_usd_per_mw[:, :, tiers].mean(axis=(0, 1))
            mean[k] = float((per_tier * w).sum() / max(w.sum(), 1e-12))
    return np.argsort(mean, kind="stable").astype(np.int64)


def greedy_schedule(
    data: PlannerData, spec: PlannerSpec, want: BoolArray, requested_mw: FloatArray | None = None
) -> FloatArray:
    """Convert as much as the limits allow wherever ``want[s, t]`` is True, ``(S, K, T)`` [MW].

    Periods run in order; in each, sites in :func:`site_order` take what the period's
    construction, AI demand and capex allowance leave, and the budget, debt, AI share and
    their own remaining MW allow; never more than ``requested_mw[s, k, t]`` when given.
    With blocks, amounts are rounded down to whole blocks.
    """
    n_s, n_t, n_k, _ = data.shape
    state = _Limits.start(data, spec, n_s)
    out = np.zeros((n_s, n_k, n_t))
    for t in range(n_t):
        state.new_period(spec)
        for k in site_order(data):
            amount = np.where(want[:, t], state.room(data, spec, int(k), t), 0.0)
            if requested_mw is not None:
                amount = np.minimum(amount, requested_mw[:, k, t])
            if spec.integer_block_mw is not None:
                b = spec.integer_block_mw
                amount = np.floor(amount / b + 1e-9) * b
            state.take(data, int(k), t, amount)
            out[:, k, t] = amount
    return out


def rule_schedule(
    data: PlannerData, spec: PlannerSpec, rule_converted_mw: FloatArray, edges: FloatArray | None
) -> FloatArray:
    """What the planner's decision rule converts on each path, ``(S, K, T)`` [MW].

    ``rule_converted_mw[k, t, b]`` is the MW site k should have converted by period t
    when the lowest trailing hashprice so far is in band b (bands from the training
    ``edges``; None for a single schedule). A path's stock follows the running maximum
    of its targets (conversions are irreversible); on paths the optimisation never saw
    the rule can ask for more than a limit leaves, so it is cut to what the limits
    allow, as the baselines are.
    """
    n_s, n_t, _, _ = data.shape
    band = np.zeros((n_s, n_t), np.int64) if edges is None else signal_buckets(
        signal_state(data.hashprice_signal_usd_per_ph_day), edges
    )  # fmt: skip
    target = np.moveaxis(rule_converted_mw[:, np.arange(n_t)[None, :], band], 1, 0)
    stock = np.maximum.accumulate(target, axis=-1)
    requested = np.diff(stock, axis=-1, prepend=0.0)
    return greedy_schedule(data, spec, np.ones((n_s, n_t), dtype=bool), requested)


@dataclass
class _Limits:
    """What is left of each limit, per path (S,) or (S, K)."""

    site_mw: FloatArray
    share_mw: FloatArray
    budget_usd: FloatArray
    lease_pv_usd: FloatArray
    spend_usd: FloatArray  # (S, T) capex already committed to each period
    construction_mw: FloatArray
    demand_it_mw: FloatArray

    @classmethod
    def start(cls, data: PlannerData, spec: PlannerSpec, n_s: int) -> _Limits:
        n_t = data.shape[1]
        total = float(data.site_capacity_mw.sum())
        share = spec.max_ai_share_frac * total - float(data.existing_converted_mw.sum())
        budget = _BIG if spec.capex_budget_usd is None else spec.capex_budget_usd
        return cls(
            site_mw=np.tile(data.convertible_mw, (n_s, 1)).astype(np.float64),
            share_mw=np.full(n_s, max(share, 0.0)),
            budget_usd=np.full(n_s, budget),
            lease_pv_usd=np.zeros(n_s),
            spend_usd=np.zeros((n_s, n_t)),
            construction_mw=np.zeros(n_s),
            demand_it_mw=np.zeros(n_s),
        )

    def new_period(self, spec: PlannerSpec) -> None:
        cap, dem = spec.construction_mw_per_period, spec.ai_demand_it_mw_per_period
        self.construction_mw[:] = _BIG if cap is None else cap
        self.demand_it_mw[:] = _BIG if dem is None else dem

    def room(self, data: PlannerData, spec: PlannerSpec, k: int, t: int) -> FloatArray:
        """Largest conversion of site k in period t on each path [MW]."""
        capex = float(data.capex_usd_per_mw[k])
        limits = [
            self.site_mw[:, k],
            self.share_mw,
            self.construction_mw,
            self.demand_it_mw / float(data.it_mw_per_mw[k]),
        ]
        if capex > 0.0:
            limits.append(self._fundable_mw(data, spec, k, t, capex))
            per = spec.capex_budget_usd_per_period
            frac = data.capex_spend_frac[k, t]
            if per is not None and frac.max() > 0:
                left = per - self.spend_usd[:, frac > 0]
                limits.append((left / (capex * frac[frac > 0])).min(axis=1))
        return np.asarray(np.maximum(np.minimum.reduce(limits), 0.0), dtype=np.float64)

    def _fundable_mw(
        self, data: PlannerData, spec: PlannerSpec, k: int, t: int, capex: float
    ) -> FloatArray:
        """MW the budget plus the debt the leases support can pay for [MW]."""
        if spec.capex_budget_usd is None:
            return np.full_like(self.budget_usd, _BIG)
        debt_cap = spec.debt_capacity_usd
        with_cap = (self.budget_usd + debt_cap) / capex
        if spec.debt_ltv_frac is None:
            return np.asarray(with_cap)
        ltv, lease = spec.debt_ltv_frac, float(data.lease_usd_per_mw[k, t])
        net = capex - ltv * lease
        base = self.budget_usd + ltv * self.lease_pv_usd
        with_ltv = np.where(net > 0, base / max(net, 1e-12), _BIG)
        return np.asarray(np.minimum(with_cap, with_ltv))

    def take(self, data: PlannerData, k: int, t: int, amount: FloatArray) -> None:
        capex = float(data.capex_usd_per_mw[k]) * amount
        self.site_mw[:, k] -= amount
        self.share_mw -= amount
        self.construction_mw -= amount
        self.demand_it_mw -= amount * float(data.it_mw_per_mw[k])
        self.budget_usd -= capex
        self.lease_pv_usd += amount * float(data.lease_usd_per_mw[k, t])
        self.spend_usd += capex[:, None] * data.capex_spend_frac[k, t][None, :]


# --------------------------------------------------------------------------- policies


def never_convert(data: PlannerData) -> FloatArray:
    """No new conversion: every MW keeps mining, ``(S, K, T)`` of zeros [MW]."""
    n_s, n_t, n_k, _ = data.shape
    return np.zeros((n_s, n_k, n_t))


def convert_all_now(data: PlannerData, spec: PlannerSpec) -> FloatArray:
    """Convert every MW as early as the limits allow [MW]."""
    n_s, n_t, _, _ = data.shape
    return greedy_schedule(data, spec, np.ones((n_s, n_t), dtype=bool))


def threshold_schedule(data: PlannerData, spec: PlannerSpec, level: float) -> FloatArray:
    """Convert, as fast as the limits allow, once the trailing hashprice falls below ``level``.

    The trigger is the first period whose signal
    (:attr:`PlannerData.hashprice_signal_usd_per_ph_day`) is below ``level``
    [USD/PH/day]; conversions continue after it until the sites are converted.
    """
    below = data.hashprice_signal_usd_per_ph_day < level
    triggered = np.maximum.accumulate(below, axis=1)
    return greedy_schedule(data, spec, triggered)


def tune_threshold(
    data: PlannerData, spec: PlannerSpec, risk_aversion: float | None = None
) -> tuple[float, float]:
    """Threshold that maximises E[NPV] − λ·CVaR on the training paths, and that objective.

    Candidates are quantiles of the trailing hashprice over all training paths and
    periods, plus the two extremes (never, at once) [USD/PH/day, USD].
    """
    lam = spec.risk_aversion if risk_aversion is None else risk_aversion
    signal = data.hashprice_signal_usd_per_ph_day
    levels = np.quantile(signal, np.linspace(0.0, 1.0, spec.threshold_candidates))
    candidates = [0.0, *np.unique(levels).tolist(), float(signal.max()) * 2 + 1.0]
    scores = [
        objective_usd(
            scenario_npv_usd(data, threshold_schedule(data, spec, level)), lam, spec.cvar_alpha_frac
        )
        for level in candidates
    ]
    i = int(np.argmax(scores))
    return float(candidates[i]), float(scores[i])


def baseline_policies(
    training: PlannerData, spec: PlannerSpec, risk_aversion: float | None = None
) -> list[Policy]:
    """The three baselines, the threshold tuned on ``training``."""
    level, _ = tune_threshold(training, spec, risk_aversion)
    return [
        Policy("never_convert", never_convert),
        Policy("convert_all_now", lambda d: convert_all_now(d, spec)),
        Policy("hashprice_threshold", lambda d: threshold_schedule(d, spec, level), level),
    ]


def meets_min_share(data: PlannerData, spec: PlannerSpec, convert_mw: FloatArray) -> float:
    """Share of paths on which a schedule reaches the minimum AI share [-]."""
    need = spec.min_ai_share_frac * float(data.site_capacity_mw.sum())
    have = float(data.existing_converted_mw.sum()) + np.asarray(convert_mw).sum(axis=(-2, -1))
    return float(np.mean(np.broadcast_to(have, (data.shape[0],)) >= need - 1e-6))
