"""Fleet mining economics: BTC mined, revenue, power cost, margin, breakeven, payback.

Pure functions that broadcast over leading scenario axes ``(paths, months)``.

References
----------
.. [1] Hashprice and hashcost identities:
   https://elektronics.dev/docs/hashprice
.. [2] Power draw of a site = ASIC draw × PUE (power usage effectiveness, The Green
   Grid definition); mining sites about 1.05,
   https://d-central.tech/mining-glossary/power-usage-effectiveness-pue/

"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hashpivot import bitcoin

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

HOURS_PER_DAY = 24.0
"""Hours per day [h]."""


def fleet_hashrate_ph_s(
    count: ArrayLike, unit_hashrate_th_s: ArrayLike, uptime_frac: ArrayLike = 1.0
) -> FloatArray:
    """Average hashrate of a fleet: count × TH/s × uptime / 1000 [PH/s]."""
    return np.asarray(
        np.asarray(count, dtype=np.float64) * np.asarray(unit_hashrate_th_s) * uptime_frac / 1e3
    )


def fleet_power_mw(
    count: ArrayLike, unit_power_w: ArrayLike, uptime_frac: ArrayLike = 1.0, pue: ArrayLike = 1.0
) -> FloatArray:
    """Average site draw of a fleet, cooling included: count × W × uptime × PUE / 1e6 [MW].

    Ref [2].
    """
    n = np.asarray(count, dtype=np.float64)
    return np.asarray(n * np.asarray(unit_power_w) * uptime_frac * np.asarray(pue) / 1e6)


def btc_mined(
    hashprice_btc_per_ph_day: ArrayLike,
    hashrate_ph_s: ArrayLike,
    days: ArrayLike,
    pool_fee_frac: ArrayLike = 0.0,
) -> FloatArray:
    """BTC earned net of the pool fee: hashprice × PH/s × days × (1 − fee) [BTC]. Ref [1]."""
    hp = np.asarray(hashprice_btc_per_ph_day, dtype=np.float64)
    gross = hp * np.asarray(hashrate_ph_s) * np.asarray(days)
    return np.asarray(gross * (1.0 - np.asarray(pool_fee_frac)))


def energy_mwh(power_mw: ArrayLike, hours: ArrayLike) -> FloatArray:
    """Energy of a constant draw over some hours: MW × h [MWh]."""
    return np.asarray(np.asarray(power_mw, dtype=np.float64) * np.asarray(hours))


def escalated_price_usd_per_mwh(
    price_usd_per_mwh: ArrayLike, escalator_frac_per_year: ArrayLike, months_elapsed: ArrayLike
) -> FloatArray:
    """Contract price after ``months_elapsed``: p₀·(1+e)^(m/12), compounded monthly [USD/MWh].

    Escalates every month in the same proportion as an annual step-up; a contract that
    steps once a year differs by at most one year's escalator.
    """
    p0 = np.asarray(price_usd_per_mwh, dtype=np.float64)
    growth = (1.0 + np.asarray(escalator_frac_per_year)) ** (np.asarray(months_elapsed) / 12.0)
    return np.asarray(p0 * growth)


def breakeven_power_fleet_usd_per_mwh(
    hashprice_usd_per_ph_day: ArrayLike,
    efficiency_j_per_th: ArrayLike,
    pool_fee_frac: ArrayLike = 0.0,
    pue: ArrayLike = 1.0,
) -> FloatArray:
    """Power price at which a fleet's revenue pays exactly its power [USD/MWh].

    Hashprice net of the pool fee over the energy one PH/s uses per day with cooling:
    ``hashprice·(1−fee) / (24·J/TH·PUE·1e-3)``. Ref [1].
    """
    net = np.asarray(hashprice_usd_per_ph_day, dtype=np.float64) * (1.0 - np.asarray(pool_fee_frac))
    eff = np.asarray(efficiency_j_per_th, dtype=np.float64) * np.asarray(pue)
    return bitcoin.breakeven_power_usd_per_mwh(net, eff)


def cost_per_btc_usd(cost_usd: ArrayLike, btc: ArrayLike) -> FloatArray:
    """Cost to mine one BTC: cost / BTC mined; NaN where nothing was mined [USD/BTC]."""
    c = np.asarray(cost_usd, dtype=np.float64)
    b = np.asarray(btc, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(b > 0, c / np.where(b > 0, b, 1.0), np.nan))


def payback_months(margin_usd: ArrayLike, capex_usd: ArrayLike) -> FloatArray:
    """Months until cumulative margin first covers capex; NaN means it never does [months].

    ``margin_usd`` is shaped ``(..., months)``; the result counts whole months (1 = paid
    back within the first month) and is NaN where cumulative margin never reaches capex.
    """
    cum = np.cumsum(np.asarray(margin_usd, dtype=np.float64), axis=-1)
    capex = np.asarray(capex_usd, dtype=np.float64)[..., None]
    covered = cum >= capex
    if covered.shape[-1] == 0:  # no month to pay back in (e.g. a scenario without a fleet)
        return np.full(covered.shape[:-1], np.nan)
    first = np.argmax(covered, axis=-1) + 1.0
    return np.asarray(np.where(np.any(covered, axis=-1), first, np.nan))
