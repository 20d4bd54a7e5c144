"""Power price factor per site: fixed, escalating, or a mean-one lognormal draw.

The factor multiplies a site's contract price in each month; ``(paths, months)`` per
site. Escalators step up on each anniversary of the start (months 12, 24, …), as lease
escalators do in :func:`hashpivot.ai.escalated_rate_usd_per_kw_month`.

For ``lognormal`` the log level of site ``s`` is ``σ(√ρ·Z_common + √(1−ρ)·Z_s) − σ²/2``
(mean one), drawn once per path, times an optional independent monthly factor
``exp(σ_m Z − σ_m²/2)``. The common draw and each site's own draws come from separate
streams, so adding a site does not change the factors of the others.

References
----------
.. [1] Lognormal with mean one: ``E[exp(σZ − σ²/2)] = 1``; N. L. Johnson, S. Kotz and
   N. Balakrishnan (1994), Continuous Univariate Distributions, vol. 1, ch. 14.
.. [2] Power-price paths: regime spikes, https://repub.eur.nl/pub/73102 ; jump
   reversion, https://faculty.essec.edu/en/research/understanding-the-fine-structure-of-electricity-prices/
   ; or a bootstrap of ERCOT hours; here only the per-path level is modelled, for
   monthly cash flows.

"""

from __future__ import annotations

import math

import numpy as np

from hashpivot.markets._common import MONTHS_PER_YEAR, check_shape, lookup
from hashpivot.markets._random import FloatArray, SeedLike, child, driver_stream, fill_by_block
from hashpivot.markets.spec import (
    EscalatingPowerSpec,
    FixedPowerSpec,
    LognormalPowerSpec,
    PowerPriceSpec,
)
from hashpivot.specbase import Spec

POWER_PRICE_MODELS: dict[str, type[Spec]] = {
    "fixed": FixedPowerSpec,
    "escalating": EscalatingPowerSpec,
    "lognormal": LognormalPowerSpec,
}
"""Power price models by name: their spec classes."""

COMMON_STREAM = 0
"""Spawn key of the level draw shared by all sites.

Site ``s`` draws its own level under key ``(s + 1, 0)`` and its monthly factors under
``(s + 1, 1)`` (only when ``monthly_volatility_frac > 0``).
"""


def power_price_model(name: str) -> type[Spec]:
    """Spec class of the power price model ``name``; unknown names list the valid ones."""
    return lookup("power price model", name, POWER_PRICE_MODELS)


def escalation_factor(escalator_frac_per_year: float, months: int) -> FloatArray:
    """``(1 + e)^{⌊m/12⌋}`` for months ``m = 0..months−1``: steps on each anniversary [-]."""
    years = np.arange(months) // MONTHS_PER_YEAR
    return np.asarray((1.0 + escalator_frac_per_year) ** years, dtype=np.float64)


def sample_power_price_factor(
    spec: PowerPriceSpec,
    months: int,
    paths: int,
    seed: SeedLike,
    site: int = 0,
    path_offset: int = 0,
) -> FloatArray:
    """Power price factor of site ``site`` in each month, ``(paths, months)`` [-].

    ``seed`` is the run's seed; ``site`` picks the site's own stream under the power
    driver's.
    """
    check_shape(months, paths)
    if isinstance(spec, FixedPowerSpec):
        return np.ones((paths, months))
    if isinstance(spec, EscalatingPowerSpec):
        row = escalation_factor(spec.escalator_frac_per_year, months)
        return np.repeat(row[None, :], paths, axis=0)
    return _lognormal(spec, months, paths, seed, site, path_offset)


def _lognormal(
    spec: LognormalPowerSpec,
    months: int,
    paths: int,
    seed: SeedLike,
    site: int,
    path_offset: int,
) -> FloatArray:
    if site < 0:
        msg = f"site must be >= 0, got {site}"
        raise ValueError(msg)
    root = driver_stream(seed, "power_price")
    sigma, rho, sigma_m = (
        spec.volatility_frac,
        spec.site_correlation_frac,
        spec.monthly_volatility_frac,
    )

    def level_block(rng: np.random.Generator, n: int) -> tuple[FloatArray]:
        return (rng.standard_normal((n, 1)),)

    def month_block(rng: np.random.Generator, n: int) -> tuple[FloatArray]:
        return (rng.standard_normal((n, months)),)

    common = fill_by_block(child(root, COMMON_STREAM), path_offset, paths, [(1,)], level_block)
    own = fill_by_block(child(root, site + 1, 0), path_offset, paths, [(1,)], level_block)
    z = math.sqrt(rho) * common[0] + math.sqrt(1.0 - rho) * own[0]
    log_factor = np.repeat(sigma * z - 0.5 * sigma**2, months, axis=1)
    if sigma_m > 0.0:
        stream = child(root, site + 1, 1)
        monthly = fill_by_block(stream, path_offset, paths, [(months,)], month_block)[0]
        log_factor += sigma_m * monthly - 0.5 * sigma_m**2
    escalation = escalation_factor(spec.escalator_frac_per_year, months)
    return np.asarray(np.exp(log_factor) * escalation[None, :])
