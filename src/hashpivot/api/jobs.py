"""Background jobs of the web service: a thread pool, progress, time limits, cancellation.

Every computation of the service (simulate, plan, dispatch) runs as a :class:`Job` in a
:class:`JobManager`'s thread pool, so no request blocks the event loop. A request either
waits for its job (small requests, up to ``request_timeout_s``) or gets the job's id at
once and polls ``GET /jobs/{id}``.

Threads, not processes: the Monte Carlo spends its time in NumPy and numba kernels that
release the GIL (two threads run about 1.8x faster than one on two cores), results need
no pickling, and the run store is shared in-process. A job reports progress through
:meth:`JobContext.progress`, which is also its checkpoint: there the job stops when it is
cancelled or past its time limit, by raising :class:`JobStopped`. Because the store
saves a run only after the job's function returns (:func:`hashpivot.store.runstore.record`), a
stopped or failed job stores nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hashpivot.api.problems import Problem, problem_from_exception
from hashpivot.errors import HashpivotError
from hashpivot.io import jsonable

log = logging.getLogger("hashpivot.api")


class JobStatus(StrEnum):
    """Life cycle of a job: queued → running → succeeded | failed | cancelled."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


FINISHED = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled})
"""Statuses after which a job no longer changes."""


class JobStopped(HashpivotError):
    """Raised at a checkpoint of a job that was cancelled or ran past its time limit."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class QueueFullError(HashpivotError):
    """More jobs are waiting than ``max_queued_jobs`` allows (HTTP 429)."""

    status_code = 429


@dataclass
class Job:
    """One unit of background work and what is known of it (thread-safe through its lock)."""

    job_id: str
    kind: str
    total: int
    created_at: float = field(default_factory=time.time)
    status: JobStatus = JobStatus.queued
    done: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    result_json: bytes | None = None
    problem: Problem | None = None
    run_id: str | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    future: Future[None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def view(self) -> dict[str, Any]:
        """Status, progress and timing, JSON-ready (without the result)."""
        with self.lock:
            now = time.time()
            start = self.started_at
            end = self.finished_at or now
            return {
                "job_id": self.job_id,
                "kind": self.kind,
                "status": self.status.value,
                "done": self.done,
                "total": self.total,
                "progress_frac": min(self.done / self.total, 1.0) if self.total else 0.0,
                "created_at": _iso(self.created_at),
                "started_at": _iso(start),
                "finished_at": _iso(self.finished_at),
                "elapsed_s": 0.0 if start is None else round(end - start, 3),
                "run_id": self.run_id,
                "error": None if self.problem is None else self.problem.body(),
            }


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


@dataclass
class JobContext:
    """What a job's function gets: progress reporting, which is also its checkpoint."""

    job: Job
    deadline: float
    limit_s: float

    def progress(self, done: int, total: int) -> None:
        """Record ``done`` of ``total`` units; stop here if cancelled or past the time limit."""
        with self.job.lock:
            self.job.done, self.job.total = int(done), int(total)
        self.checkpoint()

    def checkpoint(self) -> None:
        """Raise :class:`JobStopped` if the job was cancelled or is past its time limit."""
        if self.job.cancel_requested.is_set():
            msg = "the job was cancelled"
            raise JobStopped(msg, 409)
        if time.monotonic() > self.deadline:
            job = self.job
            msg = (
                f"the job ran past the service's time limit of {self.limit_s:g} s after "
                f"{job.done:,} of {job.total:,} {_UNITS.get(job.kind, 'units')}; ask for less "
                "work, or raise HASHPIVOT_JOB_TIME_LIMIT_S"
            )
            raise JobStopped(msg, 504)


_UNITS = {"simulate": "paths", "plan": "steps", "dispatch": "steps"}


Work = Callable[[JobContext], dict[str, Any]]
"""A job's function: returns its JSON-ready result; may set ``run_id`` in it."""


class JobManager:
    """Runs jobs on a thread pool, keeps their status and results for a while.

    Parameters
    ----------
    workers
        Threads running jobs at once.
    max_queued
        Jobs waiting for a thread; :meth:`submit` refuses one more.
    time_limit_s
        Longest a job may run, checked at its checkpoints. [s]
    max_kept, ttl_s
        Finished jobs kept (count, and seconds after they finish).

    """

    def __init__(
        self, workers: int, max_queued: int, time_limit_s: float, max_kept: int, ttl_s: float
    ) -> None:
        self.workers = workers
        self.max_queued = max_queued
        self.time_limit_s = time_limit_s
        self.max_kept = max_kept
        self.ttl_s = ttl_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hashpivot-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._closed = False

    # ----------------------------------------------------------------------- submitting

    def submit(self, kind: str, work: Work, total: int) -> Job:
        """Queue ``work``; :class:`QueueFullError` when too many jobs already wait."""
        with self._lock:
            self._prune()
            if self._closed:
                msg = "the service is shutting down"
                raise QueueFullError(msg)
            waiting = sum(j.status is JobStatus.queued for j in self._jobs.values())
            if waiting >= self.max_queued:
                msg = (
                    f"{waiting} jobs are already waiting for {self.workers} worker(s) "
                    "(HASHPIVOT_MAX_QUEUED_JOBS); retry later"
                )
                raise QueueFullError(msg)
            job = Job(job_id=uuid.uuid4().hex, kind=kind, total=total)
            self._jobs[job.job_id] = job
            job.future = self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Work) -> None:
        with job.lock:
            if job.cancel_requested.is_set():
                job.status, job.finished_at = JobStatus.cancelled, time.time()
                return
            job.status, job.started_at = JobStatus.running, time.time()
        ctx = JobContext(job, time.monotonic() + self.time_limit_s, self.time_limit_s)
        try:
            result = work(ctx)
            payload = json.dumps(jsonable(result), allow_nan=False, default=str).encode()
        except JobStopped as exc:
            status = JobStatus.cancelled if exc.status_code == 409 else JobStatus.failed
            self._finish(job, status, problem=Problem(exc.status_code, str(exc), [str(exc)]))
        except Exception as exc:
            problem = problem_from_exception(exc)
            if problem.status_code >= 500:
                log.exception("job %s (%s) failed", job.job_id, job.kind)
            self._finish(job, JobStatus.failed, problem=problem)
        else:
            self._finish(job, JobStatus.succeeded, payload, result.get("run_id"))

    @staticmethod
    def _finish(
        job: Job,
        status: JobStatus,
        payload: bytes | None = None,
        run_id: str | None = None,
        problem: Problem | None = None,
    ) -> None:
        with job.lock:
            job.status, job.finished_at = status, time.time()
            job.result_json, job.run_id, job.problem = payload, run_id, problem
            if status is JobStatus.succeeded:
                job.done = max(job.done, job.total)

    # ----------------------------------------------------------------------- reading

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None (unknown, or forgotten after ``ttl_s``)."""
        with self._lock:
            self._prune()
            return self._jobs.get(job_id)

    def counts(self) -> dict[str, int]:
        """Jobs by status."""
        with self._lock:
            out = {s.value: 0 for s in JobStatus}
            for job in self._jobs.values():
                out[job.status.value] += 1
            return out

    async def wait(self, job: Job, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for ``job`` to finish; True if it did."""
        assert job.future is not None
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job.future)), timeout_s)
        except TimeoutError:
            return False
        return True

    def cancel(self, job_id: str) -> Job | None:
        """Ask a job to stop: at once if queued, at its next checkpoint if running."""
        job = self.get(job_id)
        if job is None:
            return None
        with job.lock:
            if job.status not in FINISHED:
                job.cancel_requested.set()
            if job.status is JobStatus.queued and job.future is not None and job.future.cancel():
                job.status, job.finished_at = JobStatus.cancelled, time.time()
        return job

    def _prune(self) -> None:
        """Forget finished jobs past ``ttl_s``, then the oldest beyond ``max_kept``."""
        now = time.time()
        done = [j for j in self._jobs.values() if j.status in FINISHED and j.finished_at]
        for job in done:
            if now - (job.finished_at or now) > self.ttl_s:
                del self._jobs[job.job_id]
        done = sorted(
            (j for j in self._jobs.values() if j.status in FINISHED),
            key=lambda j: j.finished_at or 0.0,
        )
        for job in done[: max(len(done) - self.max_kept, 0)]:
            del self._jobs[job.job_id]

    @property
    def closed(self) -> bool:
        """Whether :meth:`shutdown` was called: the manager refuses new jobs for good."""
        return self._closed

    def shutdown(self) -> None:
        """Refuse new jobs, cancel queued ones, ask running ones to stop; do not wait."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            self.cancel(job.job_id)
        self._pool.shutdown(wait=False, cancel_futures=True)
