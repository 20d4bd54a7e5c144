"""Run store: saved runs of ``run``, ``plan``, ``dispatch``, ``value`` and ``sweep`` in DuckDB.

A saved run holds its kind, status, the full scenario (the YAML text as given), the seed,
the hashpivot version, start and end time (UTC), tags, the summary (JSON) and, optionally,
per-path results::

    store = RunStore()  # path argument > $HASHPIVOT_STORE > runs.duckdb in the user data dir
    run_id = store.save_run("run", scenario, seed=7, summary=result.summary(),
                            per_path={"npv_usd": npv_usd})
    store.list_runs(kind="run")
    store.compare(run_id, other_id).metrics
    store.export(run_id, "parquet", Path("out/"))

or, around a command, :func:`record`, which times the job and saves it only if it succeeds.

Where per-path results go
    Each per-path array's name, order, dtype and shape is a row of ``per_path_arrays``.
    Its values go, for a run of at least :data:`BLOB_TABLE_MIN_VALUES` values (a 10 000-path
    Monte Carlo run has about 1.1 M), to a table of the run's own, ``per_path_data_<run
    id>`` (``ordinal, data``: one BLOB per array, little-endian bytes in its dtype, C
    order), named in the run's ``per_path_table``; for a smaller run, to long-form rows of
    ``per_path`` (run id, array name, path, column, value; NULL stands for NaN). A table
    per large run, because DuckDB rewrites a row group appended to at every checkpoint:
    with the BLOBs of all runs in one table each save rewrote those of the runs before it
    and grew slower as the store filled; rows for small runs, because each table costs at
    least a block of file and some catalog work on every later save.
    Not Parquet files beside the database: the whole run -- metadata,
    scenario, summary and every per-path value -- is written in **one DuckDB transaction**
    (DuckDB's DDL is transactional too): it is committed together or not at all, a process
    killed mid-write leaves nothing (DuckDB's write-ahead log holds only committed
    transactions), and no orphan file or dangling row can appear between a commit and a
    rename. Runs saved before schema version 3 hold their values as rows of ``per_path``,
    those saved under version 3 as BLOBs in ``per_path_arrays.data``; both are still read.
    Parquet stays the exchange format: :meth:`RunStore.export` writes it (atomically).

    Integers must stay within ±2**53, so that the long-form exports (a float64 ``value``
    column) hold them exactly.

Failures
    :func:`record` stores **nothing** when the job raises: the store holds complete,
    successful runs only, and the error goes to the caller. :meth:`RunStore.save_run`
    can still write ``status="failed"`` with an ``error`` message and no per-path data,
    for a caller (a job queue) that wants failures on record.

Location, locking between threads and processes, schema versions and migrations are in
:mod:`hashpivot.store.db`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import __version__
from hashpivot.io import write_atomic_with
from hashpivot.store.db import (
    DEFAULT_TIMEOUT_S,
    STORE_ENV,
    StoreError,
    UnknownRunError,
    database,
    new_run_id,
    resolve_store_path,
)
from hashpivot.store.records import (
    ArrayInfo,
    PerPath,
    RunComparison,
    RunInfo,
    RunRecord,
    ScenarioChange,
    ScenarioLike,
    check_seed,
    choose,
    clean_tags,
    compare_records,
    naive_utc,
    per_path_arrays,
    plain,
    scenario_text,
    utc,
)

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "EXPORT_FORMATS",
    "RUN_KINDS",
    "RUN_STATUSES",
    "STORE_ENV",
    "ArrayInfo",
    "PerPath",
    "RunComparison",
    "RunInfo",
    "RunRecord",
    "RunStore",
    "ScenarioChange",
    "ScenarioLike",
    "StoreError",
    "UnknownRunError",
    "record",
    "resolve_store_path",
]

RUN_KINDS = ("run", "plan", "dispatch", "value", "sweep")
"""Kinds of saved run, one per command that can save."""

RUN_STATUSES = ("ok", "failed")
"""Statuses of a saved run."""

EXPORT_FORMATS = ("parquet", "csv", "json", "xlsx")
"""Formats of :meth:`RunStore.export`."""

T = TypeVar("T")

_INFO_COLUMNS = (
    "run_id, kind, status, scenario_name, seed, code_version, started_at, finished_at, "
    "tags, per_path_format, per_path_values, error"
)


# --------------------------------------------------------------------------- SQL helpers


def _info_fields(row: tuple[Any, ...]) -> dict[str, Any]:
    """The :class:`RunInfo` fields of a row selected as ``_INFO_COLUMNS``."""
    (run_id, kind, status, name, seed, version, started, finished, tags, fmt, n, error) = row
    return {
        "run_id": run_id,
        "kind": kind,
        "status": status,
        "scenario_name": name,
        "seed": seed,
        "code_version": version,
        "started_at": started.replace(tzinfo=dt.UTC),
        "finished_at": finished.replace(tzinfo=dt.UTC),
        "tags": tuple(tags or ()),
        "per_path_format": fmt,
        "per_path_values": int(n or 0),
        "error": error,
    }


def _array_bytes(info: ArrayInfo, flat: npt.NDArray[np.float64]) -> bytes:
    """The values of one array as little-endian bytes in its own dtype, C order.

    ``flat`` holds the array's values as float64 (:func:`~hashpivot.store.records.check_array`),
    converted from ``info.dtype``, so converting back is exact (integers are within ±2**53).
    """
    return flat.astype(np.dtype(info.dtype).newbyteorder("<")).tobytes()


_DATA_TABLE_PREFIX = "per_path_data_"

BLOB_TABLE_MIN_VALUES = 1 << 17
"""Per-path values (1 MiB as float64) from which a run's arrays go to a BLOB table of its own.

Smaller runs are stored as long-form rows of ``per_path``. Assumption, set from timings on
2 cores (2026-12-07): a table takes at least one DuckDB block (256 KiB by default,
https://duckdb.org/docs/stable/internals/storage) and, as tables accumulate, the catalog
makes every save slower (600 tables: 35 -> 65 ms per save), while rows cost about 0.35 s
per million values to write and never slow later saves.
"""


def _data_table(run_id: str) -> str:
    """Name of the table holding a run's BLOBs (run ids are ``[0-9a-z-]``)."""
    return _DATA_TABLE_PREFIX + run_id.replace("-", "_")


def _insert_arrays(
    cur: duckdb.DuckDBPyConnection,
    run_id: str,
    arrays: list[tuple[ArrayInfo, npt.NDArray[np.float64]]],
    table: str | None,
) -> None:
    """Insert a run's arrays in the open transaction: a BLOB table, or rows if ``table`` is None.

    Name, dtype and shape go to ``per_path_arrays``; the values either to ``table``, one
    BLOB per array (``ordinal, data``), or as long-form rows to ``per_path``. Each by one
    ``INSERT ... SELECT`` / ``CREATE TABLE ... AS`` from a registered frame (DuckDB's bulk
    path), not a statement per array or per value.
    """
    if not arrays:
        return
    meta = pd.DataFrame(
        {
            "name": [info.name for info, _ in arrays],
            "ordinal": np.arange(len(arrays), dtype=np.int32),
            "dtype": [info.dtype for info, _ in arrays],
            "shape": [list(info.shape) for info, _ in arrays],
        }
    )
    if table is not None:
        meta["data"] = [_array_bytes(info, flat) for info, flat in arrays]
    values = None if table is not None else _long_form(arrays)
    cur.register("hp_arrays", meta)
    try:
        cur.execute(
            "INSERT INTO per_path_arrays (run_id, name, ordinal, dtype, shape) "
            "SELECT ?, name, ordinal, dtype, shape::BIGINT[] FROM hp_arrays",
            [run_id],
        )
        if table is not None:
            cur.execute(
                f'CREATE TABLE "{table}" AS SELECT ordinal, data::BLOB AS data FROM hp_arrays'
            )
        else:
            cur.register("hp_values", values)
            cur.execute(
                "INSERT INTO per_path SELECT ?, name::VARCHAR, path, col, value FROM hp_values",
                [run_id],
            )
            cur.unregister("hp_values")
    finally:
        cur.unregister("hp_arrays")


def _read_rows(cur: duckdb.DuckDBPyConnection, run_id: str) -> npt.NDArray[np.float64]:
    """Values of a run's arrays saved as rows of ``per_path`` (before schema v3), in order.

    The arrays follow one another by ordinal, each in C order (path, then column); NULL
    stands for NaN.
    """
    values = cur.execute(
        "SELECT p.value FROM per_path p JOIN per_path_arrays a "
        "ON p.run_id = a.run_id AND p.name = a.name "
        "WHERE p.run_id = ? ORDER BY a.ordinal, p.path, p.col",
        [run_id],
    ).fetchnumpy()["value"]
    return np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan)


def _blobs(cur: duckdb.DuckDBPyConnection, run_id: str) -> dict[int, bytes | None]:
    """A run's BLOBs by ordinal: from its own table (v4), else ``per_path_arrays.data`` (v3)."""
    row = cur.execute("SELECT per_path_table FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if row is not None and row[0] is not None:
        sql = f'SELECT ordinal, data FROM "{row[0]}"'
        return {int(k): v for k, v in cur.execute(sql).fetchall()}
    sql = "SELECT ordinal, data FROM per_path_arrays WHERE run_id = ?"
    return {int(k): v for k, v in cur.execute(sql, [run_id]).fetchall()}


def _read_arrays(
    cur: duckdb.DuckDBPyConnection, run_id: str
) -> list[tuple[ArrayInfo, npt.NDArray[Any]]]:
    """A run's arrays in saved order, from their BLOBs, or from ``per_path`` rows (before v3)."""
    metas = cur.execute(
        "SELECT name, dtype, shape, ordinal FROM per_path_arrays WHERE run_id = ? ORDER BY ordinal",
        [run_id],
    ).fetchall()
    blobs = _blobs(cur, run_id)
    rows = _read_rows(cur, run_id) if any(blobs.get(m[3]) is None for m in metas) else None
    out = []
    offset = 0
    for name, dtype, shape, ordinal in metas:
        info = ArrayInfo(name, dtype, tuple(int(n) for n in shape))
        size = int(np.prod(info.shape, dtype=np.int64))
        stored_dtype = np.dtype(dtype).newbyteorder("<")
        data = blobs.get(ordinal)
        if data is None and rows is not None:
            flat = rows[offset : offset + size]
            offset += size
        elif data is not None and len(data) % stored_dtype.itemsize == 0:
            flat = np.frombuffer(data, dtype=stored_dtype)
        else:
            flat = np.zeros(0)
        if flat.size != size:
            msg = (
                f"run {run_id!r}: array {name!r} ({dtype}, shape {list(info.shape)}) has "
                f"{size} values, {flat.size} of them found in the store; "
                "RunStore.check() lists every such run"
            )
            raise StoreError(msg)
        out.append((info, flat.reshape(info.shape).astype(np.dtype(dtype))))
    return out


def _value_counts(
    cur: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Per run: (values it should have, values stored); and problems with BLOBs and tables.

    Values stored are the rows of ``per_path`` (runs saved before schema v3) plus, for each
    BLOB, its length over the item size of its dtype. A problem is a BLOB whose length does
    not match its dtype and shape, a run whose BLOB table is missing, or a BLOB table of
    no run.
    """
    counts = {
        run_id: (int(expected or 0), int(rows))
        for run_id, expected, rows in cur.execute(
            "SELECT r.run_id, r.per_path_values, count(p.run_id) FROM runs r "
            "LEFT JOIN per_path p ON p.run_id = r.run_id GROUP BY ALL"
        ).fetchall()
    }
    tables = {
        t
        for (t,) in cur.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND starts_with(table_name, ?)",
            [_DATA_TABLE_PREFIX],
        ).fetchall()
    }
    owners = dict(
        cur.execute(
            "SELECT per_path_table, run_id FROM runs WHERE per_path_table IS NOT NULL"
        ).fetchall()
    )
    problems = [f"per-path table {t!r} belongs to no run" for t in sorted(tables - set(owners))]
    problems += [
        f"run {owners[t]!r} has lost its per-path table {t!r}" for t in sorted(set(owners) - tables)
    ]
    blobs = cur.execute(
        "SELECT run_id, name, dtype, shape, octet_length(data) FROM per_path_arrays "
        "WHERE data IS NOT NULL"
    ).fetchall()
    for table in sorted(set(owners) & tables):
        blobs += cur.execute(
            f'SELECT a.run_id, a.name, a.dtype, a.shape, octet_length(t.data) FROM "{table}" t '
            "JOIN per_path_arrays a ON a.ordinal = t.ordinal AND a.run_id = ?",
            [owners[table]],
        ).fetchall()
    for run_id, name, dtype, shape, nbytes in blobs:
        itemsize = np.dtype(dtype).itemsize
        needed = int(np.prod(shape, dtype=np.int64)) * itemsize
        if nbytes != needed:
            problems.append(
                f"array {name!r} of run {run_id!r} holds {nbytes} bytes; "
                f"its dtype {dtype} and shape {list(shape)} need {needed}"
            )
        if run_id in counts:
            expected, stored = counts[run_id]
            counts[run_id] = (expected, stored + nbytes // itemsize)
    return counts, problems


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------- the store


class RunStore:
    """Saved runs in one DuckDB file, safe for threads and processes.

    Parameters
    ----------
    path
        The store file; default ``$HASHPIVOT_STORE``, else ``runs.duckdb`` in the user data
        directory (:func:`~hashpivot.store.db.resolve_store_path`). An existing directory
        means ``runs.duckdb`` inside it. Nothing is created until the first write.
    timeout_s
        How long to wait for another process that holds the store. [s]

    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self.path = resolve_store_path(path)
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    @contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A cursor, or None when the store file does not exist yet (reads create nothing)."""
        if not self.path.exists():
            yield None
            return
        with database(self.path).cursor(self.timeout_s) as cur:
            yield cur

    @contextmanager
    def _write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside one transaction: committed on exit, rolled back on any error."""
        db = database(self.path)
        with db.cursor(self.timeout_s) as cur, db.write_lock:
            cur.begin()
            try:
                yield cur
                cur.commit()
            except BaseException:
                with suppress(duckdb.Error):
                    cur.rollback()
                raise

    def _unknown(self, cur: duckdb.DuckDBPyConnection | None, run_id: str) -> UnknownRunError:
        ids = (
            [] if cur is None else [r[0] for r in cur.execute("SELECT run_id FROM runs").fetchall()]
        )
        return UnknownRunError(run_id, self.path, difflib.get_close_matches(run_id, ids, n=3))

    def _record(self, cur: duckdb.DuckDBPyConnection | None, run_id: str) -> RunRecord:
        row = None
        if cur is not None:
            row = cur.execute(
                f"SELECT {_INFO_COLUMNS}, scenario_yaml, summary FROM runs WHERE run_id = ?",
                [str(run_id)],
            ).fetchone()
        if row is None:
            raise self._unknown(cur, str(run_id))
        assert cur is not None
        arrays = cur.execute(
            "SELECT name, dtype, shape FROM per_path_arrays WHERE run_id = ? ORDER BY ordinal",
            [run_id],
        ).fetchall()
        return RunRecord(
            **_info_fields(row[:12]),
            scenario_yaml=row[12],
            summary=json.loads(row[13]),
            arrays=tuple(ArrayInfo(n, d, tuple(int(x) for x in s)) for n, d, s in arrays),
        )

    # ----------------------------------------------------------------------- writing

    def save_run(
        self,
        kind: str,
        scenario: ScenarioLike,
        seed: int | None = None,
        *,
        summary: Mapping[str, Any],
        per_path: PerPath | None = None,
        started_at: dt.datetime | None = None,
        finished_at: dt.datetime | None = None,
        status: str = "ok",
        code_version: str | None = None,
        tags: Iterable[str] = (),
        error: str | None = None,
    ) -> str:
        """Save one run in one transaction and return its id.

        Parameters
        ----------
        kind
            One of :data:`RUN_KINDS`.
        scenario
            The full scenario: YAML text (kept verbatim, comments included), a mapping
            or a spec model (dumped to YAML).
        seed
            The seed of a stochastic run; None for a deterministic one.
        summary
            Summary metrics, JSON-ready (numpy scalars are converted, NaN becomes null).
        per_path
            Named arrays whose first axis is the path (any shape, numeric or boolean), or a
            frame of numeric columns with a default index; None for none.
        started_at, finished_at
            UTC times (naive ones are taken as UTC); default now.
        status
            ``ok``, or ``failed`` (then with ``error`` and no per-path data).
        code_version
            Version of the code that made the run; default ``hashpivot.__version__``.
        tags
            Free labels, for finding runs again.
        error
            What went wrong, for a failed run.

        Everything is checked before the store is touched; then the run row, the array
        list and every per-path value are written in one DuckDB transaction. Any error
        (or a kill) before the commit leaves no trace of the run.

        """
        row = self._run_row(
            kind,
            scenario,
            seed,
            summary,
            (started_at, finished_at),
            status,
            code_version,
            tags,
            error,
        )
        fmt, arrays = per_path_arrays(per_path)
        if status == "failed" and fmt is not None:
            msg = "per_path: a failed run has no per-path data"
            raise StoreError(msg)
        row["per_path_format"] = fmt
        row["per_path_values"] = sum(int(flat.size) for _, flat in arrays)
        with self._write() as cur:
            run_id = new_run_id()
            while cur.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone():
                run_id = new_run_id()
            big = row["per_path_values"] >= BLOB_TABLE_MIN_VALUES
            row["per_path_table"] = _data_table(run_id) if arrays and big else None
            cols = ", ".join(["run_id", *row])
            marks = ", ".join("?" * (len(row) + 1))
            cur.execute(f"INSERT INTO runs ({cols}) VALUES ({marks})", [run_id, *row.values()])
            _insert_arrays(cur, run_id, arrays, row["per_path_table"])
        return run_id

    @staticmethod
    def _run_row(
        kind: str,
        scenario: ScenarioLike,
        seed: int | None,
        summary: Mapping[str, Any],
        times: tuple[dt.datetime | None, dt.datetime | None],
        status: str,
        code_version: str | None,
        tags: Iterable[str],
        error: str | None,
    ) -> dict[str, Any]:
        """Check the run's fields and return the ``runs`` row (without id) to insert."""
        text, data = scenario_text(scenario)
        started = utc(times[0], "started_at")
        finished = started if times == (None, None) else utc(times[1], "finished_at")
        if finished < started:
            msg = f"finished_at {finished.isoformat()} is before started_at {started.isoformat()}"
            raise StoreError(msg)
        if not isinstance(summary, Mapping):
            msg = f"summary: expected a mapping, got {type(summary).__name__}"
            raise StoreError(msg)
        name = data.get("name")
        return {
            "kind": choose("run kind", kind, RUN_KINDS),
            "status": choose("run status", status, RUN_STATUSES),
            "scenario_name": name if isinstance(name, str) else None,
            "scenario_yaml": text,
            "seed": check_seed(seed),
            "code_version": code_version or __version__,
            "started_at": naive_utc(started),
            "finished_at": naive_utc(finished),
            "summary": json.dumps(plain(summary, "summary"), allow_nan=False),
            "tags": clean_tags(tags),
            "error": error,
        }

    def delete(self, run_id: str) -> RunInfo:
        """Delete a run and its per-path data in one transaction; return what was deleted."""
        if not self.path.exists():
            raise UnknownRunError(str(run_id), self.path, [])
        with self._write() as cur:
            info = self._record(cur, run_id).info()
            (table,) = cur.execute(
                "SELECT per_path_table FROM runs WHERE run_id = ?", [run_id]
            ).fetchone() or (None,)
            if table is not None:
                cur.execute(f'DROP TABLE IF EXISTS "{table}"')
            for table in ("per_path", "per_path_arrays", "runs"):
                cur.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
        return info

    # ----------------------------------------------------------------------- reading

    def list_runs(self, kind: str | None = None, limit: int | None = 50) -> list[RunInfo]:
        """Saved runs, newest first; ``kind`` filters, ``limit`` caps (None: all)."""
        if kind is not None:
            choose("run kind", kind, RUN_KINDS)
        if limit is not None and limit < 0:
            msg = f"limit: must be >= 0, got {limit}"
            raise StoreError(msg)
        sql = f"SELECT {_INFO_COLUMNS} FROM runs"
        params: list[Any] = []
        if kind is not None:
            sql += " WHERE kind = ?"
            params.append(kind)
        sql += " ORDER BY run_id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._read() as cur:
            rows = [] if cur is None else cur.execute(sql, params).fetchall()
        return [RunInfo(**_info_fields(row)) for row in rows]

    def get_run(self, run_id: str) -> RunRecord:
        """A run's metadata, scenario and summary; :class:`UnknownRunError` if absent."""
        with self._read() as cur:
            return self._record(cur, run_id)

    def get_per_path(self, run_id: str) -> dict[str, npt.NDArray[Any]] | pd.DataFrame | None:
        """A run's per-path results in the form they were saved (arrays, frame, or None)."""
        with self._read() as cur:
            rec = self._record(cur, run_id)
            assert cur is not None
            arrays = _read_arrays(cur, run_id) if rec.per_path_format else []
        if rec.per_path_format is None:
            return None
        if rec.per_path_format == "frame":
            return pd.DataFrame({info.name: arr for info, arr in arrays})
        return {info.name: arr for info, arr in arrays}

    def compare(self, id_a: str, id_b: str) -> RunComparison:
        """Summary metrics of two runs side by side, and where their scenarios differ."""
        with self._read() as cur:
            a, b = self._record(cur, id_a), self._record(cur, id_b)
        return compare_records(a, b)

    def check(self) -> list[str]:
        """Consistency problems of the store (orphan, missing, mis-sized per-path data), or []."""
        with self._read() as cur:
            if cur is None:
                return []
            orphans = cur.execute(
                "SELECT DISTINCT run_id FROM (SELECT run_id FROM per_path UNION ALL "
                "SELECT run_id FROM per_path_arrays) WHERE run_id NOT IN (SELECT run_id FROM runs)"
            ).fetchall()
            counts, bad_arrays = _value_counts(cur)
        problems = [f"per-path rows of {r[0]!r} belong to no run" for r in orphans]
        problems += bad_arrays
        problems += [
            f"run {run_id!r} should have {expected} per-path values, has {stored}"
            for run_id, (expected, stored) in counts.items()
            if stored != expected
        ]
        return problems

    # ----------------------------------------------------------------------- export

    def export(
        self,
        run_id: str,
        format: str = "parquet",
        dest: str | os.PathLike[str] | None = None,
    ) -> Path:
        """Write a run to a file, atomically (temporary file, then rename); return its path.

        Parameters
        ----------
        run_id
            The run.
        format
            ``json``: everything (metadata, scenario, summary, per-path arrays as nested
            lists, NaN as null). ``parquet``: the per-path table, with the run record
            (metadata, scenario YAML, summary) as JSON in the file's key-value metadata
            under ``hashpivot.run``. ``csv``: the per-path table only. The per-path table is
            the saved frame, or for named arrays the long form ``name, path, col, value``.
            ``parquet`` and ``csv`` refuse a run without per-path data. ``xlsx``: an Excel
            workbook (:func:`hashpivot.report.xlsx.stored_run_sheets`): the run, its
            scenario's inputs, its summary and its tables, the per-path arrays one row
            per path.
        dest
            A file, or an existing directory (then ``<run_id>.<format>`` in it); default
            ``<run_id>.<format>`` in the working directory.

        """
        choose("export format", format, EXPORT_FORMATS)
        with self._read() as cur:
            rec = self._record(cur, run_id)
            assert cur is not None
            arrays = _read_arrays(cur, run_id) if rec.per_path_format else []
        target = Path(dest).expanduser() if dest is not None else Path.cwd()
        if target.is_dir():
            target = target / f"{rec.run_id}.{format}"
        if format == "json":
            payload = {
                **rec.to_dict(),
                "per_path": [
                    {**info.to_dict(), "values": plain(arr.tolist(), info.name)}
                    for info, arr in arrays
                ],
            }
            text = json.dumps(payload, allow_nan=False)

            def write_json(tmp: Path) -> None:
                tmp.write_text(text, encoding="utf-8")

            write_atomic_with(target, write_json)
            return target
        if format == "xlsx":
            from hashpivot.report.xlsx import stored_run_sheets, write_workbook

            frame = _export_frame(rec, arrays) if rec.per_path_format else None
            return write_workbook(target, stored_run_sheets(rec, frame))
        if rec.per_path_format is None:
            msg = f"run {rec.run_id} has no per-path data; export its summary with --format json"
            raise StoreError(msg)
        frame = _export_frame(rec, arrays)
        if format == "csv":
            write_atomic_with(target, lambda tmp: frame.to_csv(tmp, index=False))
        else:
            meta = json.dumps(rec.to_dict(), allow_nan=False)
            write_atomic_with(target, lambda tmp: _write_parquet(frame, tmp, meta))
        return target


def _export_frame(rec: RunRecord, arrays: list[tuple[ArrayInfo, npt.NDArray[Any]]]) -> pd.DataFrame:
    """The per-path table of an export: the saved frame, or named arrays in long form."""
    if rec.per_path_format == "frame":
        return pd.DataFrame({info.name: arr for info, arr in arrays})
    return _long_form(arrays)


def _long_form(arrays: list[tuple[ArrayInfo, npt.NDArray[Any]]]) -> pd.DataFrame:
    """Arrays as rows ``name, path, col, value`` (columns: the trailing axes in C order)."""
    sizes = np.array([arr.size for _, arr in arrays], dtype=np.int64)
    cols = np.array([np.prod(info.shape[1:], dtype=np.int64) for info, _ in arrays])
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    index = np.arange(int(sizes.sum()), dtype=np.int64) - starts
    per_row_cols = np.repeat(cols, sizes)
    names = pd.Index([info.name for info, _ in arrays])
    codes = np.repeat(np.arange(len(arrays)), sizes)
    values = [arr.reshape(-1).astype(np.float64) for _, arr in arrays]
    return pd.DataFrame(
        {
            "name": pd.Categorical.from_codes(codes, categories=names),
            "path": index // per_row_cols,
            "col": index % per_row_cols,
            "value": np.concatenate(values) if values else np.zeros(0),
        }
    )


def _write_parquet(frame: pd.DataFrame, path: Path, meta: str) -> None:
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        con.execute(
            f"COPY frame TO {_sql_text(str(path))} (FORMAT parquet, "
            f"KV_METADATA {{'hashpivot.run': {_sql_text(meta)}}})"
        )
    finally:
        con.close()


# --------------------------------------------------------------------------- record


def _default_summary(result: object) -> Mapping[str, Any]:
    """``result.summary()``, else ``result.to_dict()``, else ``result`` if a mapping."""
    for attr in ("summary", "to_dict"):
        method = getattr(result, attr, None)
        if callable(method):
            out = method()
            if isinstance(out, Mapping):
                return out
    if isinstance(result, Mapping):
        return result
    msg = f"cannot take a summary of a {type(result).__name__}: pass summary=..."
    raise StoreError(msg)


def record(
    kind: str,
    scenario: ScenarioLike,
    seed: int | None,
    fn: Callable[[], T],
    *,
    store: RunStore | None,
    summary: Callable[[T], Mapping[str, Any]] | None = None,
    per_path: Callable[[T], PerPath | None] | None = None,
    tags: Iterable[str] = (),
) -> tuple[T, str | None]:
    """Run ``fn()``, time it, and save it in ``store`` if it succeeds; return (result, run id).

    Parameters
    ----------
    kind
        One of :data:`RUN_KINDS` (checked before ``fn`` runs).
    scenario, seed, tags
        Saved with the run (see :meth:`RunStore.save_run`).
    fn
        The job, with no arguments, e.g. ``lambda: CompanyModel(sc).run()``.
    store
        Where to save; None runs ``fn`` without saving (``--no-save``), run id None.
    summary
        Summary of the result; default ``result.summary()``, else ``result.to_dict()``.
    per_path
        Per-path results of the result; default none.

    When ``fn`` raises, nothing is stored and the exception propagates: the store keeps
    complete, successful runs only.

    """
    choose("run kind", kind, RUN_KINDS)
    started = dt.datetime.now(dt.UTC)
    result = fn()
    finished = dt.datetime.now(dt.UTC)
    if store is None:
        return result, None
    run_id = store.save_run(
        kind,
        scenario,
        seed,
        summary=summary(result) if summary else _default_summary(result),
        per_path=per_path(result) if per_path else None,
        started_at=started,
        finished_at=finished,
        tags=tags,
    )
    return result, run_id
