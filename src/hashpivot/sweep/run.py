"""Running sweep points: one task per point, serially or on Dask, with a cache on disk.

* :func:`run_point` is the task: the Monte Carlo of one point's scenario (and the
  planner when asked) with the point's seed. It never raises: an error becomes a
  :class:`PointOutcome` with the message, so one bad point loses nothing else.
* :func:`run_serial` runs tasks in this process; :func:`run_dask` submits them to a
  Dask ``distributed`` cluster (a :class:`~distributed.LocalCluster` it starts and
  stops, or an existing scheduler) and collects them with ``as_completed``.
* :class:`PointCache` keeps each finished point as ``points/<key>.parquet`` in the
  sweep's folder, written atomically; a rerun reads them back and skips those points.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from hashpivot import __version__
from hashpivot.allocator import MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES
from hashpivot.errors import HashpivotError
from hashpivot.planner.spec import PlannerSpec
from hashpivot.spec import Scenario
from hashpivot.sweep.spec import DECISION_TOLERANCE_MW

WORKER_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "1",
    "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD_BYTES),
    "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD_BYTES),
}
"""Environment of LocalCluster worker processes, set before they start: one worker per
core, so one thread each for numba and BLAS; one malloc arena, so the task thread reuses
the memory it frees like the main thread does (see :mod:`hashpivot.allocator`), instead
of Dask's default ``MALLOC_TRIM_THRESHOLD_=65536`` that hands every freed array back."""
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ": WORKER_ENV,
}
"""Dask settings of the LocalCluster: no statistical profiler (it samples the task's stack
every 10 ms under the GIL, for a dashboard the command does not start); the workers'
environment set before they spawn (glibc reads its ``MALLOC_*`` variables at start)."""
CONNECT_TIMEOUT_S = 10.0
"""How long to wait for an existing Dask scheduler to answer. [s]"""
WORKER_WAIT_S = 30.0
"""How long to wait for a first worker to join an existing scheduler. [s]"""


class SweepError(HashpivotError):
    """A sweep that cannot run: no scheduler, no workers, workers without hashpivot."""


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to compute one point."""

    index: int
    key: str
    scenario: Scenario
    paths: int
    seed: int
    frontier_shares: tuple[float, ...] = ()
    planner: PlannerSpec | None = None


@dataclass(frozen=True)
class PointOutcome:
    """A point's metrics (every numeric leaf of its summary), or the error it raised."""

    index: int
    key: str
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    reused: bool = False

    @property
    def ok(self) -> bool:
        """True when the point computed."""
        return self.error is None


OutcomeFn = Callable[[PointOutcome], None]


# --------------------------------------------------------------------------- the task


def simulate_point(task: PointTask) -> dict[str, float]:
    """Monte Carlo metrics of one point, plus the planner's when a planner spec is given."""
    from hashpivot.simulation import Simulation
    from hashpivot.sweep.design import summary_metrics

    sim = Simulation(task.scenario, frontier_shares=task.frontier_shares)
    metrics = summary_metrics(sim.run(paths=task.paths, seed=task.seed).summary())
    if task.planner is not None:
        metrics.update(planner_metrics(task.scenario, task.planner, task.seed))
    return metrics


def planner_metrics(scenario: Scenario, spec: PlannerSpec, seed: int) -> dict[str, float]:
    """The planner's first-period decision and plan value at one point (its seed)."""
    from hashpivot.planner import Planner, cvar_loss_usd

    result = Planner(scenario, spec.model_copy(update={"seed": seed})).run()
    sched = result.schedule()
    first = float(sched.loc[sched["period"] == 0, "convert_mw"].sum())
    last = float(sched.loc[sched["period"] == sched["period"].max(), "converted_mw"].sum())
    npv = result.solution.npv_usd
    return {
        "planner.first_period_convert_mw": first,
        "planner.first_period_convert": float(first > DECISION_TOLERANCE_MW),
        "planner.converted_mw": last,
        "planner.expected_npv_usd": float(np.mean(npv)),
        "planner.cvar_usd": float(cvar_loss_usd(npv, result.spec.cvar_alpha_frac)),
    }


def run_point(task: PointTask) -> PointOutcome:
    """Compute one point; an exception becomes the outcome's ``error`` (never raised)."""
    start = time.perf_counter()
    try:
        metrics = simulate_point(task)
    except Exception as exc:  # isolate the point: report it, keep the others
        where = traceback.extract_tb(exc.__traceback__)[-1:]
        at = f" (at {Path(where[0].filename).name}:{where[0].lineno})" if where else ""
        error = f"{type(exc).__name__}: {exc}{at}"
        return PointOutcome(task.index, task.key, error=error, seconds=time.perf_counter() - start)
    return PointOutcome(task.index, task.key, metrics, seconds=time.perf_counter() - start)


# --------------------------------------------------------------------------- cache


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to Parquet with DuckDB through a temporary file, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        target = str(tmp).replace("'", "''")
        con.execute(f"COPY frame TO '{target}' (FORMAT parquet)")
        tmp.replace(path)
    finally:
        con.close()
        tmp.unlink(missing_ok=True)


class PointCache:
    """Finished points of a sweep, one Parquet file each: ``<folder>/points/<key>.parquet``.

    A file holds ``metric, value`` rows (every numeric leaf of the point's summary) and
    the seconds the point took; it is written only once the point has succeeded, and
    atomically, so an interrupted sweep never leaves half a point.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.points = self.folder / "points"

    def path(self, key: str) -> Path:
        """The file of the point with this key."""
        return self.points / f"{key}.parquet"

    def save(self, outcome: PointOutcome) -> None:
        """Keep a successful outcome (failed ones are retried on the next run)."""
        if not outcome.ok:
            return
        frame = pd.DataFrame(
            {
                "metric": list(outcome.metrics),
                "value": list(outcome.metrics.values()),
                "seconds": outcome.seconds,
            }
        )
        write_parquet_atomic(frame, self.path(outcome.key))

    def load(self, keys: set[str]) -> dict[str, tuple[dict[str, float], float]]:
        """``key -> (metrics, seconds)`` of the finished points among ``keys``."""
        found = [k for k in keys if self.path(k).is_file()]
        if not found:
            return {}
        files = [str(self.path(k)) for k in sorted(found)]
        con = duckdb.connect()
        try:
            rows = con.execute(
                "SELECT parse_filename(filename, true) AS key, metric, value, seconds "
                "FROM read_parquet(?, filename = true)",
                [files],
            ).fetchall()
        finally:
            con.close()
        out: dict[str, tuple[dict[str, float], float]] = {}
        for key, metric, value, seconds in rows:
            metrics, _ = out.setdefault(key, ({}, float(seconds)))
            metrics[metric] = float("nan") if value is None else float(value)
        return out


# --------------------------------------------------------------------------- executors


def run_serial(tasks: list[PointTask], on_outcome: OutcomeFn) -> None:
    """Run tasks one after the other in this process, on one thread.

    One worker is one core, here as on a cluster (whose workers run one numba thread
    each): the compiled kernels' threads are set to 1 for the run and put back after.
    """
    from hashpivot.kernels import kernel_threads

    with kernel_threads(1):
        for task in tasks:
            on_outcome(run_point(task))


def _worker_version() -> tuple[str, str]:
    """The hashpivot version and code fingerprint a worker imports."""
    import hashpivot
    from hashpivot.sweep.design import code_fingerprint

    return hashpivot.__version__, code_fingerprint()


WORKER_PRELOAD = ("distributed", "hashpivot.simulation", "hashpivot.sweep.run")
"""Modules the fork server imports once, so that each worker starts with them loaded."""


@contextlib.contextmanager
def local_cluster_settings() -> Iterator[None]:
    """Dask settings for a LocalCluster of this process; the environment restored after.

    Workers are forked from a fork server that has imported hashpivot once (where the
    platform has one), instead of each spawning a fresh interpreter and importing it:
    worker start-up is then a fork, not seconds of imports per worker. Dask's nannies
    write the workers' environment into this process's ``os.environ`` before starting
    them; it is put back as it was when the cluster stops.
    """
    import multiprocessing

    import dask
    from distributed.utils import get_mp_context

    saved = dict(os.environ)
    config: dict[str, Any] = dict(LOCAL_CLUSTER_CONFIG)
    forkserver = "forkserver" in multiprocessing.get_all_start_methods()
    if forkserver:
        config["distributed.worker.multiprocessing-method"] = "forkserver"
    try:
        with dask.config.set(config):
            if forkserver:
                get_mp_context().set_forkserver_preload(  # type: ignore[no-untyped-call]
                    list(WORKER_PRELOAD)
                )
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A client of an existing scheduler, or of a LocalCluster started and stopped here."""
    from distributed import Client, LocalCluster  # a dependency; imported here as it is slow

    if scheduler is None:
        with (
            local_cluster_settings(),
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
                env=WORKER_ENV,
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        msg = f"cannot reach the Dask scheduler at {scheduler}: {exc}"
        raise SweepError(msg) from None
    with client:
        _check_workers(client, scheduler)
        yield client


def _check_workers(client: Any, scheduler: str) -> None:
    """The cluster has workers, and each imports the same hashpivot code as this process."""
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except TimeoutError:
        msg = (
            f"the Dask scheduler at {scheduler} has no workers; start some with "
            f"`dask worker {scheduler} --nthreads 1`"
        )
        raise SweepError(msg) from None
    try:
        versions = client.run(_worker_version)
    except Exception as exc:  # any failure means the workers cannot run points
        msg = f"a worker of {scheduler} cannot import hashpivot ({exc}); install it on every worker"
        raise SweepError(msg) from None
    from hashpivot.sweep.design import code_fingerprint

    here = (__version__, code_fingerprint())
    other = {w: v for w, v in versions.items() if tuple(v) != here}
    if other:
        msg = (
            f"workers run other hashpivot code than this one (version, code fingerprint) = "
            f"{here}: {other}; install the same hashpivot on every worker"
        )
        raise SweepError(msg)


def run_dask(
    tasks: list[PointTask], on_outcome: OutcomeFn, scheduler: str | None, workers: int
) -> None:
    """Run tasks as Dask futures; outcomes arrive in completion order.

    A task whose worker dies (or that Dask cannot run) becomes a failed outcome; the
    other tasks go on. On an interrupt the pending futures are cancelled and the
    cluster stopped; outcomes already handed to ``on_outcome`` are kept.
    """
    from distributed import as_completed

    run_id = uuid.uuid4().hex[:8]
    with dask_client(scheduler, workers) as client:
        futures = {
            client.submit(run_point, t, key=f"hashpivot-sweep-{run_id}-{t.index}", pure=False): t
            for t in tasks
        }
        try:
            for fut in as_completed(list(futures)):  # type: ignore[no-untyped-call]
                on_outcome(_outcome(fut, futures[fut]))
                fut.release()
        finally:
            client.cancel([f for f in futures if not f.done()])


def _outcome(fut: Any, task: PointTask) -> PointOutcome:
    if fut.status == "finished":
        result = fut.result()
        assert isinstance(result, PointOutcome)
        return result
    try:
        exc = fut.exception()
        error = f"{type(exc).__name__}: {exc}"
    except Exception as other:  # a cancelled future has no exception to give either
        error = f"{fut.status}: {other}"
    return PointOutcome(task.index, task.key, error=f"Dask task failed: {error}")


def jsonable_values(values: dict[str, Any]) -> str:
    """A point's parameter values as JSON text (for tables and messages)."""
    return json.dumps(values, default=str, sort_keys=False)
