"""The job manager: progress, cancellation, time limits, queue bound, errors, forgetting."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from hashpivot.api.jobs import JobContext, JobManager, QueueFullError
from hashpivot.errors import SpecError


def wait(manager: JobManager, job_id: str, timeout_s: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = manager.get(job_id)
        assert job is not None
        view = job.view()
        if view["status"] not in {"queued", "running"}:
            return view
        time.sleep(0.01)
    raise AssertionError("job did not finish")


@pytest.fixture
def manager() -> Iterator[JobManager]:
    m = JobManager(workers=1, max_queued=2, time_limit_s=30, max_kept=10, ttl_s=60)
    yield m
    m.shutdown()


def test_progress_is_visible_while_the_job_runs(manager: JobManager) -> None:
    step = threading.Event()
    go_on = threading.Event()

    def work(ctx: JobContext) -> dict[str, Any]:
        ctx.progress(1, 4)
        step.set()
        go_on.wait(5)
        ctx.progress(4, 4)
        return {"answer": 42, "run_id": "r1"}

    job = manager.submit("simulate", work, total=4)
    assert step.wait(5)
    view = job.view()
    assert (view["status"], view["done"], view["total"], view["progress_frac"]) == (
        "running", 1, 4, 0.25,
    )  # fmt: skip
    assert view["started_at"] is not None
    go_on.set()
    view = wait(manager, job.job_id)
    assert view["status"] == "succeeded"
    assert view["run_id"] == "r1"
    assert view["progress_frac"] == 1.0
    assert job.result_json == b'{"answer": 42, "run_id": "r1"}'


def test_cancel_a_queued_job_and_a_running_one(manager: JobManager) -> None:
    started = threading.Event()
    release = threading.Event()
    ran: list[str] = []

    def blocker(ctx: JobContext) -> dict[str, Any]:
        started.set()
        release.wait(5)
        ctx.progress(1, 2)  # the checkpoint where a cancelled job stops
        ran.append("blocker finished")
        return {}

    def queued(ctx: JobContext) -> dict[str, Any]:
        ran.append("queued ran")
        return {}

    first = manager.submit("simulate", blocker, total=2)
    assert started.wait(5)
    second = manager.submit("simulate", queued, total=1)
    assert second.view()["status"] == "queued"
    manager.cancel(second.job_id)
    assert second.view()["status"] == "cancelled"
    manager.cancel(first.job_id)
    release.set()
    view = wait(manager, first.job_id)
    assert view["status"] == "cancelled"
    assert view["error"]["detail"] == "the job was cancelled"
    time.sleep(0.05)
    assert ran == []


def test_queue_is_bounded(manager: JobManager) -> None:
    release = threading.Event()

    def work(ctx: JobContext) -> dict[str, Any]:
        release.wait(5)
        return {}

    manager.submit("simulate", work, 1)
    time.sleep(0.05)
    manager.submit("simulate", work, 1)
    manager.submit("simulate", work, 1)
    with pytest.raises(QueueFullError, match="HASHPIVOT_MAX_QUEUED_JOBS") as info:
        manager.submit("simulate", work, 1)
    assert info.value.status_code == 429
    release.set()


def test_errors_become_problems_with_statuses() -> None:
    m = JobManager(workers=2, max_queued=5, time_limit_s=0.05, max_kept=10, ttl_s=60)

    def bad_input(ctx: JobContext) -> dict[str, Any]:
        raise SpecError(["sites[0].power_capacity_mw: -5 — Input should be greater than 0"])

    def bug(ctx: JobContext) -> dict[str, Any]:
        msg = "boom"
        raise RuntimeError(msg)

    def slow(ctx: JobContext) -> dict[str, Any]:
        for i in range(100):
            time.sleep(0.01)
            ctx.progress(i + 1, 100)
        return {}

    views = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in (("bad_input", bad_input), ("bug", bug), ("slow", slow)):
            views[name] = wait(m, m.submit("simulate", fn, 100).job_id)
    m.shutdown()
    assert views["bad_input"]["error"]["problems"] == [
        "sites[0].power_capacity_mw: -5 — Input should be greater than 0"
    ]
    assert views["bad_input"]["error"]["fields"][0]["field"] == "sites[0].power_capacity_mw"
    assert views["bug"]["error"]["detail"].startswith("internal error (RuntimeError)")
    assert "boom" not in views["bug"]["error"]["detail"]
    assert views["slow"]["status"] == "failed"
    assert "time limit of 0.05 s" in views["slow"]["error"]["detail"]
    assert views["slow"]["done"] < 100


def test_finished_jobs_are_forgotten_by_count_and_age() -> None:
    m = JobManager(workers=1, max_queued=10, time_limit_s=30, max_kept=2, ttl_s=0.2)
    ids = [m.submit("dispatch", lambda ctx: {}, 1).job_id for _ in range(4)]
    for job_id in ids[-1:]:
        wait(m, job_id)
    time.sleep(0.05)
    assert m.get(ids[0]) is None
    assert m.get(ids[-1]) is not None
    time.sleep(0.3)
    assert m.get(ids[-1]) is None
    assert m.counts()["succeeded"] == 0
    m.shutdown()
    with pytest.raises(QueueFullError, match="shutting down"):
        m.submit("dispatch", lambda ctx: {}, 1)


def test_delete_job_cancels_a_queued_simulation_and_it_stores_nothing(tmp_path: Path) -> None:
    pytest.importorskip("httpx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from hashpivot.api.app import create_app
    from hashpivot.api.settings import ServiceSettings
    from hashpivot.store.runstore import RunStore

    store = tmp_path / "runs.duckdb"
    settings = ServiceSettings(store=store, warmup=False, job_workers=1)
    with TestClient(create_app(settings)) as c:
        body = {"paths": 4000, "frontier": False}
        first = c.post("/simulate", params={"async": "true"}, json=body).json()["job_id"]
        second = c.post("/simulate", params={"async": "true"}, json=body).json()["job_id"]
        view = c.delete(f"/jobs/{second}").json()
        assert view["status"] == "cancelled"
        deadline = time.monotonic() + 60
        while c.get(f"/jobs/{first}").json()["status"] in {"queued", "running"}:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first_view = c.get(f"/jobs/{first}").json()
        assert first_view["status"] == "succeeded"
        assert c.get(f"/jobs/{second}").json()["status"] == "cancelled"
    assert [r.run_id for r in RunStore(store).list_runs()] == [first_view["run_id"]]
