"""Consistency checks of a company file: warnings when its facts disagree with each other.

- **Hashrate needs more power than reported**: a self-mining hashrate H [EH/s] at a fleet
  efficiency e [J/TH] draws H × 1e6 TH/s × e J/TH = H × e MW of ASIC power, times the
  mining PUE at the meter. When that exceeds the operating gross MW the file reports, one
  of the two lags the company (or the fleet is more efficient than assumed).
- **Mining and AI need more than any capacity reported**: the mining MW plus the gross MW
  under active AI contracts exceed the largest capacity the file reports.
- **Lagging facts**: the latest hashrate or operating capacity dated more than a year
  before the file's as_of.

The checks only warn: a file that fails one still loads and values.

References
----------
.. [1] Mining power = hashrate × efficiency (J/TH = W per TH/s), e.g. Bitmain's S21 spec,
   200 TH/s at 17.5 J/TH = 3 500 W: https://shop.bitmain.com/
.. [2] Mining PUE "close to 1.05" for well-designed ASIC sites:
   https://d-central.tech/mining-glossary/power-usage-effectiveness-pue/

"""

from __future__ import annotations

import datetime as dt
import math

from hashpivot.listed.catalog import ListedCompanySpec, period_bounds

ASSUMED_FLEET_J_PER_TH = 20.0
"""Fleet efficiency assumed when a file gives none (assumption: between the S19 XP at 21.5
and the S21 at 17.5 J/TH; the same as :data:`hashpivot.company.listed_value.
FLEET_EFFICIENCY_J_PER_TH`, which a test keeps equal) [J/TH]."""

MINING_PUE = 1.05
"""Mining PUE, ref. [2] [-]."""

AI_PUE = 1.3
"""Gross MW per IT MW when a contract gives no gross MW: TeraWulf 1.25, Hut 8 1.35
(derived: about 250:200, https://zioncoins.net/?p=26100 , and about 330:245,
https://dcpulse.com/news/hut-fluidstack-ai-data-center-deal-river-bend ) [-]."""

TOLERANCE_FRAC = 0.10
"""Slack before a power mismatch is reported (assumption: rounding in reported MW and
EH/s, and fleets a little better than assumed) [-]."""

LAG_DAYS = 365
"""A latest fact older than this before the file's as_of is reported as lagging [days]."""


def mining_mw(hashrate_eh_s: float, efficiency_j_per_th: float, pue: float = MINING_PUE) -> float:
    """Gross MW a hashrate draws at the meter: EH/s × J/TH × PUE (refs. [1], [2]) [MW]."""
    return hashrate_eh_s * efficiency_j_per_th * pue


def fleet_efficiency(company: ListedCompanySpec) -> tuple[float, str]:
    """The fleet's J/TH the file reports (with its source), else the assumed one."""
    rep = company.reported_efficiency()
    if rep is None or rep.fleet_efficiency_j_per_th is None:
        return ASSUMED_FLEET_J_PER_TH, "assumed"
    return rep.fleet_efficiency_j_per_th, f"reported as of {rep.as_of}"


def consistency_warnings(
    company: ListedCompanySpec, efficiency_j_per_th: float | None = None
) -> list[str]:
    """Warnings where the file's facts disagree (see the module docstring); [] when none.

    The fleet efficiency is ``efficiency_j_per_th`` when given, else the one the file
    reports with a hashrate, else :data:`ASSUMED_FLEET_J_PER_TH`.
    """
    out: list[str] = []
    hr = company.latest_hashrate()
    if efficiency_j_per_th is None:
        efficiency_j_per_th, how = fleet_efficiency(company)
    else:
        how = "given"
    need = 0.0 if hr is None else mining_mw(hr.hashrate_eh_s, efficiency_j_per_th)
    operating = company.operating_mw()
    if hr is not None and (math.isnan(operating) or need > operating * (1 + TOLERANCE_FRAC)):
        have = "no operating MW" if math.isnan(operating) else f"{operating:,.0f} MW operating"
        out.append(
            f"{company.ticker}: {hr.hashrate_eh_s:g} EH/s (as of {hr.as_of}) x "
            f"{efficiency_j_per_th:g} J/TH ({how}) x PUE {MINING_PUE:g} needs {need:,.0f} MW, "
            "but the "
            f"file reports {have}: one of them lags, or the fleet is more efficient"
        )
    ai = sum(
        c.gross_mw or (c.it_mw or 0.0) * AI_PUE
        for c in company.active_contracts()
        if c.kind == "colocation"
    )
    reported = company.reported_mw()
    if ai > 0 and not math.isnan(reported) and need + ai > reported * (1 + TOLERANCE_FRAC):
        out.append(
            f"{company.ticker}: mining ({need:,.0f} MW) and AI contracts ({ai:,.0f} gross MW) "
            f"need {need + ai:,.0f} MW, more than the {reported:,.0f} MW of any capacity reported"
        )
    out.extend(_lagging(company))
    return out


def _lagging(company: ListedCompanySpec) -> list[str]:
    limit = company.as_of - dt.timedelta(days=LAG_DAYS)
    out = []
    hr = company.latest_hashrate()
    if hr is not None and period_bounds(hr.as_of)[1] < limit:
        out.append(f"{company.ticker}: the latest hashrate is as of {hr.as_of}, over a year old")
    running = [s for s in company.sites if s.status == "operating"]
    if running and max(period_bounds(s.as_of)[1] for s in running) < limit:
        out.append(f"{company.ticker}: the operating capacity is over a year old")
    return out
