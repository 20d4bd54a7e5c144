"""The model's BTC exposure of a listed company next to the market's betas for it.

The Monte Carlo's risk object (:func:`hashpivot.risk.variant_risk`) gives the change of
enterprise value (NPV of free cash flow) for a +10 % BTC move on the same paths. A stock
prices equity, not enterprise value: equity = EV − debt + cash + BTC held, and a BTC move
also revalues the treasury. So the model's equity elasticity to BTC is

    ε_equity = (ΔEV + 0.1 · BTC held · P) / (E[EV] − debt + cash + BTC held · P) / 0.1,

the leverage identity of Modigliani-Miller applied to a BTC bump (Hamada 1972, J. Finance
27(2), 435-452, https://doi.org/10.2307/2978486, for levering an asset beta). It is the
model's counterpart of the daily ``beta_btc`` of :mod:`hashpivot.equities.betas`, which
adds whatever the market prices beyond the model (sentiment, optionality, dilution), so
the two agree only in order of magnitude; the table says so rather than forcing a match.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hashpivot.equities.betas import fit_factor_model
from hashpivot.spec import Scenario

BUMP_FRAC = 0.10
"""The BTC move of the model's deltas [-]."""


def equity_btc_elasticity(
    ev_mean_usd: float,
    ev_delta_usd_per_10pct: float,
    debt_usd: float,
    cash_usd: float,
    btc_held: float,
    btc_price_usd: float,
) -> float:
    """Elasticity of equity value to BTC from the EV bump (module docstring) [-].

    NaN when the implied equity value is not positive (the identity has no meaning).
    """
    treasury_usd = btc_held * btc_price_usd
    equity_usd = ev_mean_usd - debt_usd + cash_usd + treasury_usd
    if equity_usd <= 0.0:
        return float("nan")
    return (ev_delta_usd_per_10pct + BUMP_FRAC * treasury_usd) / equity_usd / BUMP_FRAC


def model_exposure(scenario: Scenario, paths: int = 2_000, seed: int = 0) -> dict[str, Any]:
    """The model's BTC exposure of a company: its scenario's hybrid variant, as it stands.

    Returns ``ev_mean_usd``, ``npv_delta_usd_per_10pct_btc``, its standard error,
    ``equity_btc_elasticity``, ``ev_btc_elasticity``, ``btc_r2_frac``, ``ebitda_ts_beta``
    (with its warning) and the run's ``paths`` and ``seed``.
    """
    from hashpivot.simulation import Simulation

    res = Simulation(scenario, frontier_shares=(), compare_pure_mining=False).run(paths, seed)
    r = res.summary()["hybrid"]["risk"]
    ev = float(np.mean(res.variants["hybrid"]["npv_usd"]))
    c = scenario.company
    delta = r["npv_delta_usd_per_10pct_btc"]
    price = scenario.market.btc_price_usd
    return {
        "ev_mean_usd": ev,
        "npv_delta_usd_per_10pct_btc": delta,
        "npv_delta_usd_per_10pct_btc_se": r["npv_delta_usd_per_10pct_btc_se"],
        "ev_btc_elasticity": r["npv_btc_elasticity"],
        "equity_btc_elasticity": equity_btc_elasticity(
            ev, delta, c.debt_usd, c.cash_usd, c.btc_held, price
        ),
        "btc_r2_frac": r["btc_r2_frac"],
        "ebitda_ts_beta": r["ebitda_ts_beta"],
        "ebitda_ts_beta_warning": r["ebitda_ts_beta_warning"],
        "paths": res.paths,
        "seed": seed,
    }


def market_betas(returns: pd.DataFrame, ticker: str, ai_factor: str = "NVDA") -> dict[str, Any]:
    """The market's full-period and latest-year BTC and AI betas of one ticker (HAC errors)."""
    fit = fit_factor_model(returns, ai_factor, tickers=[ticker])
    if ticker in fit.skipped:
        return {"skipped": fit.skipped[ticker]}
    full: dict[Any, Any] = fit.full.loc[ticker].to_dict()
    last: dict[Any, Any] | None = fit.per_year.iloc[-1].to_dict() if len(fit.per_year) else None
    out: dict[str, Any] = {
        "full_period": f"{full['start_date']} to {full['end_date']}",
        "beta_btc": float(full["beta_btc"]),
        "se_btc": float(full["se_btc"]),
        "beta_ai": float(full["beta_ai"]),
        "se_ai": float(full["se_ai"]),
    }
    if last is not None:
        out |= {
            "last_year": int(last["year"]),
            "last_year_beta_btc": float(last["beta_btc"]),
            "last_year_se_btc": float(last["se_btc"]),
            "last_year_beta_ai": float(last["beta_ai"]),
        }
    return out
