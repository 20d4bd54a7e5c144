"""Risk measures over simulated paths: distribution summaries, tail risk, BTC exposure, hedge.

Pure functions over arrays whose first axis is the path.

References
----------
.. [1] Value-at-risk and conditional value-at-risk (expected shortfall): Rockafellar, R.T.
   and Uryasev, S. (2000), "Optimization of conditional value-at-risk", Journal of Risk
   2(3):21-41. Here both are stated as levels of the outcome (a value, not a loss):
   ``p5`` is the 5th percentile and ``cvar5`` the mean of the outcomes at or below it.
.. [2] Hedge effectiveness as variance reduction, 1 − Var(hedged)/Var(unhedged):
   Ederington, L.H. (1979), "The hedging performance of the new futures markets",
   Journal of Finance 34(1):157-170.

"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

TAIL_FRAC = 0.05
"""Tail probability of VaR and CVaR [-]."""


def cvar(values: ArrayLike, tail_frac: float = TAIL_FRAC) -> float:
    """Mean of the outcomes at or below the ``tail_frac`` quantile (expected shortfall) [unit]."""
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if x.size == 0:
        msg = "cvar: needs at least one value"
        raise ValueError(msg)
    k = max(int(np.ceil(tail_frac * x.size)), 1)
    return float(x[:k].mean())


def distribution(values: ArrayLike, tail_frac: float = TAIL_FRAC) -> dict[str, float]:
    """Mean, std, p5, p50, p95 and CVaR of a sample (one value per path) [unit]."""
    x = np.asarray(values, dtype=np.float64).ravel()
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return {
        "mean": float(x.mean()),
        "std": float(x.std(ddof=1)) if x.size > 1 else 0.0,
        "p5": float(p5),
        "p50": float(p50),
        "p95": float(p95),
        "var5": float(np.quantile(x, tail_frac)),
        "cvar5": cvar(x, tail_frac),
    }


def prob_negative_any_period(values_by_period: ArrayLike) -> float:
    """Share of paths with a negative value in at least one period ``(paths, periods)`` [-]."""
    v = np.asarray(values_by_period, dtype=np.float64)
    return float(np.mean(np.any(v < 0.0, axis=-1)))


def btc_exposure(cash_flow_usd: ArrayLike, btc_price_usd: ArrayLike) -> dict[str, float]:
    """Correlation and elasticity ("BTC beta") of a cash flow to the BTC price across paths.

    Both inputs hold one value per path (for example total EBITDA and the mean BTC price
    over the horizon). The beta is the least-squares slope of the cash flow on the price,
    scaled to an elasticity at the means: the % change in cash flow per 1 % change in
    the BTC price. Pure mining has a beta near or above 1 (operating leverage); contracted
    rent has none.
    """
    y = np.asarray(cash_flow_usd, dtype=np.float64).ravel()
    x = np.asarray(btc_price_usd, dtype=np.float64).ravel()
    if y.size < 3 or np.std(x) == 0.0:
        return {"corr": float("nan"), "beta": float("nan"), "slope_usd_per_usd": float("nan")}
    slope = float(np.cov(x, y, ddof=1)[0, 1] / np.var(x, ddof=1))
    mean_y = float(y.mean())
    corr = float(np.corrcoef(x, y)[0, 1]) if np.std(y) > 0 else 0.0
    beta = slope * float(x.mean()) / mean_y if mean_y != 0 else float("nan")
    return {"corr": corr, "beta": beta, "slope_usd_per_usd": slope}


def variance_reduction_frac(hedged: ArrayLike, unhedged: ArrayLike) -> float:
    """Hedge effectiveness 1 − Var(hedged)/Var(unhedged), on the same paths [-]. Ref [2]."""
    vu = float(np.var(np.asarray(unhedged, dtype=np.float64), ddof=1))
    vh = float(np.var(np.asarray(hedged, dtype=np.float64), ddof=1))
    return float("nan") if vu == 0.0 else 1.0 - vh / vu


def frontier_point(share: float, npv_usd: ArrayLike) -> dict[str, Any]:
    """One point of the AI-share frontier: expected NPV, its std and CVaR [USD]."""
    d = distribution(npv_usd)
    return {"ai_share_frac": share, "npv_mean_usd": d["mean"], "npv_std_usd": d["std"],
            "npv_cvar5_usd": d["cvar5"]}  # fmt: skip
