"""ERCOT hourly prices and load through the optional ``gridstatus`` package.

:func:`ercot_hourly_prices` reads real-time (15-minute settlement point prices, averaged
to the hour, as in the shared ``ercot_hub_lz_dam_rtm_hourly_2024_2026.csv``) and
day-ahead hourly prices for the chosen settlement points; :func:`ercot_hourly_load`
reads ERCOT system load. Both return the ``delivery_date, hour_ending,
repeated_hour_flag`` layout that ``hashpivot dispatch --prices/--load`` reads
(:mod:`hashpivot.dispatch.io`): hour ending 1-24 in Central Prevailing Time, the
second 01:00-02:00 hour of the autumn DST change flagged ``Y``. Price columns are
``<POINT>_rtm`` and ``<POINT>_dam`` [USD/MWh], the load column is ``ERCOT`` [MW].

Tests pass a fake ISO object holding recorded frames, so the package is not needed to
test the conversion; only the call into the real package needs it installed.

References
----------
.. [1] gridstatus ``Ercot.get_spp(date, end, market, locations, location_type)`` and
   ``Ercot.get_load(date, end)``; frames with ``Interval Start`` (tz-aware, US/Central),
   ``Location``, ``Market``, ``SPP`` and ``Load``: https://docs.gridstatus.io/
.. [2] ERCOT hour-ending convention: Nodal Protocols section 2, "Operating Hour".

"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hashpivot.sources._optional import optional_module
from hashpivot.sources.http import SourceFormatError

SOURCE = "gridstatus (ERCOT)"
URL = "https://www.ercot.com/mp/data-products"
TIMEZONE = "US/Central"
MARKETS = {"rtm": "REAL_TIME_15_MIN", "dam": "DAY_AHEAD_HOURLY"}
"""Column suffix → gridstatus market name."""
KEY = ["delivery_date", "hour_ending", "repeated_hour_flag"]


def ercot(iso: Any | None = None) -> Any:
    """The ISO object: ``iso`` when given (tests), else ``gridstatus.Ercot()``."""
    if iso is not None:
        return iso
    return optional_module("gridstatus", "or pass ERCOT CSV files to dispatch").Ercot()


def _need(frame: Any, columns: Sequence[str], what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        got = type(frame).__name__
        raise SourceFormatError(SOURCE, URL, f"{what}: expected a frame, got {got}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SourceFormatError(SOURCE, URL, f"{what}: field `{missing[0]}` is missing")
    if frame.empty:
        raise SourceFormatError(SOURCE, URL, f"{what}: no rows")
    return frame


def _utc_offset(times: pd.DatetimeIndex) -> pd.TimedeltaIndex:
    """Central local time minus UTC at each instant (-5 h in CDT, -6 h in CST)."""
    local = times.tz_convert(TIMEZONE).tz_localize(None)
    return pd.TimedeltaIndex(local - times.tz_convert("UTC").tz_localize(None))


def hour_keys(interval_start: pd.Series) -> pd.DataFrame:
    """Operating day, hour ending and repeated-hour flag of hour-long intervals.

    ``interval_start`` holds tz-aware starts of whole hours. The local (Central) start
    hour h gives hour ending h + 1 on that local day. The hour that starts at 01:00 just
    after the clocks go back (its UTC offset one hour behind the offset an hour earlier)
    is the repeated hour ending 2 of the autumn fall-back, flagged ``Y``, whether or not
    the first 01:00 hour is in the window.
    """
    starts = pd.DatetimeIndex(interval_start)
    local = starts.tz_convert(TIMEZONE)
    went_back = _utc_offset(starts) < _utc_offset(starts - pd.Timedelta(hours=1))
    repeated = (local.hour == 1) & went_back
    return pd.DataFrame(
        {
            "delivery_date": local.strftime("%Y-%m-%d"),
            "hour_ending": local.hour + 1,
            "repeated_hour_flag": np.where(repeated, "Y", "N"),
        }
    )


def _hourly(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """Mean of ``value`` per (location, UTC hour), starts as a tz-aware column ``start``."""
    starts = pd.to_datetime(frame["Interval Start"], utc=True)
    hourly = frame.assign(start=starts.dt.floor("h"))
    out: pd.DataFrame = hourly.groupby(["Location", "start"], as_index=False)[[value]].mean()
    return out


def ercot_hourly_prices(
    start: dt.date, end: dt.date, locations: Sequence[str], iso: Any | None = None
) -> pd.DataFrame:
    """Hourly real-time and day-ahead settlement point prices of ``locations``.

    ``start`` and ``end`` are the first and last operating days, both included
    (gridstatus's own ``end`` is exclusive, so the day after ``end`` is passed on).

    Returns
    -------
    pandas.DataFrame
        ``delivery_date, hour_ending, repeated_hour_flag`` and ``<POINT>_rtm``,
        ``<POINT>_dam`` per location [USD/MWh], sorted in time.

    """
    source = ercot(iso)
    stop = end + dt.timedelta(days=1)  # gridstatus ends before ``end``; this one includes it
    parts = []
    for suffix, market in MARKETS.items():
        raw = source.get_spp(date=start, end=stop, market=market, locations=list(locations))
        raw = _need(raw, ["Interval Start", "Location", "SPP"], f"{market} prices")
        absent = sorted(set(locations) - set(raw["Location"].astype(str)))
        if absent:
            raise SourceFormatError(SOURCE, URL, f"{market}: no prices for {', '.join(absent)}")
        hourly = _hourly(raw[raw["Location"].isin(locations)], "SPP")
        wide = hourly.pivot(index="start", columns="Location", values="SPP")
        wide.columns = [f"{c}_{suffix}" for c in wide.columns]
        parts.append(wide)
    joined = pd.concat(parts, axis=1).sort_index()
    keys = hour_keys(joined.index.to_series())
    return pd.concat([keys, joined.reset_index(drop=True)], axis=1)


def ercot_hourly_load(start: dt.date, end: dt.date, iso: Any | None = None) -> pd.DataFrame:
    """Hourly ERCOT system load, column ``ERCOT`` [MW], in the dispatch key layout."""
    stop = end + dt.timedelta(days=1)  # as in :func:`ercot_hourly_prices`
    raw = _need(ercot(iso).get_load(date=start, end=stop), ["Interval Start", "Load"], "load")
    hourly = _hourly(raw.assign(Location="ERCOT"), "Load").sort_values("start")
    keys = hour_keys(hourly["start"])
    return keys.assign(ERCOT=hourly["Load"].to_numpy())
