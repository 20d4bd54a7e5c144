"""Hand-made planning problems whose optimum is known, and synthetic market paths."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from hashpivot.company.engine import MarketArrays
from hashpivot.planner.data import PlannerData
from hashpivot.projection import deterministic_market
from hashpivot.spec import Scenario


def toy_data(
    margin: object,
    *,
    sites: int = 1,
    fleet_site: list[int] | None = None,
    fleet_mw: float = 10.0,
    site_mw: float = 10.0,
    lease: object = 0.0,
    capex_pv: object = 0.0,
    capex_usd_per_mw: float = 0.0,
    it_mw_per_mw: float = 1.0,
    rent_start_period: int = 0,
    signal: object | None = None,
    spend: np.ndarray | None = None,
) -> PlannerData:
    """A problem from per-MW numbers given by hand (PV already, USD)."""
    mu = np.asarray(margin, dtype=np.float64)
    if mu.ndim == 2:
        mu = mu[:, :, None]
    n_s, n_t, n_f = mu.shape
    fs = np.asarray(fleet_site if fleet_site is not None else [0] * n_f, dtype=np.int64)
    sig = np.zeros((n_s, n_t)) if signal is None else np.asarray(signal, dtype=np.float64)
    if spend is None:
        spend = np.tile(np.eye(n_t)[None], (sites, 1, 1))
    return PlannerData(
        site=tuple(f"site{k}" for k in range(sites)),
        fleet=tuple(f"site{fs[f]} / tier{f}" for f in range(n_f)),
        fleet_site=fs,
        period_start=pd.date_range("2025-01-01", periods=n_t, freq="3MS"),
        period_months=3,
        margin_usd_per_mw=mu,
        fleet_mw=np.full((n_f, n_t), fleet_mw),
        site_mw=np.full((sites, n_t), site_mw),
        convertible_mw=np.full(sites, site_mw),
        site_capacity_mw=np.full(sites, site_mw),
        existing_converted_mw=np.zeros(sites),
        lease_usd_per_mw=np.broadcast_to(np.asarray(lease, dtype=np.float64), (sites, n_t)).copy(),
        capex_pv_usd_per_mw=np.broadcast_to(
            np.asarray(capex_pv, dtype=np.float64), (sites, n_t)
        ).copy(),
        capex_usd_per_mw=np.full(sites, capex_usd_per_mw),
        capex_spend_frac=spend,
        it_mw_per_mw=np.full(sites, it_mw_per_mw),
        rent_start_period=np.full(sites, rent_start_period, dtype=np.int64),
        hashprice_signal_usd_per_ph_day=sig,
    )


def synthetic_market(
    scenario: Scenario,
    months: int,
    paths: int,
    seed: int,
    sigma_per_year: float = 0.5,
    elasticity: float = 0.6,
) -> MarketArrays:
    """GBM BTC price paths (zero drift) and a hashprice that follows the scenario's
    deterministic network path, with hashrate answering price at an elasticity.

    Network hashrate ∝ (P/P0)^elasticity, so BTC hashprice scales by (P/P0)^−elasticity
    (a stand-in for the network model; methods.md section 1 reports about 0.6).
    """
    net, price0 = deterministic_market(scenario, months)
    rng = np.random.default_rng(seed)
    dt_years = 1.0 / 12.0
    z = rng.standard_normal((paths, months))
    log = np.cumsum((-0.5 * sigma_per_year**2) * dt_years + sigma_per_year * np.sqrt(dt_years) * z,
                    axis=1)  # fmt: skip
    ratio = np.exp(log)
    price = price0[None, :] * ratio
    hashprice = net.hashprice_btc_per_ph_day[None, :] * ratio ** (-elasticity)
    return MarketArrays(price, hashprice)


START = dt.date(2025, 1, 1)
