"""AI/HPC economics: colocation leases (USD per kW-month) and GPU clouds (USD per GPU-hour).

Two different businesses. A *colocation lease* rents critical IT capacity to a tenant at a
rate per kW-month with an annual escalator, energised in phases; revenue is contracted and
its risk is the tenant's credit. A *GPU cloud* owns the GPUs and sells GPU-hours, so its
revenue follows the rental price and utilisation, and its capex is an order of magnitude
larger per MW.

Pure functions, vectorised over leading axes ``(paths, months)``.

References
----------
.. [1] Core Scientific–CoreWeave: about 500 MW for 8.7B USD over 12 years, about
   121 USD/kW-month (derived). https://www.sec.gov/Archives/edgar/data/1839341/000162828024043341/corescientifichpcoption3re.htm
.. [2] Hut 8–Fluidstack: 245 MW IT, 7.0B USD over 15 years NNN with a 3 % escalator.
   https://dcpulse.com/news/hut-fluidstack-ai-data-center-deal-river-bend
.. [3] Cipher–Fluidstack NOI 80–85 %: https://blockworks.co/news/cipher-mining-inks-3b-ai-hosting-deal-with-fluidstack
.. [4] GPU rental price paths: https://neighborhoodsf.com/Wikis/Neighborhood+Notes/Published/H100+rental+prices+(%24+per+GPU-hour)
   ; utilisation about 70 %: https://www.computetape.com/learn/how-fast-does-an-h100-depreciate/
   ; useful life 5–6 years: https://thecuberesearch.com/298-breaking-analysis-resetting-gpu-depreciation-why-ai-factories-bend-but-dont-break-useful-life-assumptions

"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

KW_PER_MW = 1000.0
"""Kilowatts per megawatt [kW/MW]."""
HOURS_PER_YEAR = 8766.0
"""Mean hours per year, 365.25 days [h]."""
MONTHS_PER_YEAR = 12


# --------------------------------------------------------------------------- colocation


def escalated_rate_usd_per_kw_month(
    rate_usd_per_kw_month: ArrayLike,
    escalator_frac_per_year: ArrayLike,
    months_since_start: ArrayLike,
) -> FloatArray:
    """Lease rate after annual step-ups: r₀·(1+g)^floor(m/12) [USD/kW-month].

    The rate steps up on each anniversary of rent commencement, as lease escalators do
    (Ref [2]). Months before the start (negative) keep the starting rate.
    """
    m = np.maximum(np.asarray(months_since_start, dtype=np.float64), 0.0)
    steps = np.floor(m / MONTHS_PER_YEAR)
    r0 = np.asarray(rate_usd_per_kw_month, dtype=np.float64)
    return np.asarray(r0 * (1.0 + np.asarray(escalator_frac_per_year)) ** steps)


def _escalation_sum(escalator_frac_per_year: ArrayLike, term_years: ArrayLike) -> FloatArray:
    """Σ_{y<T} (1+g)^y for whole and fractional years T (last year pro rata)."""
    g = np.asarray(escalator_frac_per_year, dtype=np.float64)
    t = np.asarray(term_years, dtype=np.float64)
    whole = np.floor(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        geometric = np.where(
            np.abs(g) < 1e-12, whole, ((1.0 + g) ** whole - 1.0) / np.where(g == 0, 1, g)
        )
    return np.asarray(geometric + (t - whole) * (1.0 + g) ** whole)


def contract_value_usd(
    it_mw: ArrayLike,
    rate_usd_per_kw_month: ArrayLike,
    term_years: ArrayLike,
    escalator_frac_per_year: ArrayLike = 0.0,
) -> FloatArray:
    """Total contract value of a lease at full energisation: MW·1000·r₀·12·Σ(1+g)^y [USD].

    Straight-line headline values (500 MW × 121 USD/kW-month × 12 years ≈ 8.7B USD,
    Ref [1]) are the case g = 0. Ramp-up before full energisation is not counted, as
    headline deal values usually are not.
    """
    annual_first = (
        np.asarray(it_mw, dtype=np.float64) * KW_PER_MW * np.asarray(rate_usd_per_kw_month) * 12
    )
    return np.asarray(annual_first * _escalation_sum(escalator_frac_per_year, term_years))


def implied_rate_usd_per_kw_month(
    total_value_usd: ArrayLike,
    it_mw: ArrayLike,
    term_years: ArrayLike,
    escalator_frac_per_year: ArrayLike = 0.0,
) -> FloatArray:
    """Starting rate that gives a headline contract value: inverse of :func:`contract_value_usd`."""
    denom = (
        np.asarray(it_mw, dtype=np.float64)
        * KW_PER_MW
        * 12
        * _escalation_sum(escalator_frac_per_year, term_years)
    )
    return np.asarray(np.asarray(total_value_usd, dtype=np.float64) / denom)


def energised_it_mw(
    phase_months: ArrayLike,
    phase_it_mw: ArrayLike,
    months: ArrayLike,
    phase_end_months: ArrayLike | None = None,
) -> FloatArray:
    """Critical IT MW energised in each month, given phases (start month, MW) [MW].

    ``phase_months`` and ``phase_it_mw`` are 1-D; ``months`` is any array of month
    indices. A phase counts from its start month on, up to (not including) its end month
    when ``phase_end_months`` is given.
    """
    m = np.asarray(months, dtype=np.float64)[..., None]
    starts = np.asarray(phase_months, dtype=np.float64)
    mw = np.asarray(phase_it_mw, dtype=np.float64)
    live = m >= starts
    if phase_end_months is not None:
        live = live & (m < np.asarray(phase_end_months, dtype=np.float64))
    return np.asarray((live * mw).sum(axis=-1))


def survival_frac(default_prob_per_year: ArrayLike, months_since_start: ArrayLike) -> FloatArray:
    """Probability that the tenant has not defaulted: (1−p)^(m/12) [-].

    A constant annual default probability (a standard reduced-form credit model, e.g.
    Hull, *Options, Futures and Other Derivatives*, ch. 24).
    """
    p = np.asarray(default_prob_per_year, dtype=np.float64)
    m = np.maximum(np.asarray(months_since_start, dtype=np.float64), 0.0)
    return np.asarray((1.0 - p) ** (m / MONTHS_PER_YEAR))


def expected_rent_frac(
    default_prob_per_year: ArrayLike, recovery_frac: ArrayLike, months_since_start: ArrayLike
) -> FloatArray:
    """Expected share of contracted rent received: S + (1−S)·recovery [-].

    After a default the landlord collects ``recovery_frac`` of the contracted rent (a
    guarantee such as Google's backstops of the Fluidstack leases, or re-letting).
    """
    s = survival_frac(default_prob_per_year, months_since_start)
    return np.asarray(s + (1.0 - s) * np.asarray(recovery_frac))


def lease_rent_usd(
    energised_it_mw: ArrayLike, rate_usd_per_kw_month: ArrayLike, rent_share_frac: ArrayLike = 1.0
) -> FloatArray:
    """Monthly rent: energised IT MW × 1000 × rate × expected share [USD/month]."""
    mw = np.asarray(energised_it_mw, dtype=np.float64)
    return np.asarray(
        mw * KW_PER_MW * np.asarray(rate_usd_per_kw_month) * np.asarray(rent_share_frac)
    )


def backstop_paid_usd(lost_rent_usd: ArrayLike, backstop_cap_usd: ArrayLike) -> FloatArray:
    """Rent a capped backstop pays each month after a default [USD/month].

    It pays each month's lost rent until the cap is spent, then nothing:
    paid_k = clip(cap − Σ_{j<k} lost_j, 0, lost_k) along the last axis (months). A
    backstop is a capped dollar guarantee (Google's 1.4B USD behind Fluidstack at Cipher,
    https://blockworks.co/news/cipher-mining-inks-3b-ai-hosting-deal-with-fluidstack),
    not a recovery share.
    """
    lost = np.asarray(lost_rent_usd, dtype=np.float64)
    cap = np.asarray(backstop_cap_usd, dtype=np.float64)
    before = np.cumsum(lost, axis=-1) - lost
    return np.asarray(np.clip(cap[..., None] - before, 0.0, lost))


def ai_power_mw(it_mw: ArrayLike, it_load_frac: ArrayLike, pue: ArrayLike) -> FloatArray:
    """Average facility draw of AI load: IT MW × load fraction × PUE [MW]."""
    return np.asarray(
        np.asarray(it_mw, dtype=np.float64) * np.asarray(it_load_frac) * np.asarray(pue)
    )


# --------------------------------------------------------------------------- GPU cloud


def gpu_price_path_usd_per_gpu_hour(
    price_usd_per_gpu_hour: ArrayLike, trend_frac_per_year: ArrayLike, months: ArrayLike
) -> FloatArray:
    """Deterministic rental price along a log trend: p₀·(1+g)^(m/12) [USD/GPU-h].

    Trends of −15…−30 %/yr (1-yr vs 3-yr reserved prices imply about −28 %/yr:
    https://techecho.bigdataflowing.com/zh/item/40246398 ).
    """
    m = np.asarray(months, dtype=np.float64)
    p0 = np.asarray(price_usd_per_gpu_hour, dtype=np.float64)
    return np.asarray(p0 * (1.0 + np.asarray(trend_frac_per_year)) ** (m / MONTHS_PER_YEAR))


def gpu_cloud_revenue_usd(
    gpu_count: ArrayLike,
    hours: ArrayLike,
    contract_share_frac: ArrayLike,
    contract_usd_per_gpu_hour: ArrayLike,
    spot_usd_per_gpu_hour: ArrayLike,
    utilisation_frac: ArrayLike,
) -> FloatArray:
    """GPU-hours sold: contracted GPUs paid for every hour, the rest sold on demand [USD].

    ``n·h·[c·p_contract + (1−c)·u·p_spot]``: reserved capacity is billed whether used or
    not (CoreWeave-style 3–5 year contracts:
    https://wukong123.substack.com/p/crwv-small-group-meeting-notes-part ); on-demand GPUs earn only
    when rented, at the utilisation ``u``.
    """
    n_h = np.asarray(gpu_count, dtype=np.float64) * np.asarray(hours)
    c = np.asarray(contract_share_frac)
    contract = c * np.asarray(contract_usd_per_gpu_hour)
    spot = (1.0 - c) * np.asarray(utilisation_frac) * np.asarray(spot_usd_per_gpu_hour)
    return np.asarray(n_h * (contract + spot))


def gpu_cloud_power_mw(
    gpu_count: ArrayLike,
    gpu_tdp_w: ArrayLike,
    server_overhead_frac: ArrayLike,
    pue: ArrayLike,
    load_frac: ArrayLike = 1.0,
) -> FloatArray:
    """Facility draw of a GPU cloud: n × TDP × (1 + server overhead) × PUE × load / 1e6 [MW].

    Server overhead covers CPUs, memory, NICs and fans beyond the GPUs' TDP: a GB200 NVL72
    rack draws about 120 kW for 72 GPUs of 1 200 W (overhead ≈ 0.39, derived from
    https://introl.com/blog/why-nvidia-gb300-nvl72-blackwell-ultra-matters).
    """
    n = np.asarray(gpu_count, dtype=np.float64)
    it_w = n * np.asarray(gpu_tdp_w) * (1.0 + np.asarray(server_overhead_frac))
    return np.asarray(it_w * np.asarray(pue) * np.asarray(load_frac) / 1e6)


def gpu_depreciation_usd_per_month(
    capex_usd: ArrayLike, useful_life_years: ArrayLike, residual_value_frac: ArrayLike
) -> FloatArray:
    """Straight-line depreciation to residual value: capex·(1−residual)/(12·life) [USD/month]."""
    c = np.asarray(capex_usd, dtype=np.float64)
    life_months = np.asarray(useful_life_years, dtype=np.float64) * MONTHS_PER_YEAR
    return np.asarray(c * (1.0 - np.asarray(residual_value_frac)) / life_months)
