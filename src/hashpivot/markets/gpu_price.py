"""GPU rental price index: log trend, mean-reverting shock and generation step-downs.

``index[i, m] = (1 + trend)^{t} · (1 + step)^{⌊(m+1)/G⌋} · exp(x_{m} − v_{m}/2)`` with
``t = (m + 1)/12`` years: the index at the **end** of month ``m`` (1 at the start, as
prices are). ``x`` is an Ornstein–Uhlenbeck shock started at 0 and ``v_m`` its variance
after ``m + 1`` monthly steps, so ``E[index]`` follows the trend and the steps exactly
and ``trend_frac_per_year`` reads as the expected decline between generations. A new
generation arrives every ``G`` months (the first after ``G`` months). Multiply each GPU
cloud's own starting $/GPU-hour by the index.

References
----------
.. [1] Log price = trend (−15 to −30 %/yr) + OU shock + a step-down at each new
   generation (roughly annual; the form is an assumption); H100 −22 % (2025, RBC),
   https://www.newsbeep.com/au/?p=220110 ; term structure about −28 %/yr,
   https://techecho.bigdataflowing.com/zh/item/40246398
.. [2] Exact OU discretisation and its variance ``σ²(1 − e^{−2κt})/(2κ)``:
   P. Glasserman (2003), Monte Carlo Methods in Financial Engineering, §3.3.1.

"""

from __future__ import annotations

import math

import numpy as np

from hashpivot.markets._common import MONTH_YEARS, check_shape
from hashpivot.markets._random import FloatArray, SeedLike, driver_stream, fill_by_block
from hashpivot.markets.fees import ou_paths, ou_step
from hashpivot.markets.spec import GpuPriceSpec


def expected_gpu_price_index(spec: GpuPriceSpec, months: int) -> FloatArray:
    """``E[index]`` at the end of each month: trend × generation steps, ``(months,)`` [-]."""
    t_years = (np.arange(months) + 1.0) * MONTH_YEARS
    generations = (np.arange(months) + 1) // spec.generation_interval_months
    trend = (1.0 + spec.trend_frac_per_year) ** t_years
    return np.asarray(trend * (1.0 + spec.generation_step_frac) ** generations)


def ou_variance(spec: GpuPriceSpec, months: int) -> FloatArray:
    """Variance of the log shock after 1..``months`` monthly steps, ``(months,)`` [-]. Ref [2]."""
    kappa, sigma = spec.ou_mean_reversion_per_year, spec.ou_volatility_frac_per_year
    t_years = (np.arange(months) + 1.0) * MONTH_YEARS
    if kappa <= 0.0:
        return np.asarray(sigma**2 * t_years)
    return np.asarray(sigma**2 * (1.0 - np.exp(-2.0 * kappa * t_years)) / (2.0 * kappa))


def sample_gpu_price_index(
    spec: GpuPriceSpec, months: int, paths: int, seed: SeedLike, path_offset: int = 0
) -> FloatArray:
    """GPU rental price index at the end of each month, ``(paths, months)`` [-].

    ``seed`` and ``path_offset`` work as for the price samplers.
    """
    check_shape(months, paths)
    phi, scale = ou_step(spec.ou_mean_reversion_per_year, spec.ou_volatility_frac_per_year)
    log_mean = np.log(expected_gpu_price_index(spec, months)) - 0.5 * ou_variance(spec, months)
    if not math.isfinite(float(log_mean.sum())):
        msg = "trend_frac_per_year and generation_step_frac must keep the index above 0"
        raise ValueError(msg)

    def block(rng: np.random.Generator, n: int) -> tuple[FloatArray]:
        x = ou_paths(rng.standard_normal((n, months)), phi, scale)
        x += log_mean
        return (np.exp(x, out=x),)

    return fill_by_block(driver_stream(seed, "gpu_price"), path_offset, paths, [(months,)], block)[
        0
    ]
