"""Fees per block: a mean-reverting lognormal baseline times Poisson spike episodes.

``fees[i, m] = baseline · exp(x[i, m]) · (1 + excess[i, m])`` [BTC/block], the mean over
month ``m``:

- ``x`` is an Ornstein–Uhlenbeck process in log fees, started at 0 and stepped exactly
  once a month (``x_m = φ x_{m−1} + s Z``, ``φ = e^{−κΔ}``, ``s² = σ²(1 − φ²)/(2κ)``);
  month ``m`` takes the state after ``m + 1`` steps, as prices do.
- Spike episodes start as a Poisson process of rate λ over the horizon (count per path
  ``~ Poisson(λT)``, start times uniform), last an exponential time with the given mean
  and multiply fees by a factor log-uniform on ``[min, max]``. ``excess`` is the
  month-average of ``(multiplier − 1)`` over the episodes alive in the month, so a
  one-week 10x spike inside a 30-day month raises that month's mean 3.1x
  (1 + 9 × 7/30).

Fees are never negative (a positive baseline times factors >= 1).

References
----------
.. [1] A mean-reverting lognormal baseline with a median of about 1–2 % of the reward
   (0.96 % in June 2025, https://backend.theminermag.com/?p=9665 ), times a Poisson
   spike regime (a few per year, days to weeks, 5–40x: assumption); not a constant share.
.. [2] Exact OU discretisation: P. Glasserman (2003), Monte Carlo Methods in Financial
   Engineering, §3.3.1 (Vasicek).
.. [3] Poisson process as a Poisson count with uniform event times: S. M. Ross (2014),
   Introduction to Probability Models, 11th ed., §5.3.5.

"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from hashpivot import kernels
from hashpivot.markets._common import MONTH_YEARS, MONTHS_PER_YEAR, check_shape
from hashpivot.markets._random import FloatArray, SeedLike, driver_stream, fill_by_block
from hashpivot.markets.spec import FeesSpec


def ou_step(mean_reversion_per_year: float, volatility_per_sqrt_year: float) -> tuple[float, float]:
    """Monthly AR(1) coefficient φ and shock scale s of an OU process. Ref [2].

    ``φ = exp(−κΔ)``, ``s = σ·sqrt((1 − φ²)/(2κ))`` (``σ√Δ`` when κ = 0), Δ = 1/12 yr.
    """
    kappa, sigma = mean_reversion_per_year, volatility_per_sqrt_year
    if kappa <= 0.0:
        return 1.0, sigma * math.sqrt(MONTH_YEARS)
    phi = math.exp(-kappa * MONTH_YEARS)
    return phi, sigma * math.sqrt((1.0 - phi**2) / (2.0 * kappa))


def ou_paths(z: FloatArray, phi: float, scale: float) -> FloatArray:
    """OU states after 1..M monthly steps from 0, given standard normals ``z`` (paths, M).

    ``x_m = φ·x_{m−1} + s·z_m`` with ``x_{−1} = 0``, computed in place on ``z``.
    """
    z *= scale
    return kernels.ar1_accumulate(z, phi)


def sample_fees_btc_per_block(
    spec: FeesSpec, months: int, paths: int, seed: SeedLike, path_offset: int = 0
) -> FloatArray:
    """Mean fees per block in each month, ``(paths, months)`` [BTC/block].

    ``seed`` and ``path_offset`` work as for the price samplers: path ``i`` is the same
    whatever the chunk it is sampled in.
    """
    check_shape(months, paths)
    phi, scale = ou_step(
        spec.baseline_mean_reversion_per_year, spec.baseline_volatility_frac_per_year
    )

    def block(rng: np.random.Generator, n: int) -> tuple[FloatArray]:
        x = ou_paths(rng.standard_normal((n, months)), phi, scale)
        factor = spike_excess(spec, rng, n, months)
        factor += 1.0
        np.exp(x, out=x)
        x *= factor
        x *= spec.baseline_btc_per_block
        return (x,)

    return fill_by_block(driver_stream(seed, "fees"), path_offset, paths, [(months,)], block)[0]


def spike_excess(spec: FeesSpec, rng: np.random.Generator, n: int, months: int) -> FloatArray:
    """Month-average excess multiplier ``(multiplier − 1)`` of spike episodes, ``(n, months)``.

    Time is counted in months. With ``a = multiplier − 1``, an episode adds
    ``a·(ramp(t − t0) − ramp(t − t1))`` to the integrated excess ``F(t)``; with kinks
    ``τ`` of weight ``w`` (``+a`` at ``t0``, ``−a`` at ``t1``) the month-``m`` mean is
    ``F(m+1) − F(m) = A(m+1) + m·S_m − O_m``, where ``A(k) = Σ_{τ<k} w`` and ``S_m``,
    ``O_m`` sum ``w`` and ``w·τ`` over the kinks inside month ``m``. Ref [3].
    """
    rate_per_month = spec.spike_rate_per_year / MONTHS_PER_YEAR
    counts = rng.poisson(rate_per_month * months, n)
    total = int(counts.sum())
    start = rng.random(total) * months
    duration = rng.exponential(spec.spike_duration_months, total)
    log_lo, log_hi = math.log(spec.spike_multiplier_min), math.log(spec.spike_multiplier_max)
    excess = np.exp(rng.uniform(log_lo, log_hi, total)) - 1.0
    end = start + duration
    if kernels.HAVE_NUMBA:
        return kernels.episode_month_means(counts, start, end, excess, months)
    return episode_month_means_numpy(counts, start, end, excess, months)


def episode_month_means_numpy(
    counts: npt.NDArray[np.int64], start: FloatArray, end: FloatArray, level: FloatArray,
    months: int,
) -> FloatArray:  # fmt: skip
    """Month means of summed episode levels ``(rows, months)``, by kinks (:func:`spike_excess`).

    Row ``r`` owns ``counts[r]`` consecutive episodes ``[start, end)`` of ``level``; the
    numbers :func:`hashpivot.kernels.episode_month_means` reproduces bit for bit.
    """
    n = counts.shape[0]
    row = np.repeat(np.arange(n, dtype=np.int64), counts)
    kinks = np.concatenate([start, end])
    weight = np.concatenate([level, -level])
    width = months + 1  # one overflow column for kinks after the horizon
    month = np.minimum(kinks.astype(np.int64), months)
    flat = np.concatenate([row, row]) * width + month
    in_month = np.bincount(flat, weights=weight, minlength=n * width).reshape(n, width)
    moment = np.bincount(flat, weights=weight * kinks, minlength=n * width).reshape(n, width)
    alive = np.cumsum(in_month[:, :months], axis=1)
    grid = np.arange(months, dtype=np.float64)
    out = alive + grid * in_month[:, :months] - moment[:, :months]
    return np.maximum(out, 0.0)
