"""Value of a conversion schedule on any set of paths, without a solver.

For a fixed schedule the second stage separates by scenario, period and site: mine the
tiers with the best positive margin per MW on the MW the conversions leave (a
fractional knapsack, solved exactly by sorting). So the same per-MW economics the LP
optimises can value the planner's schedule and every baseline on fresh paths, and the
in-sample NPV of the LP can be checked against it.

Risk is reported as CVaR_α of the loss −NPV in the Rockafellar-Uryasev form, the same
number the LP's objective holds at its optimum.

References
----------
.. [1] Rockafellar, R. T. and Uryasev, S. (2000), "Optimization of conditional
   value-at-risk", Journal of Risk 2(3):21-41, Theorem 1.
.. [2] Out-of-sample evaluation of SAA solutions: Shapiro, Dentcheva and Ruszczyński
   (2014), *Lectures on Stochastic Programming*, 2nd ed., SIAM, section 5.6.

"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from hashpivot.planner.data import PlannerData

FloatArray = npt.NDArray[np.float64]


def converted_stock_mw(convert_mw: FloatArray) -> FloatArray:
    """Converted stock C = cumulative conversions along the period axis (last) [MW]."""
    return np.asarray(np.cumsum(convert_mw, axis=-1))


def mining_mw(data: PlannerData, convert_mw: FloatArray) -> FloatArray:
    """MW each tier mines when the schedule leaves the rest of the site, ``(S, T, F)`` [MW].

    ``convert_mw`` is ``(K, T)`` for one schedule or ``(S, K, T)`` for one per path. Per
    scenario, period and site, the tiers with the best positive margin per MW fill the MW
    left, each up to its draw.
    """
    stock = converted_stock_mw(np.asarray(convert_mw, dtype=np.float64))
    n_s, n_t, n_k, n_f = data.shape
    stock = np.broadcast_to(stock, (n_s, n_k, n_t))
    left = np.maximum(data.site_mw[None] - stock, 0.0)  # (S, K, T)
    out = np.zeros((n_s, n_t, n_f))
    for k in range(n_k):
        tiers = np.flatnonzero(data.fleet_site == k)
        if tiers.size == 0:
            continue
        margin = data.margin_usd_per_mw[:, :, tiers]
        order = np.argsort(-margin, axis=-1, kind="stable")
        cap = np.broadcast_to(data.fleet_mw[tiers].T[None], margin.shape)
        cap_sorted = np.take_along_axis(cap, order, axis=-1)
        before = np.cumsum(cap_sorted, axis=-1) - cap_sorted
        fill_sorted = np.clip(left[:, k, :, None] - before, 0.0, cap_sorted)
        fill_sorted *= np.take_along_axis(margin, order, axis=-1) > 0.0
        fill = np.empty_like(fill_sorted)
        np.put_along_axis(fill, order, fill_sorted, axis=-1)
        out[:, :, tiers] = fill
    return out


def scenario_npv_usd(data: PlannerData, convert_mw: FloatArray) -> FloatArray:
    """NPV of the schedule in each scenario: mining margin + lease NOI − capex, PV (S,) [USD]."""
    x = np.asarray(convert_mw, dtype=np.float64)
    first = (x * data.value_usd_per_mw).sum(axis=(-2, -1))
    mining = (data.margin_usd_per_mw * mining_mw(data, x)).sum(axis=(1, 2))
    return np.asarray(mining + first)


def cvar_loss_usd(npv_usd: FloatArray, alpha: float) -> float:
    """CVaR_α of the loss −NPV: min over η of η + E[(−NPV − η)⁺]/(1 − α) [USD].

    Computed exactly on the sample (the minimum lies at a sample point), so it equals the
    LP's CVaR term at the same schedule; lower is better, negative means even the worst
    (1 − α) tail keeps a positive NPV.
    """
    loss = np.sort(-np.asarray(npv_usd, dtype=np.float64).ravel())
    n = loss.size
    if n == 0:
        msg = "cvar_loss_usd: needs at least one scenario"
        raise ValueError(msg)
    tail = np.cumsum(loss[::-1])[::-1]  # Σ_{j≥i} loss_j
    excess = tail - loss * np.arange(n, 0, -1)  # Σ_{j≥i} (loss_j − loss_i)
    values = loss + excess / ((1.0 - alpha) * n)
    return float(values.min())


def objective_usd(npv_usd: FloatArray, risk_aversion: float, alpha: float) -> float:
    """Mean-CVaR objective E[NPV] − λ·CVaR_α(−NPV) of a sample [USD]."""
    mean = float(np.mean(npv_usd))
    return mean - risk_aversion * cvar_loss_usd(npv_usd, alpha) if risk_aversion else mean


def npv_summary(npv_usd: FloatArray, alpha: float) -> dict[str, Any]:
    """Expected NPV with its standard error, CVaR of loss, and percentiles of one policy [USD]."""
    x = np.asarray(npv_usd, dtype=np.float64)
    n = x.size
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return {
        "expected_npv_usd": float(x.mean()),
        "std_error_usd": float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
        "cvar_usd": cvar_loss_usd(x, alpha),
        "npv_p5_usd": float(p5),
        "npv_p50_usd": float(p50),
        "npv_p95_usd": float(p95),
        "paths": n,
    }


def paired_difference(a_usd: FloatArray, b_usd: FloatArray) -> dict[str, float]:
    """Mean of a − b on the same paths, with its standard error [USD]."""
    d = np.asarray(a_usd, dtype=np.float64) - np.asarray(b_usd, dtype=np.float64)
    se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan")
    return {"mean_usd": float(d.mean()), "std_error_usd": se}
