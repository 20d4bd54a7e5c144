"""Dispatch inputs: hashprice by hour, merit-order segments of a site, 4CP peak hours.

A site's mining load is split into *segments*: the fleet tiers in merit order by J/TH
(most efficient first, because its breakeven is highest), cut where the fixed-price PPA
block and the demand-response commitment end (both serve the most efficient MW first).
Each segment carries its breakeven per unit of hashprice,
p*/hashprice = (1 − pool fee)·1000/(24·J/TH·PUE) [1], which the kernel
(:mod:`hashpivot.dispatch.kernel`) compares with the hourly opportunity cost of power.

References
----------
.. [1] https://coincompare.eu/bitcoin-mining-and-ercot-the-data-tells-the-story/
.. [2] 4CP tag = mean load in the four June–September monthly peak intervals, billed per
   kW-year the next year. https://nfmconsulting.com/knowledge/ercot-4cp-reduce-costs ;
   https://energytariffexperts.com/blog/2013/7/17/ercot-4cp-june-2013-review

"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import mining
from hashpivot.dispatch.io import HourCalendar
from hashpivot.dispatch.spec import DispatchSiteSpec, FourCPSpec
from hashpivot.errors import SpecError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SUMMER_MONTHS = (6, 7, 8, 9)
"""Months whose system peaks set the 4CP tag (June–September) [month]. Ref [2]."""

KW_PER_MW = 1000.0
"""kW per MW."""


# --------------------------------------------------------------------------- hashprice


@dataclass(frozen=True)
class Hashprice:
    """Hashprice by month ``(1|paths, months)`` or by hour ``(1, hours)``.

    ``btc_per_ph_day`` is the same in BTC (hashprice / BTC price), for BTC mined.
    """

    usd_per_ph_day: FloatArray
    btc_per_ph_day: FloatArray
    monthly: bool

    def hourly(self, cal: HourCalendar, rows: slice) -> tuple[FloatArray, FloatArray]:
        """USD and BTC hashprice by hour for the paths in ``rows``, ``(1|n, hours)``."""
        usd, btc = self.usd_per_ph_day, self.btc_per_ph_day
        if usd.shape[0] > 1:
            usd, btc = usd[rows], btc[rows]
        if self.monthly:
            return usd[:, cal.month_index], btc[:, cal.month_index]
        return usd, btc


def hashprice_by_hour(
    cal: HourCalendar,
    hashprice: float | pd.DataFrame | pd.Series | npt.ArrayLike,
    btc_price_usd: float | npt.ArrayLike | None = None,
) -> Hashprice:
    """Map a hashprice input onto the hours of ``cal``.

    Parameters
    ----------
    cal
        Operating-hour calendar.
    hashprice
        A constant [USD/PH/day]; a monthly series indexed by ``Period[M]``; a daily
        frame with ``hashprice_usd_per_ph_day`` and ``btc_price_usd`` indexed by day
        (see :func:`hashpivot.dispatch.io.read_hashprice_history`; the Central operating
        day is matched to the UTC day of the history, an approximation of at most 6 h);
        or an array ``(months,)`` / ``(paths, months)`` of monthly values, e.g. from the
        Monte Carlo engine.
    btc_price_usd
        BTC price for BTC mined, broadcastable to the monthly shape; not needed with a
        daily frame, which carries its own. NaN gives NaN BTC. [USD/BTC]

    """
    if isinstance(hashprice, pd.DataFrame):
        return _daily_hashprice(cal, hashprice)
    btc = np.nan if btc_price_usd is None else btc_price_usd
    if isinstance(hashprice, pd.Series):
        idx = pd.PeriodIndex(hashprice.index, freq="M")
        series = pd.Series(hashprice.to_numpy(dtype=np.float64), index=idx)
        absent = [str(m) for m in cal.months if m not in series.index]
        if absent:
            raise SpecError([f"hashprice: no value for month(s) {', '.join(absent[:6])}"])
        usd = series.loc[cal.months].to_numpy(dtype=np.float64)[None, :]
    else:
        arr = np.asarray(hashprice, dtype=np.float64)
        n_months = len(cal.months)
        if arr.ndim == 0:
            usd = np.full((1, n_months), float(arr))
        elif arr.shape[-1] == n_months and arr.ndim <= 2:
            usd = arr.reshape(-1, n_months)
        else:
            msg = f"hashprice: shape {arr.shape} — give a scalar, (months,) or (paths, months) "
            raise SpecError([msg + f"with {n_months} months"])
    _check_positive(usd, "hashprice_usd_per_ph_day")
    btc_arr = np.broadcast_to(np.asarray(btc, dtype=np.float64), usd.shape)
    with np.errstate(invalid="ignore"):
        return Hashprice(usd, usd / btc_arr, monthly=True)


def _check_positive(values: FloatArray, name: str) -> None:
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise SpecError([f"{name}: must be finite and ≥ 0"])


def _daily_hashprice(cal: HourCalendar, daily: pd.DataFrame) -> Hashprice:
    days = pd.DatetimeIndex(cal.delivery_date.astype("datetime64[ns]"))
    unique = days.unique()
    absent = unique.difference(pd.DatetimeIndex(daily.index))
    if len(absent):
        first, last = absent.min().date(), absent.max().date()
        msg = f"hashprice history: {len(absent)} day(s) with no value, {first} … {last}"
        raise SpecError([msg + " — the history must cover every operating day"])
    hp = daily["hashprice_usd_per_ph_day"].reindex(days).to_numpy(dtype=np.float64)
    price = daily["btc_price_usd"].reindex(days).to_numpy(dtype=np.float64)
    _check_positive(hp, "hashprice_usd_per_ph_day")
    return Hashprice(hp[None, :], (hp / price)[None, :], monthly=False)


# --------------------------------------------------------------------------- sites


@dataclass(frozen=True)
class Segment:
    """A slice of the mining load with one efficiency and one contract and DR status."""

    power_mw: float
    efficiency_j_per_th: float
    breakeven_per_hashprice: float
    contracted: bool
    committed: bool


@dataclass(frozen=True)
class SiteParams:
    """Plain numbers of one site, as the kernel uses them."""

    name: str
    segments: tuple[Segment, ...]
    mining_mw: float
    adder_usd_per_mwh: float
    ppa_price_usd_per_mwh: float
    resale: bool
    resale_fee_usd_per_mwh: float
    dr_usd_per_mw_hour: float
    event_price_usd_per_mwh: float
    penalty_usd_per_mwh: float
    four_cp_strategy: str
    four_cp_usd_per_mw_interval: float
    ai_firm_mw: float
    ai_interruptible_mw: float


def site_segments(site: DispatchSiteSpec) -> tuple[Segment, ...]:
    """Merit-order segments: tiers by J/TH, cut at the PPA block and the DR commitment."""
    tiers = sorted(site.tiers, key=lambda t: t.efficiency_j_per_th)
    bounds = np.cumsum([0.0] + [t.power_mw for t in tiers])
    block_mw = site.contract.fixed_share_frac() * site.mining_mw
    committed_mw = site.demand_response.committed_mw
    cuts = np.unique(np.concatenate([bounds, [block_mw, committed_mw]]))
    cuts = cuts[(cuts >= 0) & (cuts <= bounds[-1])]
    out = []
    for lo, hi in itertools.pairwise(cuts):
        if hi - lo <= 1e-12 * max(1.0, bounds[-1]):
            continue
        tier = tiers[int(np.searchsorted(bounds, lo, side="right")) - 1]
        coef = float(
            mining.breakeven_power_fleet_usd_per_mwh(
                1.0, tier.efficiency_j_per_th, site.pool_fee_frac, site.mining_pue
            )
        )
        out.append(
            Segment(
                power_mw=float(hi - lo),
                efficiency_j_per_th=tier.efficiency_j_per_th,
                breakeven_per_hashprice=coef,
                contracted=bool(hi <= block_mw * (1 + 1e-12)),
                committed=bool(hi <= committed_mw * (1 + 1e-12)),
            )
        )
    return tuple(out)


def site_params(site: DispatchSiteSpec) -> SiteParams:
    """The kernel's view of a site spec."""
    c, dr, cp = site.contract, site.demand_response, site.four_cp
    ai_int = site.ai_mw * site.ai_interruptible_frac
    return SiteParams(
        name=site.name,
        segments=site_segments(site),
        mining_mw=site.mining_mw,
        adder_usd_per_mwh=c.adder_usd_per_mwh,
        ppa_price_usd_per_mwh=c.ppa_price_usd_per_mwh or 0.0,
        resale=c.resale,
        resale_fee_usd_per_mwh=c.resale_fee_usd_per_mwh,
        dr_usd_per_mw_hour=dr.capacity_usd_per_mw_hour if dr.committed_mw > 0 else 0.0,
        event_price_usd_per_mwh=dr.event_price_usd_per_mwh,
        penalty_usd_per_mwh=dr.penalty_usd_per_mwh,
        four_cp_strategy=cp.strategy,
        four_cp_usd_per_mw_interval=cp.rate_usd_per_kw_year * KW_PER_MW / 4.0,
        ai_firm_mw=site.ai_mw - ai_int,
        ai_interruptible_mw=ai_int,
    )


# --------------------------------------------------------------------------- 4CP


@dataclass(frozen=True)
class FourCPHours:
    """The hour of each June–September monthly system peak, per path.

    ``hours`` is ``(1|paths, K)`` (hour index into the calendar), ``months`` is ``(K,)``
    (position of each peak's month in the calendar).
    """

    hours: IntArray
    months: IntArray

    def month_onehot(self, n_months: int) -> FloatArray:
        """``(K, months)`` matrix: 1 where a peak falls in a month."""
        out = np.zeros((self.months.shape[0], n_months))
        out[np.arange(self.months.shape[0]), self.months] = 1.0
        return out

    def rows(self, rows: slice) -> IntArray:
        """Peak hours of the paths in ``rows``."""
        return self.hours if self.hours.shape[0] == 1 else self.hours[rows]


def four_cp_hours(load_mw: FloatArray, cal: HourCalendar) -> FourCPHours:
    """Hour of the system-load maximum in every June–September month of the calendar.

    ``load_mw`` is ``(1|paths, hours)``. ERCOT sets 4CP on 15-minute intervals; hourly
    data give the peak hour, a proxy good to within the hour (shared data 3e). Ref [2].
    """
    ends = np.append(cal.month_starts[1:], cal.n_hours)
    peaks, months = [], []
    for m, period in enumerate(cal.months):
        if period.month in SUMMER_MONTHS:
            start, end = int(cal.month_starts[m]), int(ends[m])
            peaks.append(start + np.argmax(load_mw[:, start:end], axis=1))
            months.append(m)
    hours = np.stack(peaks, axis=1) if peaks else np.zeros((load_mw.shape[0], 0), np.int64)
    return FourCPHours(hours.astype(np.int64), np.asarray(months, dtype=np.int64))


def four_cp_heuristic_flags(load_mw: FloatArray, cal: HourCalendar, spec: FourCPSpec) -> BoolArray:
    """Hours the heuristic curtails: summer, inside the HE window, load ≥ threshold·running peak.

    The running peak is the highest system load since 1 June of the same year, up to
    the previous hour; the first summer hour of a year is never flagged.
    """
    load = np.asarray(load_mw, dtype=np.float64)
    summer = np.isin(cal.month_of_year, SUMMER_MONTHS)
    window = (cal.hour_ending >= spec.first_hour_ending) & (
        cal.hour_ending <= spec.last_hour_ending
    )
    flags = np.zeros(load.shape, dtype=bool)
    years = cal.year
    for y in np.unique(years[summer]):
        idx = np.flatnonzero(summer & (years == y))
        seg = load[:, idx]
        running = np.maximum.accumulate(seg, axis=1)
        prev = np.concatenate([np.full((seg.shape[0], 1), np.inf), running[:, :-1]], axis=1)
        flags[:, idx] = (seg >= spec.threshold_frac * prev) & window[idx]
    return flags
