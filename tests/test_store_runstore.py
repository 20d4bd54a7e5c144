"""Run store: round trips, one transaction per run, crash safety, migrations, concurrency."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import platformdirs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import hashpivot
from hashpivot.company.model import CompanyModel
from hashpivot.errors import SpecError, UnknownNameError
from hashpivot.spec import default_scenario, scenario_to_yaml
from hashpivot.store import db as store_db
from hashpivot.store import runstore as store_mod
from hashpivot.store.runstore import (
    RunStore,
    StoreError,
    UnknownRunError,
    record,
    resolve_store_path,
)

SCENARIO_YAML = "# a comment kept verbatim\nname: tiny\nhorizon_months: 12\n"


@pytest.fixture(autouse=True)
def _private_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real data directory."""
    monkeypatch.setenv("HASHPIVOT_STORE", str(tmp_path / "env" / "runs.duckdb"))


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "store" / "runs.duckdb")


def _arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    npv = rng.normal(size=50)
    npv[3] = np.nan
    npv[4] = np.inf
    return {
        "hybrid.npv_usd": npv,
        "hybrid.ebitda_usd_by_year": rng.normal(size=(50, 5)),
        "count": np.arange(12, dtype=np.int64).reshape(3, 2, 2),
        "flag": np.array([True, False, True]),
        "small": np.float32([1.5, 2.5]),
        "scalar": np.array(7.0),
    }


def _raw(path: Path, sql: str) -> list[tuple]:
    """Query the store file directly (the store closes it when idle)."""
    con = duckdb.connect(str(path))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _data_tables(path: Path) -> list[str]:
    """Tables of per-run BLOBs in the store file."""
    sql = "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'per_path_data_%'"
    return sorted(t for (t,) in _raw(path, sql))


def _stored_values(path: Path) -> int:
    """Per-path values in the store file, whatever the layout: rows of ``per_path`` (runs
    saved before schema v3) plus each BLOB's bytes over its dtype's item size (in
    ``per_path_arrays.data`` for v3 runs, in a table of the run's own since v4)."""
    total = _raw(path, "SELECT count(*) FROM per_path")[0][0]
    blobs = _raw(path, "SELECT dtype, octet_length(data) FROM per_path_arrays")
    for table in _data_tables(path):
        owner = f"(SELECT run_id FROM runs WHERE per_path_table = '{table}')"
        join = f"per_path_arrays a ON a.ordinal = t.ordinal AND a.run_id = {owner}"
        blobs += _raw(path, f"SELECT a.dtype, octet_length(t.data) FROM {table} t JOIN {join}")
    return int(total) + sum(n // np.dtype(d).itemsize for d, n in blobs if n is not None)


# --------------------------------------------------------------------------- round trips


def test_round_trip_of_a_run_with_per_path_arrays(store: RunStore) -> None:
    started = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    finished = started + dt.timedelta(seconds=2.5)
    arrays = _arrays()
    summary = {"npv_usd": np.float64(1.5e9), "paths": np.int64(50), "bad": float("nan"),
               "nested": {"p5": [1, 2.5], "date": dt.date(2026, 1, 1)}}  # fmt: skip
    run_id = store.save_run(
        "run", SCENARIO_YAML, 42, summary=summary, per_path=arrays,
        started_at=started, finished_at=finished, tags=["base", " base", "q3"],
    )  # fmt: skip
    rec = store.get_run(run_id)
    assert (rec.kind, rec.status, rec.seed, rec.scenario_name) == ("run", "ok", 42, "tiny")
    assert rec.scenario_yaml == SCENARIO_YAML  # verbatim, comment included
    assert rec.scenario() == {"name": "tiny", "horizon_months": 12}
    assert rec.code_version == hashpivot.__version__
    assert (rec.started_at, rec.finished_at, rec.duration_s) == (started, finished, 2.5)
    assert rec.tags == ("base", "q3")
    assert rec.summary == {"npv_usd": 1.5e9, "paths": 50, "bad": None,
                           "nested": {"p5": [1, 2.5], "date": "2026-01-01"}}  # fmt: skip
    assert rec.per_path_format == "arrays"
    assert rec.per_path_values == sum(a.size for a in arrays.values())
    assert [a.name for a in rec.arrays] == list(arrays)
    got = store.get_per_path(run_id)
    assert isinstance(got, dict)
    assert list(got) == list(arrays)
    for name, arr in arrays.items():
        assert got[name].dtype == arr.dtype, name
        assert got[name].shape == arr.shape, name
        np.testing.assert_array_equal(got[name], arr)
    assert json.loads(json.dumps(rec.to_dict()))["run_id"] == run_id


def test_round_trip_of_a_frame(store: RunStore) -> None:
    frame = pd.DataFrame(
        {"npv_usd": [1.0, np.nan, 3.0], "year": [2026, 2027, 2028], "ok": [True, False, True]}
    )
    run_id = store.save_run("value", {"name": "x"}, None, summary={}, per_path=frame)
    got = store.get_per_path(run_id)
    assert isinstance(got, pd.DataFrame)
    pd.testing.assert_frame_equal(got, frame)
    assert store.get_run(run_id).per_path_format == "frame"


def test_a_scenario_model_is_stored_as_yaml_that_loads_back(store: RunStore) -> None:
    sc = default_scenario()
    run_id = store.save_run("run", sc, summary={"x": 1})
    rec = store.get_run(run_id)
    assert rec.scenario_yaml == scenario_to_yaml(sc)
    assert rec.scenario_name == sc.name
    assert rec.per_path_format is None
    assert store.get_per_path(run_id) is None


def test_each_array_is_one_row_of_little_endian_bytes_in_its_dtype(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_mod, "BLOB_TABLE_MIN_VALUES", 11)  # 11 values: a BLOB table
    arrays = {
        "small": np.float32([1.5, 2.5]),
        "count": np.arange(4, dtype=np.int64).reshape(2, 2),
        "flag": np.array([True, False, True]),
        "big_endian": np.array([1.0, -2.0], dtype=">f8"),
    }
    run_id = store.save_run("run", {"name": "x"}, summary={}, per_path=arrays)
    (table,) = _data_tables(store.path)
    assert table == "per_path_data_" + run_id.replace("-", "_")
    assert _raw(store.path, "SELECT per_path_table FROM runs") == [(table,)]
    rows = _raw(store.path, f"SELECT a.name, a.dtype, a.shape, t.data FROM per_path_arrays a "
                            f"JOIN {table} t USING (ordinal) ORDER BY ordinal")  # fmt: skip
    # reference bytes from the struct module (IEEE 754 / two's complement, '<' little-endian)
    assert rows == [
        ("small", "float32", [2], struct.pack("<2f", 1.5, 2.5)),
        ("count", "int64", [2, 2], struct.pack("<4q", 0, 1, 2, 3)),
        ("flag", "bool", [3], b"\x01\x00\x01"),
        ("big_endian", "float64", [2], struct.pack("<2d", 1.0, -2.0)),
    ]
    assert _raw(store.path, "SELECT count(*) FROM per_path") == [(0,)]
    assert store.get_run(run_id).per_path_values == 2 + 4 + 3 + 2 == _stored_values(store.path)
    got = store.get_per_path(run_id)
    assert isinstance(got, dict)
    for name, arr in arrays.items():
        np.testing.assert_array_equal(got[name], arr)
        assert got[name].dtype == arr.dtype.newbyteorder("=")
        assert got[name].flags.writeable
    assert store.check() == []


_DTYPES = st.sampled_from(["bool", "int8", "uint16", "int32", "int64", "float16", "float32",
                           "float64", ">f8", ">i4"])  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    arr=_DTYPES.flatmap(
        lambda d: hnp.arrays(np.dtype(d), hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                             elements=hnp.from_dtype(np.dtype(d), min_value=-(2**53),
                                                     max_value=2**53)  # the store's limit
                             if d == "int64" else None)
    ),
    blob_from=st.sampled_from([0, 10**9]),
)  # fmt: skip
def test_any_numeric_array_round_trips_exactly(
    tmp_path: Path, arr: np.ndarray, blob_from: int
) -> None:
    store = RunStore(tmp_path / "prop" / "runs.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store_mod, "BLOB_TABLE_MIN_VALUES", blob_from)
        run_id = store.save_run("run", {"name": "p"}, summary={}, per_path={"a": arr, "b": arr[:1]})
    assert len(_data_tables(store.path)) == (blob_from == 0)
    got = store.get_per_path(run_id)
    assert isinstance(got, dict)
    np.testing.assert_array_equal(got["a"], arr)  # NaN equals NaN here
    assert got["a"].shape == arr.shape
    assert got["a"].dtype == arr.dtype.newbyteorder("=")
    assert store.get_run(run_id).per_path_values == arr.size + arr[:1].size
    assert _stored_values(store.path) == arr.size + arr[:1].size
    store.delete(run_id)
    assert _stored_values(store.path) == 0
    assert _data_tables(store.path) == []


def test_a_blob_of_the_wrong_size_is_reported_and_not_read(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_mod, "BLOB_TABLE_MIN_VALUES", 0)
    run_id = store.save_run("run", {"name": "x"}, summary={}, per_path={"a": np.ones(3)})
    (table,) = _data_tables(store.path)
    _make_store(store.path, [f"UPDATE {table} SET data = '\\x00\\x01'::BLOB"])
    assert store.check() == [
        f"array 'a' of run {run_id!r} holds 2 bytes; its dtype float64 and shape [3] need 24",
        f"run {run_id!r} should have 3 per-path values, has 0",
    ]
    with pytest.raises(StoreError, match=r"array 'a' \(float64, shape \[3\]\) has 3 values, 0 "):
        store.get_per_path(run_id)


def test_small_runs_are_rows_large_runs_a_blob_table(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_mod, "BLOB_TABLE_MIN_VALUES", 10)
    small = store.save_run("run", {"name": "s"}, summary={}, per_path={"a": np.arange(9.0)})
    large = store.save_run("run", {"name": "l"}, summary={}, per_path={"a": np.arange(10.0)})
    assert _raw(store.path, "SELECT run_id, count(*) FROM per_path GROUP BY 1") == [(small, 9)]
    assert _data_tables(store.path) == ["per_path_data_" + large.replace("-", "_")]
    assert store.get_per_path(small)["a"].tolist() == list(range(9))  # type: ignore[index]
    assert store.get_per_path(large)["a"].tolist() == list(range(10))  # type: ignore[index]
    assert _stored_values(store.path) == 19
    assert store.check() == []


def test_check_finds_a_lost_or_orphan_blob_table(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_mod, "BLOB_TABLE_MIN_VALUES", 0)
    a = store.save_run("run", {"name": "a"}, summary={}, per_path={"x": np.ones(3)})
    b = store.save_run("run", {"name": "b"}, summary={}, per_path={"x": np.ones(2)})
    table_a, table_b = (f"per_path_data_{i.replace('-', '_')}" for i in (a, b))
    orphan = f"CREATE TABLE per_path_data_x AS SELECT * FROM {table_b}"
    _make_store(store.path, [f"DROP TABLE {table_a}", orphan])
    assert store.check() == [
        "per-path table 'per_path_data_x' belongs to no run",
        f"run {a!r} has lost its per-path table {table_a!r}",
        f"run {a!r} should have 3 per-path values, has 0",
    ]
    with pytest.raises(StoreError, match=f"cannot be read .* {table_a} does not exist"):
        store.get_per_path(a)
    store.delete(a)  # a run whose table is lost can still be deleted
    assert store.get_per_path(b)["x"].tolist() == [1.0, 1.0]  # type: ignore[index]


def test_run_ids_are_short_unique_and_sortable() -> None:
    ids = [store_db.new_run_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(re.fullmatch(r"\d{6}-\d{6}-[0-9a-hjkmnp-tv-z]{4}", i) for i in ids)
    stamp = dt.datetime(2026, 5, 9, 7, 35, 12, tzinfo=dt.UTC)
    assert store_db.new_run_id(stamp).startswith("260509-073512-")


# --------------------------------------------------------------------------- list, show


def test_list_newest_first_with_kind_and_limit(store: RunStore) -> None:
    ids = [store.save_run(k, {"name": k}, summary={}) for k in ("run", "value", "run", "plan")]
    assert [r.run_id for r in store.list_runs()] == ids[::-1]
    assert [r.run_id for r in store.list_runs(kind="run")] == [ids[2], ids[0]]
    assert [r.run_id for r in store.list_runs(limit=2)] == [ids[3], ids[2]]
    assert len(store.list_runs(limit=None)) == 4
    with pytest.raises(UnknownNameError, match="valid names: run, plan, dispatch, value, sweep"):
        store.list_runs(kind="rnu")


def test_reading_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    st = RunStore(tmp_path / "nowhere" / "runs.duckdb")
    assert st.list_runs() == []
    assert st.check() == []
    with pytest.raises(UnknownRunError, match="no run 'abc'"):
        st.get_run("abc")
    with pytest.raises(UnknownRunError):
        st.delete("abc")
    assert not (tmp_path / "nowhere").exists()


def test_unknown_id_names_the_closest(store: RunStore) -> None:
    run_id = store.save_run("run", {"name": "x"}, summary={})
    typo = run_id[:-1] + ("0" if run_id[-1] != "0" else "1")
    with pytest.raises(UnknownRunError, match=f"closest: {run_id}") as info:
        store.get_run(typo)
    assert isinstance(info.value, KeyError)
    assert "hashpivot runs list" in str(info.value)


# --------------------------------------------------------------------------- compare


def test_compare_metrics_and_scenario_diff(store: RunStore) -> None:
    sc = default_scenario()
    other = sc.model_copy(update={"horizon_months": 24})
    a = store.save_run("run", sc, summary={"npv_usd": 100.0, "name": "a", "q": [1, 2]})
    b = store.save_run("run", other, summary={"npv_usd": 150.0, "name": "b", "q": [1], "new": 3})
    cmp = store.compare(a, b)
    m = cmp.metrics.set_index("metric")
    assert m.loc["npv_usd", "diff"] == 50.0
    assert m.loc["npv_usd", "rel_diff"] == pytest.approx(0.5)
    assert m.loc["name", "a"] == "a"
    assert np.isnan(m.loc["name", "diff"])
    assert m.loc["q[1]", "b"] is None
    assert m.loc["new", "a"] is None
    assert m.loc["new", "b"] == 3
    assert cmp.scenarios_differ
    assert [(c.path, c.a, c.b, c.change) for c in cmp.scenario_changes] == [
        ("horizon_months", 60, 24, "changed")
    ]
    assert json.loads(json.dumps(cmp.to_dict()))["scenario_changes"][0]["path"] == "horizon_months"


def test_compare_fills_defaults_so_only_real_changes_show(store: RunStore) -> None:
    sc = default_scenario()
    full = scenario_to_yaml(sc)
    minimal = sc.model_dump(mode="json", exclude_defaults=True)
    a = store.save_run("run", full, summary={})
    b = store.save_run("run", minimal, summary={})
    assert not store.compare(a, b).scenarios_differ


def test_compare_of_free_form_specs_lists_added_and_removed(store: RunStore) -> None:
    a = store.save_run("sweep", {"grid": [1, 2], "x": 1}, summary={})
    b = store.save_run("sweep", {"grid": [1], "y": 2}, summary={})
    changes = {(c.path, c.change) for c in store.compare(a, b).scenario_changes}
    assert changes == {("grid[1]", "removed"), ("x", "removed"), ("y", "added")}


# --------------------------------------------------------------------------- export, delete


def test_export_parquet_csv_json(store: RunStore, tmp_path: Path) -> None:
    arrays = {"npv_usd": np.array([1.0, np.nan]), "by_year": np.arange(6.0).reshape(2, 3)}
    run_id = store.save_run("run", SCENARIO_YAML, 3, summary={"m": 1.0}, per_path=arrays)
    out = tmp_path / "out"
    out.mkdir()
    pq = store.export(run_id, "parquet", out)
    assert pq == out / f"{run_id}.parquet"
    rows = duckdb.sql(f"SELECT name, path, col, value FROM '{pq}'").fetchall()
    assert rows[:3] == [("npv_usd", 0, 0, 1.0), ("npv_usd", 1, 0, None), ("by_year", 0, 0, 0.0)]
    assert rows[-1] == ("by_year", 1, 2, 5.0)
    meta = duckdb.sql(
        f"SELECT value FROM parquet_kv_metadata('{pq}') WHERE key = 'hashpivot.run'"
    ).fetchall()
    run_meta = json.loads(meta[0][0])
    assert (run_meta["run_id"], run_meta["scenario_yaml"]) == (run_id, SCENARIO_YAML)
    csv = store.export(run_id, "csv", out / "x.csv")
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["name", "path", "col", "value"]
    assert len(frame) == 8
    js = json.loads(store.export(run_id, "json", out / "x.json").read_text())
    assert js["summary"] == {"m": 1.0}
    assert js["per_path"][0] == {"name": "npv_usd", "dtype": "float64", "shape": [2],
                                 "values": [1.0, None]}  # fmt: skip
    assert js["per_path"][1]["values"] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert sorted(p.name for p in out.iterdir()) == [f"{run_id}.parquet", "x.csv", "x.json"]


def test_export_writes_atomically(
    store: RunStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = store.save_run("run", {"name": "x"}, summary={}, per_path={"a": np.ones(3)})
    target = tmp_path / "out.parquet"
    target.write_text("previous")

    def broken(frame: pd.DataFrame, path: Path, meta: str) -> None:
        path.write_bytes(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(store_mod, "_write_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        store.export(run_id, "parquet", target)
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_export_without_per_path_data_needs_json(store: RunStore, tmp_path: Path) -> None:
    run_id = store.save_run("value", {"name": "x"}, summary={"ev_usd": 1.0})
    with pytest.raises(StoreError, match="no per-path data; export its summary with --format json"):
        store.export(run_id, "csv", tmp_path)
    with pytest.raises(UnknownNameError, match="valid names: parquet, csv, json, xlsx"):
        store.export(run_id, "xls", tmp_path)
    assert store.export(run_id, "json", tmp_path).exists()
    # a workbook needs no per-path data: the run, its inputs and its summary
    assert store.export(run_id, "xlsx", tmp_path).suffix == ".xlsx"


def test_delete_removes_the_run_and_its_rows(store: RunStore) -> None:
    keep = store.save_run("run", {"name": "keep"}, summary={}, per_path={"a": np.ones(4)})
    gone = store.save_run("run", {"name": "gone"}, summary={}, per_path={"a": np.ones(5)})
    info = store.delete(gone)
    assert info.run_id == gone
    assert [r.run_id for r in store.list_runs()] == [keep]
    assert store.check() == []
    assert _stored_values(store.path) == 4
    with pytest.raises(UnknownRunError):
        store.delete(gone)


# --------------------------------------------------------------------------- one transaction


@pytest.mark.parametrize(("blob_from", "tables"), [(0, 2), (10**9, 0)])
def test_failure_inside_the_write_leaves_no_row_and_no_file(
    store: RunStore, monkeypatch: pytest.MonkeyPatch, blob_from: int, tables: int
) -> None:
    monkeypatch.setattr(store_mod, "BLOB_TABLE_MIN_VALUES", blob_from)
    first = store.save_run("run", {"name": "first"}, summary={}, per_path={"a": np.ones(3)})
    real = store_mod._insert_arrays
    calls = []

    def fail_after_writing(*args: object) -> None:
        real(*args)  # type: ignore[arg-type]
        calls.append(_raw_in_transaction(args[0]))
        raise RuntimeError("boom inside the transaction")

    monkeypatch.setattr(store_mod, "_insert_arrays", fail_after_writing)
    with pytest.raises(RuntimeError, match="boom"):
        store.save_run("run", {"name": "half"}, summary={}, per_path=_arrays())
    assert calls == [(2, 7, tables)]  # two runs, 1 + 6 arrays (and their tables) were in
    assert _data_tables(store.path) == ["per_path_data_" + first.replace("-", "_")][:tables]
    assert [r.run_id for r in store.list_runs()] == [first]
    assert store.check() == []
    assert _raw(store.path, "SELECT count(*) FROM per_path_arrays") == [(1,)]
    assert _stored_values(store.path) == 3
    files = sorted(p.name for p in store.path.parent.iterdir())
    assert set(files) <= {"runs.duckdb", "runs.duckdb.wal", "runs.duckdb.lock"}


def _raw_in_transaction(cur: object) -> tuple[int, ...]:
    """Runs, arrays and BLOB tables as the open transaction sees them."""
    assert isinstance(cur, duckdb.DuckDBPyConnection)
    row = cur.execute(
        "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM per_path_arrays), "
        "(SELECT count(*) FROM information_schema.tables "
        "WHERE table_name LIKE 'per_path_data_%')"
    ).fetchone()
    assert row is not None
    return tuple(row)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kind": "runn"}, UnknownNameError, "unknown run kind 'runn'; closest: run"),
        ({"status": "done"}, UnknownNameError, "valid names: ok, failed"),
        ({"status": "failed", "per_path": {"a": [1.0]}}, StoreError, "failed run has no"),
        ({"per_path": {"a": np.array(["x"])}}, StoreError, r"per_path\['a'\]: dtype <U1"),
        ({"per_path": {"": [1.0]}}, StoreError, "non-empty strings"),
        ({"per_path": {"a": np.array([2**60])}}, StoreError, "2\\*\\*53"),
        ({"per_path": pd.DataFrame({"a": [1.0]}, index=[5])}, StoreError, "reset_index"),
        ({"per_path": pd.DataFrame({"s": ["x"]})}, StoreError, r"per_path\['s'\]"),
        ({"summary": {"f": pd.DataFrame()}}, StoreError, "summary.f: a DataFrame"),
        ({"scenario": "- a list"}, SpecError, "must be a mapping"),
        ({"scenario": "a: [unclosed"}, SpecError, "YAML does not parse"),
        ({"seed": 2**64}, StoreError, "64 bits"),
        ({"tags": ["", "x"]}, StoreError, "tags"),
        (
            {"started_at": dt.datetime(2026, 1, 2), "finished_at": dt.datetime(2026, 1, 1)},
            StoreError,
            "before started_at",
        ),
    ],
)
def test_bad_input_is_refused_before_the_store_is_touched(
    store: RunStore, kwargs: dict, error: type[Exception], match: str
) -> None:
    args = {"kind": "run", "scenario": {"name": "x"}, "summary": {}} | kwargs
    with pytest.raises(error, match=match):
        store.save_run(args.pop("kind"), args.pop("scenario"), **args)
    assert not store.path.exists()


def test_a_failed_run_can_be_recorded_explicitly(store: RunStore) -> None:
    run_id = store.save_run(
        "run", {"name": "x"}, summary={}, status="failed", error="LP infeasible"
    )
    rec = store.get_run(run_id)
    assert (rec.status, rec.error, rec.per_path_values) == ("failed", "LP infeasible", 0)


# --------------------------------------------------------------------------- record


def test_record_times_and_saves_a_real_run(store: RunStore) -> None:
    sc = default_scenario()
    result, run_id = record("run", sc, None, lambda: CompanyModel(sc).run(), store=store)
    assert run_id is not None
    rec = store.get_run(run_id)
    assert rec.summary["ebitda_usd"] == pytest.approx(result.summary()["ebitda_usd"])
    assert rec.duration_s > 0
    assert rec.scenario_name == sc.name


def test_record_with_summary_and_per_path_hooks(store: RunStore) -> None:
    result, run_id = record(
        "sweep", {"name": "s"}, 7, lambda: np.arange(4.0), store=store,
        summary=lambda r: {"mean": r.mean()}, per_path=lambda r: {"x": r}, tags=["t"],
    )  # fmt: skip
    assert run_id is not None
    assert store.get_run(run_id).summary == {"mean": 1.5}
    np.testing.assert_array_equal(store.get_per_path(run_id)["x"], result)  # type: ignore[index]


def test_record_stores_nothing_when_the_run_fails(store: RunStore) -> None:
    def boom() -> None:
        raise ValueError("diverged")

    with pytest.raises(ValueError, match="diverged"):
        record("run", {"name": "x"}, 1, boom, store=store)
    assert store.list_runs() == []
    assert not store.path.exists()


def test_record_without_a_store_only_runs(store: RunStore) -> None:
    assert record("run", {"name": "x"}, None, lambda: 3, store=None) == (3, None)
    with pytest.raises(UnknownNameError):
        record("simulate", {"name": "x"}, None, lambda: 3, store=None)
    with pytest.raises(StoreError, match="summary="):
        record("run", {"name": "x"}, None, lambda: 3, store=store)


# --------------------------------------------------------------------------- killed writers

_KILL_AFTER_THE_ARRAYS = """
import sys, time
from pathlib import Path
import numpy as np
from hashpivot.store import runstore as s

s.BLOB_TABLE_MIN_VALUES = 0  # every run gets a BLOB table
st = s.RunStore(sys.argv[1])
st.save_run("run", {"name": "complete"}, summary={}, per_path={"a": np.ones(10)})
real = s._insert_arrays

def stall(*args):
    real(*args)
    Path(sys.argv[2]).write_text("mid-write")
    time.sleep(60)

s._insert_arrays = stall
st.save_run("run", {"name": "killed"}, summary={}, per_path={"a": np.ones(1000), "b": np.ones(5)})
"""

_WRITE_FOREVER = """
import sys
import numpy as np
from hashpivot.store.runstore import RunStore

st = RunStore(sys.argv[1])
rng = np.random.default_rng(0)
print("writing", flush=True)
for i in range(10_000):
    st.save_run("run", {"name": f"r{i}"}, i, summary={"i": i},
                per_path={"a": rng.normal(size=(2000, 12)), "b": rng.normal(size=2000)})
"""


def _spawn(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the writer never reached the middle of its write"
        time.sleep(0.02)


def test_writer_killed_mid_transaction_leaves_no_partial_run(
    store: RunStore, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    proc = _spawn(_KILL_AFTER_THE_ARRAYS, str(store.path), str(marker))
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    runs = store.list_runs()
    assert [r.scenario_name for r in runs] == ["complete"]
    assert store.check() == []
    assert _raw(store.path, "SELECT DISTINCT run_id FROM per_path_arrays") == [(runs[0].run_id,)]
    assert _stored_values(store.path) == 10
    assert len(_data_tables(store.path)) == 1
    store.save_run("run", {"name": "after"}, summary={})  # the store still takes writes
    assert len(store.list_runs()) == 2


def test_writer_killed_at_any_moment_leaves_a_consistent_store(
    store: RunStore, tmp_path: Path
) -> None:
    proc = _spawn(_WRITE_FOREVER, str(store.path))
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    time.sleep(0.6 + np.random.default_rng().uniform(0.0, 0.4))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert store.check() == []
    for info in store.list_runs(limit=None):
        assert info.per_path_values == 2000 * 12 + 2000


# --------------------------------------------------------------------------- schema versions

V1_SCHEMA = [  # the v1 layout exactly as released: never edit
    "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL, "
    "code_version VARCHAR NOT NULL)",
    "CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, "
    "status VARCHAR NOT NULL, scenario_name VARCHAR, scenario_yaml VARCHAR NOT NULL, "
    "seed BIGINT, code_version VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL, "
    "finished_at TIMESTAMP NOT NULL, summary JSON NOT NULL)",
    "CREATE TABLE per_path_arrays (run_id VARCHAR NOT NULL, name VARCHAR NOT NULL, ordinal "
    "INTEGER NOT NULL, dtype VARCHAR NOT NULL, shape BIGINT[] NOT NULL)",
    "CREATE TABLE per_path (run_id VARCHAR NOT NULL, name VARCHAR NOT NULL, path BIGINT NOT NULL,"
    " col BIGINT NOT NULL, value DOUBLE)",
    "INSERT INTO schema_version VALUES (1, '2026-01-01 00:00:00', '0.0.1')",
    "INSERT INTO runs VALUES ('260101-000000-0000', 'run', 'ok', 'old', 'name: old\n', 3, "
    "'0.0.1', '2026-01-01 00:00:00', '2026-01-01 00:00:09', '{\"npv_usd\": 5.0}')",
    "INSERT INTO runs VALUES ('260101-000001-0000', 'value', 'ok', 'bare', 'name: bare\n', NULL, "
    "'0.0.1', '2026-01-01 00:00:01', '2026-01-01 00:00:02', '{}')",
    "INSERT INTO per_path_arrays VALUES ('260101-000000-0000', 'npv_usd', 0, 'float64', [3])",
    "INSERT INTO per_path VALUES ('260101-000000-0000', 'npv_usd', 0, 0, 1.0), "
    "('260101-000000-0000', 'npv_usd', 1, 0, 2.0), ('260101-000000-0000', 'npv_usd', 2, 0, 3.0)",
]


def _make_store(path: Path, statements: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    for sql in statements:
        con.execute(sql)
    con.close()


def test_a_v1_store_is_migrated_on_open(store: RunStore) -> None:
    _make_store(store.path, V1_SCHEMA)
    runs = {r.run_id: r for r in store.list_runs()}
    old = runs["260101-000000-0000"]
    assert (old.tags, old.per_path_format, old.per_path_values) == ((), "arrays", 3)
    assert old.error is None
    assert runs["260101-000001-0000"].per_path_format is None
    assert store.get_run(old.run_id).summary == {"npv_usd": 5.0}
    np.testing.assert_array_equal(store.get_per_path(old.run_id)["npv_usd"], [1.0, 2.0, 3.0])  # type: ignore[index]
    assert store.check() == []
    new = store.save_run("run", {"name": "new"}, summary={}, tags=["t"])
    assert store.get_run(new).tags == ("t",)
    versions = _raw(store.path, "SELECT version, code_version FROM schema_version ORDER BY 1")
    now = hashpivot.__version__
    assert versions == [(1, "0.0.1"), (2, now), (3, now), (4, now)]
    assert store_db.SCHEMA_VERSION == 4


V2_SCHEMA = [  # a v2 store as released (per-path values as rows of per_path): never edit
    *V1_SCHEMA[:4],
    "ALTER TABLE runs ADD COLUMN tags VARCHAR[] DEFAULT []",
    "ALTER TABLE runs ADD COLUMN error VARCHAR",
    "ALTER TABLE runs ADD COLUMN per_path_format VARCHAR",
    "ALTER TABLE runs ADD COLUMN per_path_values BIGINT DEFAULT 0",
    "CREATE INDEX runs_kind ON runs (kind)",
    "INSERT INTO schema_version VALUES (1, '2026-01-01 00:00:00', '0.1.0'), "
    "(2, '2026-01-01 00:00:00', '0.1.0')",
    "INSERT INTO runs (run_id, kind, status, scenario_name, scenario_yaml, seed, code_version, "
    "started_at, finished_at, summary, tags, per_path_format, per_path_values) VALUES "
    "('260102-000000-0000', 'run', 'ok', 'old', 'name: old\n', 3, '0.1.0', "
    "'2026-01-02 00:00:00', '2026-01-02 00:00:09', '{\"npv_usd\": 5.0}', ['t'], 'arrays', 9), "
    "('260102-000001-0000', 'value', 'ok', 'frame', 'name: frame\n', NULL, '0.1.0', "
    "'2026-01-02 00:00:01', '2026-01-02 00:00:02', '{}', [], 'frame', 4)",
    "INSERT INTO per_path_arrays VALUES ('260102-000000-0000', 'npv_usd', 0, 'float64', [3]), "
    "('260102-000000-0000', 'by_year', 1, 'float64', [2, 2]), "
    "('260102-000000-0000', 'count', 2, 'int64', [2]), "
    "('260102-000001-0000', 'x', 0, 'float64', [2]), "
    "('260102-000001-0000', 'n', 1, 'int32', [2])",
    # rows inserted out of order, as DuckDB may hand them back in any order; NULL is NaN
    "INSERT INTO per_path VALUES ('260102-000000-0000', 'by_year', 1, 1, 14.0), "
    "('260102-000000-0000', 'npv_usd', 2, 0, 3.0), ('260102-000000-0000', 'npv_usd', 0, 0, 1.0), "
    "('260102-000000-0000', 'npv_usd', 1, 0, NULL), ('260102-000000-0000', 'by_year', 0, 0, 11.0), "
    "('260102-000000-0000', 'by_year', 0, 1, 12.0), ('260102-000000-0000', 'by_year', 1, 0, 13.0), "
    "('260102-000000-0000', 'count', 1, 0, 8.0), ('260102-000000-0000', 'count', 0, 0, 7.0), "
    "('260102-000001-0000', 'x', 0, 0, 0.5), ('260102-000001-0000', 'x', 1, 0, 1.5), "
    "('260102-000001-0000', 'n', 0, 0, 1.0), ('260102-000001-0000', 'n', 1, 0, 2.0)",
]


def test_runs_saved_as_rows_in_a_v2_store_read_back_after_migration(
    store: RunStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_mod, "BLOB_TABLE_MIN_VALUES", 0)
    _make_store(store.path, V2_SCHEMA)
    old, frame_id = "260102-000000-0000", "260102-000001-0000"
    got = store.get_per_path(old)
    assert isinstance(got, dict)
    np.testing.assert_array_equal(got["npv_usd"], [1.0, np.nan, 3.0])
    np.testing.assert_array_equal(got["by_year"], [[11.0, 12.0], [13.0, 14.0]])
    np.testing.assert_array_equal(got["count"], np.array([7, 8], dtype=np.int64))
    assert got["count"].dtype == np.int64
    frame = store.get_per_path(frame_id)
    pd.testing.assert_frame_equal(
        frame, pd.DataFrame({"x": [0.5, 1.5], "n": np.array([1, 2], dtype=np.int32)})
    )
    assert store.check() == []
    assert _raw(store.path, "SELECT max(version) FROM schema_version") == [(4,)]
    # a new run beside the old ones is stored as BLOBs and reads back too
    new = store.save_run("run", {"name": "new"}, 3, summary={"npv_usd": 6.0},
                         per_path={"npv_usd": np.array([4.0, 5.0])})  # fmt: skip
    assert _raw(store.path, f"SELECT count(*) FROM per_path WHERE run_id = '{new}'") == [(0,)]
    assert store.check() == []
    row = store.compare(old, new).metrics.set_index("metric").loc["npv_usd"]
    assert (row["a"], row["b"], row["diff"]) == (5.0, 6.0, 1.0)
    # exports of an old run: the long form, rows in path, column order
    csv = pd.read_csv(store.export(old, "csv", tmp_path))
    assert csv["name"].tolist() == ["npv_usd"] * 3 + ["by_year"] * 4 + ["count"] * 2
    assert csv["path"].tolist() == [0, 1, 2, 0, 0, 1, 1, 0, 1]
    assert csv["col"].tolist() == [0, 0, 0, 0, 1, 0, 1, 0, 0]
    np.testing.assert_array_equal(csv["value"], [1.0, np.nan, 3.0, 11, 12, 13, 14, 7, 8])
    parquet = store.export(old, "parquet", tmp_path)
    values = duckdb.sql(f"SELECT value FROM read_parquet('{parquet}')").fetchnumpy()["value"]
    np.testing.assert_array_equal(np.ma.filled(values, np.nan), csv["value"])
    js = json.loads(store.export(old, "json", tmp_path).read_text())
    assert js["per_path"][0]["values"] == [1.0, None, 3.0]
    assert store.export(old, "xlsx", tmp_path).suffix == ".xlsx"
    # deleting an old run removes its rows
    store.delete(old)
    assert _raw(store.path, "SELECT DISTINCT run_id FROM per_path") == [(frame_id,)]
    assert _stored_values(store.path) == 4 + 2
    assert store.check() == []


V3_SCHEMA = [  # a v3 store (BLOBs in per_path_arrays.data) beside its v2 runs: never edit
    *V2_SCHEMA,
    "ALTER TABLE per_path_arrays ADD COLUMN data BLOB",
    "INSERT INTO schema_version VALUES (3, '2026-01-03 00:00:00', '0.1.1')",
    "INSERT INTO runs (run_id, kind, status, scenario_name, scenario_yaml, seed, code_version, "
    "started_at, finished_at, summary, per_path_format, per_path_values) VALUES "
    "('260103-000000-0000', 'run', 'ok', 'v3', 'name: v3\n', 1, '0.1.1', "
    "'2026-01-03 00:00:00', '2026-01-03 00:00:01', '{}', 'arrays', 4)",
    # 1.0 and -2.0 as little-endian IEEE 754 doubles; 7 and 8 as little-endian int32
    "INSERT INTO per_path_arrays VALUES "
    "('260103-000000-0000', 'npv_usd', 0, 'float64', [2], "
    "from_hex('000000000000f03f00000000000000c0')), "
    "('260103-000000-0000', 'n', 1, 'int32', [2], from_hex('0700000008000000'))",
]


def test_runs_saved_as_blobs_in_a_v3_store_read_back_after_migration(store: RunStore) -> None:
    _make_store(store.path, V3_SCHEMA)
    got = store.get_per_path("260103-000000-0000")
    assert isinstance(got, dict)
    assert got["npv_usd"].tolist() == [1.0, -2.0]
    assert got["n"].tolist() == [7, 8]
    assert got["n"].dtype == np.int32
    np.testing.assert_array_equal(store.get_per_path("260102-000000-0000")["count"], [7, 8])  # type: ignore[index]
    assert store.check() == []
    assert _stored_values(store.path) == 9 + 4 + 4
    store.delete("260103-000000-0000")
    assert _stored_values(store.path) == 9 + 4
    assert store.check() == []


def test_a_store_from_a_newer_version_is_refused(store: RunStore) -> None:
    store.save_run("run", {"name": "x"}, summary={})
    _make_store(store.path, ["INSERT INTO schema_version VALUES (99, now()::TIMESTAMP, '9.9')"])
    with pytest.raises(StoreError, match="schema version 99, newer than the 4 this hashpivot"):
        store.list_runs()
    with pytest.raises(StoreError, match="upgrade hashpivot"):
        store.save_run("run", {"name": "x"}, summary={})


def test_a_failing_migration_leaves_the_store_as_it_was(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _make_store(store.path, V1_SCHEMA)
    broken = (*store_db.MIGRATIONS, ("ALTER TABLE runs ADD COLUMN z INTEGER", "SELECT * FROM nope"))
    monkeypatch.setattr(store_db, "MIGRATIONS", broken)
    monkeypatch.setattr(store_db, "SCHEMA_VERSION", len(broken))
    with pytest.raises(StoreError, match=r"cannot migrate run store .* from schema version 1"):
        store.list_runs()
    assert _raw(store.path, "SELECT max(version) FROM schema_version") == [(1,)]
    columns = _raw(store.path, "SELECT column_name FROM information_schema.columns "
                               "WHERE table_name = 'runs'")  # fmt: skip
    assert ("tags",) not in columns


def test_a_file_that_is_not_a_store_gives_a_clear_error(store: RunStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"not a database" * 1000)
    with pytest.raises(StoreError, match="cannot open run store"):
        store.list_runs()


# --------------------------------------------------------------------------- location


def test_location_precedence_argument_env_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_path = tmp_path / "env" / "runs.duckdb"
    assert resolve_store_path() == env_path  # set by the autouse fixture
    assert RunStore().path == env_path
    assert resolve_store_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"
    assert resolve_store_path(tmp_path) == tmp_path / "runs.duckdb"  # a directory
    monkeypatch.delenv("HASHPIVOT_STORE")
    default = Path(platformdirs.user_data_dir("hashpivot")) / "runs.duckdb"
    assert resolve_store_path() == default
    assert RunStore(tmp_path / "arg.duckdb").path == tmp_path / "arg.duckdb"


def test_the_env_var_decides_where_runs_go(tmp_path: Path) -> None:
    run_id = RunStore().save_run("run", {"name": "x"}, summary={})
    assert (tmp_path / "env" / "runs.duckdb").exists()
    assert RunStore(tmp_path / "env" / "runs.duckdb").get_run(run_id).run_id == run_id


# --------------------------------------------------------------------------- concurrency


def test_concurrent_writers_from_threads_all_land(store: RunStore) -> None:
    errors: list[BaseException] = []
    ids: list[str] = []
    lock = threading.Lock()

    def writer(t: int) -> None:
        st = RunStore(store.path)  # each thread its own handle on the same file
        try:
            for i in range(5):
                values = np.full(100, t * 10 + i, dtype=np.int64)
                summary = {"t": t, "i": i}
                run_id = st.save_run("run", {"name": f"t{t}"}, i, summary=summary,
                                     per_path={"a": values})  # fmt: skip
                st.list_runs(limit=3)
                with lock:
                    ids.append(run_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(set(ids)) == 40
    assert sorted(r.run_id for r in store.list_runs(limit=None)) == sorted(ids)
    assert store.check() == []
    for run_id in ids[:5]:
        rec = store.get_run(run_id)
        t, i = rec.summary["t"], rec.summary["i"]
        assert (store.get_per_path(run_id)["a"] == t * 10 + i).all()  # type: ignore[index]


_PROCESS_WRITER = """
import sys
import numpy as np
from hashpivot.store.runstore import RunStore

st = RunStore(sys.argv[1])
for i in range(4):
    st.save_run("run", {"name": sys.argv[2]}, i, summary={}, per_path={"a": np.ones(1000)})
"""


def test_concurrent_writer_processes_all_land(store: RunStore) -> None:
    procs = [_spawn(_PROCESS_WRITER, str(store.path), f"p{p}") for p in range(3)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    runs = store.list_runs(limit=None)
    assert len(runs) == 12
    assert {r.scenario_name for r in runs} == {"p0", "p1", "p2"}
    assert store.check() == []


@pytest.mark.skipif(os.name == "nt", reason="uses fcntl to hold the lock")
def test_a_store_held_too_long_by_another_process_times_out(store: RunStore) -> None:
    store.path.parent.mkdir(parents=True)
    holder = _spawn(
        "import fcntl, sys, time\n"
        "fh = open(sys.argv[1], 'w')\n"
        "fcntl.flock(fh, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(30)\n",
        str(store.path.with_name("runs.duckdb.lock")),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        slow = RunStore(store.path, timeout_s=0.3)
        with pytest.raises(StoreError, match="is busy: another process has held it"):
            slow.save_run("run", {"name": "x"}, summary={})
    finally:
        holder.kill()
        holder.wait()
    assert RunStore(store.path).save_run("run", {"name": "x"}, summary={})
