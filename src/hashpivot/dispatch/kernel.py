"""Closed-form hourly dispatch kernel, vectorised over hours × price paths, site by site.

A merit-order segment (:func:`hashpivot.dispatch.core.site_segments`) runs in an hour
while its margin per MWh is positive [1]::

    margin = breakeven (+ DR capacity payment if committed) − adder − value of the energy unused

where the energy unused is worth the hourly price on index power, its resale value
max(price − resale fee, 0) on the PPA block with resale, and nothing without resale.
Then, in this order:

* 4CP heuristic: the segment stops in every flagged hour;
* 4CP perfect foresight: it stops in every monthly system peak hour, known ex post
  from the load data, so no strategy avoids more (the upper bound). Each peak avoided is
  worth ``rate·1000/4`` USD per MW [2], far above any mining margin;
* demand-response event (committed segments): it stops where it was running, unless its
  operating margin beats the penalty (then the penalty is paid).

Without ramp or minimum-load limits this is closed-form [1]; with them
:mod:`hashpivot.dispatch.lp` supplies run fractions to the same accounting.

Speed: monthly sums use ``np.add.reduceat`` over month starts, on blocks of paths that
stay in cache, over threads (numpy releases the GIL). When the threshold is constant
within each month (a constant or monthly hashprice), sums over running hours use the
exact identity Σ_{p<t} p = Σ min(p, t) − t·#{p ≥ t}, avoiding a product pass. The
rare hours changed afterwards (4CP peaks, events) are kept as sparse corrections.
Prices may be float32 (prices with 4 decimals below 1e4 USD/MWh are exact to about
1e-3 USD/MWh); all arithmetic is float64.

References
----------
.. [1] Without ramp or minimum-run constraints, run = price < p* is closed-form and
   vectorises over hours × paths (breakeven p* as in
   https://coincompare.eu/bitcoin-mining-and-ercot-the-data-tells-the-story/ ).
.. [2] ERCOT 4CP, https://nfmconsulting.com/knowledge/ercot-4cp-reduce-costs

"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hashpivot.dispatch.core import FourCPHours, Hashprice, Segment, SiteParams
from hashpivot.dispatch.io import HourCalendar

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

METRICS = (
    "potential_energy_mwh",
    "energy_mwh",
    "ai_energy_mwh",
    "energy_cost_usd",
    "ai_energy_cost_usd",
    "mining_revenue_usd",
    "btc_mined",
    "curtailment_savings_usd",
    "power_credits_usd",
    "four_cp_savings_usd",
    "dr_income_usd",
    "dr_penalty_usd",
    "profit_usd",
    "firm_profit_usd",
    "flexibility_value_usd",
)
"""Per (site, path, month) sums; every one adds up over sites, months and years."""

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class SiteData:
    """Hourly inputs of one site across paths: node prices, 4CP peaks and heuristic flags."""

    price: npt.NDArray[np.floating]
    cp_hours: FourCPHours | None
    cp_flags: BoolArray | None


@dataclass(frozen=True)
class ChunkInputs:
    """Everything the kernel needs for one site and a block of ``n`` paths."""

    price: FloatArray
    price_sum: FloatArray
    hp_usd: FloatArray
    hp_btc: FloatArray
    hp_monthly_usd: FloatArray | None
    hp_monthly_btc: FloatArray | None
    starts: IntArray
    month_index: IntArray
    hours_per_month: FloatArray
    cp_hours: IntArray | None
    cp_onehot: FloatArray | None
    cp_flags: BoolArray | None
    events: BoolArray | None
    resale_value: FloatArray | None = None
    resale_sum: FloatArray | None = None

    @property
    def month_shape(self) -> tuple[int, int]:
        """``(paths, months)``."""
        return self.price.shape[0], self.hours_per_month.shape[0]

    def event_hours(self) -> tuple[IntArray, IntArray]:
        """Row and hour indices of the event hours (events are rare: kept sparse)."""
        if self.events is None:
            return _EMPTY, _EMPTY
        flat = np.flatnonzero(self.events)
        n_hours = self.events.shape[1]
        return (flat // n_hours).astype(np.int64), (flat % n_hours).astype(np.int64)


def msum(x: npt.NDArray[np.generic], starts: IntArray) -> FloatArray:
    """Sum over the hours of each month, ``(n, hours) -> (n, months)``."""
    if x.dtype == np.bool_:
        counts = np.add.reduceat(x.view(np.uint8), starts, axis=1, dtype=np.uint32)
        return counts.astype(np.float64)
    return np.asarray(np.add.reduceat(x, starts, axis=1, dtype=np.float64))


def _at(x: npt.NDArray[np.generic], cols: IntArray, n: int) -> npt.NDArray[np.generic]:
    """Values of ``x`` (1|n, hours) at hour indices ``cols`` (1|n, K), ``(n, K)``."""
    xx = np.broadcast_to(x, (n, x.shape[1]))
    return np.take_along_axis(xx, np.broadcast_to(cols, (n, cols.shape[1])), axis=1)


def _count(
    rows: IntArray, months: IntArray, shape: tuple[int, int], weights: FloatArray | None = None
) -> FloatArray:
    """Sums per (row, month) of sparse hours (counts without weights), ``shape``."""
    flat = np.bincount(rows * shape[1] + months, weights, minlength=shape[0] * shape[1])
    return flat.reshape(shape).astype(np.float64)


# --------------------------------------------------------------------------- decisions

SPARSE_MAX_FRAC = 0.25
"""Largest share of curtailed hours kept as a sparse list; above it decisions stay dense."""


@dataclass
class Decision:
    """Run decision of one segment over ``(n, hours)``.

    ``base`` is the dense run flags (or the LP's fractions), or None for "runs every
    hour"; ``off_rows``/``off_cols`` list the hours switched off on top of it, without
    repeats. Curtailment is rare, so the closed form usually keeps it all sparse and
    every monthly sum is "all hours − Σ over the few off hours".
    """

    base: npt.NDArray[np.generic] | None
    off_rows: IntArray = field(default_factory=lambda: _EMPTY)
    off_cols: IntArray = field(default_factory=lambda: _EMPTY)
    complied_hours: FloatArray | None = None
    penalised_hours: FloatArray | None = None

    def add_offs(self, rows: IntArray, cols: IntArray) -> None:
        """Switch off more hours (each must be running now)."""
        self.off_rows = np.concatenate([self.off_rows, rows])
        self.off_cols = np.concatenate([self.off_cols, cols])

    def running_at(self, rows: IntArray, cols: IntArray, n_hours: int) -> BoolArray:
        """Whether the segment runs at each (row, hour) pair."""
        on = np.ones(rows.shape, dtype=bool)
        if self.base is not None:
            on &= self.base[rows, cols].astype(bool)
        if self.off_rows.size and rows.size:
            on &= ~np.isin(rows * n_hours + cols, self.off_rows * n_hours + self.off_cols)
        return on

    def final(self, shape: tuple[int, int]) -> FloatArray:
        """Dense run flags (fractions) with every switch-off applied."""
        out = np.ones(shape) if self.base is None else np.array(self.base, dtype=np.float64)
        out[self.off_rows, self.off_cols] = 0.0
        return out


def _threshold(seg: Segment, site: SiteParams, hp: FloatArray) -> FloatArray:
    """Value per MWh less the adder: breakeven (+ DR payment) − adder [USD/MWh]."""
    value = seg.breakeven_per_hashprice * hp
    if seg.committed:
        value = value + site.dr_usd_per_mw_hour
    return np.asarray(value - site.adder_usd_per_mwh)


def energy_value(seg: Segment, site: SiteParams, price: FloatArray) -> FloatArray | float:
    """What a MWh of the segment's energy is worth unused, before the adder [USD/MWh].

    Index: the hourly price (it is not bought). PPA block: the resale value
    max(price − resale fee, 0) with resale, nothing without.
    """
    if not seg.contracted:
        return price
    if site.resale:
        return np.maximum(price - site.resale_fee_usd_per_mwh, 0.0)
    return 0.0


def segment_margin(seg: Segment, site: SiteParams, ci: ChunkInputs) -> FloatArray:
    """Margin per MWh of running the segment, before 4CP and events [USD/MWh]."""
    return np.asarray(_threshold(seg, site, ci.hp_usd) - energy_value(seg, site, ci.price))


def _curtail_closed(
    seg: Segment, site: SiteParams, thr: FloatArray, price: FloatArray
) -> BoolArray:
    """``margin ≤ 0`` in one pass over the prices (the complement of running)."""
    if not seg.contracted:
        return np.greater_equal(price, thr)
    if site.resale:
        limit = np.where(thr > 0.0, thr + site.resale_fee_usd_per_mwh, -np.inf)
        return np.greater_equal(price, limit)
    return np.asarray(thr <= 0.0)


def decide(seg: Segment, site: SiteParams, ci: ChunkInputs) -> Decision:
    """Closed-form run decision of one segment over a block of paths."""
    n, n_hours = ci.price.shape
    thr = _threshold(seg, site, ci.hp_usd)
    curtail = _curtail_closed(seg, site, thr, ci.price)
    if ci.cp_flags is not None:
        curtail = curtail | ci.cp_flags
    curtail = np.broadcast_to(curtail, (n, n_hours))
    if np.count_nonzero(curtail) <= SPARSE_MAX_FRAC * n * n_hours:
        flat = np.flatnonzero(curtail)
        d = Decision(None, flat // n_hours, flat % n_hours)
    else:
        d = Decision(~curtail)
    pf = site.four_cp_strategy == "perfect_foresight"
    if pf and ci.cp_hours is not None and ci.cp_hours.shape[1]:
        d.add_offs(*_peak_offs(ci, d))
    if seg.committed:
        _events(seg, site, ci, thr, d)
    return d


def _pick(x: FloatArray, rows: IntArray, cols: IntArray) -> FloatArray:
    """Values of ``x`` (1|n, hours) at sparse (row, hour) pairs."""
    return np.asarray(x[rows if x.shape[0] > 1 else 0, cols], dtype=np.float64)


def _peak_offs(ci: ChunkInputs, d: Decision) -> tuple[IntArray, IntArray]:
    """Perfect foresight: every running hour of the segment that is a monthly system peak."""
    assert ci.cp_hours is not None
    n, n_hours = ci.price.shape
    cols = np.broadcast_to(ci.cp_hours, (n, ci.cp_hours.shape[1])).ravel()
    rows = np.repeat(np.arange(n), ci.cp_hours.shape[1])
    switch = d.running_at(rows, cols, n_hours)
    return rows[switch].astype(np.int64), cols[switch].astype(np.int64)


def _events(seg: Segment, site: SiteParams, ci: ChunkInputs, thr: FloatArray, d: Decision) -> None:
    """Demand-response events of a committed segment, on the sparse event hours.

    Where the segment was running (so available) it complies unless its operating
    margin beats the penalty; a compliant hour stays paid as available.
    """
    shape = ci.month_shape
    rows, cols = ci.event_hours()
    pre = d.running_at(rows, cols, ci.price.shape[1])
    margin = _pick(thr, rows, cols) - energy_value(seg, site, ci.price[rows, cols])
    comply = pre & (margin - site.dr_usd_per_mw_hour < site.penalty_usd_per_mwh)
    penal = pre & ~comply
    months = ci.month_index[cols]
    d.add_offs(rows[comply], cols[comply])
    d.complied_hours = _count(rows[comply], months[comply], shape)
    d.penalised_hours = _count(rows[penal], months[penal], shape)


def lp_decision(closed: Decision, run: npt.NDArray[np.generic], ci: ChunkInputs) -> Decision:
    """The LP's run fractions; compliance with events as the closed form decided it."""
    penalised = None
    if closed.complied_hours is not None and ci.events is not None:
        penalised = msum(run * ci.events, ci.starts)
    return Decision(run, complied_hours=closed.complied_hours, penalised_hours=penalised)


# --------------------------------------------------------------------------- accounting


@dataclass(frozen=True)
class _RunSums:
    """Monthly sums over running hours: hours, price, resale value, hashprice USD and BTC."""

    hours: FloatArray
    price: FloatArray | None
    resale: FloatArray | None
    hp_usd: FloatArray
    hp_btc: FloatArray


def _sum_on(d: Decision, x: FloatArray, total: FloatArray | None, ci: ChunkInputs) -> FloatArray:
    """Σ over running hours of ``x`` (1|n, hours) per month: total − Σ over the off hours."""
    r, c = d.off_rows, d.off_cols
    off = _count(r, ci.month_index[c], ci.month_shape, _pick(x, r, c))
    if d.base is None:
        full = msum(x, ci.starts) if total is None else total
        return np.asarray(full - off)
    return msum(np.multiply(d.base, x), ci.starts) - off


def _run_sums(seg: Segment, site: SiteParams, d: Decision, ci: ChunkInputs) -> _RunSums:
    shape = ci.month_shape
    off_hours = _count(d.off_rows, ci.month_index[d.off_cols], shape)
    dense = ci.hours_per_month if d.base is None else msum(d.base, ci.starts)
    hours = np.broadcast_to(dense - off_hours, shape)
    price = resale = None
    if not seg.contracted:
        price = _sum_on(d, ci.price, ci.price_sum, ci)
    elif site.resale and ci.resale_value is not None:
        resale = _sum_on(d, ci.resale_value, ci.resale_sum, ci)
    if ci.hp_monthly_usd is not None and ci.hp_monthly_btc is not None:
        return _RunSums(hours, price, resale, ci.hp_monthly_usd * hours, ci.hp_monthly_btc * hours)
    hp_usd = _sum_on(d, ci.hp_usd, None, ci)
    hp_btc = _sum_on(d, ci.hp_btc, None, ci)
    return _RunSums(hours, price, resale, hp_usd, hp_btc)


def _account(
    seg: Segment, d: Decision, site: SiteParams, ci: ChunkInputs, out: dict[str, FloatArray]
) -> FloatArray:
    """Add one segment's monthly sums to ``out``; return its MW at the 4CP peaks ``(n, K)``."""
    mw, hours, a = seg.power_mw, ci.hours_per_month, site.adder_usd_per_mwh
    sums = _run_sums(seg, site, d, ci)
    coef = seg.breakeven_per_hashprice
    out["mining_revenue_usd"] += mw * coef * sums.hp_usd
    out["btc_mined"] += mw * coef * sums.hp_btc
    out["energy_mwh"] += mw * sums.hours
    out["potential_energy_mwh"] += mw * hours
    if seg.contracted:
        out["energy_cost_usd"] += mw * (site.ppa_price_usd_per_mwh * hours + a * sums.hours)
        out["curtailment_savings_usd"] += mw * a * (hours - sums.hours)
        if sums.resale is not None and ci.resale_sum is not None:
            out["power_credits_usd"] += mw * (ci.resale_sum - sums.resale)
    else:
        assert sums.price is not None
        cost_run = sums.price + a * sums.hours
        out["energy_cost_usd"] += mw * cost_run
        out["curtailment_savings_usd"] += mw * (ci.price_sum + a * hours - cost_run)
    if seg.committed:
        complied = 0.0 if d.complied_hours is None else d.complied_hours
        out["dr_income_usd"] += mw * site.dr_usd_per_mw_hour * (sums.hours + complied)
    if d.penalised_hours is not None:
        out["dr_penalty_usd"] += mw * site.penalty_usd_per_mwh * d.penalised_hours
    return _mw_at_peaks(seg, d, ci)


def _mw_at_peaks(seg: Segment, d: Decision, ci: ChunkInputs) -> FloatArray:
    n = ci.price.shape[0]
    if ci.cp_hours is None:
        return np.zeros((n, 0))
    k = ci.cp_hours.shape[1]
    cols = np.broadcast_to(ci.cp_hours, (n, k)).ravel()
    rows = np.repeat(np.arange(n), k)
    on = d.running_at(rows, cols, ci.price.shape[1]).astype(np.float64)
    return seg.power_mw * on.reshape(n, k)


def _firm_profit(site: SiteParams, ci: ChunkInputs) -> FloatArray:
    """Profit if every segment ran every hour: no curtailment, credits, DR or 4CP savings."""
    hours, a = ci.hours_per_month, site.adder_usd_per_mwh
    if ci.hp_monthly_usd is not None:
        hp_sum = ci.hp_monthly_usd * hours
    else:
        hp_sum = msum(ci.hp_usd, ci.starts)
    profit = np.zeros(ci.month_shape)
    for seg in site.segments:
        if seg.contracted:
            cost = (site.ppa_price_usd_per_mwh + a) * hours
        else:
            cost = ci.price_sum + a * hours
        profit += seg.power_mw * (seg.breakeven_per_hashprice * hp_sum - cost)
    return profit


def _ai_off_sums(
    site: SiteParams, ci: ChunkInputs
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """Hours and price sums per month when the interruptible AI load is off, and at peaks."""
    shape, n = ci.month_shape, ci.price.shape[0]
    zeros = np.zeros(shape)
    at_peaks = None
    if site.four_cp_strategy == "heuristic" and ci.cp_flags is not None:
        flags = np.broadcast_to(ci.cp_flags, ci.price.shape)
        if ci.cp_hours is not None:
            at_peaks = _at(ci.cp_flags, ci.cp_hours, n).astype(np.float64)
        return msum(flags, ci.starts), msum(flags * ci.price, ci.starts), at_peaks
    if site.four_cp_strategy == "perfect_foresight" and ci.cp_hours is not None:
        cols = np.broadcast_to(ci.cp_hours, (n, ci.cp_hours.shape[1]))
        rows = np.broadcast_to(np.arange(n)[:, None], cols.shape).ravel()
        months = ci.month_index[cols.ravel()]
        hours = _count(rows, months, shape)
        prices = _count(rows, months, shape, ci.price[rows, cols.ravel()])
        return hours, prices, np.ones(cols.shape)
    return zeros, zeros, at_peaks


def _ai_and_four_cp(
    site: SiteParams, ci: ChunkInputs, mining_at_peaks: FloatArray, out: dict[str, FloatArray]
) -> None:
    """AI energy and cost (index, reported apart), and 4CP savings against a firm load."""
    hours, a = ci.hours_per_month, site.adder_usd_per_mwh
    ai_mw = site.ai_firm_mw + site.ai_interruptible_mw
    off_hours, off_price, off_at_peaks = _ai_off_sums(site, ci)
    if ai_mw > 0:
        ai_int = site.ai_interruptible_mw
        out["ai_energy_mwh"] += ai_mw * hours - ai_int * off_hours
        out["ai_energy_cost_usd"] += ai_mw * (ci.price_sum + a * hours) - ai_int * (
            off_price + a * off_hours
        )
    if ci.cp_hours is None or ci.cp_onehot is None or not ci.cp_hours.shape[1]:
        return
    ai_at = np.full(mining_at_peaks.shape, ai_mw)
    if off_at_peaks is not None:
        ai_at -= site.ai_interruptible_mw * off_at_peaks
    avoided = (site.mining_mw + ai_mw) - (mining_at_peaks + ai_at)
    out["four_cp_savings_usd"] += site.four_cp_usd_per_mw_interval * (avoided @ ci.cp_onehot)


def _finish(out: dict[str, FloatArray], firm_profit: FloatArray) -> None:
    out["profit_usd"] += (
        out["mining_revenue_usd"]
        + out["power_credits_usd"]
        + out["dr_income_usd"]
        + out["four_cp_savings_usd"]
        - out["dr_penalty_usd"]
        - out["energy_cost_usd"]
    )
    out["firm_profit_usd"] += firm_profit
    out["flexibility_value_usd"] += out["profit_usd"] - firm_profit


def run_chunk(
    site: SiteParams,
    ci: ChunkInputs,
    runs: list[npt.NDArray[np.generic]] | None = None,
    keep_hourly: bool = False,
) -> tuple[dict[str, FloatArray], FloatArray | None]:
    """Monthly sums ``(n, months)`` of one site over a block of paths, and its hourly MW.

    ``runs`` replaces the closed-form decision of each segment by given run fractions
    (the LP's), one ``(n, hours)`` array per segment.
    """
    shape = ci.month_shape
    out = {k: np.zeros(shape) for k in METRICS}
    n_peaks = 0 if ci.cp_hours is None else ci.cp_hours.shape[1]
    at_peaks = np.zeros((shape[0], n_peaks))
    load = np.zeros(ci.price.shape) if keep_hourly else None
    for i, seg in enumerate(site.segments):
        decision = decide(seg, site, ci)
        if runs is not None:
            decision = lp_decision(decision, runs[i], ci)
        at_peaks += _account(seg, decision, site, ci, out)
        if load is not None:
            load += seg.power_mw * decision.final(ci.price.shape)
    _ai_and_four_cp(site, ci, at_peaks, out)
    _finish(out, _firm_profit(site, ci))
    return out, load


# --------------------------------------------------------------------------- driver


def chunk_inputs(
    site: SiteParams, data: SiteData, hp: Hashprice, cal: HourCalendar, rows: slice
) -> ChunkInputs:
    """Slice and convert one block of paths (float64, hashprice by hour)."""
    price = np.asarray(data.price[rows], dtype=np.float64)
    hp_usd, hp_btc = hp.hourly(cal, rows)
    hp_m_usd = hp_m_btc = None
    if hp.monthly:
        many = hp.usd_per_ph_day.shape[0] > 1
        hp_m_usd = hp.usd_per_ph_day[rows] if many else hp.usd_per_ph_day
        hp_m_btc = hp.btc_per_ph_day[rows] if many else hp.btc_per_ph_day
    flags = None
    if site.four_cp_strategy == "heuristic" and data.cp_flags is not None:
        flags = data.cp_flags if data.cp_flags.shape[0] == 1 else data.cp_flags[rows]
    events = None
    if any(seg.committed for seg in site.segments):
        events = price >= site.event_price_usd_per_mwh
    resale = resale_sum = None
    if site.resale and any(seg.contracted for seg in site.segments):
        resale = np.maximum(price - site.resale_fee_usd_per_mwh, 0.0)
        resale_sum = msum(resale, cal.month_starts)
    cp = data.cp_hours
    return ChunkInputs(
        price=price,
        price_sum=msum(price, cal.month_starts),
        hp_usd=hp_usd,
        hp_btc=hp_btc,
        hp_monthly_usd=hp_m_usd,
        hp_monthly_btc=hp_m_btc,
        starts=cal.month_starts,
        month_index=cal.month_index,
        hours_per_month=cal.hours_per_month,
        cp_hours=None if cp is None else cp.rows(rows),
        cp_onehot=None if cp is None else cp.month_onehot(len(cal.months)),
        cp_flags=flags,
        events=events,
        resale_value=resale,
        resale_sum=resale_sum,
    )


def default_threads() -> int:
    """Worker threads: the CPUs this process may use (numpy releases the GIL in its loops)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def dispatch_arrays(
    sites: list[SiteParams],
    data: list[SiteData],
    hashprice: Hashprice,
    cal: HourCalendar,
    chunk_paths: int = 32,
    n_threads: int | None = None,
    keep_hourly: bool = False,
) -> tuple[dict[str, FloatArray], npt.NDArray[np.float32] | None]:
    """Closed-form dispatch of every site over every path.

    Returns the monthly sums ``{metric: (sites, paths, months)}`` and, with
    ``keep_hourly``, the mining load ``(sites, paths, hours)`` as float32 [MW]. Work is
    split in blocks of ``chunk_paths`` paths over ``n_threads`` threads.
    """
    n_paths = int(data[0].price.shape[0])
    shape = (len(sites), n_paths, len(cal.months))
    out = {k: np.zeros(shape) for k in METRICS}
    hourly = np.zeros((len(sites), n_paths, cal.n_hours), np.float32) if keep_hourly else None
    tasks = [
        (i, slice(p0, min(n_paths, p0 + chunk_paths)))
        for i in range(len(sites))
        for p0 in range(0, n_paths, chunk_paths)
    ]

    def work(task: tuple[int, slice]) -> None:
        i, rows = task
        ci = chunk_inputs(sites[i], data[i], hashprice, cal, rows)
        sums, load = run_chunk(sites[i], ci, keep_hourly=hourly is not None)
        for k, v in sums.items():
            out[k][i, rows] = v
        if hourly is not None and load is not None:
            hourly[i, rows] = load

    workers = n_threads or default_threads()
    if workers == 1 or len(tasks) == 1:
        for t in tasks:
            work(t)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, tasks))
    return out, hourly
