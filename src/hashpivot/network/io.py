"""Price-path files for the network model, and per-month quantiles of its results.

A price path is a CSV with columns ``date,price_usd`` (and optionally
``fees_btc_per_block``), one row per day or per month. Daily rows are averaged to
calendar months; monthly rows may carry any day of their month. Every problem is
reported as a :class:`~hashpivot.errors.SpecError` naming the file, the line and the rule.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot.errors import SpecError
from hashpivot.network.chain import NetworkPath

FloatArray = npt.NDArray[np.float64]

PRICE_COLUMNS = ("date", "price_usd")
"""Columns a price-path file must have."""
FEES_COLUMN = "fees_btc_per_block"
"""Optional column of fees per block [BTC/block]."""
QUANTILES = {"p5": 5.0, "p50": 50.0, "p95": 95.0}
"""Percentiles reported per month."""


def read_price_path(path: Path) -> pd.DataFrame:
    """Read and check a price-path CSV: dates, prices > 0, optional fees >= 0, no gaps in rows.

    Returns a frame indexed by date with ``price_usd`` (and ``fees_btc_per_block``).
    """
    src = str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SpecError([f"cannot read the file: {exc}"], source=src) from None
    cols = [c.strip() for c in raw.columns]
    raw.columns = pd.Index(cols)
    missing = [c for c in PRICE_COLUMNS if c not in cols]
    if missing:
        msg = (
            f"columns: missing {', '.join(missing)} (need date,price_usd; found {', '.join(cols)})"
        )
        raise SpecError([msg], source=src)
    if raw.empty:
        raise SpecError(["rows: none (need at least one date,price_usd row)"], source=src)
    problems: list[str] = []
    dates = _parse_dates(raw["date"], problems)
    price = _parse_numbers(raw["price_usd"], "price_usd", problems, positive=True)
    out = pd.DataFrame({"price_usd": price}, index=pd.DatetimeIndex(dates, name="date"))
    if FEES_COLUMN in cols:
        out[FEES_COLUMN] = _parse_numbers(raw[FEES_COLUMN], FEES_COLUMN, problems, positive=False)
    dupes = out.index[out.index.duplicated() & out.index.notna()]
    if len(dupes):
        problems.append(f"date: duplicated {dupes[0].date()} (each date once)")
    if problems:
        raise SpecError(problems[:10], source=src)
    return out.sort_index()


def _parse_dates(values: pd.Series, problems: list[str]) -> list[pd.Timestamp | None]:
    out: list[pd.Timestamp | None] = []
    for i, v in enumerate(values):
        try:
            out.append(pd.Timestamp(dt.date.fromisoformat(v.strip())))
        except ValueError:
            problems.append(f"line {i + 2}: date {v!r} (must be YYYY-MM-DD)")
            out.append(None)
    return out


def _parse_numbers(values: pd.Series, name: str, problems: list[str], positive: bool) -> FloatArray:
    nums = pd.to_numeric(values.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    rule = "> 0" if positive else ">= 0"
    for i, (v, x) in enumerate(zip(values, nums, strict=True)):
        bad = not np.isfinite(x) or (x <= 0 if positive else x < 0)
        if bad:
            problems.append(f"line {i + 2}: {name} {v!r} (must be a finite number {rule})")
    return nums


def monthly_path(
    frame: pd.DataFrame, start_date: dt.date, months: int, source: str = "price path"
) -> pd.DataFrame:
    """Monthly means of the path for ``months`` months from ``start_date``'s month.

    Raises :class:`SpecError` listing the first missing months when the file does not
    cover the horizon.
    """
    by_month = frame.groupby(pd.DatetimeIndex(frame.index).to_period("M")).mean()
    want = pd.period_range(pd.Timestamp(start_date).to_period("M"), periods=months, freq="M")
    missing = [str(p) for p in want if p not in by_month.index]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        msg = (
            f"months: {len(missing)} of the {months} months from {want[0]} have no price "
            f"({shown}); give a price for every month of the horizon"
        )
        raise SpecError([msg], source=source)
    out = by_month.loc[want]
    out.index = want.to_timestamp()
    return out


def quantiles(values: FloatArray) -> dict[str, FloatArray]:
    """5th, 50th and 95th percentiles over paths (axis 0) of a ``(paths, months)`` array."""
    q = np.percentile(values, list(QUANTILES.values()), axis=0)
    return {k: q[i] for i, k in enumerate(QUANTILES)}


def month_records(net: NetworkPath, price_usd: FloatArray) -> list[dict[str, Any]]:
    """One record per month: price, and p5/p50/p95 of hashrate, difficulty, hashprice, blocks."""
    series = {
        "hashrate_eh_s": quantiles(net.network_hashrate_eh_s),
        "difficulty": quantiles(net.difficulty),
        "hashprice_usd_per_ph_day": quantiles(net.hashprice_usd_per_ph_day(price_usd)),
        "blocks": quantiles(net.blocks),
    }
    price = np.atleast_2d(price_usd)[0]
    out = []
    for t, start in enumerate(net.calendar.month_start):
        rec: dict[str, Any] = {"month": start.strftime("%Y-%m"), "price_usd": float(price[t])}
        for name, q in series.items():
            rec[name] = {k: float(v[t]) for k, v in q.items()}
        out.append(rec)
    return out


def halving_records(net: NetworkPath, start_date: dt.date) -> list[dict[str, Any]]:
    """Per halving height: share of paths that reach it, and p5/p50/p95 of its date.

    A percentile that falls on paths which end before the halving is ``None``.
    """
    if net.halving_day is None or net.halving_heights is None:
        return []
    out = []
    for j, height in enumerate(net.halving_heights):
        days = np.atleast_2d(net.halving_day)[:, j]
        reached = np.isfinite(days)
        q = np.percentile(
            np.where(reached, days, np.inf), list(QUANTILES.values()), method="inverted_cdf"
        )
        dates = {
            k: (None if not np.isfinite(d) else str(start_date + dt.timedelta(days=float(d))))
            for k, d in zip(QUANTILES, q, strict=True)
        }
        out.append({"height": int(height), "share_of_paths": float(reached.mean()), "date": dates})
    return out
