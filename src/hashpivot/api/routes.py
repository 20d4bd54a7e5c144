"""Read endpoints: saved runs, jobs, the default scenario, health.

``GET /runs``, ``GET /runs/compare``, ``GET /runs/{id}`` give what ``hashpivot runs list |
compare | show --json`` print; ``GET /jobs/{id}`` a job's progress and result;
``DELETE /jobs/{id}`` cancels one; ``GET /scenarios/default`` the packaged scenario (JSON,
or the commented YAML with ``?format=yaml``); ``GET /healthz`` the service's state.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response

from hashpivot import __version__
from hashpivot.api.compute import packaged_scenario
from hashpivot.api.jobs import Job, JobManager, JobStatus
from hashpivot.api.models import (
    ERROR_RESPONSES,
    Health,
    JobView,
    RunComparisonModel,
    RunDetail,
    RunList,
)
from hashpivot.api.problems import Problem, ProblemError
from hashpivot.api.settings import ServiceSettings
from hashpivot.spec import Scenario, default_scenario_text
from hashpivot.store.runstore import RUN_KINDS, RunStore

router = APIRouter()

RunIdPath = Path(
    description="Run id, as GET /runs shows it.", min_length=1, max_length=64, pattern=r"^[\w.-]+$"
)


def _settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


def _store(request: Request) -> RunStore:
    return RunStore(_settings(request).store)


# --------------------------------------------------------------------------- runs


@router.get("/runs", response_model=RunList, tags=["runs"], responses=ERROR_RESPONSES)
def list_runs(
    request: Request,
    kind: Literal["run", "plan", "dispatch", "value", "sweep"] | None = Query(
        None, description=f"Only runs of this kind ({', '.join(RUN_KINDS)})."
    ),
    limit: int = Query(50, ge=1, le=1000, description="At most this many, newest first."),
) -> dict[str, Any]:
    """Saved runs, newest first: ``hashpivot runs list --json``."""
    return {"runs": [r.to_dict() for r in _store(request).list_runs(kind, limit)]}


@router.get(
    "/runs/compare", response_model=RunComparisonModel, tags=["runs"], responses=ERROR_RESPONSES
)
def compare_runs(
    request: Request,
    a: str = Query(description="First run id (a).", min_length=1, max_length=64),
    b: str = Query(description="Second run id (b).", min_length=1, max_length=64),
) -> dict[str, Any]:
    """Two runs side by side: ``hashpivot runs compare A B --json``."""
    out: dict[str, Any] = _store(request).compare(a, b).to_dict()
    return out


@router.get("/runs/{run_id}", response_model=RunDetail, tags=["runs"], responses=ERROR_RESPONSES)
def get_run(request: Request, run_id: str = RunIdPath) -> dict[str, Any]:
    """One saved run: metadata, scenario, summary, per-path arrays (``runs show --json``)."""
    out: dict[str, Any] = _store(request).get_run(run_id).to_dict()
    return out


# --------------------------------------------------------------------------- jobs


def _job(request: Request, job_id: str) -> Job:
    jobs: JobManager = request.app.state.jobs
    job = jobs.get(job_id)
    if job is None:
        msg = (
            f"unknown job {job_id!r}: finished jobs are kept for a while only; its run, "
            "if saved, is at GET /runs"
        )
        raise ProblemError(Problem(404, msg, [msg]))
    return job


def job_body(job: Job) -> bytes:
    """The job's view as JSON, with its result once it succeeded."""
    view = json.dumps(job.view()).encode()
    if job.status is JobStatus.succeeded and job.result_json is not None:
        return view[:-1] + b', "result": ' + job.result_json + b"}"
    return view


JobIdPath = Path(description="Job id, from a 202 answer.", pattern=r"^[0-9a-f]{32}$")


@router.get(
    "/jobs/{job_id}",
    response_class=Response,
    tags=["jobs"],
    responses={200: {"model": JobView}, **ERROR_RESPONSES},
)
def get_job(request: Request, job_id: str = JobIdPath) -> Response:
    """A job's status and progress; with its result once it succeeded."""
    return Response(job_body(_job(request, job_id)), media_type="application/json")


@router.delete(
    "/jobs/{job_id}",
    response_class=Response,
    tags=["jobs"],
    responses={200: {"model": JobView}, **ERROR_RESPONSES},
)
def cancel_job(request: Request, job_id: str = JobIdPath) -> Response:
    """Cancel a job: at once if it waits, at its next checkpoint if it runs."""
    _job(request, job_id)
    jobs: JobManager = request.app.state.jobs
    job = jobs.cancel(job_id)
    assert job is not None
    return Response(job_body(job), media_type="application/json")


# --------------------------------------------------------------------------- scenario, health


@router.get(
    "/scenarios/default",
    response_model=Scenario,
    tags=["scenarios"],
    responses={200: {"content": {"application/yaml": {}}}, **ERROR_RESPONSES},
)
def get_default_scenario(
    format: Literal["json", "yaml"] = Query(
        "json", description="json: the validated scenario; yaml: the commented file."
    ),
) -> Any:
    """The packaged default scenario (what ``hashpivot init`` writes)."""
    if format == "yaml":
        return PlainTextResponse(default_scenario_text(), media_type="application/yaml")
    return packaged_scenario()


@router.get("/healthz", response_model=Health, tags=["service"], responses=ERROR_RESPONSES)
def healthz(request: Request) -> dict[str, Any]:
    """The service's state: version, workers, jobs by status, limits."""
    s = _settings(request)
    jobs: JobManager = request.app.state.jobs
    return {
        "status": "ok",
        "version": __version__,
        "warm": request.app.state.warm.is_set(),
        "workers": jobs.workers,
        "jobs": jobs.counts(),
        "token_required": s.token is not None,
        "limits": {
            "max_request_bytes": s.max_request_bytes,
            "max_path_months": s.max_path_months,
            "sync_path_months": s.sync_path_months,
            "max_dispatch_hours": s.max_dispatch_hours,
            "request_timeout_s": s.request_timeout_s,
            "job_time_limit_s": s.job_time_limit_s,
            "max_queued_jobs": s.max_queued_jobs,
        },
    }
