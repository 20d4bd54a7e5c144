"""Hourly input files: ERCOT layouts, DST days, and every data rule (refused or handled)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hashpivot.dispatch import DataRulesSpec, HourCalendar
from hashpivot.dispatch.core import hashprice_by_hour
from hashpivot.dispatch.io import (
    dst_end,
    dst_start,
    read_hashprice_history,
    read_hourly,
    read_market,
)
from hashpivot.errors import SpecError


def write(tmp_path: Path, frame: pd.DataFrame, name: str = "p.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def hourly_frame(day: str, days: int = 1, price: float = 20.0) -> pd.DataFrame:
    dates = pd.date_range(day, periods=days, freq="D")
    return pd.DataFrame(
        {
            "delivery_date": np.repeat(dates.strftime("%Y-%m-%d"), 24),
            "hour_ending": np.tile(np.arange(1, 25), days),
            "LZ_WEST": price + np.arange(24 * days, dtype=float),
        }
    )


def test_dst_dates() -> None:
    assert dst_start(2024) == dt.date(2024, 3, 10)
    assert dst_end(2024) == dt.date(2024, 11, 3)
    assert dst_start(2025) == dt.date(2025, 3, 9)
    assert dst_end(2025) == dt.date(2025, 11, 2)


def test_interval_end_layout_midnight_is_he24(tmp_path: Path) -> None:
    stamps = pd.date_range("2024-01-01 01:00", periods=24, freq="h").strftime("%Y-%m-%d %H:%M")
    path = write(tmp_path, pd.DataFrame({"interval_end_local": stamps, "LZ_WEST": np.arange(24.0)}))
    f = read_hourly(path, ["LZ_WEST"]).frame
    assert f["hour_ending"].tolist() == list(range(1, 25))
    assert set(f["delivery_date"].dt.date) == {dt.date(2024, 1, 1)}


def test_hour_ending_as_text(tmp_path: Path) -> None:
    frame = hourly_frame("2024-01-01")
    frame["hour_ending"] = [f"{h:02d}:00" for h in frame["hour_ending"]]
    f = read_hourly(write(tmp_path, frame), ["LZ_WEST"]).frame
    assert f["hour_ending"].tolist() == list(range(1, 25))


def test_unsorted_rows_are_sorted_with_a_note(tmp_path: Path) -> None:
    frame = hourly_frame("2024-01-01", 2).sample(frac=1.0, random_state=1)
    out = read_hourly(write(tmp_path, frame), ["LZ_WEST"])
    assert out.frame["LZ_WEST"].tolist() == [20.0 + i for i in range(48)]
    assert any("not in time order" in n for n in out.notes)


def test_missing_hour_refused_interpolated_or_dropped(tmp_path: Path) -> None:
    frame = hourly_frame("2024-01-01").drop(index=4)  # HE5
    path = write(tmp_path, frame)
    with pytest.raises(SpecError, match=r"1 missing hour.*2024-01-01 HE5"):
        read_hourly(path, ["LZ_WEST"])
    out = read_hourly(path, ["LZ_WEST"], rules=DataRulesSpec(missing="interpolate"))
    assert len(out.frame) == 24
    assert out.frame["LZ_WEST"].iloc[4] == pytest.approx(24.0)
    assert any("interpolated" in n for n in out.notes)
    dropped = read_hourly(path, ["LZ_WEST"], rules=DataRulesSpec(missing="drop"))
    assert len(dropped.frame) == 23
    assert any("dropped" in n for n in dropped.notes)


def test_long_gap_not_interpolated(tmp_path: Path) -> None:
    frame = hourly_frame("2024-01-01").drop(index=range(3, 10))
    with pytest.raises(SpecError, match="exceeds max_gap_hours"):
        read_hourly(write(tmp_path, frame), ["LZ_WEST"], rules=DataRulesSpec(missing="interpolate"))


def test_nan_refused(tmp_path: Path) -> None:
    frame = hourly_frame("2024-01-01")
    frame.loc[7, "LZ_WEST"] = np.nan
    with pytest.raises(SpecError, match=r"1 NaN value.*HE8"):
        read_hourly(write(tmp_path, frame), ["LZ_WEST"])


def test_duplicates_refused_first_or_mean(tmp_path: Path) -> None:
    frame = hourly_frame("2024-01-01")
    extra = frame.iloc[[5]].assign(LZ_WEST=100.0)
    path = write(tmp_path, pd.concat([frame, extra]))
    with pytest.raises(SpecError, match=r"duplicated hour.*2024-01-01 HE6"):
        read_hourly(path, ["LZ_WEST"])
    first = read_hourly(path, ["LZ_WEST"], rules=DataRulesSpec(duplicates="first")).frame
    assert first["LZ_WEST"].iloc[5] == 25.0
    mean = read_hourly(path, ["LZ_WEST"], rules=DataRulesSpec(duplicates="mean")).frame
    assert mean["LZ_WEST"].iloc[5] == pytest.approx((25.0 + 100.0) / 2)


def test_spring_forward_day_has_23_hours(tmp_path: Path) -> None:
    frame = hourly_frame("2024-03-09", 3)
    spring = (frame["delivery_date"] == "2024-03-10") & (frame["hour_ending"] == 3)
    out = read_hourly(write(tmp_path, frame.loc[~spring]), ["LZ_WEST"])
    assert len(out.frame) == 71
    with pytest.raises(SpecError, match="does not exist"):
        read_hourly(write(tmp_path, frame, "bad.csv"), ["LZ_WEST"])
    empty = frame.copy()
    empty.loc[spring, "LZ_WEST"] = np.nan
    out = read_hourly(write(tmp_path, empty, "empty.csv"), ["LZ_WEST"])
    assert len(out.frame) == 71
    assert any("empty row dropped" in n for n in out.notes)


def test_fall_back_flagged_repeat_gives_25_hours(tmp_path: Path) -> None:
    frame = hourly_frame("2024-11-03")
    frame["repeated_hour_flag"] = "N"
    rep = frame.iloc[[1]].assign(repeated_hour_flag="Y", LZ_WEST=-5.0)
    out = read_hourly(write(tmp_path, pd.concat([frame, rep])), ["LZ_WEST"])
    f = out.frame
    assert len(f) == 25
    assert f["repeated"].sum() == 1
    assert f["LZ_WEST"].iloc[2] == -5.0
    assert any("negative prices" in n for n in out.notes)


def test_fall_back_unflagged_second_he2_is_the_repeat(tmp_path: Path) -> None:
    frame = hourly_frame("2024-11-03")
    rep = frame.iloc[[1]].assign(LZ_WEST=99.0)
    rows = pd.concat([frame.iloc[:2], rep, frame.iloc[2:]])
    out = read_hourly(write(tmp_path, rows), ["LZ_WEST"])
    assert len(out.frame) == 25
    assert out.frame["repeated"].sum() == 1
    assert any("repeated hour" in n for n in out.notes)


def test_fall_back_single_he2_accepted_with_note(tmp_path: Path) -> None:
    stamps = pd.date_range("2024-11-03 01:00", periods=24, freq="h").strftime("%Y-%m-%d %H:%M")
    path = write(tmp_path, pd.DataFrame({"interval_end_local": stamps, "LZ_WEST": 1.0}))
    out = read_hourly(path, ["LZ_WEST"])
    assert len(out.frame) == 24
    assert any("appears once" in n for n in out.notes)


def test_unknown_column_lists_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"'LZ_WST' not found; closest: LZ_WEST"):
        read_hourly(write(tmp_path, hourly_frame("2024-01-01")), ["LZ_WST"])


def test_unknown_layout(tmp_path: Path) -> None:
    path = write(tmp_path, pd.DataFrame({"when": ["x"], "LZ_WEST": [1.0]}))
    with pytest.raises(SpecError, match="supported layouts"):
        read_hourly(path, ["LZ_WEST"])


def test_year_filter(tmp_path: Path) -> None:
    path = write(tmp_path, hourly_frame("2023-12-31", 2))
    assert len(read_hourly(path, ["LZ_WEST"], year=2024).frame) == 24
    with pytest.raises(SpecError, match="the file has 2023, 2024"):
        read_hourly(path, ["LZ_WEST"], year=2022)


def test_market_aligns_load_and_refuses_gaps(tmp_path: Path) -> None:
    prices = write(tmp_path, hourly_frame("2024-01-01", 2))
    load = hourly_frame("2024-01-01", 2).rename(
        columns={"delivery_date": "date", "LZ_WEST": "ERCOT"}
    )
    load = load.rename(columns={"hour_ending": "hour_ending_num"})
    m = read_market(prices, ["LZ_WEST"], write(tmp_path, load, "l.csv"))
    assert m.system_load_mw is not None
    assert m.system_load_mw.shape == (1, 48)
    with pytest.raises(SpecError, match="no system load"):
        read_market(prices, ["LZ_WEST"], write(tmp_path, load.iloc[:30], "short.csv"))


def test_hashprice_history_must_cover_every_day(tmp_path: Path) -> None:
    days = pd.date_range("2024-01-01", periods=2, freq="D").strftime("%Y-%m-%d")
    hist = pd.DataFrame(
        {"date": days, "drv_hashprice_usd_per_phs_day": [50.0, 60.0], "price_usd_cm": [4e4, 5e4]}
    )
    daily = read_hashprice_history(write(tmp_path, hist, "h.csv"))
    hp = hashprice_by_hour(HourCalendar.regular("2024-01-01", 48), daily)
    assert hp.usd_per_ph_day[0, [0, 47]].tolist() == [50.0, 60.0]
    assert hp.btc_per_ph_day[0, 47] == pytest.approx(60.0 / 5e4)
    with pytest.raises(SpecError, match="1 day"):
        hashprice_by_hour(HourCalendar.regular("2024-01-01", 72), daily)


def test_hashprice_shapes_and_values() -> None:
    cal = HourCalendar.regular("2024-01-30", 24 * 5)  # January and February
    series = pd.Series([40.0, 45.0], index=pd.PeriodIndex(["2024-01", "2024-02"], freq="M"))
    assert hashprice_by_hour(cal, series, 1e5).usd_per_ph_day.tolist() == [[40.0, 45.0]]
    with pytest.raises(SpecError, match="no value for month"):
        hashprice_by_hour(cal, series.iloc[:1], 1e5)
    with pytest.raises(SpecError, match="shape"):
        hashprice_by_hour(cal, np.ones(3), 1e5)
    with pytest.raises(SpecError, match="≥ 0"):
        hashprice_by_hour(cal, -1.0, 1e5)


# --------------------------------------------------------------------------- real files


def test_real_lz_rtm_2024_is_complete(shared_data: Path) -> None:
    out = read_hourly(shared_data / "ercot_lz_rtm_hourly_2024_2025.csv", ["LZ_WEST"], year=2024)
    assert len(out.frame) == 8783
    assert (out.frame["LZ_WEST"] < 0).sum() > 0  # negative prices kept


def test_real_hub_file_2024_gaps_refused_or_dropped(shared_data: Path) -> None:
    path = shared_data / "ercot_hub_lz_dam_rtm_hourly_2024_2026.csv"
    with pytest.raises(SpecError, match="missing hour"):
        read_hourly(path, ["LZ_WEST_rtm"], year=2024)
    with pytest.raises(SpecError, match="closest: LZ_WEST_rtm, LZ_WEST_dam"):
        read_hourly(path, ["LZ_WEST"], year=2024)
    dropped = read_hourly(path, ["LZ_WEST_rtm"], year=2024, rules=DataRulesSpec(missing="drop"))
    assert 8600 < len(dropped.frame) < 8784


def test_real_dam_2025_flags_the_repeated_hour(shared_data: Path) -> None:
    out = read_hourly(shared_data / "ercot_dam_spp_hub_lz_hourly_2025.csv", ["LZ_WEST"])
    assert len(out.frame) == 8328
    assert int(out.frame["repeated"].sum()) == 1


def test_real_load_aligns_with_rtm_prices(shared_data: Path) -> None:
    m = read_market(
        shared_data / "ercot_lz_rtm_hourly_2024_2025.csv",
        ["LZ_WEST", "LZ_NORTH"],
        shared_data / "ercot_native_load_hourly_2023_2025.csv",
        year=2024,
    )
    assert m.system_load_mw is not None
    assert m.system_load_mw.shape == (1, 8783)
    assert 70_000 < float(m.system_load_mw.max()) < 90_000
