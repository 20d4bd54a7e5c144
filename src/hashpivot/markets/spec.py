"""Typed specs of the stochastic market drivers: BTC price, fees, GPU rental, power.

Each driver is chosen by name through the ``model`` field (a discriminated union), so
an unknown name is refused with the list of valid ones. Every numeric field carries
its unit in its name and a valid range; defaults that no source gives are labelled
*assumption* in their description.

References
----------
.. [1] BTC price: GBM σ 0.50 base, 0.35 low, 0.75–0.80 stress (assumption), from
   Matrixport's 5-year mean 30-day realised vol of 58 %,
   https://www.odaily.news/newsflash/415984 , and 40–55 % in 2023–24,
   https://bbapi.viigoo.eu.org/square/post/10877896131137
.. [2] R. C. Merton (1976), Option pricing when underlying stock returns are
   discontinuous, J. Financial Economics 3:125–144.
.. [3] J. D. Hamilton (1989), A new approach to the economic analysis of nonstationary
   time series and the business cycle, Econometrica 57(2):357–384.
.. [4] D. N. Politis and J. P. Romano (1994), The stationary bootstrap, JASA
   89(428):1303–1313; block length by D. N. Politis and H. White (2004), Econometric
   Reviews 23(1):53–70, corrected by Patton, Politis and White (2009), as implemented
   in ``arch.bootstrap.optimal_block_length``.
.. [5] Fees: fee share of the block reward 0.96 % in June 2025,
   https://backend.theminermag.com/?p=9665 ; spikes such as the 2024 halving block's
   40.7 BTC, https://zerohedge.com/news/2024-04-22/bitcoins-fees-spike-all-time-high-after-4th-halving-block
   ; "a few per year, lasting days to weeks, multipliers of 5–40x" is an assumption.
.. [6] GPU rental: log trend −15…−30 %/yr (1-year against 3-year reserved prices imply
   about −28 %/yr, https://techecho.bigdataflowing.com/zh/item/40246398 ), OU shock, a
   step down at each new generation (roughly annual; assumption); H100 −22 % in 2025
   (RBC), https://www.newsbeep.com/au/?p=220110
.. [7] Lease and PPA escalators step up on each anniversary, as in
   :func:`hashpivot.ai.escalated_rate_usd_per_kw_month`.

"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from hashpivot.specbase import Spec

MATRIXPORT_VOL_URL = "https://www.odaily.news/newsflash/415984"
"""Matrixport: 5-year mean of 30-day realised BTC volatility 58 %."""
FEE_SHARE_2025_URL = "https://backend.theminermag.com/?p=9665"
"""TheMinerMag: fee share of the block reward 0.96 % in June 2025."""
HALVING_FEE_SPIKE_URL = (
    "https://zerohedge.com/news/2024-04-22/bitcoins-fees-spike-all-time-high-after-4th-"
    "halving-block"
)
"""The 2024 halving block paid 40.7 BTC in fees."""
GPU_RESERVED_TERM_STRUCTURE_URL = "https://techecho.bigdataflowing.com/zh/item/40246398"
"""1-year against 3-year reserved GPU prices imply about -28 %/yr."""


# --------------------------------------------------------------------------- BTC price


class GbmPriceSpec(Spec):
    """Geometric Brownian motion: ``dS/S = μ dt + σ dW`` (Black–Scholes dynamics)."""

    model: Literal["gbm"] = Field(default="gbm", description="Model name: 'gbm'.")
    drift_frac_per_year: float = Field(
        default=0.0,
        ge=-2.0,
        le=5.0,
        description="Expected growth μ, so that E[S_t] = S_0·exp(μt) (assumption: 0, no view "
        "on BTC; use the risk-free rate for a risk-neutral valuation). [1/yr]",
    )
    volatility_frac_per_year: float = Field(
        default=0.5,
        ge=0.0,
        le=5.0,
        description="Annualised volatility σ of log returns; 0.50 base, 0.35 low, 0.75-0.80 "
        "stress (assumption around Matrixport's 5-yr mean of 58 %, "
        + MATRIXPORT_VOL_URL
        + "). [1/sqrt(yr)]",
    )


class JumpPriceSpec(Spec):
    """Merton (1976) jump-diffusion: GBM plus compound-Poisson lognormal jumps.

    Defaults: the jump part is the maximum-likelihood fit on daily ``price_usd_cm`` of
    ``btc_network_daily.csv``, 2019-01-01 to 2024-12-31, with the rate capped at 12 per
    year (:func:`hashpivot.markets.estimate.fit_jump`: λ = 12, m = 0.0002 ± 0.010,
    s = 0.094 ± 0.008); the uncapped MLE prefers about 290 tiny jumps a year, a scale
    mixture rather than rare jumps. The diffusion σ = 0.38 makes the total volatility
    ``sqrt(σ² + λ(m² + s²))`` the 0.50 base of module Ref [1]. Drift 0 as for GBM.
    """

    model: Literal["jump"] = Field(default="jump", description="Model name: 'jump'.")
    drift_frac_per_year: float = Field(
        default=0.0,
        ge=-2.0,
        le=5.0,
        description="Expected growth μ including jumps, E[S_t] = S_0·exp(μt) (assumption: 0, "
        "as for GBM). [1/yr]",
    )
    volatility_frac_per_year: float = Field(
        default=0.38,
        ge=0.0,
        le=5.0,
        description="Diffusion volatility σ between jumps; 0.38 makes the total volatility "
        "0.50 with the default jumps (see class docstring). [1/sqrt(yr)]",
    )
    jump_intensity_per_year: float = Field(
        default=12.0,
        ge=0.0,
        le=365.0,
        description="Poisson rate λ of jumps (capped MLE 2019-2024, see class docstring). [1/yr]",
    )
    jump_mean_log: float = Field(
        default=0.0,
        ge=-2.0,
        le=2.0,
        description="Mean of the log jump size (MLE 2019-2024: 0.0002 ± 0.010). [log return]",
    )
    jump_std_log: float = Field(
        default=0.095,
        ge=0.0,
        le=2.0,
        description="Standard deviation of the log jump size (MLE 2019-2024: 0.094 ± 0.008). "
        "[log return]",
    )


class RegimeStateSpec(Spec):
    """One state of a Markov regime-switching GBM."""

    drift_frac_per_year: float = Field(
        ge=-5.0, le=10.0, description="Expected growth μ in this state. [1/yr]"
    )
    volatility_frac_per_year: float = Field(
        ge=0.0, le=5.0, description="Volatility σ of log returns in this state. [1/sqrt(yr)]"
    )


_DEFAULT_REGIME_STATES = (
    RegimeStateSpec(drift_frac_per_year=0.0, volatility_frac_per_year=0.35),
    RegimeStateSpec(drift_frac_per_year=0.0, volatility_frac_per_year=0.80),
)
_DEFAULT_REGIME_MATRIX = ((0.944, 0.056), (0.167, 0.833))


class RegimePriceSpec(Spec):
    """Hamilton (1989) Markov regime switching: GBM whose μ, σ follow a monthly chain.

    Defaults (assumption): a calm state at the "low" σ 0.35 and a stressed one at σ 0.80
    (module Ref [1]), lasting 18 and 6 months on average, so that the long-run variance
    is the 0.50 base (25 % of months stressed). Drift 0 in both (no view, as for GBM).
    Fits are not used as defaults: a monthly Markov-switching fit of 2013-2024
    (:func:`hashpivot.markets.estimate.fit_regime`) finds eras (σ 0.7 calm vs a 2013-14
    bubble state), and fits from 2016 on find no month-to-month persistence.
    """

    model: Literal["regime"] = Field(default="regime", description="Model name: 'regime'.")
    states: tuple[RegimeStateSpec, ...] = Field(
        default=_DEFAULT_REGIME_STATES,
        min_length=2,
        max_length=3,
        description="2 or 3 states, each with its drift and volatility (defaults: calm σ "
        "0.35 and stressed σ 0.80, see class docstring).",
    )
    transition_matrix_per_month: tuple[tuple[float, ...], ...] = Field(
        default=_DEFAULT_REGIME_MATRIX,
        description="P[i][j] = probability of moving from state i to state j in one month; "
        "rows sum to 1 (defaults: mean stays of 18 and 6 months). [-]",
    )
    initial_state: int | None = Field(
        default=None,
        ge=0,
        le=2,
        description="State of the first month; None draws it from the chain's stationary "
        "distribution. [-]",
    )

    @model_validator(mode="after")
    def _matrix_valid(self) -> RegimePriceSpec:
        k = len(self.states)
        p = self.transition_matrix_per_month
        if len(p) != k or any(len(row) != k for row in p):
            msg = f"transition_matrix_per_month must be {k}x{k} (one row and column per state)"
            raise ValueError(msg)
        arr = np.asarray(p, dtype=np.float64)
        if not np.all(np.isfinite(arr)) or arr.min() < 0.0 or arr.max() > 1.0:
            msg = "transition_matrix_per_month entries must be probabilities in [0, 1]"
            raise ValueError(msg)
        sums = arr.sum(axis=1)
        bad = [f"row {i} sums to {s:.6g}" for i, s in enumerate(sums) if abs(s - 1.0) > 1e-6]
        if bad:
            msg = f"transition_matrix_per_month rows must sum to 1: {'; '.join(bad)}"
            raise ValueError(msg)
        if self.initial_state is not None and self.initial_state >= k:
            msg = f"initial_state {self.initial_state} does not exist (states 0..{k - 1})"
            raise ValueError(msg)
        return self


class BootstrapPriceSpec(Spec):
    """Stationary block bootstrap (Politis & Romano 1994) of joint daily history.

    Each simulated day takes one historical day's vector (log price return, fees,
    blocks, log hashrate growth), in blocks of geometric length, so the correlation and
    volatility clustering of price, fees and hashrate survive. Column defaults match
    ``btc_network_daily.csv`` (SOURCES.md §1). Relative paths resolve against the current
    working directory.
    """

    model: Literal["bootstrap"] = Field(default="bootstrap", description="Model name: 'bootstrap'.")
    history_csv: Path = Field(
        description="Daily history CSV with a date column and the columns named below."
    )
    block_length_days: float | None = Field(
        default=None,
        ge=1.0,
        le=100_000.0,
        description="Mean block length; None takes the largest Politis-White optimal "
        "stationary-bootstrap length of the resampled series (arch). [days]",
    )
    date_column: str = Field(default="date", min_length=1, description="Date column name.")
    price_column: str = Field(
        default="price_usd_cm", min_length=1, description="BTC price column. [USD/BTC]"
    )
    fees_column: str = Field(
        default="drv_fees_btc", min_length=1, description="Fees paid per day column. [BTC/day]"
    )
    blocks_column: str = Field(
        default="drv_blocks_est", min_length=1, description="Blocks per day column. [blocks]"
    )
    hashrate_column: str = Field(
        default="hashrate_ths_bc", min_length=1, description="Network hashrate column. [TH/s]"
    )
    history_start_date: dt.date | None = Field(
        default=None, description="First day of the history window; None = first usable day."
    )
    history_end_date: dt.date | None = Field(
        default=None, description="Last day of the history window; None = last usable day."
    )
    hashrate_smoothing_days: int = Field(
        default=30,
        ge=1,
        le=90,
        description="Centred moving mean applied to the daily hashrate before taking log "
        "growth: daily estimates carry about 8 % Poisson noise from block counts, which "
        "adds up at block joins. With 30 days the bootstrap's monthly growth has the "
        "historical standard deviation (0.087 vs 0.087, 2016-2024; 1 day gives 0.17, "
        "7 days 0.11). [days]",
    )
    fees_median_btc_per_block: float | None = Field(
        default=0.03,
        gt=0.0,
        le=100.0,
        description="Fee levels are rescaled so that their window median equals this; None "
        "keeps the historical BTC levels. 0.03 BTC is about 1 % of the 3.125 BTC subsidy "
        "(0.96 % in June 2025, " + FEE_SHARE_2025_URL + "). [BTC/block]",
    )

    @model_validator(mode="after")
    def _window_ordered(self) -> BootstrapPriceSpec:
        start, end = self.history_start_date, self.history_end_date
        if start is not None and end is not None and end <= start:
            msg = f"history_end_date {end} must be after history_start_date {start}"
            raise ValueError(msg)
        return self


class CsvPriceSpec(Spec):
    """User-supplied price paths in long format: ``path,date,price_usd``.

    One row per path and date (daily or monthly rows). The ``path`` column is optional:
    without it the file is one path, used for every simulated path. The value for a
    simulated month is the last row dated inside that calendar month (end-of-month
    price); every simulated month must be covered. The same format (without ``path``)
    is what ``hashpivot network --price-path`` reads.
    """

    model: Literal["csv"] = Field(default="csv", description="Model name: 'csv'.")
    paths_csv: Path = Field(description="CSV of price paths (long format, see class docstring).")
    date_column: str = Field(default="date", min_length=1, description="Date column name.")
    price_column: str = Field(
        default="price_usd", min_length=1, description="BTC price column. [USD/BTC]"
    )
    path_column: str = Field(
        default="path", min_length=1, description="Integer path id column (optional in the file)."
    )


BtcPriceSpec = Annotated[
    GbmPriceSpec | JumpPriceSpec | RegimePriceSpec | BootstrapPriceSpec | CsvPriceSpec,
    Field(discriminator="model"),
]
"""A BTC price model, chosen by its ``model`` name."""

# --------------------------------------------------------------------------- fees


class FeesSpec(Spec):
    """Fees per block: a mean-reverting lognormal baseline times Poisson spike episodes.

    ``fees = baseline · exp(x_t) · (1 + excess_t)``: ``x`` is an Ornstein-Uhlenbeck process
    in log (exact monthly discretisation) and ``excess_t`` the month-average of
    ``(multiplier − 1)`` over spike episodes that start as a Poisson process, last an
    exponential time and multiply fees by a log-uniform factor (module Ref [5]).
    """

    baseline_btc_per_block: float = Field(
        default=0.03,
        gt=0.0,
        le=100.0,
        description="Median baseline fees; 0.03 BTC ≈ 1 % of the 3.125 BTC subsidy "
        "(0.96 % in June 2025, " + FEE_SHARE_2025_URL + "). [BTC/block]",
    )
    baseline_volatility_frac_per_year: float = Field(
        default=2.0,
        ge=0.0,
        le=20.0,
        description="Volatility σ of log baseline fees; AR(1) fit of log monthly-median fees "
        "per block 2019-2024 gives about 2.1 (estimate.fit_fees_baseline). [1/sqrt(yr)]",
    )
    baseline_mean_reversion_per_year: float = Field(
        default=3.0,
        ge=0.0,
        le=100.0,
        description="Mean-reversion speed κ of log baseline fees (same fit: about 2.9, a "
        "half-life of about 3 months). [1/yr]",
    )
    spike_rate_per_year: float = Field(
        default=2.0,
        ge=0.0,
        le=52.0,
        description="Poisson rate of spike episodes; 'a few per year' (assumption: 2; e.g. "
        "the 2024 halving block, " + HALVING_FEE_SPIKE_URL + "). [1/yr]",
    )
    spike_multiplier_min: float = Field(
        default=5.0,
        ge=1.0,
        le=1000.0,
        description="Smallest fee multiplier during a spike (assumption: 5-40x). [-]",
    )
    spike_multiplier_max: float = Field(
        default=40.0,
        ge=1.0,
        le=1000.0,
        description="Largest fee multiplier during a spike; multipliers are log-uniform "
        "between min and max (assumption: 5-40x). [-]",
    )
    spike_duration_months: float = Field(
        default=0.25,
        gt=0.0,
        le=12.0,
        description="Mean duration of a spike episode (exponential); 'days to weeks' "
        "(assumption: one week, which with the other defaults gives monthly "
        "fees a mean/median of 2.0, a 95th percentile/median of 6.3 and a log sd of 1.0, "
        "against 2.05, 7.2 and 1.0 in btc_network_daily.csv 2016-2024). [months]",
    )

    @model_validator(mode="after")
    def _multipliers_ordered(self) -> FeesSpec:
        if self.spike_multiplier_max < self.spike_multiplier_min:
            msg = (
                f"spike_multiplier_max {self.spike_multiplier_max:g} is below "
                f"spike_multiplier_min {self.spike_multiplier_min:g}"
            )
            raise ValueError(msg)
        return self


# --------------------------------------------------------------------------- GPU rental


class GpuPriceSpec(Spec):
    """GPU rental price index: log trend + Ornstein-Uhlenbeck shock + generation steps.

    With the defaults the expected index falls 21.8 %/yr (0.85 × 0.92), the H100 decline
    RBC reported for 2025 (−22 %, https://www.newsbeep.com/au/?p=220110 ).
    """

    trend_frac_per_year: float = Field(
        default=-0.15,
        ge=-0.9,
        le=1.0,
        description="Continuous trend of the expected index between generation steps; "
        "-0.15 to -0.30 (1-year against 3-year reserved prices imply about -0.28, "
        + GPU_RESERVED_TERM_STRUCTURE_URL
        + "; assumption: -0.15 so that with the steps the "
        "decline is about -22 %/yr). [1/yr]",
    )
    ou_volatility_frac_per_year: float = Field(
        default=0.25,
        ge=0.0,
        le=5.0,
        description="Volatility σ of the mean-reverting log shock (assumption: 0.25; the "
        "2026 rental files are too short and noisy to estimate it, SOURCES.md §5). "
        "[1/sqrt(yr)]",
    )
    ou_mean_reversion_per_year: float = Field(
        default=2.0,
        ge=0.0,
        le=100.0,
        description="Mean-reversion speed κ of the log shock (assumption: 2, a half-life of "
        "about 4 months). [1/yr]",
    )
    generation_step_frac: float = Field(
        default=-0.08,
        ge=-0.9,
        le=1.0,
        description="Price change at each new GPU generation (assumption: -0.08). [-]",
    )
    generation_interval_months: int = Field(
        default=12,
        ge=1,
        le=240,
        description="Months between GPU generations; 'roughly annual cadence' "
        "(assumption). [months]",
    )


# --------------------------------------------------------------------------- power


class FixedPowerSpec(Spec):
    """Power price factor fixed at 1: each site pays its contract price."""

    model: Literal["fixed"] = Field(default="fixed", description="Model name: 'fixed'.")


class EscalatingPowerSpec(Spec):
    """Power price factor that steps up by the escalator on each anniversary [7]."""

    model: Literal["escalating"] = Field(
        default="escalating", description="Model name: 'escalating'."
    )
    escalator_frac_per_year: float = Field(
        default=0.02,
        ge=-0.5,
        le=0.5,
        description="Annual escalation of the power price (assumption: 0.02, about US "
        "inflation). [1/yr]",
    )


class LognormalPowerSpec(Spec):
    """Power price factor drawn per path and site: a mean-one lognormal multiplier.

    ``factor = (1+e)^year · exp(σ_p·Z_site − σ_p²/2) · exp(σ_m·Z_month − σ_m²/2)``, where
    ``Z_site = sqrt(ρ)·Z_common + sqrt(1−ρ)·Z_own`` correlates sites (same grid).
    """

    model: Literal["lognormal"] = Field(default="lognormal", description="Model name: 'lognormal'.")
    volatility_frac: float = Field(
        default=0.25,
        ge=0.0,
        le=3.0,
        description="Log standard deviation of the per-path level of each site's power "
        "price (assumption: 0.25, year-to-year swings of ERCOT average prices). [-]",
    )
    monthly_volatility_frac: float = Field(
        default=0.0,
        ge=0.0,
        le=3.0,
        description="Log standard deviation of an independent month-to-month multiplier "
        "(assumption: 0, off). [-]",
    )
    escalator_frac_per_year: float = Field(
        default=0.0,
        ge=-0.5,
        le=0.5,
        description="Annual escalation applied on each anniversary (assumption: 0). [1/yr]",
    )
    site_correlation_frac: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Correlation of the log level between sites (assumption: 0.5, sites "
        "in one grid). [-]",
    )


PowerPriceSpec = Annotated[
    FixedPowerSpec | EscalatingPowerSpec | LognormalPowerSpec, Field(discriminator="model")
]
"""A power price model, chosen by its ``model`` name."""

# --------------------------------------------------------------------------- all markets


class MarketModelSpec(Spec):
    """The stochastic market drivers of a Monte Carlo run.

    With a ``bootstrap`` BTC price, fees come from the same resampled days (jointly with
    price and hashrate growth) and ``fees`` is not used.
    """

    btc_price: BtcPriceSpec = Field(
        default_factory=GbmPriceSpec, description="BTC price model (default GBM, σ 0.5)."
    )
    fees: FeesSpec = Field(default_factory=FeesSpec, description="Fees-per-block model.")
    gpu_price: GpuPriceSpec = Field(
        default_factory=GpuPriceSpec, description="GPU rental price index model."
    )
    power_price: PowerPriceSpec = Field(
        default_factory=FixedPowerSpec,
        description="Power price factor model, applied to every site (default fixed).",
    )
    tenant_ai_corr_frac: float = Field(
        default=0.24,
        ge=0.0,
        le=0.99,
        description="Asset correlation of the tenants' default times with the AI market "
        "(the path's GPU rental index): tenants default more often where it falls. 0.24 "
        "is the upper end of the Basel II IRB corporate range 0.12-0.24 (BCBS 2006, "
        "International Convergence of Capital Measurement, para. 272); assumption: AI "
        "tenants ride one market. 0 keeps defaults independent of it. [-]",
    )
