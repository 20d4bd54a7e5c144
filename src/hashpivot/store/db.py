"""The DuckDB file behind the run store: location, locking, schema migrations, run ids.

Location (first that applies)
    1. the ``path`` argument (``--store PATH`` in the CLI);
    2. the environment variable ``HASHPIVOT_STORE``;
    3. ``runs.duckdb`` in the user's data directory (``platformdirs.user_data_dir("hashpivot")``,
       e.g. ``~/.local/share/hashpivot`` on Linux).

    A path that is an existing directory means ``runs.duckdb`` inside it. The file is created
    on the first write; beside it DuckDB keeps ``runs.duckdb.wal`` and hashpivot a lock file
    ``runs.duckdb.lock``.

Concurrency
    DuckDB lets one process at a time open a file for writing. All threads of one process
    share one open database (one DuckDB instance, one cursor per thread): reads run in
    parallel, write transactions take turns on an in-process lock. Between processes an
    exclusive lock on the ``.lock`` file (``fcntl.flock``; ``msvcrt.locking`` on Windows)
    is held while a process has the database open; another process waits for it, retrying
    with a growing back-off, up to a timeout (30 s by default), then gets a clear
    :class:`StoreError`. The database is closed, and the lock released, as soon as the last
    thread of a process is done with it, so a long-lived service does not shut others out
    for longer than its own reads and writes take. The operating system releases the lock
    of a process that dies.

Schema
    A ``schema_version`` table records each migration applied (version, time, hashpivot
    version). :data:`MIGRATIONS` is the ordered list of SQL steps; ``MIGRATIONS[i]`` takes
    a store from version ``i`` to ``i + 1``. Opening an older store applies the missing
    steps in one transaction (all or nothing); a store from a newer hashpivot is refused.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import platformdirs

from hashpivot import __version__
from hashpivot.errors import HashpivotError

STORE_ENV = "HASHPIVOT_STORE"
"""Environment variable naming the store file (below the argument, above the default)."""

STORE_FILENAME = "runs.duckdb"
"""File name of the store inside the data directory, or inside a directory given as path."""

DEFAULT_TIMEOUT_S = 30.0
"""How long to wait for another process holding the store before giving up. [s]"""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # v1: runs with their scenario and summary; per-path values in long form (read only
    # since v3, for runs saved before it).
    (
        """CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            scenario_name VARCHAR,
            scenario_yaml VARCHAR NOT NULL,
            seed BIGINT,
            code_version VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP NOT NULL,
            summary JSON NOT NULL
        )""",
        """CREATE TABLE per_path_arrays (
            run_id VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            ordinal INTEGER NOT NULL,
            dtype VARCHAR NOT NULL,
            shape BIGINT[] NOT NULL
        )""",
        """CREATE TABLE per_path (
            run_id VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            path BIGINT NOT NULL,
            col BIGINT NOT NULL,
            value DOUBLE
        )""",
    ),
    # v2: tags, the error of a failed run, the per-path layout and size; index on kind.
    (
        "ALTER TABLE runs ADD COLUMN tags VARCHAR[] DEFAULT []",
        "ALTER TABLE runs ADD COLUMN error VARCHAR",
        "ALTER TABLE runs ADD COLUMN per_path_format VARCHAR",
        "ALTER TABLE runs ADD COLUMN per_path_values BIGINT DEFAULT 0",
        """UPDATE runs SET
            per_path_format = CASE WHEN EXISTS (
                SELECT 1 FROM per_path_arrays a WHERE a.run_id = runs.run_id
            ) THEN 'arrays' END,
            per_path_values = (SELECT count(*) FROM per_path p WHERE p.run_id = runs.run_id)""",
        "CREATE INDEX runs_kind ON runs (kind)",
    ),
    # v3: each array's values as one BLOB (little-endian, in its dtype) in per_path_arrays;
    # runs saved before keep their values as rows of per_path (data NULL).
    ("ALTER TABLE per_path_arrays ADD COLUMN data BLOB",),
    # v4: a run's BLOBs in a table of its own (per_path_table: ordinal, data), named in runs.
    # In the shared per_path_arrays every checkpoint rewrote the BLOBs of all runs in the
    # table's last row group (DuckDB rewrites a row group appended to), so a save grew
    # slower with every run stored; runs saved under v3 keep theirs in per_path_arrays.data.
    ("ALTER TABLE runs ADD COLUMN per_path_table VARCHAR",),
)
"""SQL steps of each schema version; append a tuple for a new version, never edit one."""

SCHEMA_VERSION = len(MIGRATIONS)
"""Schema version this hashpivot writes."""


class StoreError(HashpivotError):
    """The run store cannot do what was asked: busy, unreadable, from a newer version."""


class UnknownRunError(StoreError, KeyError):
    """A run id that is not in the store; the message lists the closest ids."""

    def __init__(self, run_id: str, path: Path, close: list[str]) -> None:
        self.run_id = run_id
        hint = f"; closest: {', '.join(close)}" if close else ""
        self.message = (
            f"no run {run_id!r} in store {path}{hint}; `hashpivot runs list` shows the ids"
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def resolve_store_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Where the store lives: ``path``, else ``$HASHPIVOT_STORE``, else the user data dir.

    A path naming an existing directory means :data:`STORE_FILENAME` inside it.
    """
    if path is None or str(path) == "":
        env = os.environ.get(STORE_ENV, "")
        base = Path(env) if env else Path(platformdirs.user_data_dir("hashpivot")) / STORE_FILENAME
    else:
        base = Path(path)
    base = base.expanduser()
    return base / STORE_FILENAME if base.is_dir() else base


# --------------------------------------------------------------------------- run ids

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_SUFFIX_CHARS = 4
_id_lock = threading.Lock()
_id_state: list[tuple[str, int]] = [("", 0)]


def new_run_id(now: dt.datetime | None = None) -> str:
    """A short, sortable run id: UTC time to the second and 4 base-32 characters.

    ``yymmdd-HHMMSS-xxxx``, e.g. ``260509-073512-k3f9``. Within one process ids made in
    the same second count up from a random start, so ids sort in the order they were made;
    across processes a clash (1 in about 500 000 within one second) is checked on insert.
    """
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%y%m%d-%H%M%S")
    top = len(_ALPHABET) ** _SUFFIX_CHARS
    with _id_lock:
        last_stamp, last_n = _id_state[0]
        n = last_n + 1 if stamp == last_stamp else secrets.randbelow(top // 2)
        if n >= top:  # more than ~500 000 ids in one second: start again at random
            n = secrets.randbelow(top)
        _id_state[0] = (stamp, n)
    chars = "".join(_ALPHABET[(n >> (5 * i)) & 31] for i in reversed(range(_SUFFIX_CHARS)))
    return f"{stamp}-{chars}"


# --------------------------------------------------------------------------- locking


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _backoff(attempt: int) -> float:
    """Seconds to sleep before retry ``attempt``: 5 ms doubling to 200 ms, with jitter."""
    return float(min(0.2, 0.005 * 2**attempt) * random.uniform(0.5, 1.0))


def _lock_file(path: Path, deadline: float) -> int:
    """Take the inter-process lock of the store at ``path``, retrying until ``deadline``."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        msg = f"cannot use run store {path}: {exc.strerror or exc} ({lock_path})"
        raise StoreError(msg) from None
    attempt = 0
    while not _try_lock(fd):
        if time.monotonic() >= deadline:
            os.close(fd)
            msg = (
                f"run store {path} is busy: another process has held it "
                f"for longer than the timeout (lock file {lock_path}); try again later"
            )
            raise StoreError(msg)
        time.sleep(_backoff(attempt))
        attempt += 1
    return fd


def _connect(path: Path, deadline: float) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, retrying while a program other than hashpivot holds it."""
    attempt = 0
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                msg = f"cannot open run store {path}: {text}"
                raise StoreError(msg) from None
            if time.monotonic() >= deadline:
                msg = f"run store {path} is held open by another program: {text}"
                raise StoreError(msg) from None
        except duckdb.Error as exc:
            msg = f"cannot open run store {path}: {exc}"
            raise StoreError(msg) from None
        time.sleep(_backoff(attempt))
        attempt += 1


# --------------------------------------------------------------------------- migrations


def schema_version(conn: duckdb.DuckDBPyConnection) -> int:
    """Schema version of an open store; 0 for an empty database."""
    found = conn.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = 'schema_version'"
    ).fetchone()
    if not found or not found[0]:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Bring an open store to :data:`SCHEMA_VERSION` in one transaction; return the old version.

    Raises
    ------
    StoreError
        The store was written by a newer hashpivot, or a migration step failed (the store
        is then left exactly as it was).

    """
    old = schema_version(conn)
    if old > SCHEMA_VERSION:
        msg = (
            f"run store {path} has schema version {old}, newer than the {SCHEMA_VERSION} this "
            f"hashpivot {__version__} knows: upgrade hashpivot, or point --store / "
            f"${STORE_ENV} at another file"
        )
        raise StoreError(msg)
    if old == SCHEMA_VERSION:
        return old
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    conn.begin()
    try:
        if old == 0:
            conn.execute(
                "CREATE TABLE schema_version (version INTEGER NOT NULL, "
                "applied_at TIMESTAMP NOT NULL, code_version VARCHAR NOT NULL)"
            )
        for version in range(old + 1, SCHEMA_VERSION + 1):
            for step in MIGRATIONS[version - 1]:
                conn.execute(step)
            conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [version, now, __version__])
        conn.commit()
    except duckdb.Error as exc:
        with suppress(duckdb.Error):
            conn.rollback()
        msg = f"cannot migrate run store {path} from schema version {old}: {exc}"
        raise StoreError(msg) from None
    return old


# --------------------------------------------------------------------------- shared database


class Database:
    """One open DuckDB database per store file and process, shared by the process's threads.

    :meth:`cursor` opens the file (taking the inter-process lock and migrating) when no
    thread of this process has it open, and hands each caller its own cursor; the file is
    closed and the lock released when the last cursor is returned. ``write_lock`` makes
    the process's write transactions take turns.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.write_lock = threading.Lock()
        self._guard = threading.Lock()
        self._users = 0
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._lock_fd: int | None = None

    def _open(self, timeout_s: float) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + timeout_s
        self._lock_fd = _lock_file(self.path, deadline)
        conn = None
        try:
            conn = _connect(self.path, deadline)
            migrate(conn, self.path)
        except BaseException:
            if conn is not None:
                conn.close()
            _unlock(self._lock_fd)
            self._lock_fd = None
            raise
        return conn

    @contextmanager
    def cursor(self, timeout_s: float) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of the open database, for the calling thread only."""
        with self._guard:
            if self._conn is None:
                self._conn = self._open(timeout_s)
            cur = self._conn.cursor()
            self._users += 1
        try:
            yield cur
        except duckdb.Error as exc:  # a corrupt block, a full disk: the store's fault
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            msg = f"run store {self.path} cannot be read or written: {first}"
            raise StoreError(msg) from exc
        finally:
            cur.close()
            with self._guard:
                self._users -= 1
                if self._users == 0 and self._conn is not None:
                    self._conn.close()
                    self._conn = None
                    if self._lock_fd is not None:
                        _unlock(self._lock_fd)
                        self._lock_fd = None


_registry: dict[tuple[int, Path], Database] = {}
_registry_lock = threading.Lock()


def database(path: Path) -> Database:
    """The shared :class:`Database` of ``path`` in this process."""
    key = (os.getpid(), path.resolve())
    with _registry_lock:
        db = _registry.get(key)
        if db is None:
            db = _registry[key] = Database(path)
        return db
