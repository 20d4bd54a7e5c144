"""The FastAPI application: :func:`create_app(settings) <create_app>`.

>>> from hashpivot.api.app import create_app
>>> from hashpivot.api.settings import ServiceSettings
>>> app = create_app(ServiceSettings(warmup=False))
>>> sorted(r.path for r in app.routes if r.path.startswith("/runs"))
['/runs', '/runs/compare', '/runs/{run_id}']

``uvicorn --factory hashpivot.api.app:app_from_env`` serves it with the settings of the
``HASHPIVOT_*`` environment variables; ``hashpivot serve`` is the usual way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware

from hashpivot import __version__
from hashpivot.api import compute, listed, pages, routes
from hashpivot.api.guard import Guard
from hashpivot.api.jobs import JobManager
from hashpivot.api.problems import (
    ProblemError,
    Validator,
    problem_from_exception,
    request_problem,
)
from hashpivot.api.settings import ServiceSettings
from hashpivot.errors import HashpivotError
from hashpivot.planner.spec import planner_spec_from_dict
from hashpivot.spec import scenario_from_dict

log = logging.getLogger("hashpivot.api")

DESCRIPTION = """\
Model, plan and value a Bitcoin miner's pivot to AI/HPC compute, over HTTP.

Request bodies use the same spec models as the scenario YAML of the command line
(`Scenario`, `PlannerSpec`, `DispatchSiteSpec`), with the same units, ranges and error
messages. Small computations answer at once; large ones answer HTTP 202 with a job to
poll at `GET /jobs/{id}`. With a token set, send `Authorization: Bearer <token>`.
"""


def _warm_up(done: threading.Event) -> None:
    """One small simulation, so compiled kernels are loaded before the first request."""
    from hashpivot.simulation import Simulation

    try:
        Simulation(compute.packaged_scenario(), frontier_shares=()).run(paths=1000, seed=0)
    except Exception:  # a failed warm-up must not stop the service
        log.exception("warm-up simulation failed")
    finally:
        done.set()


def _handlers(app: FastAPI) -> None:
    validators: dict[str, Validator] = {
        "scenario": scenario_from_dict,
        "planner": planner_spec_from_dict,
    }

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problem = request_problem(exc.errors(), exc.body, validators)
        return JSONResponse(problem.body(), status_code=problem.status_code)

    @app.exception_handler(ProblemError)
    async def problem_error(request: Request, exc: ProblemError) -> JSONResponse:
        return JSONResponse(exc.problem.body(), status_code=exc.problem.status_code)

    @app.exception_handler(HashpivotError)
    async def hashpivot_error(request: Request, exc: HashpivotError) -> JSONResponse:
        problem = problem_from_exception(exc)
        return JSONResponse(problem.body(), status_code=problem.status_code)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        body = {"detail": str(exc.detail), "problems": [str(exc.detail)], "fields": []}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def job_manager(settings: ServiceSettings) -> JobManager:
    """A fresh job pool with the workers, queue, time limit and retention of ``settings``."""
    return JobManager(
        settings.job_workers, settings.max_queued_jobs, settings.job_time_limit_s,
        settings.max_kept_jobs, settings.job_ttl_s,
    )  # fmt: skip


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The web service with ``settings`` (default: from ``HASHPIVOT_*``).

    Each lifespan ends by shutting its job pool down; a lifespan that starts after one
    ended (the same app served again, as test clients do) gets a fresh pool, so the app
    never stays stuck refusing every job as "shutting down".
    """
    settings = settings or ServiceSettings.load()
    warm = threading.Event()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.jobs.closed:
            app.state.jobs = job_manager(settings)
        if settings.warmup:
            threading.Thread(target=_warm_up, args=(warm,), daemon=True).start()
        else:
            warm.set()
        yield
        app.state.jobs.shutdown()

    app = FastAPI(
        title="hashpivot",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # Swagger UI loads its script from a CDN; /openapi.json is served
        redoc_url=None,
        separate_input_output_schemas=False,
        root_path=settings.root_path,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.jobs = job_manager(settings)
    app.state.warm = warm
    _handlers(app)
    app.include_router(compute.router)
    app.include_router(routes.router)
    app.include_router(listed.router)
    app.include_router(pages.router)
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.add_middleware(Guard, settings=settings)
    return app


def app_from_env() -> FastAPI:
    """The app with settings from ``HASHPIVOT_*`` (for ``uvicorn --factory``)."""
    return create_app(ServiceSettings.load())
