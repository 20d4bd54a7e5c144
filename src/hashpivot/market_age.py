"""How old a scenario's market inputs are at its start date (``hashpivot validate`` warns).

A scenario's starting difficulty, block height and BTC price describe one day. When that
day lies far before ``start_date``, the first projected months start from a stale chain
and price: difficulty has retargeted about 13 times in six months (2016 blocks ≈ 14 days,
Bitcoin Core ``pow.cpp``) and the halving clock has run on. Two dates are checked:

* ``as_of``, the date the scenario says its inputs describe;
* the day ``market.block_height`` was the chain tip, read off the halving anchors
  (:func:`hashpivot.network.chain.estimate_height`, accurate to about two weeks), so a
  height copied from an old file is caught even when ``as_of`` was moved forward.

The price carries no date of its own: it is covered by ``as_of``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from hashpivot.network.chain import HALVING_ANCHORS
from hashpivot.spec import Scenario, add_months

MAX_INPUT_AGE_MONTHS = 6
"""Age of the market inputs at the start date beyond which ``validate`` warns [months];
the threshold of issue 25 (assumption: about 13 difficulty retargets)."""


def height_date(block_height: int) -> dt.date:
    """Day on which ``block_height`` was the chain tip, from the halving anchors.

    The inverse of :func:`hashpivot.network.chain.estimate_height`: linear in time between
    the anchors, and after the last one at the 2020-05-11 → 2024-04-20 pace (210 000
    blocks in 1 440 days).
    """
    days = [d.toordinal() for d, _ in HALVING_ANCHORS]
    heights = [float(h) for _, h in HALVING_ANCHORS]
    h = float(block_height)
    if h <= heights[-1]:
        return dt.date.fromordinal(round(float(np.interp(h, heights, days))))
    pace = (heights[-1] - heights[-2]) / (days[-1] - days[-2])
    return dt.date.fromordinal(round(days[-1] + (h - heights[-1]) / pace))


def months_between(first: dt.date, last: dt.date) -> int:
    """Whole calendar months from ``first`` to ``last`` (negative when ``last`` is earlier)."""
    months = (last.year - first.year) * 12 + last.month - first.month
    return months - 1 if last.day < first.day else months


def stale_market_warnings(
    scenario: Scenario, max_age_months: int = MAX_INPUT_AGE_MONTHS
) -> list[str]:
    """One warning per market date more than ``max_age_months`` before ``start_date``."""
    start = scenario.start_date
    out = []
    dated = (
        ("as_of", scenario.as_of, "the date the scenario's market inputs describe"),
        (
            f"market.block_height {scenario.market.block_height}",
            height_date(scenario.market.block_height),
            "the day that height was the chain tip (halving anchors, about ±2 weeks)",
        ),
    )
    for name, day, meaning in dated:
        if add_months(day, max_age_months) < start:
            out.append(
                f"{name}: {day} ({meaning}) is {months_between(day, start)} months before "
                f"start_date {start}; market inputs (difficulty, height, price) older than "
                f"{max_age_months} months start the projection from a stale chain and price: "
                "update them, or move start_date"
            )
    return out
