"""Monthly network history from the daily network file, as forecasts are scored on it.

One row per calendar month (index: first of month) of ``btc_network_daily.csv`` (columns
of Coin Metrics and blockchain.com, see ``../shared/data/SOURCES.md``):

- ``price_usd``: mean BTC price (``price_usd_cm``) [USD/BTC];
- ``fees_btc_per_block``: the month's fees over its blocks (``drv_fees_btc`` /
  ``drv_blocks_est``) [BTC/block];
- ``hashrate_eh_s``: mean daily hashrate (``hashrate_ths_bc``) [EH/s];
- ``start_hashrate_eh_s``, ``start_difficulty``, ``start_height``: the state on the first
  day of the month, as a user gives it to ``hashpivot network`` (that day's hashrate and
  difficulty; the height from the cumulative block count pinned to the halving anchors)
  [EH/s], [-], [blocks].
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hashpivot.errors import SpecError
from hashpivot.network.chain import HALVING_ANCHORS, estimate_height

__all__ = ["History", "load_history"]

DAILY_COLUMNS = (
    "date",
    "price_usd_cm",
    "hashrate_ths_bc",
    "difficulty_bc",
    "drv_blocks_est",
    "drv_fees_btc",
)
"""Columns of the daily network file the monthly history needs."""


@dataclass(frozen=True)
class History:
    """Monthly history, one row per month (index: first of month).

    ``end_state`` holds the state on the day after the history's last day (named by that
    date): the last day's hashrate and difficulty, and the height after its blocks. A
    forecast may start there, after the data ends.
    """

    monthly: pd.DataFrame
    end_state: pd.Series | None = None

    def window(self, start: dt.date, months: int) -> pd.DataFrame:
        """Rows of ``months`` months from ``start``."""
        idx = pd.date_range(pd.Timestamp(start), periods=months, freq="MS")
        return self.monthly.loc[idx]

    @property
    def last_month(self) -> dt.date:
        """First day of the last month of the history."""
        return pd.Timestamp(self.monthly.index[-1]).date()


def _heights(daily: pd.DataFrame) -> pd.Series:
    """Height at the start of each day: cumulative blocks pinned to the halving anchors.

    A history that holds no halving date is pinned at its first day to the height
    :func:`~hashpivot.network.chain.estimate_height` gives.
    """
    raw = daily["drv_blocks_est"].fillna(0.0).cumsum().shift(1, fill_value=0.0)
    anchors: list[tuple[pd.Timestamp, float]] = [
        (pd.Timestamp(d), float(h)) for d, h in HALVING_ANCHORS if pd.Timestamp(d) in raw.index
    ]
    if not anchors:
        first = pd.Timestamp(raw.index[0])
        anchors = [(first, estimate_height(first.date()))]
    x = np.array([a.toordinal() for a, _ in anchors], dtype=np.float64)
    corr = np.array([h - raw.loc[a] for a, h in anchors])
    days = np.array([d.toordinal() for d in raw.index], dtype=np.float64)
    return pd.Series(raw + np.interp(days, x, corr), index=raw.index)


def load_history(path: Path) -> History:
    """Monthly history from the daily network file (see the module notes).

    Raises
    ------
    SpecError
        The file lacks one of :data:`DAILY_COLUMNS`.

    """
    daily = pd.read_csv(path, parse_dates=["date"])
    missing = [c for c in DAILY_COLUMNS if c not in daily.columns]
    if missing:
        msg = f"columns: missing {', '.join(missing)} (need {', '.join(DAILY_COLUMNS)})"
        raise SpecError([msg], source=str(path))
    daily = daily.set_index("date").sort_index()
    daily["height"] = _heights(daily)
    g = daily.resample("MS")
    monthly = pd.DataFrame(
        {
            "price_usd": g["price_usd_cm"].mean(),
            "fees_btc_per_block": g["drv_fees_btc"].sum() / g["drv_blocks_est"].sum(),
            "hashrate_eh_s": g["hashrate_ths_bc"].mean() / 1e6,
            "start_hashrate_eh_s": g["hashrate_ths_bc"].first() / 1e6,
            "start_difficulty": g["difficulty_bc"].first(),
            "start_height": g["height"].first(),
        }
    )
    last = daily.iloc[-1]
    end_state = pd.Series(
        {
            "start_hashrate_eh_s": last["hashrate_ths_bc"] / 1e6,
            "start_difficulty": last["difficulty_bc"],
            "start_height": last["height"] + last["drv_blocks_est"],
        },
        name=daily.index[-1] + pd.Timedelta(days=1),
    )
    return History(monthly.dropna(), end_state)
