"""Hourly input files: ERCOT price and load layouts, the operating-hour calendar, data rules.

Every hour is keyed by its operating day, its hour ending (1–24, Central Prevailing
Time) and a flag for the repeated hour of the autumn DST change. Three layouts are read:

* ``interval_end_local`` (``YYYY-MM-DD HH:MM``, end of the hour; ``00:00`` is HE24 of
  the day before), as in ``ercot_lz_rtm_hourly_2024_2025.csv``;
* ``delivery_date`` or ``date`` with ``hour_ending`` or ``hour_ending_num`` (1–24 or
  ``HH:00``), and optionally ``repeated_hour_flag`` (Y/N) or ``hour_ending_raw`` (suffix
  `` DST``), as in the ERCOT DAM, hub/zone and native-load files.

Data rules (documented, never silent: each one applied adds a line to ``notes``):

* **unsorted rows** are sorted by day, hour ending and repeat flag;
* **DST spring-forward day** (second Sunday of March) has 23 hours: HE3 does not exist,
  so its absence is not a gap; a row for it is dropped if all its values are empty and
  refused if it holds values;
* **DST fall-back day** (first Sunday of November): HE2 occurs twice. A flagged repeat
  (``repeated_hour_flag = Y``, `` DST`` suffix) is the repeated hour; in layouts
  without a flag, a second HE2 row on that day is taken as the repeated hour; a day
  holding HE2 once (as ERCOT's hour-ending timestamp files do) is accepted with 24 h;
* **duplicated hours** are refused, or kept first or averaged (``DataRulesSpec.duplicates``);
* **missing hours and NaN** between the first and the last row are refused, or
  interpolated over short runs, or dropped (``DataRulesSpec.missing``);
* **negative prices** are valid (a load is paid to consume) and kept; they are counted.

References
----------
.. [1] ERCOT hour-ending convention and the DST repeated hour: Nodal Protocols
   Section 2 (Definitions, "Operating Hour"); shared data notes SOURCES.md §3.
.. [2] US DST rule since 2007 (Energy Policy Act of 2005, §110): starts on the second
   Sunday of March, ends on the first Sunday of November.
   https://www.law.cornell.edu/uscode/text/15/260a

"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot.dispatch.spec import DataRulesSpec
from hashpivot.errors import SpecError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

KEY = ["delivery_date", "hour_ending", "repeated"]
"""Key columns of a normalised hourly frame."""

_DATE_COLS = ("delivery_date", "date")
_HOUR_COLS = ("hour_ending", "hour_ending_num")
_LAYOUTS = (
    "'interval_end_local' (hour-ending timestamps); or 'delivery_date'/'date' with "
    "'hour_ending'/'hour_ending_num' (optional 'repeated_hour_flag' or 'hour_ending_raw')"
)
_NON_VALUE = {"interval_end_local", "hour_ending_str", "repeated_hour_flag", "hour_ending_raw"}


def dst_start(year: int) -> dt.date:
    """Spring-forward day: second Sunday of March (US rule since 2007). Ref [2]."""
    first = dt.date(year, 3, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7)


def dst_end(year: int) -> dt.date:
    """Fall-back day: first Sunday of November (US rule since 2007). Ref [2]."""
    first = dt.date(year, 11, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7)


@dataclass(frozen=True)
class HourCalendar:
    """Operating hours in time order and their months.

    Attributes
    ----------
    delivery_date
        Operating day of each hour. [datetime64[D]]
    hour_ending
        Hour ending 1–24 in Central Prevailing Time. [h]
    repeated
        True for the second HE2 of the autumn DST day.
    months
        The calendar months covered, in order.
    month_index
        Position in ``months`` of each hour.
    month_starts
        Index of the first hour of each month (for ``np.add.reduceat``).

    """

    delivery_date: npt.NDArray[np.datetime64]
    hour_ending: IntArray
    repeated: BoolArray
    months: pd.PeriodIndex
    month_index: IntArray
    month_starts: IntArray

    @property
    def n_hours(self) -> int:
        """Number of hours."""
        return int(self.hour_ending.shape[0])

    @property
    def hours_per_month(self) -> FloatArray:
        """Hours in each month of the calendar [h]."""
        return np.diff(np.append(self.month_starts, self.n_hours)).astype(np.float64)

    @property
    def month_of_year(self) -> IntArray:
        """Calendar month 1–12 of each hour."""
        return np.asarray(self.months.month, dtype=np.int64)[self.month_index]

    @property
    def year(self) -> IntArray:
        """Calendar year of each hour."""
        return np.asarray(self.months.year, dtype=np.int64)[self.month_index]

    def day_index(self) -> IntArray:
        """Running index of the operating day of each hour, from 0."""
        d = self.delivery_date.astype("datetime64[D]").astype(np.int64)
        return np.asarray(d - d[0], dtype=np.int64)

    @classmethod
    def from_keys(
        cls, delivery_date: npt.ArrayLike, hour_ending: npt.ArrayLike, repeated: npt.ArrayLike
    ) -> HourCalendar:
        """Calendar from sorted key columns."""
        dates = np.asarray(delivery_date, dtype="datetime64[D]")
        month_codes = dates.astype("datetime64[M]").astype(np.int64)
        change = np.flatnonzero(np.diff(month_codes)) + 1
        starts = np.concatenate([[0], change]).astype(np.int64)
        codes = month_codes[starts]
        months = pd.PeriodIndex(
            [pd.Period(year=int(c // 12 + 1970), month=int(c % 12 + 1), freq="M") for c in codes]
        )
        index = np.cumsum(np.isin(np.arange(dates.shape[0]), starts)) - 1
        return cls(
            delivery_date=dates,
            hour_ending=np.asarray(hour_ending, dtype=np.int64),
            repeated=np.asarray(repeated, dtype=bool),
            months=months,
            month_index=index.astype(np.int64),
            month_starts=starts,
        )

    @classmethod
    def regular(cls, start: str | dt.date, hours: int) -> HourCalendar:
        """A synthetic calendar of ``hours`` hours from ``start``, 24 a day, no DST days."""
        day0 = np.datetime64(pd.Timestamp(start).date(), "D")
        idx = np.arange(hours)
        return cls.from_keys(day0 + idx // 24, idx % 24 + 1, np.zeros(hours, dtype=bool))

    def expected_keys(self) -> pd.DataFrame:
        """Every hour that should exist between this calendar's first and last hour."""
        return expected_keys(self.delivery_date[0], self.delivery_date[-1])

    def timestamps(self) -> pd.DatetimeIndex:
        """Naive local start of each hour (the repeated hour shares its clock time)."""
        base = pd.DatetimeIndex(self.delivery_date.astype("datetime64[ns]"))
        return base + pd.to_timedelta(self.hour_ending - 1, unit="h")


def expected_keys(first_day: npt.ArrayLike, last_day: npt.ArrayLike) -> pd.DataFrame:
    """Hours of the days ``first_day..last_day``: 24 a day, 23 on spring-forward days.

    The autumn repeated hour is not listed: it is optional (see the module notes).
    """
    days = pd.date_range(pd.Timestamp(str(first_day)), pd.Timestamp(str(last_day)), freq="D")
    frame = pd.DataFrame(
        {
            "delivery_date": np.repeat(days.values, 24),
            "hour_ending": np.tile(np.arange(1, 25), len(days)),
            "repeated": False,
        }
    )
    spring = {dst_start(y) for y in range(days[0].year, days[-1].year + 1)}
    skip = frame["delivery_date"].dt.date.isin(spring) & (frame["hour_ending"] == 3)
    return cast(pd.DataFrame, frame.loc[~skip].reset_index(drop=True))


@dataclass(frozen=True)
class HourlyFrame:
    """A validated hourly table: key columns ``KEY`` then value columns, in time order."""

    frame: pd.DataFrame
    source: str
    notes: tuple[str, ...] = field(default=())

    @property
    def calendar(self) -> HourCalendar:
        """The frame's operating-hour calendar."""
        f = self.frame
        return HourCalendar.from_keys(
            f["delivery_date"].to_numpy(), f["hour_ending"].to_numpy(), f["repeated"].to_numpy()
        )

    def values(self, column: str) -> FloatArray:
        """One value column as float64."""
        return np.asarray(self.frame[column].to_numpy(dtype=np.float64))


# --------------------------------------------------------------------------- reading


def _read_csv(path: str | Path) -> pd.DataFrame:
    p = Path(path)
    try:
        return pd.read_csv(p, dtype={"hour_ending_raw": str, "repeated_hour_flag": str})
    except FileNotFoundError:
        raise SpecError([f"file not found: {p}"], str(p)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SpecError([f"not a readable CSV: {exc}"], str(p)) from None


def _hour_ending_ints(raw: pd.Series, source: str) -> pd.Series:
    """Hour ending as an integer from ``17`` or ``"17:00"``; 1–24 only."""
    text = raw.astype(str).str.strip().str.replace(r":00$", "", regex=True)
    he = pd.to_numeric(text, errors="coerce")
    bad = he.isna() | (he % 1 != 0) | (he < 1) | (he > 24)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        msg = f"row {i + 2}: hour_ending {raw.iloc[i]!r} — must be an hour ending 1–24"
        raise SpecError([msg], source)
    return he.astype(np.int64)


def _keys_from_interval_end(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    ts = pd.to_datetime(raw["interval_end_local"], format="%Y-%m-%d %H:%M", errors="coerce")
    if ts.isna().any():
        i = int(np.flatnonzero(ts.isna().to_numpy())[0])
        value = raw["interval_end_local"].iloc[i]
        msg = f"row {i + 2}: interval_end_local {value!r} — must be 'YYYY-MM-DD HH:MM'"
        raise SpecError([msg], source)
    if (ts.dt.minute != 0).any():
        i = int(np.flatnonzero((ts.dt.minute != 0).to_numpy())[0])
        msg = f"row {i + 2}: interval_end_local {raw['interval_end_local'].iloc[i]!r} — hourly "
        raise SpecError([msg + "data must end on the hour"], source)
    midnight = ts.dt.hour == 0
    day = ts.dt.normalize() - pd.to_timedelta(midnight.astype(int), unit="D")
    he = ts.dt.hour.where(~midnight, 24)
    return pd.DataFrame({"delivery_date": day, "hour_ending": he.astype(np.int64)})


def _keys_from_columns(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    date_col = next(c for c in _DATE_COLS if c in raw.columns)
    hour_col = next(c for c in _HOUR_COLS if c in raw.columns)
    day = pd.to_datetime(raw[date_col], errors="coerce")
    if day.isna().any():
        i = int(np.flatnonzero(day.isna().to_numpy())[0])
        msg = f"row {i + 2}: {date_col} {raw[date_col].iloc[i]!r} — must be a date YYYY-MM-DD"
        raise SpecError([msg], source)
    keys = pd.DataFrame({"delivery_date": day.dt.normalize()})
    keys["hour_ending"] = _hour_ending_ints(raw[hour_col], source)
    if "repeated_hour_flag" in raw.columns:
        flag = raw["repeated_hour_flag"].astype(str).str.strip().str.upper()
        keys["repeated"] = flag.isin(["Y", "TRUE", "1"])
    elif "hour_ending_raw" in raw.columns:
        keys["repeated"] = raw["hour_ending_raw"].astype(str).str.strip().str.endswith("DST")
    return keys


def _layout_keys(raw: pd.DataFrame, source: str) -> tuple[pd.DataFrame, bool]:
    """Key columns of any supported layout, and whether the layout flags the repeated hour."""
    if "interval_end_local" in raw.columns:
        keys = _keys_from_interval_end(raw, source)
    elif any(c in raw.columns for c in _DATE_COLS) and any(c in raw.columns for c in _HOUR_COLS):
        keys = _keys_from_columns(raw, source)
    else:
        msg = f"no time columns found (columns: {', '.join(map(str, raw.columns[:8]))}…); "
        raise SpecError([msg + f"supported layouts: {_LAYOUTS}"], source)
    flagged = "repeated" in keys.columns
    if not flagged:
        keys["repeated"] = False
    return keys, flagged


def value_columns(path: str | Path) -> list[str]:
    """Columns of an hourly file that can be chosen as values (not time columns)."""
    head = pd.read_csv(path, nrows=0)
    skip = _NON_VALUE | set(_DATE_COLS) | set(_HOUR_COLS)
    return [str(c) for c in head.columns if c not in skip]


def _pick_columns(raw: pd.DataFrame, columns: list[str], source: str) -> None:
    skip = _NON_VALUE | set(_DATE_COLS) | set(_HOUR_COLS)
    valid = [str(c) for c in raw.columns if c not in skip]
    problems = []
    for col in columns:
        if col not in raw.columns:
            close = difflib.get_close_matches(col, valid, n=3, cutoff=0.5)
            hint = f"; closest: {', '.join(close)}" if close else ""
            problems.append(f"column {col!r} not found{hint}; valid columns: {', '.join(valid)}")
    if problems:
        raise SpecError(problems, source)


# --------------------------------------------------------------------------- rules


def _mark_fallback_repeats(keys: pd.DataFrame, flagged: bool, notes: list[str]) -> None:
    """In unflagged layouts, the second HE2 row of a fall-back day is the repeated hour."""
    if flagged:
        return
    fall = {pd.Timestamp(dst_end(y)) for y in keys["delivery_date"].dt.year.unique()}
    cand = keys["delivery_date"].isin(fall) & (keys["hour_ending"] == 2)
    second = cand & keys[cand].duplicated(["delivery_date", "hour_ending"]).reindex(
        keys.index, fill_value=False
    )
    if second.any():
        keys.loc[second, "repeated"] = True
        days = sorted({str(d.date()) for d in keys.loc[second, "delivery_date"]})
        notes.append(f"DST fall-back: the second HE2 row on {', '.join(days)} is the repeated hour")


def _spring_hour(
    frame: pd.DataFrame, columns: list[str], source: str, notes: list[str]
) -> pd.DataFrame:
    """Rows for HE3 of a spring-forward day: dropped when empty, refused when they hold values."""
    spring = {pd.Timestamp(dst_start(y)) for y in frame["delivery_date"].dt.year.unique()}
    bad = frame["delivery_date"].isin(spring) & (frame["hour_ending"] == 3)
    if not bad.any():
        return frame
    days = ", ".join(sorted({str(d.date()) for d in frame.loc[bad, "delivery_date"]}))
    if frame.loc[bad, columns].isna().all(axis=None):
        notes.append(
            f"hour_ending 3 on {days} does not exist (DST spring-forward): empty row dropped"
        )
        return frame.loc[~bad].reset_index(drop=True)
    msg = (
        f"hour_ending 3 on {days}: this hour does not exist (DST spring-forward day: clocks "
        "jump from 02:00 to 03:00, ERCOT days have 23 hours) but the row holds values"
    )
    raise SpecError([msg], source)


def _apply_duplicates(
    frame: pd.DataFrame, rule: str, source: str, notes: list[str]
) -> pd.DataFrame:
    dup = frame.duplicated(KEY, keep=False)
    if not dup.any():
        return frame
    rows = frame.loc[dup, KEY].drop_duplicates()
    first = rows.iloc[0]
    where = f"{first['delivery_date'].date()} HE{first['hour_ending']}"
    n = len(rows)
    if rule == "refuse":
        msg = (
            f"{n} duplicated hour(s), first {where} — each delivery date and hour ending may "
            "appear once (plus the flagged DST repeat); set duplicates to 'first' or 'mean'"
        )
        raise SpecError([msg], source)
    notes.append(f"{n} duplicated hour(s) (first {where}): kept the {rule} value")
    grouped = frame.groupby(KEY, sort=False, as_index=False)
    return grouped.first() if rule == "first" else grouped.mean(numeric_only=True)


def _sort(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    order = frame.sort_values(KEY, kind="stable")
    if not order.index.equals(frame.index):
        notes.append("rows were not in time order: sorted by delivery date and hour ending")
    return order.reset_index(drop=True)


def _runs(missing: BoolArray) -> list[tuple[int, int]]:
    """(start, length) of each run of True values."""
    edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


def _describe_gaps(frame: pd.DataFrame, missing: BoolArray, limit: int = 3) -> str:
    runs = _runs(missing)
    parts = []
    for start, length in runs[:limit]:
        row = frame.iloc[start]
        parts.append(f"{row['delivery_date'].date()} HE{row['hour_ending']} ({length} h)")
    more = f" and {len(runs) - limit} more" if len(runs) > limit else ""
    return ", ".join(parts) + more


def _apply_missing(
    frame: pd.DataFrame, columns: list[str], rules: DataRulesSpec, source: str, notes: list[str]
) -> pd.DataFrame:
    """Find absent hours and NaN values in ``columns``; refuse, interpolate or drop them."""
    expected = expected_keys(frame["delivery_date"].iloc[0], frame["delivery_date"].iloc[-1])
    full = expected.merge(frame, on=KEY, how="outer", sort=False)
    full = full.sort_values(KEY, kind="stable").reset_index(drop=True)
    first = (full["delivery_date"] == frame["delivery_date"].iloc[0]) & (
        full["hour_ending"] < frame["hour_ending"].iloc[0]
    )
    last = (full["delivery_date"] == frame["delivery_date"].iloc[-1]) & (
        full["hour_ending"] > frame["hour_ending"].iloc[-1]
    )
    full = full.loc[~(first | last)].reset_index(drop=True)
    values = full[columns].to_numpy(dtype=np.float64)
    if np.isinf(values).any():
        raise SpecError(
            [f"infinite values in {', '.join(columns)} — prices must be finite"], source
        )
    missing = np.isnan(values).any(axis=1)
    if not missing.any():
        return cast(pd.DataFrame, full)
    n_absent = len(full) - len(frame)
    n_nan = int(missing.sum()) - n_absent
    what = f"{n_absent} missing hour(s) and {n_nan} NaN value(s) in {', '.join(columns)}"
    gaps = _describe_gaps(full, missing)
    if rules.missing == "refuse":
        hint = "; set missing to 'interpolate' (short gaps) or 'drop'"
        raise SpecError([f"{what}: {gaps}{hint}"], source)
    if rules.missing == "drop":
        notes.append(f"{what}: dropped ({gaps})")
        return cast(pd.DataFrame, full.loc[~missing].reset_index(drop=True))
    longest = max(length for _, length in _runs(missing))
    if longest > rules.max_gap_hours:
        msg = f"{what}: a gap of {longest} h exceeds max_gap_hours {rules.max_gap_hours} ({gaps})"
        raise SpecError([msg], source)
    full[columns] = full[columns].interpolate(method="linear", limit_direction="both")
    notes.append(f"{what}: interpolated linearly ({gaps})")
    return cast(pd.DataFrame, full)


def read_hourly(
    path: str | Path,
    columns: list[str],
    year: int | None = None,
    rules: DataRulesSpec | None = None,
) -> HourlyFrame:
    """Read value ``columns`` of an hourly CSV in any supported layout and apply the data rules.

    Parameters
    ----------
    path
        CSV file.
    columns
        Value columns to keep, e.g. ``["LZ_WEST"]`` or ``["ERCOT"]``.
    year
        Keep only operating days of this calendar year.
    rules
        Data rules; default: refuse gaps, NaN and duplicates.

    """
    rules = rules or DataRulesSpec()
    source = str(path)
    raw = _read_csv(path)
    _pick_columns(raw, columns, source)
    keys, flagged = _layout_keys(raw, source)
    notes: list[str] = []
    _mark_fallback_repeats(keys, flagged, notes)
    frame = pd.concat([keys, raw[columns].apply(pd.to_numeric, errors="coerce")], axis=1)
    _check_magnitude(frame, columns, source)
    if year is not None:
        frame = _select_year(frame, year, source)
    if frame.empty:
        raise SpecError(["no rows"], source)
    frame = _spring_hour(frame, columns, source, notes)
    frame = _apply_duplicates(frame, rules.duplicates, source, notes)
    frame = _sort(frame, notes)
    frame = _apply_missing(frame, columns, rules, source, notes)
    _note_dst(frame, flagged, notes)
    _note_negative(frame, columns, notes)
    return HourlyFrame(frame[KEY + columns].reset_index(drop=True), source, tuple(notes))


MAX_ABS_HOURLY_VALUE = 1e7
"""Largest magnitude of an hourly value read (prices in USD/MWh, load in MW): far above
ERCOT's 5 000 USD/MWh offer cap (PUCT Substantive Rule 25.505) and its ~86 GW peak load, so
only a corrupt file (1e308, inf) is refused [USD/MWh or MW]."""


def _check_magnitude(frame: pd.DataFrame, columns: list[str], source: str) -> None:
    """Refuse infinite or absurdly large values, naming the first one's column and row."""
    for column in columns:
        values = frame[column].to_numpy(dtype=np.float64)
        bad = np.flatnonzero(np.abs(values) > MAX_ABS_HOURLY_VALUE)  # NaN compares False
        if bad.size:
            row = int(bad[0])
            msg = (
                f"{column}: {values[row]:g} in data row {row + 1} — hourly values must lie "
                f"within ±{MAX_ABS_HOURLY_VALUE:g} ({bad.size} value(s) do not)"
            )
            raise SpecError([msg], source)


def _select_year(frame: pd.DataFrame, year: int, source: str) -> pd.DataFrame:
    years = frame["delivery_date"].dt.year
    if not (years == year).any():
        have = ", ".join(str(y) for y in sorted(years.unique()))
        raise SpecError(
            [f"year {year}: no operating days in that year (the file has {have})"], source
        )
    return cast(pd.DataFrame, frame.loc[years == year].reset_index(drop=True))


def _note_dst(frame: pd.DataFrame, flagged: bool, notes: list[str]) -> None:
    years = frame["delivery_date"].dt.year.unique()
    days = set(frame["delivery_date"].dt.date)
    for y in years:
        end = dst_end(int(y))
        if end in days and not frame.loc[frame["delivery_date"].dt.date == end, "repeated"].any():
            has_he2 = ((frame["delivery_date"].dt.date == end) & (frame["hour_ending"] == 2)).any()
            if has_he2:
                notes.append(
                    f"DST fall-back {end}: the repeated HE2 appears once, so the day has 24 h "
                    "(accepted: the file carries one value for the two clock hours)"
                )


def _note_negative(frame: pd.DataFrame, columns: list[str], notes: list[str]) -> None:
    for col in columns:
        n = int((frame[col] < 0).sum())
        if n:
            notes.append(f"{col}: {n} hour(s) with negative prices (valid: the load is paid)")


# --------------------------------------------------------------------------- market data


@dataclass(frozen=True)
class MarketData:
    """Hourly prices of one or more nodes and optional system load on one calendar.

    Arrays are shaped ``(paths, hours)``: one path for history, many for resampled years.
    """

    calendar: HourCalendar
    prices_usd_per_mwh: dict[str, FloatArray]
    system_load_mw: FloatArray | None = None
    notes: tuple[str, ...] = ()
    source: str = ""

    @property
    def n_paths(self) -> int:
        """Number of price paths."""
        return int(next(iter(self.prices_usd_per_mwh.values())).shape[0])

    def price(self, node: str) -> FloatArray:
        """Prices of one node, ``(paths, hours)``; unknown nodes list the valid ones."""
        if node not in self.prices_usd_per_mwh:
            valid = ", ".join(self.prices_usd_per_mwh)
            raise SpecError(
                [f"node {node!r}: no prices loaded; loaded nodes: {valid}"], self.source
            )
        return self.prices_usd_per_mwh[node]


def read_market(
    prices_path: str | Path,
    nodes: list[str],
    load_path: str | Path | None = None,
    load_column: str = "ERCOT",
    year: int | None = None,
    rules: DataRulesSpec | None = None,
) -> MarketData:
    """Read node prices and, optionally, system load aligned to the price hours.

    Load is matched on (delivery date, hour ending, repeat flag). Load hours with no price
    hour are ignored; price hours with no load follow the ``missing`` rule.
    """
    prices = read_hourly(prices_path, nodes, year, rules)
    notes = [f"prices: {n}" for n in prices.notes]
    frame = prices.frame
    load = None
    if load_path is not None:
        lf = read_hourly(load_path, [load_column], year, rules)
        notes += [f"load: {n}" for n in lf.notes]
        merged = frame[KEY].merge(lf.frame, on=KEY, how="left")
        unused = len(lf.frame) - int(merged[load_column].notna().sum())
        if unused > 0:
            notes.append(f"load: {unused} load hour(s) match no price hour and are not used")
        missing = merged[load_column].isna().to_numpy()
        if missing.any():
            merged, frame = _load_gaps(merged, frame, load_column, missing, rules, notes)
        load = merged[load_column].to_numpy(dtype=np.float64)[None, :]
    cal = HourlyFrame(frame, str(prices_path)).calendar
    arrays = {n: frame[n].to_numpy(dtype=np.float64)[None, :] for n in nodes}
    return MarketData(cal, arrays, load, tuple(notes), str(prices_path))


def _load_gaps(
    merged: pd.DataFrame,
    frame: pd.DataFrame,
    column: str,
    missing: BoolArray,
    rules: DataRulesSpec | None,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rules = rules or DataRulesSpec()
    gaps = _describe_gaps(merged, missing)
    what = f"{int(missing.sum())} price hour(s) have no system load ({gaps})"
    if rules.missing == "refuse":
        raise SpecError([f"{what}; set missing to 'interpolate' or 'drop'"], "load")
    if rules.missing == "drop":
        notes.append(f"{what}: dropped those hours")
        keep = ~missing
        return merged.loc[keep].reset_index(drop=True), frame.loc[keep].reset_index(drop=True)
    longest = max(length for _, length in _runs(missing))
    if longest > rules.max_gap_hours:
        msg = f"{what}: a gap of {longest} h exceeds max_gap_hours {rules.max_gap_hours}"
        raise SpecError([msg], "load")
    merged[column] = merged[column].interpolate(limit_direction="both")
    notes.append(f"{what}: interpolated")
    return merged, frame


# --------------------------------------------------------------------------- hashprice


def read_hashprice_history(
    path: str | Path,
    column: str = "drv_hashprice_usd_per_phs_day",
    price_column: str = "price_usd_cm",
) -> pd.DataFrame:
    """Daily hashprice and BTC price from a CSV like ``btc_network_daily.csv``.

    Returns a frame indexed by day with ``hashprice_usd_per_ph_day`` and
    ``btc_price_usd``; rows where either is missing are left out (the look-up then
    refuses the days it needs and lacks).
    """
    raw = _read_csv(path)
    need = ["date", column, price_column]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        msg = f"columns {', '.join(missing)} not found; the file has {', '.join(raw.columns[:12])}"
        raise SpecError([msg], str(path))
    days = pd.to_datetime(raw["date"], errors="coerce").dt.normalize()
    out = pd.DataFrame(
        {
            "hashprice_usd_per_ph_day": pd.to_numeric(raw[column], errors="coerce").to_numpy(),
            "btc_price_usd": pd.to_numeric(raw[price_column], errors="coerce").to_numpy(),
        },
        index=pd.DatetimeIndex(days, name="date"),
    )
    out = out.loc[out.index.notna()].dropna()
    if out.index.has_duplicates:
        raise SpecError(["duplicated dates in the hashprice history"], str(path))
    if (out <= 0).any().any():
        raise SpecError(["hashprice and BTC price must be > 0"], str(path))
    return out.sort_index()
