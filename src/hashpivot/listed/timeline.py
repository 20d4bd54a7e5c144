"""The pace of the pivot: per company and quarter, mining MW and EH/s against AI MW and PFLOPS.

Read from the catalogue (:mod:`hashpivot.listed.catalog`): each active AI contract (one
per phase, :func:`~hashpivot.company.listed_value.phase_contracts`) energises its IT MW
linearly from the first day of its ``energisation_start`` period to the last day of its
``energisation_end`` period (all at the start when no end is given; both shifted by the
contract's construction delay), as the valuation does. At each quarter's end:

- ``ai_it_mw_energised``: Σ IT MW × share energised [MW];
- ``ai_gross_mw_energised``: the same with each contract's gross MW (IT MW × the
  valuation's AI PUE when a contract gives none) [MW];
- ``mining_gross_mw``: the company's operating gross MW (its latest report, held over the
  timeline) less the AI gross MW energised on it, floored at 0 [MW]. A contract is on the
  operating footprint (:func:`displaces_mining`) when its site is an operating site of the
  file, or, when the file gives its operating MW as one mixed-use portfolio figure, when
  its site is none of the file's other sites; elsewhere it is a new build and leaves
  mining alone (assumption: conversions take over mining MW one for one; new capacity not
  yet reported is not added);
- ``hashrate_eh_s``: the latest self-mining hashrate reported by the quarter's end;
  ``hashrate_eh_s_implied``: that report scaled by the mining MW left since it
  (:func:`implied_hashrate_eh_s`; assumption); ``eh_s_retired``: the peak reported so far
  less the implied hashrate [EH/s];
- ``ai_revenue_share_frac``: AI contract revenue run-rate (value / term of each energised
  contract, straight-line as the comps backlog) over that plus the mining revenue
  run-rate (implied EH/s × one hashprice for every quarter: the market state's) [-];
- ``ai_bf16_pflops`` / ``ai_fp8_pflops``: the seed's unit, dense PFLOPS energised:
  IT MW / (GPU TDP × (1 + server overhead)) × dense TFLOPS / 1000.

No contract in the catalogue names its GPU: every contract is taken as
:data:`DEFAULT_GPU_MODEL` (assumption; pass another catalogue GPU to change it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot.company.listed_value import AI_PUE, phase_contracts
from hashpivot.hardware import get_gpu
from hashpivot.listed.catalog import ListedCompanySpec, company_names, load_company, period_bounds

FloatArray = npt.NDArray[np.float64]

DEFAULT_GPU_MODEL = "GB200"
"""GPU assumed where a contract names none (assumption: the liquid-cooled Blackwell rack
that the 2025-2026 colocation halls are built for; IREN's Microsoft deal is GB300, which
the GPU catalogue lacks)."""

SERVER_OVERHEAD_FRAC = 120_000.0 / (72 * 1_200.0) - 1.0
"""IT power beyond the GPUs' TDP (CPUs, memory, NICs, fans) [-]: a GB200 NVL72 rack draws
about 120 kW for 72 GPUs of 1 200 W, so 0.389 (derived from
https://introl.com/blog/why-nvidia-gb300-nvl72-blackwell-ultra-matters; the same figure
as :func:`hashpivot.ai.gpu_cloud_power_mw`'s docstring)."""

DAYS_PER_YEAR = 365.25
PH_PER_EH = 1_000.0
W_PER_MW = 1e6
TFLOPS_PER_PFLOPS = 1_000.0
DEFAULT_SINCE = dt.date(2024, 1, 1)
"""First quarter shown by default: the year before the first AI leases in the catalogue."""


def it_mw_per_gpu(tdp_w: float, server_overhead_frac: float = SERVER_OVERHEAD_FRAC) -> float:
    """Critical IT power of one GPU with its share of the server: TDP × (1 + overhead) [MW]."""
    return tdp_w * (1.0 + server_overhead_frac) / W_PER_MW


def pflops_energised(it_mw: npt.ArrayLike, tdp_w: float, dense_tflops: float,
                     server_overhead_frac: float = SERVER_OVERHEAD_FRAC) -> FloatArray:  # fmt: skip
    """Dense PFLOPS in IT MW of one GPU: IT MW / IT MW per GPU × TFLOPS / 1000 [PFLOPS]."""
    gpus = np.asarray(it_mw, dtype=np.float64) / it_mw_per_gpu(tdp_w, server_overhead_frac)
    return np.asarray(gpus * dense_tflops / TFLOPS_PER_PFLOPS)


def energised_frac(start_day: npt.ArrayLike, end_day: npt.ArrayLike,
                   at_day: npt.ArrayLike) -> FloatArray:  # fmt: skip
    """Share of a ramp energised on ``at_day`` (day numbers) [-].

    0 before ``start_day``, 1 from ``end_day`` on, linear between; a ramp whose end is not
    after its start is all energised from the start. Broadcasts (contracts × days).
    """
    s = np.asarray(start_day, dtype=np.float64)
    e = np.maximum(np.asarray(end_day, dtype=np.float64), s)
    t = np.asarray(at_day, dtype=np.float64)
    span = np.where(e > s, e - s, 1.0)
    ramp = np.clip((t - s) / span, 0.0, 1.0)
    return np.asarray(np.where(e > s, ramp, (t >= s).astype(np.float64)))


def quarter_label(day: dt.date) -> str:
    """``YYYY-Qn`` of a day."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """Last day of every quarter from the one holding ``first`` to the one holding ``last``."""
    out = []
    day = period_bounds(quarter_label(first))[1]
    while day <= period_bounds(quarter_label(last))[1]:
        out.append(day)
        day = period_bounds(quarter_label(day + dt.timedelta(days=1)))[1]
    return out


def _add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(day.day, period_bounds(f"{y}-{m:02d}")[1].day))


@dataclass(frozen=True)
class Ramps:
    """Energisation ramps of a company's active contracts, one entry per phase."""

    start_day: FloatArray
    end_day: FloatArray
    it_mw: FloatArray
    gross_mw: FloatArray
    revenue_usd_per_year: FloatArray
    displaces_mining: FloatArray


def _site_key(name: str) -> str:
    return name.strip().lower()


def displaces_mining(company: ListedCompanySpec, site: str) -> bool:
    """Whether an AI contract at ``site`` converts the operating (mining) footprint.

    True at an operating site of the file; at a site the file lists otherwise (pipeline,
    under construction) False; at an unnamed or unlisted site True only when the operating
    MW is a mixed-use portfolio figure (the company converts within it). Assumption.
    """
    operating = [s for s in company.sites if s.status == "operating"]
    if _site_key(site) in {_site_key(s.name) for s in operating if s.scope == "site"}:
        return True
    if site and _site_key(site) in {_site_key(s.name) for s in company.sites}:
        return False
    return any(s.scope == "portfolio" and s.use == "mixed" for s in operating)


def contract_ramps(company: ListedCompanySpec) -> Ramps:
    """Ramps (as ordinal days) of the active contracts that state their IT MW.

    Revenue run-rate is the announced value / term (0 when either is missing).
    """
    rows = []
    for whole in company.active_contracts():
        for c in phase_contracts(whole):
            if c.it_mw is None:
                continue
            first = period_bounds(c.energisation_start or c.signed)[0]
            last = period_bounds(c.energisation_end)[1] if c.energisation_end else first
            delay = c.construction_delay_months
            gross = c.gross_mw if c.gross_mw is not None and not whole.phases else None
            rate = (c.total_value_usd or 0.0) / c.term_years if c.term_years else 0.0
            rows.append((_add_months(first, delay).toordinal(), _add_months(last, delay)
                         .toordinal(), c.it_mw, gross or c.it_mw * AI_PUE, rate,
                         float(displaces_mining(company, whole.site))))  # fmt: skip
    cols = np.array(rows, dtype=np.float64).reshape(-1, 6).T
    return Ramps(*cols)


def _hashrate_at(
    company: ListedCompanySpec, ends: list[dt.date]
) -> list[tuple[float, dt.date] | None]:
    """The latest self-mining hashrate reported by each quarter end, and its day."""
    found = sorted((period_bounds(h.as_of)[1], h.hashrate_eh_s) for h in company.hashrate
                   if h.kind == "self_mining")  # fmt: skip
    out: list[tuple[float, dt.date] | None] = []
    for end in ends:
        known = [(eh, day) for day, eh in found if day <= end]
        out.append(known[-1] if known else None)
    return out


def _mining_mw(operating_mw: float, r: Ramps, days: FloatArray) -> FloatArray:
    """Operating gross MW less the AI gross MW energised on it, at each day [MW]."""
    frac = energised_frac(r.start_day[:, None], r.end_day[:, None], days[None, :])
    converted = (r.gross_mw * r.displaces_mining) @ frac
    return np.asarray(np.maximum(operating_mw - converted, 0.0))


def implied_hashrate_eh_s(reported_eh_s: float, mining_mw_then: float,
                          mining_mw_now: float) -> float:  # fmt: skip
    """A reported hashrate scaled by the mining MW left since the report [EH/s].

    Assumption: a conversion retires the miners on the MW it takes, fleet efficiency
    unchanged. Held as reported when the mining MW then is unknown or 0.
    """
    if not mining_mw_then > 0.0 or math.isnan(mining_mw_now):
        return reported_eh_s
    return reported_eh_s * mining_mw_now / mining_mw_then


def company_timeline(
    company: ListedCompanySpec,
    ends: list[dt.date],
    as_of: dt.date,
    gpu_model: str,
    hashprice_usd_per_ph_day: float,
) -> list[dict[str, Any]]:
    """Rows of one company, one per quarter end (see the module docstring)."""
    gpu = get_gpu(gpu_model)
    r = contract_ramps(company)
    days = np.array([d.toordinal() for d in ends], dtype=np.float64)
    frac = energised_frac(r.start_day[:, None], r.end_day[:, None], days[None, :])
    it_mw, gross_mw = r.it_mw @ frac, r.gross_mw @ frac
    ai_rev = r.revenue_usd_per_year @ frac
    bf16 = pflops_energised(it_mw, gpu.tdp_w, gpu.bf16_dense_tflops)
    fp8 = pflops_energised(it_mw, gpu.tdp_w, gpu.fp8_dense_tflops)
    operating = company.operating_mw()
    mining = _mining_mw(operating, r, days)
    rows, peak = [], 0.0
    for k, (end, found) in enumerate(zip(ends, _hashrate_at(company, ends), strict=True)):
        eh = implied = None
        if found is not None:
            eh, day = found
            then = float(_mining_mw(operating, r, np.array([float(day.toordinal())]))[0])
            implied = implied_hashrate_eh_s(eh, then, float(mining[k]))
            peak = max(peak, eh)
        mining_rev = (
            None if implied is None
            else implied * PH_PER_EH * hashprice_usd_per_ph_day * DAYS_PER_YEAR
        )  # fmt: skip
        total = None if mining_rev is None else mining_rev + float(ai_rev[k])
        rows.append({
            "ticker": company.ticker, "quarter": quarter_label(end), "quarter_end": end.isoformat(),
            "projected": end > as_of,
            "mining_gross_mw": None if math.isnan(operating) else float(mining[k]),
            "ai_it_mw_energised": float(it_mw[k]), "ai_gross_mw_energised": float(gross_mw[k]),
            "hashrate_eh_s": eh, "hashrate_eh_s_implied": implied,
            "eh_s_retired": None if implied is None else peak - implied,
            "ai_revenue_usd_per_year": float(ai_rev[k]),
            "ai_revenue_share_frac": float(ai_rev[k]) / total if total else None,
            "ai_bf16_pflops": float(bf16[k]),
            "ai_fp8_pflops": None if math.isnan(fp8[k]) else float(fp8[k]),
        })  # fmt: skip
    return rows


@dataclass(frozen=True)
class Timeline:
    """Result of :func:`pivot_timeline`: one row per company and quarter, and the notes."""

    rows: list[dict[str, Any]]
    notes: list[str]
    as_of: dt.date
    gpu_model: str
    hashprice_usd_per_ph_day: float
    inputs: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``rows``, ``notes`` and the assumptions in ``inputs``."""
        return {"as_of": self.as_of.isoformat(), "gpu_model": self.gpu_model,
                "hashprice_usd_per_ph_day": self.hashprice_usd_per_ph_day,
                "rows": self.rows, "notes": self.notes, "inputs": self.inputs}  # fmt: skip

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per company and quarter."""
        return pd.DataFrame(self.rows)


def _last_energisation(companies: Sequence[ListedCompanySpec]) -> dt.date:
    days = [int(d) for c in companies for d in contract_ramps(c).end_day]
    return dt.date.fromordinal(max(days)) if days else DEFAULT_SINCE


def pivot_timeline(
    tickers: Sequence[str] = (),
    as_of: dt.date | None = None,
    since: dt.date = DEFAULT_SINCE,
    gpu_model: str = DEFAULT_GPU_MODEL,
    hashprice_usd_per_ph_day: float | None = None,
) -> Timeline:
    """Per company and quarter, from ``since`` to the last contracted energisation.

    Quarters after ``as_of`` (default the latest company file's) are flagged
    ``projected``: the ramps as announced. ``hashprice_usd_per_ph_day`` defaults to the
    market state's at ``as_of`` (:func:`hashpivot.market_state.market_state_on`).
    """
    from hashpivot.listed.comps import valuation_date
    from hashpivot.market_state import market_state_on

    companies = list({c.ticker: c for c in map(load_company, tickers or company_names())}.values())
    date = valuation_date(companies, as_of)
    gpu = get_gpu(gpu_model)
    hp_source = "given"
    if hashprice_usd_per_ph_day is None:
        state = market_state_on(date)
        sourced = state.hashprice_usd_per_ph_day
        hashprice_usd_per_ph_day = sourced.value
        hp_source = (f"market state '{state.label}' as of {state.as_of}: hashprice as of "
                     f"{sourced.as_of} ({sourced.source_url})")  # fmt: skip
    ends = quarter_ends(since, max(date, _last_energisation(companies)))
    hp = hashprice_usd_per_ph_day
    rows = [row for c in companies for row in company_timeline(c, ends, date, gpu.model, hp)]
    notes = [f"no contract in the catalogue names its GPU: {gpu.model} assumed for all "
             f"({gpu.tdp_w:g} W TDP, {gpu.bf16_dense_tflops:g} dense BF16 TFLOPS; "
             f"{gpu.source_url})",
             f"IT MW per GPU = TDP × (1 + {SERVER_OVERHEAD_FRAC:.3f} server overhead) = "
             f"{it_mw_per_gpu(gpu.tdp_w) * 1e3:.4f} kW (GB200 NVL72: about 120 kW per 72 GPUs)",
             "mining gross MW: the latest reported operating gross MW held over the timeline, "
             "less the AI gross MW energised on it; AI at new-build sites leaves it alone "
             "(assumption)",
             "EH/s on mining MW: the latest report scaled by the mining MW left since it "
             "(assumption: a conversion retires the miners on the MW it takes)",
             f"mining revenue run-rate at {hp:.2f} USD/PH/day in every quarter"]  # fmt: skip
    inputs: list[dict[str, Any]] = [
              {"name": "gpu_model", "value": gpu.model, "source": "assumption"},
              {"name": "server_overhead_frac", "value": SERVER_OVERHEAD_FRAC,
               "source": "https://introl.com/blog/why-nvidia-gb300-nvl72-blackwell-ultra-matters"},
              {"name": "hashprice_usd_per_ph_day", "value": hashprice_usd_per_ph_day,
               "source": hp_source}]  # fmt: skip
    return Timeline(rows, notes, date, gpu.model, hashprice_usd_per_ph_day, inputs)
