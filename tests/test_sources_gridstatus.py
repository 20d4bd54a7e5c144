"""ERCOT through gridstatus: recorded frames in a fake ISO, the dispatch layout, bad frames."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot.dispatch.io import read_hourly
from hashpivot.errors import HashpivotError
from hashpivot.sources import gridstatus
from hashpivot.sources.http import SourceFormatError

DATA = Path(__file__).parent / "data" / "sources" / "gridstatus"
DAY = dt.date(2025, 11, 2)


class FakeErcot:
    """Answers like ``gridstatus.Ercot`` with the recorded frames (DST fall-back night)."""

    def __init__(self, **override: Any) -> None:
        self.override = override
        self.calls: list[dict[str, Any]] = []

    def get_spp(self, date: dt.date, end: dt.date, market: str, locations: list[str]) -> Any:
        self.calls.append({"date": date, "end": end, "market": market, "locations": locations})
        if market in self.override:
            return self.override[market]
        return pd.read_csv(DATA / f"spp_{market.lower()}.csv")

    def get_load(self, date: dt.date, end: dt.date) -> Any:
        return self.override.get("load", pd.read_csv(DATA / "load.csv"))


def test_prices_in_the_dispatch_layout_with_the_repeated_hour_flagged() -> None:
    iso = FakeErcot()
    out = gridstatus.ercot_hourly_prices(DAY, DAY, ["LZ_WEST"], iso=iso)
    assert [c["market"] for c in iso.calls] == ["REAL_TIME_15_MIN", "DAY_AHEAD_HOURLY"]
    assert iso.calls[0]["end"] == dt.date(2025, 11, 3)  # gridstatus's end is exclusive
    assert list(out.columns) == [*gridstatus.KEY, "LZ_WEST_rtm", "LZ_WEST_dam"]
    # 00:00 CDT is HE1; 01:00 CDT is HE2; 01:00 CST (the fall-back repeat) is HE2 "Y";
    # 02:00 CST is HE3.
    assert out["hour_ending"].tolist() == [1, 2, 2, 3]
    assert out["repeated_hour_flag"].tolist() == ["N", "N", "Y", "N"]
    assert set(out["delivery_date"]) == {"2025-11-02"}
    # Hourly RTM = mean of the four 15-minute prices: (20+22+24+26)/4, 30, (-5+5+15+25)/4,
    # (40+41+42+43)/4; LZ_NORTH (not asked for) is left out.
    assert out["LZ_WEST_rtm"].tolist() == [23.0, 30.0, 10.0, 41.5]
    assert out["LZ_WEST_dam"].tolist() == [25.0, 31.0, 12.0, 40.0]


def test_written_prices_and_load_are_read_by_dispatch(tmp_path: Path) -> None:
    prices = gridstatus.ercot_hourly_prices(DAY, DAY, ["LZ_WEST"], iso=FakeErcot())
    load = gridstatus.ercot_hourly_load(DAY, DAY, iso=FakeErcot())
    assert load["ERCOT"].tolist() == [40100.0, 39000.0, 38500.0, 38050.0]  # half-hour means
    prices.to_csv(tmp_path / "p.csv", index=False)
    load.to_csv(tmp_path / "l.csv", index=False)
    hourly = read_hourly(tmp_path / "p.csv", ["LZ_WEST_rtm", "LZ_WEST_dam"])
    assert hourly.frame["repeated"].tolist() == [False, False, True, False]
    assert hourly.frame["LZ_WEST_rtm"].tolist() == [23.0, 30.0, 10.0, 41.5]
    assert read_hourly(tmp_path / "l.csv", ["ERCOT"]).frame["ERCOT"].tolist()[0] == 40100.0


@pytest.mark.parametrize(
    ("override", "match"),
    [
        (
            {"REAL_TIME_15_MIN": pd.DataFrame({"Interval Start": [1], "Location": ["LZ_WEST"]})},
            r"REAL_TIME_15_MIN prices: field `SPP` is missing",
        ),
        ({"DAY_AHEAD_HOURLY": None}, r"DAY_AHEAD_HOURLY prices: expected a frame, got NoneType"),
        (
            {"DAY_AHEAD_HOURLY": pd.read_csv(DATA / "spp_day_ahead_hourly.csv").iloc[:0]},
            r"DAY_AHEAD_HOURLY prices: no rows",
        ),
    ],
)
def test_malformed_frames_name_the_market_and_field(override: dict[str, Any], match: str) -> None:
    with pytest.raises(
        SourceFormatError, match=rf"gridstatus \(ERCOT\): unexpected answer .*{match}"
    ):
        gridstatus.ercot_hourly_prices(DAY, DAY, ["LZ_WEST"], iso=FakeErcot(**override))


def test_unknown_location_and_bad_load_are_refused() -> None:
    with pytest.raises(SourceFormatError, match=r"REAL_TIME_15_MIN: no prices for LZ_NOWHERE"):
        gridstatus.ercot_hourly_prices(DAY, DAY, ["LZ_WEST", "LZ_NOWHERE"], iso=FakeErcot())
    bad = pd.read_csv(DATA / "load.csv").drop(columns=["Load"])
    with pytest.raises(SourceFormatError, match=r"load: field `Load` is missing"):
        gridstatus.ercot_hourly_load(DAY, DAY, iso=FakeErcot(load=bad))


def test_missing_package_is_named_with_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gridstatus", None)  # find_spec now answers "absent"
    with pytest.raises(
        HashpivotError, match=r"optional package gridstatus \(pip install gridstatus"
    ):
        gridstatus.ercot_hourly_load(DAY, DAY)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 3 * 365 * 24), st.integers(1, 24 * 40))
def test_hour_keys_are_unique_and_flag_one_repeat_per_fall_back(offset: int, hours: int) -> None:
    start = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=offset)
    utc = pd.date_range(start, periods=hours, freq="h")
    keys = gridstatus.hour_keys(pd.Series(utc))
    assert not keys.duplicated().any()
    assert keys["hour_ending"].between(1, 24).all()
    # Every repeated hour is HE2 of a first Sunday of November (US rule since 2007), and
    # there are as many as UTC hours 07:00 (01:00 CST after the change) on those days.
    flagged = keys[keys["repeated_hour_flag"] == "Y"]
    assert (flagged["hour_ending"] == 2).all()
    days = pd.to_datetime(flagged["delivery_date"])
    assert (days.dt.month == 11).all()
    assert (days.dt.day_of_week == 6).all()
    assert (days.dt.day <= 7).all()
    # By the DST rule alone: the repeated hour is 01:00-02:00 CST = 07:00-08:00 UTC on
    # the first Sunday of November.
    first_sunday = (utc.month == 11) & (utc.day_of_week == 6) & (utc.day <= 7)
    assert len(flagged) == int((first_sunday & (utc.hour == 7)).sum())


def test_the_repeat_is_flagged_even_when_the_window_starts_inside_it() -> None:
    utc = pd.date_range("2025-11-02 07:00", periods=2, freq="h", tz="UTC")
    keys = gridstatus.hour_keys(pd.Series(utc))
    assert keys["hour_ending"].tolist() == [2, 3]
    assert keys["repeated_hour_flag"].tolist() == ["Y", "N"]
