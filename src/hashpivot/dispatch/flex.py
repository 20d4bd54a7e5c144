"""Monte Carlo of flexibility value: price years resampled by month-and-hour blocks.

Each synthetic year keeps the calendar of the history (its months, DST days, hour
endings). ``block="day"`` fills every day with the 24 hours of a historical day drawn
at random from the same calendar month (any year in the data), so the intraday shape and
the coincidence of price and system load, which 4CP depends on, are kept.
``block="hour"`` draws each (day, hour ending) independently among the same month and
hour ending: a month-and-hour bootstrap in its simplest form. Prices
of every node and the load are drawn with the same indices (jointly).

Only complete 24-hour historical days are drawn (DST days are left out of the pool). A
target's repeated autumn hour takes the value of its HE2.

References
----------
.. [1] A bootstrap of historical ERCOT hourly prices by month and hour; Efron &
   Tibshirani (1993), An Introduction to the Bootstrap, ch. 8.

"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from hashpivot.dispatch.engine import Dispatch, DispatchResult, convert_site_to_ai
from hashpivot.dispatch.io import HourCalendar, MarketData
from hashpivot.errors import SpecError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PERCENTILES = (5, 50, 95)
"""Percentiles reported for every distribution [%]."""


def _day_pool(cal: HourCalendar) -> tuple[IntArray, IntArray]:
    """Hour index of HE1 of every complete 24-hour day, and its calendar month."""
    day = cal.day_index()
    counts = np.bincount(day)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    complete = counts == 24
    starts = first[complete]
    hours = cal.hour_ending[starts[:, None] + np.arange(24)]
    ok = np.all(hours == np.arange(1, 25), axis=1)
    starts = starts[ok]
    return starts.astype(np.int64), cal.month_of_year[starts]


def resample_hour_index(
    cal: HourCalendar,
    n_paths: int,
    seed: int | np.random.Generator,
    block: Literal["day", "hour"] = "day",
) -> IntArray:
    """Source hour of every (path, hour) of synthetic years on ``cal``, ``(paths, hours)``."""
    if block not in ("day", "hour"):
        raise SpecError([f"block: {block!r} — valid: day, hour"])
    rng = np.random.default_rng(seed)
    starts, months = _day_pool(cal)
    target_month = cal.month_of_year
    he0 = np.where(cal.repeated, 1, cal.hour_ending - 1)
    out = np.empty((n_paths, cal.n_hours), dtype=np.int64)
    day = cal.day_index()
    for m in np.unique(target_month):
        pool = starts[months == m]
        if pool.size == 0:
            raise SpecError([f"month {m}: no complete 24-hour day in the history to draw from"])
        cols = np.flatnonzero(target_month == m)
        if block == "day":
            days, inverse = np.unique(day[cols], return_inverse=True)
            pick = rng.integers(0, pool.size, size=(n_paths, days.size))[:, inverse]
        else:
            pick = rng.integers(0, pool.size, size=(n_paths, cols.size))
        out[:, cols] = pool[pick] + he0[cols]
    return out


def resample_market(
    market: MarketData,
    n_paths: int,
    seed: int | np.random.Generator,
    block: Literal["day", "hour"] = "day",
) -> MarketData:
    """``n_paths`` synthetic years of prices (and load) drawn jointly from one history path."""
    if market.n_paths != 1:
        raise SpecError(["resample_market: the market must hold one historical path"])
    if n_paths < 1:
        raise SpecError([f"paths: {n_paths} — must be ≥ 1"])
    src = resample_hour_index(market.calendar, n_paths, seed, block)
    prices = {k: v[0][src] for k, v in market.prices_usd_per_mwh.items()}
    load = None if market.system_load_mw is None else market.system_load_mw[0][src]
    note = f"{n_paths} price years resampled by {block} blocks within calendar months"
    return MarketData(market.calendar, prices, load, (*market.notes, note), market.source)


@dataclass(frozen=True)
class FlexibilityMonteCarlo:
    """Distribution of flexibility value (and its loss for ``ai_mw``) over resampled years."""

    n_paths: int
    seed: int
    block: str
    result: DispatchResult
    flexibility_value_usd: FloatArray
    profit_usd: FloatArray
    flexibility_lost_usd: FloatArray | None
    ai_mw: float | None

    def summary(self) -> dict[str, Any]:
        """Mean, standard deviation and percentiles of each per-path total."""
        out: dict[str, Any] = {"paths": self.n_paths, "seed": self.seed, "block": self.block}
        series = {
            "flexibility_value_usd": self.flexibility_value_usd,
            "profit_usd": self.profit_usd,
        }
        if self.flexibility_lost_usd is not None:
            series["flexibility_lost_usd"] = self.flexibility_lost_usd
            out["ai_mw"] = self.ai_mw
        for name, values in series.items():
            out[name] = describe(values)
        return out

    def per_path(self) -> dict[str, FloatArray]:
        """Each per-path total ``(paths,)`` by name, as a run store keeps them [USD]."""
        out = {"flexibility_value_usd": self.flexibility_value_usd, "profit_usd": self.profit_usd}
        if self.flexibility_lost_usd is not None:
            out["flexibility_lost_usd"] = self.flexibility_lost_usd
        return out


def describe(values: FloatArray) -> dict[str, float]:
    """Mean, standard deviation (ddof 1) and the :data:`PERCENTILES` of a sample."""
    v = np.asarray(values, dtype=np.float64)
    out = {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0}
    for q in PERCENTILES:
        out[f"p{q}"] = float(np.percentile(v, q))
    return out


def flexibility_monte_carlo(
    dispatch: Dispatch,
    n_paths: int,
    seed: int,
    ai_mw: float | None = None,
    block: Literal["day", "hour"] = "day",
) -> FlexibilityMonteCarlo:
    """Flexibility value over ``n_paths`` resampled price years, and the part ``ai_mw`` loses.

    The hashprice input of ``dispatch`` is kept (it is mapped to the same calendar).
    """
    market = resample_market(dispatch.market, n_paths, seed, block)
    sampled = dispatch.with_sites(dispatch.sites, market)
    result = sampled.run(keep_hourly=False)
    flex = result.path_totals("flexibility_value_usd")
    lost = None
    if ai_mw is not None and ai_mw > 0:
        converted = [convert_site_to_ai(s, ai_mw) for s in dispatch.sites]
        after = sampled.with_sites(converted, market).run(keep_hourly=False)
        lost = flex - after.path_totals("flexibility_value_usd")
    result = DispatchResult(
        result.sites,
        result.calendar,
        result.sums,
        None,
        result.site_prices,
        result.hashprice,
        result.notes,
        seed,
    )
    return FlexibilityMonteCarlo(
        n_paths, seed, block, result, flex, result.path_totals("profit_usd"), lost, ai_mw
    )
