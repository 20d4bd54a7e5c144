"""Load daily market history from CSV, refusing bad data with messages that say why.

The loader keeps the requested columns inside an optional date window, trims leading
and trailing days where any of them is missing (a file often starts before one series
does, e.g. ``price_usd_cm`` starts in 2013 in ``btc_network_daily.csv``, SOURCES.md §1),
and then refuses: a missing file or column, unparseable or duplicated dates, gaps in the
daily calendar, missing values inside the window, non-positive values where a column
must be positive (prices, blocks, hashrate), negative values elsewhere, and windows
shorter than ``min_days``. Every problem becomes one line of a
:class:`~hashpivot.errors.SpecError` naming the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from hashpivot.errors import SpecError

MIN_DAYS = 60
"""Shortest usable history [days]."""


def load_daily_history(
    path: str | Path,
    columns: Sequence[str],
    *,
    date_column: str = "date",
    positive: Sequence[str] = (),
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    min_days: int = MIN_DAYS,
) -> pd.DataFrame:
    """Daily history of ``columns`` indexed by date, validated (see module docstring).

    Parameters
    ----------
    path
        CSV file with a date column and the value columns.
    columns
        Value columns to keep, as floats.
    positive
        Columns that must be > 0 (the others must be >= 0).
    start_date, end_date
        Optional inclusive window.

    Returns
    -------
    DataFrame
        One row per consecutive day, a copy (the parsed file is cached by name, size
        and modification time).

    """
    p = Path(path)
    try:
        stat = p.stat()
    except OSError:
        raise SpecError([f"file not found: {p}"], str(p)) from None
    raw = _read(str(p.resolve()), stat.st_mtime_ns, stat.st_size)
    frame = _select(raw, list(columns), date_column, str(p))
    if start_date is not None:
        frame = frame.loc[frame.index >= pd.Timestamp(start_date)]
    if end_date is not None:
        frame = frame.loc[frame.index <= pd.Timestamp(end_date)]
    frame = _trim_missing_ends(frame)
    problems = _value_problems(frame, set(positive), min_days)
    if problems:
        raise SpecError(problems, str(p))
    return frame.copy()


@lru_cache(maxsize=8)
def _read(path: str, _mtime: int, _size: int) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise SpecError([f"cannot read CSV: {exc}"], path) from None


def _select(raw: pd.DataFrame, columns: list[str], date_column: str, source: str) -> pd.DataFrame:
    missing = [c for c in [date_column, *columns] if c not in raw.columns]
    if missing:
        found = ", ".join(map(str, raw.columns))
        raise SpecError([f"missing column(s) {', '.join(missing)}; found: {found}"], source)
    dates = pd.to_datetime(raw[date_column], errors="coerce")
    problems = []
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        problems.append(
            f"{date_column}: {int(dates.isna().sum())} value(s) are not dates "
            f"(first at data row {row + 1})"
        )
    dup = dates[dates.duplicated() & dates.notna()]
    if len(dup):
        shown = ", ".join(str(d.date()) for d in dup.iloc[:3])
        problems.append(f"{date_column}: {len(dup)} duplicated date(s), e.g. {shown}")
    if problems:
        raise SpecError(problems, source)
    values = raw[columns].apply(pd.to_numeric, errors="coerce").astype(np.float64)
    index = pd.DatetimeIndex(dates.dt.normalize(), name="date")
    frame: pd.DataFrame = values.set_axis(index).sort_index()
    return frame


def _trim_missing_ends(frame: pd.DataFrame) -> pd.DataFrame:
    complete = np.flatnonzero(frame.notna().all(axis=1).to_numpy())
    if complete.size == 0:
        return frame.iloc[:0]
    return frame.iloc[complete[0] : complete[-1] + 1]


def _value_problems(frame: pd.DataFrame, positive: set[str], min_days: int) -> list[str]:
    if len(frame) < min_days:
        return [f"only {len(frame)} usable day(s) in the window; at least {min_days} needed"]
    problems = []
    gaps = frame.index.to_series().diff().dt.days.iloc[1:]
    if (gaps != 1).any():
        first = gaps[gaps != 1].index[0].date()
        problems.append(
            f"the daily calendar has {int((gaps != 1).sum())} gap(s), first before {first}; "
            "history must have one row per day"
        )
    for col in frame.columns:
        values = frame[col]
        bad_nan = values.isna() | ~np.isfinite(values)
        if bad_nan.any():
            first = values.index[bad_nan.to_numpy()][0].date()
            problems.append(
                f"{col}: {int(bad_nan.sum())} missing or non-finite value(s) "
                f"inside the window, first on {first}"
            )
        rule, bad = ("> 0", values <= 0) if col in positive else (">= 0", values < 0)
        if bad.any():
            first = values.index[bad.to_numpy()][0].date()
            problems.append(
                f"{col}: {int(bad.sum())} value(s) break the rule {rule}, first on {first}"
            )
    return problems
