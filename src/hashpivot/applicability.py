"""Measures of a Monte Carlo summary that are undefined for a scenario, named with the reason.

A scenario of AI conversions without an ASIC fleet (an AI landlord such as Applied Digital,
``hashpivot init --from APLD``) has a pure-mining variant that mines nothing: its NPV and
EBITDA are the same on every path, so a correlation or R² on BTC is 0/0, and the hedge
measures that divide by its variance, or compare the mix with mining, have no meaning.
:func:`mark_not_applicable` sets them to None and says why in ``not_applicable``, so that
``run`` prints "n/a" and ``--json`` gives null with the reason instead of NaN or 1e28.
"""

from __future__ import annotations

import math
from typing import Any

CONSTANT_REL_TOL = 1e-9
"""A distribution whose std is below this fraction of its mean's size (or exactly 0) is the
same on every path up to rounding: a correlation, an R² or a variance ratio against it
divides zero by zero (assumption: rounding noise of sums of ~1e9 USD is ~1e-7 USD) [-]."""

NO_FLEET_REASON = (
    "no ASIC fleet in the scenario (e.g. an AI landlord): the pure-mining variant mines nothing"
)


def _constant(d: dict[str, Any] | None) -> bool:
    """Whether a distribution (``mean``, ``std``) is the same on every path."""
    if not d:
        return False
    return bool(d["std"] <= CONSTANT_REL_TOL * abs(d["mean"]))


def mark_not_applicable(summary: dict[str, Any], has_fleet: bool = True) -> dict[str, Any]:
    """The run summary with undefined measures set to None and named in ``not_applicable``.

    A variant whose NPV or EBITDA is the same on every path (the pure-mining variant of a
    scenario without an ASIC fleet, or one with no random flow) has no correlation or R²
    on BTC (0/0); the variance reduction 1 − Var(hybrid)/Var(pure) and the hedge after
    capex divide by the pure-mining variance. Without a fleet there is no mining to hedge,
    so the comparison with pure mining and the AI-share frontier are not applicable either.
    """
    out = dict(summary)
    why: dict[str, str] = {}
    for name in ("pure_mining", "hybrid"):
        v = out.get(name)
        if v is None:
            continue
        v = dict(v)
        risk = dict(v["risk"]) if v.get("risk") else None
        if _constant(v["ebitda_usd_per_year"]):
            v["btc_corr"] = None
            why[f"{name}.btc_corr"] = "annual EBITDA is the same on every path (0/0)"
            if risk is not None:
                for key in ("btc_corr", "ebitda_btc_r2_frac"):
                    risk[key] = None
                    why[f"{name}.risk.{key}"] = why[f"{name}.btc_corr"]
        if risk is not None and _constant(v["npv_usd"]):
            risk["btc_r2_frac"] = None
            why[f"{name}.risk.btc_r2_frac"] = "NPV is the same on every path (0/0)"
        if risk is not None:
            v["risk"] = risk
        out[name] = v
    pure = out.get("pure_mining")
    if pure is not None and (not has_fleet or _constant(pure["ebitda_usd_per_year"])):
        out["variance_reduction_frac"] = None
        why["variance_reduction_frac"] = (
            NO_FLEET_REASON if not has_fleet
            else "pure mining's annual EBITDA is the same on every path (divides by 0)"
        )  # fmt: skip
    if "hedge_after_capex" in out and not has_fleet:
        out["hedge_after_capex"] = None
        why["hedge_after_capex"] = NO_FLEET_REASON + ": nothing to hedge"
    hedge = out.get("hedge_after_capex")
    ratio = None if not hedge else hedge.get("cvar_gain_per_usd_npv_given_up")
    if hedge and (ratio is None or math.isnan(ratio)):
        out["hedge_after_capex"] = {**hedge, "cvar_gain_per_usd_npv_given_up": None}
        why["hedge_after_capex.cvar_gain_per_usd_npv_given_up"] = (
            "the hybrid gives up no mean NPV against pure mining (a ratio to zero or less)"
        )
    hedge = out.get("hedge_after_capex")
    pure_risk = None if pure is None else pure.get("risk")
    if hedge and pure_risk and _constant(pure_risk.get("fcf_after_debt_usd_per_year")):
        out["hedge_after_capex"] = {**hedge, "fcf_variance_reduction_frac": None}
        why["hedge_after_capex.fcf_variance_reduction_frac"] = (
            "pure mining's FCF after capex and debt is the same on every path (divides by 0)"
        )
    if not has_fleet:
        why["frontier"] = NO_FLEET_REASON + ": no mining MW to trade for AI MW"
    if why:
        out["not_applicable"] = why
    return out
