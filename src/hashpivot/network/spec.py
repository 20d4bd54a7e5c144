"""Typed spec of the network model: which model, and its (calibrated) parameters.

The defaults of the ``supply_curve`` model were written from the full-sample fit of
``scripts/calibrate_network.py`` (monthly history 2018-01 → 2024-12 of
``../shared/data/btc_network_daily.csv``, run on 2026-12-07), see
``docs/network_calibration.md``. Each field says how its default was obtained:

- *orders*: set from miners' orders and their delivery schedules, held in the fit
  (``calibrate_network.BUILD_LAG_MONTHS``); *assumption*: labelled where set;
- *fit*: differential evolution on the mean absolute log error of the median path over
  forecasts of up to 36 months started every 3 months, with the build lag and margin
  window held;
- *bands*: grid search for 90 % in-sample coverage of the 5-95 % band;
- *ASIC fit*: log-linear fit of the ASIC releases of
  ``../shared/data/asic_miner_efficiency_j_per_th.csv`` (S9, 2016 → S21 XP, 2024);
- *history*: a statistic of the history file over 2018-01 → 2024-12.

References
----------
.. [1] Supply curve of vintages that run while hashprice ≥ hashcost
   (https://htlc.io/hash-rate-equilibrium-math); new builds after a lag of roughly 6-12
   months sized by trailing margin (assumption); frontier J/TH improving 15-25 %/yr
   (assumption around the about 22 %/yr derived from S9 98 J/TH in 2017,
   https://studio.glassnode.com/charts/btc-asic-fleet-count?a=BTC , to S21 XP 13.5 in
   2025, https://staging.reportify.cn/tags/industry?page=10&tagValue=Bitcoin+Mining );
   price → hashrate with lags of 1-6 weeks (D. Fantazzini and N. Kolodin 2020, JRFM 13(11):263, https://www.mdpi.com/1911-8074/13/11/263).
.. [2] CBECI methodology: a basket of hardware in which only profitable machines run;
   electricity price 0.05 USD/kWh. https://ccaf.io/cbnsi/cbeci/methodology

"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from hashpivot.specbase import Spec

NETWORK_MODEL_NAMES = ("supply_curve", "fixed_growth")
"""Names of the network models, the default first."""


class NetworkModelSpec(Spec):
    """Network model chosen by name, with the parameters of the supply-curve model.

    ``supply_curve`` (default, :mod:`hashpivot.network.supply`): installed capacity by age
    tier (J/TH relative to the frontier), the share of each tier that runs given
    hashprice against its hashcost under a log-logistic distribution of miners' power
    prices, new capacity ordered on the frontier machine's trailing margin and arriving
    after an Erlang lag, retirement of the oldest tier, and stochastic shocks.
    ``fixed_growth``: hashrate grows by ``growth_frac_per_month`` on every path (what
    mining calculators offer).
    """

    model: Literal["supply_curve", "fixed_growth"] = Field(
        default="supply_curve",
        description="Network model: 'supply_curve' (default) or 'fixed_growth'.",
    )
    growth_frac_per_month: float = Field(
        default=0.04661,
        ge=-0.5,
        le=0.5,
        description="fixed_growth: hashrate growth per month (history: mean monthly log "
        "growth 2018-01 → 2024-12). [1/month]",
    )
    power_price_median_usd_per_kwh: float = Field(
        default=0.05,
        gt=0.0,
        le=1.0,
        description="Median power price across the network's miners (CBECI's 0.05 "
        "USD/kWh, Ref [2]; not fitted: it trades off against target_margin_frac). [USD/kWh]",
    )
    power_price_log_sd: float = Field(
        default=0.5342,
        gt=0.0,
        le=3.0,
        description="Standard deviation of log power price across miners, log-logistic (fit). [-]",
    )
    frontier_efficiency_j_per_th: float = Field(
        default=14.58,
        gt=0.0,
        le=10_000.0,
        description="Frontier ASIC efficiency on frontier_reference_date (ASIC fit). [J/TH]",
    )
    frontier_reference_date: dt.date = Field(
        default=dt.date(2024, 1, 1),
        description="Date at which frontier_efficiency_j_per_th holds (ASIC fit).",
    )
    frontier_improvement_frac_per_year: float = Field(
        default=0.2065,
        ge=0.0,
        lt=0.9,
        description="Yearly fall of the frontier J/TH (ASIC fit, clipped to the 15-25 %/yr "
        "assumed around the about 22 %/yr from the S9 of 2017 to the S21 XP of 2025, "
        "https://studio.glassnode.com/charts/btc-asic-fleet-count?a=BTC). [1/yr]",
    )
    retire_frac_per_month: float = Field(
        default=0.02778,
        ge=0.0,
        le=1.0,
        description="Share of the oldest tier (over 5 years) retired each month "
        "(assumption: 1/36, ASIC lives of 5-8 years). [1/month]",
    )
    build_response_frac_per_month: float = Field(
        default=0.2667,
        ge=0.0,
        le=5.0,
        description="Capacity ordered per month, as a share of the capacity running and on "
        "order, per unit of gap between the expected and the required margin of the "
        "frontier machine (fit). [1/month]",
    )
    target_margin_frac: float = Field(
        default=0.4846,
        ge=0.0,
        lt=1.0,
        description="Margin of the frontier machine (1 - hashcost/hashprice at the median "
        "power price) below which no new capacity is ordered (fit). [-]",
    )
    build_lag_months: float = Field(
        default=12.0,
        ge=3.0,
        le=36.0,
        description="Mean months from an order to the capacity running; deliveries follow "
        "an Erlang-3 lag (orders: miners' scheduled deliveries of 2021-2022, 10-11.5 "
        "months, plus installation; the top of an assumed 6-12 months; "
        "held, not fitted). [months]",
    )
    margin_window_months: float = Field(
        default=12.0,
        ge=1.0,
        le=36.0,
        description="Mean lag of the exponential average that forms the trailing margin "
        "(assumption: a year, the build lag; held, not fitted). [months]",
    )
    history_growth_frac_per_month: float = Field(
        default=0.04661,
        ge=-0.2,
        le=0.5,
        description="Growth of capacity before the start, which sets the age mix of the "
        "starting fleet and the orders in the pipeline (history: mean monthly log "
        "growth). [1/month]",
    )
    build_shock_log_sd: float = Field(
        default=0.2,
        ge=0.0,
        le=3.0,
        description="Stationary standard deviation of the AR(1) shock to the log "
        "profitability new builds require (bands). [-]",
    )
    build_shock_autocorr_per_month: float = Field(
        default=0.95,
        ge=0.0,
        lt=1.0,
        description="Month-to-month autocorrelation of the build shock (bands). [-]",
    )
    start_pipeline_log_sd: float = Field(
        default=1.0,
        ge=0.0,
        le=3.0,
        description="Standard deviation of the log shock to the orders in the pipeline at "
        "the start, placed before it and unknown (bands). [-]",
    )
    hashrate_noise_log_sd: float = Field(
        default=0.08,
        ge=0.0,
        le=1.0,
        description="Standard deviation of the transient log shock to the running "
        "hashrate at each month end (bands). [-]",
    )
    start_hashrate_weight_frac: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Weight of the given start hashrate against the one the start "
        "difficulty implies (D·2^32/600), in logs (history: the weight, on a 0.05 grid, "
        "that minimises the spread of log(month's mean hashrate / blend)). [-]",
    )
    bootstrap_growth_log_mean_per_month: float = Field(
        default=0.04555,
        ge=-1.0,
        le=1.0,
        description="Mean of the history's monthly hashrate log growth, which centres a "
        "bootstrapped growth path before it drives the build shock (history). [1/month]",
    )
    bootstrap_growth_log_sd_per_month: float = Field(
        default=0.08053,
        gt=0.0,
        le=1.0,
        description="Standard deviation of the history's monthly hashrate log growth, "
        "which scales a bootstrapped growth path (history). [1/month]",
    )
