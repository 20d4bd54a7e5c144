"""Converting mining MW to AI/HPC: IT MW via PUE, capex, lead time, ASICs displaced.

A site's gross MW at the meter feed ASICs through a mining PUE of about 1.05; converted,
the same gross MW feed critical IT load through an AI PUE of 1.2–1.4, so fewer MW reach
the tenant. During the build (the lead time) the converted MW neither mine nor earn.

References
----------
.. [1] Gross:IT MW of announced conversions: TeraWulf about 250:200 (1.25), Hut 8 about
   330:245 (1.35), Cipher 244:168 (1.45) (derived, gross MW / IT MW,
   from:
   https://zioncoins.net/?p=26100
   https://particle.news/story/hut-8-strikes-google-backed-7-billion-ai-data-center-deal-with-anthropic-and-fluidstack
   https://blockonomi.com/cipher-mining-gains-3b-ai-contract-google-takes-equity-stake
.. [2] Capex per IT MW: TeraWulf 8–10M USD, Cipher 9–11M USD (AI-ready, liquid-cooled);
   Hut 8 about 2M USD powered shell vs 6M USD built-to-suit.
   https://blockspace.media/insight/terawulf-signs-10-year-200-mw-hosting-deals-google-takes-8-stake
   https://blockworks.co/news/cipher-mining-inks-3b-ai-hosting-deal-with-fluidstack
   https://fintool.com/app/research/companies/HUT/earnings/Q2%202025
.. [3] Lead times 9–24 months (signing to first energisation), e.g. Cipher–AWS Nov-2025 to
   rent from Aug-2026,
   https://www.mexc.fm/ms-MY/news/cipher-mining-cifr-stock-company-signs-5-5-billion-amazon-web-services-lease-agreement/152384
   ; Core Scientific Oct-2024 to 2H-2026,
   https://www.sec.gov/Archives/edgar/data/1839341/000162828024043341/corescientifichpcoption3re.htm

"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

CAPEX_USD_PER_IT_MW = {"ai_ready": 9.0e6, "powered_shell": 2.0e6}
"""Default capex by build type [USD per IT MW]: midpoint of TeraWulf/Cipher 8–11M for
AI-ready liquid-cooled builds; Hut 8's 2M for a powered shell (Ref [2])."""


def it_mw_from_gross_mw(gross_mw: ArrayLike, ai_pue: ArrayLike) -> FloatArray:
    """Critical IT MW that a gross MW feeds at an AI PUE: gross / PUE [MW]. Ref [1]."""
    return np.asarray(np.asarray(gross_mw, dtype=np.float64) / np.asarray(ai_pue))


def gross_mw_from_it_mw(it_mw: ArrayLike, ai_pue: ArrayLike) -> FloatArray:
    """Gross MW at the meter needed for critical IT MW: IT × PUE [MW]."""
    return np.asarray(np.asarray(it_mw, dtype=np.float64) * np.asarray(ai_pue))


def company_capex_usd(
    it_mw: ArrayLike, capex_usd_per_it_mw: ArrayLike, tenant_capex_share_frac: ArrayLike = 0.0
) -> FloatArray:
    """Conversion capex the company pays: IT MW × USD/IT MW × (1 − tenant share) [USD]."""
    total = np.asarray(it_mw, dtype=np.float64) * np.asarray(capex_usd_per_it_mw)
    return np.asarray(total * (1.0 - np.asarray(tenant_capex_share_frac)))


def capex_schedule_usd(
    total_usd: float, start_month: int, lead_time_months: int, n_months: int
) -> FloatArray:
    """Capex spread evenly over the build months (assumption: a flat draw schedule) [USD].

    Months before ``start_month`` or past the horizon get nothing; a zero lead time books
    the whole capex in the start month.
    """
    out = np.zeros(n_months)
    months = np.arange(start_month, start_month + max(lead_time_months, 1))
    inside = months[(months >= 0) & (months < n_months)]
    out[inside] = total_usd / max(lead_time_months, 1)
    return out


def displaced_frac_by_fleet(
    fleet_draw_mw: ArrayLike, efficiency_j_per_th: ArrayLike, gross_mw_needed: float, free_mw: float
) -> FloatArray:
    """Share of each fleet removed to free ``gross_mw_needed``, least efficient first [-].

    Unused interconnect (``free_mw``) is used first; then whole fleets are removed in
    order of falling J/TH (merit order: the worst machines go), the last one in part.
    """
    draw = np.asarray(fleet_draw_mw, dtype=np.float64)
    order = np.argsort(-np.asarray(efficiency_j_per_th, dtype=np.float64), kind="stable")
    need = max(gross_mw_needed - max(free_mw, 0.0), 0.0)
    removed_sorted = np.clip(
        need - np.concatenate([[0.0], np.cumsum(draw[order])[:-1]]), 0.0, draw[order]
    )
    removed = np.empty_like(draw)
    removed[order] = removed_sorted
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(draw > 0, removed / np.where(draw > 0, draw, 1.0), 0.0))


def asic_sale_proceeds_usd(hashrate_th_s: ArrayLike, resale_usd_per_th: ArrayLike) -> FloatArray:
    """Cash from ASICs sold when their MW are converted: TH/s × USD/TH [USD]."""
    return np.asarray(np.asarray(hashrate_th_s, dtype=np.float64) * np.asarray(resale_usd_per_th))
