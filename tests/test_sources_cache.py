"""The local data cache: incremental merge, manifest, atomic writes, state file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot.errors import HashpivotError
from hashpivot.market_state import latest_market_state, packaged_market_state
from hashpivot.sources.cache import MANIFEST_FILE, DataCache

WHEN = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


def frame(days: list[str], values: list[float], column: str = "price_usd") -> pd.DataFrame:
    return pd.DataFrame({"date": days, column: values})


def test_update_merges_incrementally_and_writes_the_manifest(tmp_path: Path) -> None:
    cache = DataCache(tmp_path)
    cache.update(
        "px", frame(["2026-12-01", "2026-12-02"], [1.0, 2.0]), ["date"], "S", "http://s", WHEN
    )
    entry = cache.update(
        "px", frame(["2026-12-02", "2026-12-03"], [2.5, 3.0]), ["date"], "S", "http://s", WHEN
    )
    stored = cache.read("px")
    assert stored is not None
    assert stored["date"].tolist() == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert stored["price_usd"].tolist() == [1.0, 2.5, 3.0]  # the refetched day is replaced
    assert (entry.first, entry.last, entry.rows) == ("2026-12-01", "2026-12-03", 3)
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["datasets"]["px"]["retrieved_utc"] == "2026-12-07T03:00:00+00:00"
    assert manifest["datasets"]["px"]["source_url"] == "http://s"
    assert cache.manifest()["px"] == entry


def test_new_columns_are_added_and_old_values_kept(tmp_path: Path) -> None:
    cache = DataCache(tmp_path)
    cache.update(
        "eq", frame(["2026-12-01", "2026-12-02"], [10.0, 11.0], "MARA"), ["date"], "y", "u"
    )
    cache.update("eq", frame(["2026-12-02"], [100.0], "NVDA"), ["date"], "y", "u")
    stored = cache.read("eq")
    assert stored is not None
    assert list(stored.columns) == ["date", "MARA", "NVDA"]
    assert stored["MARA"].tolist() == [10.0, 11.0]
    assert stored["NVDA"].isna().tolist() == [True, False]


def test_a_failed_write_leaves_the_old_file_and_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DataCache(tmp_path)
    cache.update("px", frame(["2026-12-01"], [1.0]), ["date"], "S", "u", WHEN)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def boom(self: pd.DataFrame, *args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(OSError, match="disk full"):
        cache.update("px", frame(["2026-12-02"], [2.0]), ["date"], "S", "u")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temp file left


def test_empty_frame_and_damaged_manifest_are_refused(tmp_path: Path) -> None:
    cache = DataCache(tmp_path)
    with pytest.raises(HashpivotError, match="no rows to cache for px"):
        cache.update("px", frame([], []), ["date"], "S", "u")
    (tmp_path / MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(HashpivotError, match=r"manifest .* is damaged"):
        cache.manifest()


def test_written_state_is_what_latest_reads(tmp_path: Path) -> None:
    cache = DataCache(tmp_path)
    state = packaged_market_state().model_copy(update={"label": "cache: test"})
    cache.write_state(state)
    assert latest_market_state(tmp_path) == state


def test_default_root_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HASHPIVOT_DATA_DIR", str(tmp_path / "c"))
    assert DataCache().root == tmp_path / "c"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=20), st.integers(1, 19))
def test_any_split_into_two_fetches_equals_one_fetch(days: list[int], cut: int) -> None:
    import tempfile

    base = dt.date(2026, 1, 1)
    keys = [(base + dt.timedelta(days=d)).isoformat() for d in days]
    values = [float(d) for d in days]  # a day's value depends only on the day
    whole = frame(keys, values)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        one, two = DataCache(a), DataCache(b)
        one.update("px", whole, ["date"], "S", "u", WHEN)
        two.update("px", whole.iloc[:cut], ["date"], "S", "u", WHEN)
        if cut < len(whole):
            two.update("px", whole.iloc[cut:], ["date"], "S", "u", WHEN)
        left, right = one.read("px"), two.read("px")
    assert left is not None
    assert right is not None
    pd.testing.assert_frame_equal(left, right)
    assert left["date"].is_monotonic_increasing
    assert left["date"].is_unique


def test_hourly_keys_sort_as_numbers_and_stay_integers(tmp_path: Path) -> None:
    cache = DataCache(tmp_path)
    key = ["delivery_date", "hour_ending", "repeated_hour_flag"]

    def hours(values: list[int]) -> pd.DataFrame:
        n = len(values)
        return pd.DataFrame(
            {
                "delivery_date": ["2025-11-02"] * n,
                "hour_ending": values,
                "repeated_hour_flag": ["N"] * n,
                "LZ_WEST_rtm": [float(v) for v in values],
            }
        )

    cache.update("ercot", hours([1, 2, 10]), key, "g", "u")
    cache.update("ercot", hours([3, 11, 24]), key, "g", "u")
    stored = cache.read("ercot")
    assert stored is not None
    assert stored["hour_ending"].tolist() == [1, 2, 3, 10, 11, 24]  # not "1", "10", "11", "2"
    assert (tmp_path / "ercot.csv").read_text().splitlines()[1] == "2025-11-02,1,N,1.0"
