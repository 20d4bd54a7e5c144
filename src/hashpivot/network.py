"""Network hashrate, difficulty and block production along a path, aggregated to months.

The fixed-growth model (what mining calculators offer) grows hashrate by a constant
fraction per month; the chain is then simulated day by day with exact 2016-block
retargets (:func:`hashpivot.bitcoin.simulate_chain_daily`), so halvings arrive early
when hashrate outruns difficulty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import bitcoin

FloatArray = npt.NDArray[np.float64]

DAYS_PER_MONTH_MEAN = 365.25 / 12.0
"""Mean days per month, used to turn a monthly rate into a daily one [days]."""


@dataclass(frozen=True)
class Calendar:
    """Calendar months of a projection and the days inside them."""

    month_start: pd.DatetimeIndex
    days_in_month: npt.NDArray[np.int64]
    day_month: npt.NDArray[np.int64]

    @property
    def n_days(self) -> int:
        """Total days covered [days]."""
        return int(self.days_in_month.sum())

    @property
    def n_months(self) -> int:
        """Months covered [months]."""
        return len(self.month_start)


def calendar(start_date: dt.date, months: int) -> Calendar:
    """Months from ``start_date`` (a first of month) and the month index of each day."""
    month_start = pd.date_range(pd.Timestamp(start_date), periods=months, freq="MS")
    days = np.asarray(month_start.days_in_month, dtype=np.int64)
    return Calendar(month_start, days, np.repeat(np.arange(months), days))


def growth_path(start_value: float, growth_frac_per_month: float, n_days: int) -> FloatArray:
    """Value that compounds at ``growth_frac_per_month``, sampled daily [same unit]."""
    t_months = np.arange(n_days) / DAYS_PER_MONTH_MEAN
    return np.asarray(start_value * (1.0 + growth_frac_per_month) ** t_months)


def monthly_mean(daily: FloatArray, cal: Calendar) -> FloatArray:
    """Mean over each calendar month of a ``(..., days)`` array -> ``(..., months)``."""
    return monthly_sum(daily, cal) / cal.days_in_month


def monthly_sum(daily: FloatArray, cal: Calendar) -> FloatArray:
    """Sum over each calendar month of a ``(..., days)`` array -> ``(..., months)``."""
    starts = np.concatenate([[0], np.cumsum(cal.days_in_month)[:-1]])
    return np.asarray(np.add.reduceat(daily, starts, axis=-1), dtype=np.float64)


def monthly_last(daily: FloatArray, cal: Calendar) -> FloatArray:
    """Value on the last day of each month of a ``(..., days)`` array."""
    ends = np.cumsum(cal.days_in_month) - 1
    return np.asarray(daily[..., ends])


@dataclass(frozen=True)
class NetworkPath:
    """Network state by month (arrays shaped ``(..., months)``) plus the daily chain.

    Attributes
    ----------
    network_hashrate_eh_s
        Monthly mean network hashrate. [EH/s]
    difficulty
        Difficulty at the end of each month. [-]
    height_end
        Block height at the end of each month. [blocks]
    blocks
        Blocks found in the month. [blocks]
    issued_btc
        Subsidy issued in the month. [BTC]
    fees_btc
        Fees paid in the month. [BTC]
    hashprice_btc_per_ph_day
        Mean over the month's days of BTC earned per PH/s per day. [BTC/PH/day]
    daily_height_end
        Height at the end of each day, ``(..., days)``. [blocks]

    """

    calendar: Calendar
    network_hashrate_eh_s: FloatArray
    difficulty: FloatArray
    height_end: FloatArray
    blocks: FloatArray
    issued_btc: FloatArray
    fees_btc: FloatArray
    hashprice_btc_per_ph_day: FloatArray
    daily_height_end: FloatArray


def network_from_hashrate(
    daily_hashrate_h_s: FloatArray,
    cal: Calendar,
    start_height: float,
    start_difficulty: float,
    fees_btc_per_block: FloatArray | float,
) -> NetworkPath:
    """Chain and monthly network state given a daily hashrate path ``(..., days)``.

    ``fees_btc_per_block`` is a scalar or broadcastable to ``(..., days)``. [BTC/block]
    """
    chain = bitcoin.simulate_chain_daily(daily_hashrate_h_s, start_height, start_difficulty)
    fees_daily = chain["blocks"] * np.asarray(fees_btc_per_block, dtype=np.float64)
    network_ph_s = daily_hashrate_h_s / 1e15
    reward_per_ph_day = (chain["issued_btc"] + fees_daily) / network_ph_s
    height_end = chain["height_start"] + chain["blocks"]
    return NetworkPath(
        calendar=cal,
        network_hashrate_eh_s=monthly_mean(daily_hashrate_h_s / 1e18, cal),
        difficulty=monthly_last(chain["difficulty"], cal),
        height_end=monthly_last(height_end, cal),
        blocks=monthly_sum(chain["blocks"], cal),
        issued_btc=monthly_sum(chain["issued_btc"], cal),
        fees_btc=monthly_sum(fees_daily, cal),
        hashprice_btc_per_ph_day=monthly_mean(reward_per_ph_day, cal),
        daily_height_end=height_end,
    )


def fixed_growth_network(
    start_date: dt.date,
    months: int,
    network_hashrate_eh_s: float,
    growth_frac_per_month: float,
    block_height: float,
    difficulty: float | None,
    fees_btc_per_block: float,
) -> NetworkPath:
    """Network path under a constant monthly hashrate growth (the calculators' model).

    Parameters
    ----------
    network_hashrate_eh_s
        Hashrate on the start date. [EH/s]
    growth_frac_per_month
        Hashrate growth per month, compounded daily. [1/month]
    difficulty
        Difficulty on the start date; ``None`` takes the difficulty the starting
        hashrate meets at 600 s per block. [-]

    """
    cal = calendar(start_date, months)
    hashrate_h_s = growth_path(network_hashrate_eh_s * 1e18, growth_frac_per_month, cal.n_days)
    if difficulty is None:
        difficulty = float(bitcoin.difficulty_for_hashrate(network_hashrate_eh_s * 1e18))
    return network_from_hashrate(hashrate_h_s, cal, block_height, difficulty, fees_btc_per_block)


def halving_dates(path: NetworkPath, start_date: dt.date) -> list[tuple[int, dt.date]]:
    """Halvings reached inside a single (1-D) path: ``(height, date)`` pairs."""
    heights = path.daily_height_end
    if heights.ndim != 1:
        msg = "halving_dates: needs a single path (1-D daily heights)"
        raise ValueError(msg)
    first_epoch = int(bitcoin.halving_epoch(int(heights[0]))) + 1
    last_epoch = int(bitcoin.halving_epoch(int(heights[-1])))
    out = []
    for epoch in range(first_epoch, last_epoch + 1):
        target = int(bitcoin.halving_height(epoch))
        day = int(np.argmax(heights >= target))
        out.append((target, start_date + dt.timedelta(days=day)))
    return out
