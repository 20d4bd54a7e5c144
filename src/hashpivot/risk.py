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


# --------------------------------------------------------------------------- exposures (#20)

BTC_BUMP_FRAC = 0.10
"""Size of the BTC price move of the bump-and-reprice exposures: +10 % on every month of
every path (the move the issue asks for; a parallel shift, the network held) [-]."""
N_BTC_BUCKETS = 5
"""BTC-price buckets of the EBITDA table: quintiles of each path's mean BTC price
(assumption) [-]."""
R2_POLY_DEGREE = 3
"""Degree of the polynomial in log mean BTC price whose R² is the share of variance BTC
explains: a cubic follows the kink where fleets stop mining (assumption) [-]."""
NEAR_ZERO_SE = 2.0
"""An elasticity at the means is shown with a warning when the mean is within this many
standard errors of zero (the issue's rule) [-]."""


def bump_delta(base: ArrayLike, bumped: ArrayLike) -> dict[str, float]:
    """Mean change per path between a bumped and a base revaluation, with its standard error.

    Both arrays hold one value per path on common random numbers (the same paths, only the
    bumped driver changed), so the per-path differences carry no sampling noise of their
    own and the standard error is that of their mean, ``std(d)/sqrt(n)`` (Glasserman 2003,
    *Monte Carlo Methods in Financial Engineering*, §7.1, https://doi.org/10.1007/978-0-387-21617-1).

    Returns ``{"delta": mean change, "se": its standard error}`` in the unit of the inputs.
    """
    d = np.asarray(bumped, dtype=np.float64).ravel() - np.asarray(base, dtype=np.float64).ravel()
    se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan")
    return {"delta": float(d.mean()), "se": se}


def r2_on_btc(values: ArrayLike, btc_price_usd: ArrayLike, degree: int = R2_POLY_DEGREE) -> float:
    """Share of the variance of ``values`` explained by a polynomial in log BTC price [-].

    ``values`` and ``btc_price_usd`` hold one value per path (e.g. NPV and the path's mean
    price). The R² of an OLS on ``1, z, ..., z^degree`` with ``z`` the standardised log
    price; with ``degree = 1`` it is the squared correlation with the log price.
    """
    y = np.asarray(values, dtype=np.float64).ravel()
    z = np.log(np.asarray(btc_price_usd, dtype=np.float64).ravel())
    if y.size <= degree + 1 or np.std(z) == 0.0:
        return float("nan")
    z = (z - z.mean()) / z.std()
    x = np.vander(z, degree + 1)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    tss = float(np.sum((y - y.mean()) ** 2))
    return 0.0 if tss == 0.0 else 1.0 - float(np.sum((y - x @ coef) ** 2)) / tss


def btc_buckets(
    values: ArrayLike, btc_price_usd: ArrayLike, n_buckets: int = N_BTC_BUCKETS
) -> list[dict[str, float]]:
    """Distribution of ``values`` within quantile buckets of the BTC price.

    Returns one row per bucket: ``btc_lo_usd``, ``btc_hi_usd`` (the bucket's price range),
    ``paths``, ``mean``, ``p5``, ``p95`` of ``values`` (their unit, e.g. USD/yr).
    """
    y = np.asarray(values, dtype=np.float64).ravel()
    x = np.asarray(btc_price_usd, dtype=np.float64).ravel()
    edges = np.quantile(x, np.linspace(0.0, 1.0, n_buckets + 1))
    which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, n_buckets - 1)
    rows = []
    for b in range(n_buckets):
        v = y[which == b]
        if v.size == 0:
            continue
        p5, p95 = np.percentile(v, [5, 95])
        rows.append({"btc_lo_usd": float(edges[b]), "btc_hi_usd": float(edges[b + 1]),
                     "paths": int(v.size), "mean": float(v.mean()), "p5": float(p5),
                     "p95": float(p95)})  # fmt: skip
    return rows


def ts_beta_per_path(monthly_usd: ArrayLike, btc_price_usd: ArrayLike) -> FloatArray:
    """Each path's time-series slope of monthly changes of a flow on BTC monthly returns.

    ``monthly_usd`` and ``btc_price_usd`` are ``(paths, months)``; the slope is the OLS
    of ``ΔEBITDA_t`` (USD) on the simple return ``P_t/P_{t-1} − 1`` over a path's months
    ``(paths,)`` [USD per unit BTC return]. Divided by a monthly level it is a beta
    comparable with an equity's return beta (:func:`elasticity_with_warning`).
    """
    y = np.diff(np.asarray(monthly_usd, dtype=np.float64), axis=-1)
    p = np.asarray(btc_price_usd, dtype=np.float64)
    x = p[:, 1:] / p[:, :-1] - 1.0
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    sxx = np.sum(xc * xc, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(sxx > 0, np.sum(xc * yc, axis=-1) / sxx, np.nan))


def elasticity_with_warning(
    change_usd: float, level: ArrayLike, move_frac: float = 1.0
) -> dict[str, Any]:
    """``change / mean(level) / move`` with a warning when the mean is near zero.

    ``level`` holds one value per path. The elasticity is reported only with
    ``warning`` set when ``|mean| < NEAR_ZERO_SE × se(mean)``: a ratio to a mean that
    the paths cannot tell from zero has no stable value (the issue's objection to the
    elasticity at the means).
    """
    y = np.asarray(level, dtype=np.float64).ravel()
    mean = float(y.mean())
    se = float(y.std(ddof=1) / np.sqrt(y.size)) if y.size > 1 else float("nan")
    value = change_usd / mean / move_frac if mean != 0.0 else float("nan")
    near = not abs(mean) >= NEAR_ZERO_SE * se
    warning = (
        f"mean {mean:,.0f} is within {NEAR_ZERO_SE:g} standard errors ({se:,.0f}) of zero: "
        "the elasticity is unstable; use the dollar deltas"
        if near
        else ""
    )
    return {"value": value, "warning": warning}


# --------------------------------------------------------------------------- after capex, debt


def levered_fcf_usd(
    fcf_usd: ArrayLike, sustaining_capex_usd: ArrayLike, debt_service_usd: ArrayLike
) -> FloatArray:
    """Free cash flow after sustaining capex and debt service ``(paths, months)`` [USD].

    ``fcf_usd`` is the engine's unlevered free cash flow (EBITDA − tax − conversion capex
    + ASIC sales); ``sustaining_capex_usd`` and ``debt_service_usd`` (interest +
    principal) are ``(months,)`` rows subtracted from every path.
    """
    f = np.asarray(fcf_usd, dtype=np.float64)
    return np.asarray(f - np.asarray(sustaining_capex_usd) - np.asarray(debt_service_usd))


def min_cash_usd(cash0_usd: float, flows_usd: ArrayLike) -> FloatArray:
    """Lowest month-end cash of each path, starting from ``cash0_usd`` ``(paths,)`` [USD]."""
    cum = np.cumsum(np.asarray(flows_usd, dtype=np.float64), axis=-1)
    return np.asarray(cash0_usd + np.minimum(cum.min(axis=-1), 0.0))


def min_annual_dscr(ebitda_usd: ArrayLike, debt_service_usd: ArrayLike) -> FloatArray:
    """Lowest annual debt-service coverage ratio of each path ``(paths,)`` [-].

    DSCR of a year of 12 months = EBITDA / (interest + principal) of that year, over the
    years with debt service; NaN when there is none. (Moody's-style EBITDA coverage,
    https://www.investopedia.com/terms/d/dscr.asp; EBITDA before tax, an assumption.)
    """
    e = np.asarray(ebitda_usd, dtype=np.float64)
    s = np.broadcast_to(np.asarray(debt_service_usd, dtype=np.float64), e.shape)
    years = e.shape[-1] // 12
    if years == 0:
        return np.full(e.shape[0], np.nan)
    e_y = e[:, : years * 12].reshape(e.shape[0], years, 12).sum(axis=-1)
    s_y = s[:, : years * 12].reshape(e.shape[0], years, 12).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(s_y > 0, e_y / s_y, np.inf)
    low = ratio.min(axis=-1)
    return np.asarray(np.where(np.isinf(low), np.nan, low))


def cvar_per_npv_given_up(frontier: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add to each frontier point the CVaR gained per dollar of E[NPV] given up [-].

    Against the point of AI share 0 (pure mining): ``(CVaR − CVaR₀) / (E₀ − E)`` where the
    point gives up expected NPV (``E < E₀``); NaN where it gives none up (it dominates or
    ties). A value of 0.5 means each dollar of expected value sacrificed lifts the 5 % tail
    by 50 cents. Each point also gets ``npv_cvar5_gain_usd`` and ``npv_mean_given_up_usd``
    against that point (negative: expected value gained) [USD], so a frontier where
    converting adds value shows it rather than only NaN.
    """
    base = next((p for p in frontier if p["ai_share_frac"] <= 0.0), None)
    out = []
    for p in frontier:
        q = dict(p)
        ratio = float("nan")
        if base is not None:
            gain = p["npv_cvar5_usd"] - base["npv_cvar5_usd"]
            given_up = base["npv_mean_usd"] - p["npv_mean_usd"]
            q |= {"npv_cvar5_gain_usd": gain, "npv_mean_given_up_usd": given_up}
            if given_up > 0:
                ratio = gain / given_up
        q["cvar_gain_per_usd_npv_given_up"] = ratio
        out.append(q)
    return out


SEGMENT_NAMES = ("mining", "colocation", "gpu_cloud", "corporate")
"""Segments of the Monte Carlo whose EBITDA deltas the risk object reports."""


def _segment_deltas(v: dict[str, FloatArray]) -> dict[str, float]:
    out = {}
    for seg in SEGMENT_NAMES:
        base, bumped = v.get(f"{seg}_ebitda_usd"), v.get(f"{seg}_ebitda_bumped_usd")
        if base is not None and bumped is not None:
            out[seg] = bump_delta(base, bumped)["delta"]
    return out


def variant_risk(
    v: dict[str, FloatArray], btc_price_mean_usd: ArrayLike, bump_frac: float, has_debt: bool
) -> dict[str, Any]:
    """The risk object of one Monte Carlo variant, JSON-ready.

    ``v`` holds the variant's per-path arrays: ``npv_usd``, ``ebitda_usd_per_year``,
    ``<segment>_ebitda_usd`` and the bumped and after-debt arrays of
    :func:`hashpivot.simulation.risk_chunk`. Deltas are rescaled from the bump to a 10 %
    move (they are the bump's own size by default). Keys (USD unless named otherwise):
    ``npv_delta_usd_per_10pct_btc`` (+ ``_se``), ``ebitda_delta_usd_per_10pct_btc``
    (+ ``_se``, per year), ``segment_ebitda_delta_usd_per_10pct_btc``, ``btc_r2_frac``
    (of NPV), ``ebitda_btc_r2_frac``, ``btc_corr``, ``ebitda_by_btc_bucket``,
    ``ebitda_ts_beta`` (monthly EBITDA change per BTC return over the mean monthly EBITDA,
    with ``ebitda_ts_beta_warning``), ``npv_btc_elasticity`` (with its warning),
    ``fcf_after_debt_usd_per_year`` (distribution), ``fcf_cvar5_usd``, and with debt
    ``p_liquidity_shortfall_frac`` (cash below zero in some month) and
    ``min_dscr`` (p5, p50, P(< 1)).
    """
    scale = 0.10 / bump_frac
    x = np.asarray(btc_price_mean_usd, dtype=np.float64)
    npv = bump_delta(v["npv_usd"], v["npv_bumped_usd"])
    ebitda = bump_delta(v["ebitda_usd_per_year"], v["ebitda_bumped_usd_per_year"])
    slope = v["ebitda_ts_slope_usd"]
    ts = elasticity_with_warning(float(np.nanmean(slope)), v["ebitda_usd_per_month"])
    el = elasticity_with_warning(npv["delta"] * scale, v["npv_usd"], 0.10)
    fcf = distribution(v["fcf_after_debt_usd_per_year"])
    out: dict[str, Any] = {
        "npv_delta_usd_per_10pct_btc": npv["delta"] * scale,
        "npv_delta_usd_per_10pct_btc_se": npv["se"] * scale,
        "ebitda_delta_usd_per_10pct_btc": ebitda["delta"] * scale,
        "ebitda_delta_usd_per_10pct_btc_se": ebitda["se"] * scale,
        "segment_ebitda_delta_usd_per_10pct_btc": {
            k: d * scale for k, d in _segment_deltas(v).items()
        },
        "btc_r2_frac": r2_on_btc(v["npv_usd"], x),
        "ebitda_btc_r2_frac": r2_on_btc(v["ebitda_usd_per_year"], x),
        "btc_corr": btc_exposure(v["ebitda_usd_per_year"], x)["corr"],
        "ebitda_by_btc_bucket": btc_buckets(v["ebitda_usd_per_year"], x),
        "ebitda_ts_beta": ts["value"],
        "ebitda_ts_beta_warning": ts["warning"],
        "npv_btc_elasticity": el["value"],
        "npv_btc_elasticity_warning": el["warning"],
        "fcf_after_debt_usd_per_year": fcf,
        "fcf_cvar5_usd": fcf["cvar5"],
        "bump_frac": bump_frac,
    }
    if has_debt:
        dscr = v["min_dscr"][np.isfinite(v["min_dscr"])]
        out["p_liquidity_shortfall_frac"] = float(np.mean(v["min_cash_usd"] < 0.0))
        out["min_dscr"] = {
            "p5": float(np.percentile(dscr, 5)) if dscr.size else float("nan"),
            "p50": float(np.percentile(dscr, 50)) if dscr.size else float("nan"),
            "prob_below_1_frac": float(np.mean(dscr < 1.0)) if dscr.size else float("nan"),
        }
    return out


# --------------------------------------------------------------------------- shared tenants

TENANT_AI_CORR_FRAC = 0.24
"""Loading of a tenant's default on the AI-market factor, as an asset correlation: the
upper end of the Basel II IRB corporate range 0.12-0.24 (BCBS 2006, *International
Convergence of Capital Measurement*, §272, https://www.bis.org/publ/bcbs128.pdf), taken
because AI tenants ride one market (assumption). The default of the scenario's
``market_model.tenant_ai_corr_frac``, which :class:`hashpivot.simulation.Simulation` uses
unless given another (``tenant_ai_corr_frac``; 0 keeps defaults independent of the AI
market)."""


def ai_factor_scores(gpu_price_index: ArrayLike, block_paths: int) -> FloatArray:
    """Normal score of each path's AI market: low when GPU rental prices fall ``(paths,)`` [-].

    The factor is the mean log GPU rental index over the horizon, turned into normal
    scores ``Φ⁻¹((rank + ½)/n)`` within each block of ``block_paths`` paths (the unit of
    the Monte Carlo's random streams, so scores do not depend on the chunk size): exactly
    standard normal margins whatever the GPU price model.
    """
    from scipy.special import ndtri

    g = np.log(np.asarray(gpu_price_index, dtype=np.float64)).mean(axis=-1)
    n = g.size
    size = block_paths if n % block_paths == 0 else n
    blocks = g.reshape(n // size, size)
    ranks = np.argsort(np.argsort(blocks, axis=1, kind="stable"), axis=1)
    return np.asarray(ndtri((ranks + 0.5) / size).ravel())


def tenant_default_uniforms(
    uniform: ArrayLike,
    tenant_ids: npt.NDArray[np.int64],
    start_month: ArrayLike,
    default_prob_per_year: ArrayLike,
    ai_score: ArrayLike,
    corr_frac: float,
) -> FloatArray:
    """Default uniforms of leases whose tenants share defaults and an AI-market factor.

    One-factor Gaussian copula (Vasicek 2002, "The distribution of loan portfolio value",
    Risk 15(12); Li 2000, "On default correlation: a copula function approach", Journal of
    Fixed Income 9(4), https://doi.org/10.3905/jfi.2000.319253): tenant ``k`` has the
    latent ``X_k = √ρ·Z + √(1−ρ)·ε_k`` with ``Z`` the path's AI score
    (:func:`ai_factor_scores`) and ``ε_k = −Φ⁻¹(u)`` of its first lease's uniform, and
    ``U_k = Φ(−X_k)`` (``= u`` when ρ = 0). The engine's default month
    ``12·ln U/ln(1−p)`` comes sooner the closer ``U`` is to 1, so a low ``X`` is an early
    default, and a falling AI market brings every tenant's default forward. Every lease
    of tenant ``k`` gets ``U_k`` shifted to its own start, ``U_k·(1−p_j)^((s_k − s_j)/12)``
    with ``s_k`` the tenant's first start month, so the engine's ``12·ln U/ln(1−p)``
    months after each lease's start fall on the same calendar month: one tenant defaults
    on all its leases at once.

    Parameters
    ----------
    uniform
        Independent uniforms ``(paths, leases)`` [-].
    tenant_ids
        Tenant of each lease column ``(leases,)``; leases of one tenant share an id.
    start_month, default_prob_per_year
        Each lease's first rent month on the run's grid and annual default probability
        ``(leases,)`` [months, 1/yr].
    ai_score
        ``(paths,)`` standard-normal AI-market score [-].
    corr_frac
        ρ, the asset correlation with the AI factor, in [0, 1) [-].

    Returns
    -------
    numpy.ndarray
        ``(paths, leases)``; a column left alone when its tenant has one lease and ρ = 0.

    """
    from scipy.special import ndtr, ndtri

    if not 0.0 <= corr_frac < 1.0:
        msg = f"tenant_ai_corr_frac: {corr_frac} — must be in [0, 1)"
        raise ValueError(msg)
    u = np.array(uniform, dtype=np.float64, copy=True)
    starts = np.asarray(start_month, dtype=np.float64)
    p = np.asarray(default_prob_per_year, dtype=np.float64)
    z = np.asarray(ai_score, dtype=np.float64)
    for k in np.unique(tenant_ids):
        cols = np.flatnonzero(tenant_ids == k)
        if corr_frac == 0.0 and cols.size == 1:
            continue
        eps = -ndtri(u[:, cols[0]])
        shared = ndtr(-(np.sqrt(corr_frac) * z + np.sqrt(1.0 - corr_frac) * eps))
        anchor = starts[cols].min()
        for j in cols:
            shift = (1.0 - p[j]) ** ((anchor - starts[j]) / 12.0) if p[j] < 1.0 else 1.0
            u[:, j] = shared * shift
    return u


def hedge_after_capex(
    hybrid: dict[str, FloatArray], pure: dict[str, FloatArray]
) -> dict[str, float]:
    """The hedge judged after capex and debt: hybrid against pure mining on the same paths.

    ``fcf_cvar5_gain_usd`` is the hybrid's CVaR5 of free cash flow after sustaining capex
    and debt service minus pure mining's [USD/yr] (positive: a thinner tail);
    ``npv_mean_given_up_usd`` is pure mining's mean NPV minus the hybrid's [USD] (negative:
    none given up); ``cvar_gain_per_usd_npv_given_up`` their ratio on NPV's CVaR5 when
    value is given up (NaN otherwise) [-]; ``fcf_variance_reduction_frac`` Ederington's
    measure [2]_ on that free cash flow instead of EBITDA [-].
    """
    fh, fp = hybrid["fcf_after_debt_usd_per_year"], pure["fcf_after_debt_usd_per_year"]
    given_up = float(np.mean(pure["npv_usd"]) - np.mean(hybrid["npv_usd"]))
    npv_gain = cvar(hybrid["npv_usd"]) - cvar(pure["npv_usd"])
    return {
        "fcf_cvar5_gain_usd": cvar(fh) - cvar(fp),
        "npv_mean_given_up_usd": given_up,
        "npv_cvar5_gain_usd": npv_gain,
        "cvar_gain_per_usd_npv_given_up": npv_gain / given_up if given_up > 0 else float("nan"),
        "fcf_variance_reduction_frac": variance_reduction_frac(fh, fp),
    }
