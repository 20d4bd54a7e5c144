"""``POST /simulate``, ``POST /plan``, ``POST /dispatch``: parse, check limits, run as a job.

Each endpoint checks the request against the service's limits, then hands a job to the
:class:`~hashpivot.api.jobs.JobManager`. Small requests wait for it and answer 200 with
the result; large ones (above ``sync_path_months``), ``?async=true`` and any still
running after ``request_timeout_s`` answer 202 with the job to poll. The job saves the
run through :func:`hashpivot.store.runstore.record`, which stores nothing when the job fails.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from hashpivot import bitcoin
from hashpivot.api.jobs import Job, JobContext, JobManager, JobStatus, Work
from hashpivot.api.models import (
    ERROR_RESPONSES,
    MAX_HASHPRICE_USD_PER_PH_DAY,
    MIN_BTC_PRICE_USD,
    DispatchRequest,
    JobAccepted,
    PlanRequest,
    RunResponse,
    SimulateRequest,
)
from hashpivot.api.problems import SOURCE, Problem, ProblemError, line_problem, spec_problem
from hashpivot.api.settings import ServiceSettings
from hashpivot.errors import SpecError
from hashpivot.planner.spec import PlannerSpec
from hashpivot.spec import Scenario, default_scenario
from hashpivot.store.runstore import RunStore, record

router = APIRouter(tags=["compute"])

BLOCK_PATHS = 1000
"""Paths are simulated in whole blocks of this many (:data:`hashpivot.simulation.BLOCK_PATHS`)."""

TAGS = ("api",)
"""Tags of the runs the service saves."""

LAST_MONTH = dt.date(dt.MAXYEAR, 12, 1)
"""Start of the last month a projection may reach: dates end in the year 9999."""


@functools.cache
def packaged_scenario() -> Scenario:
    """The packaged default scenario (parsed once; specs are frozen)."""
    return default_scenario()


# --------------------------------------------------------------------------- checks


def _file_problem(where: str, value: Path, data_dir: Path | None) -> str | None:
    """Why a file named in a request may not be read, or None if it may."""
    if data_dir is None:
        return (
            f"{where}: {str(value)!r} — the web service reads no file named in a request; "
            "start it with --data-dir to allow files inside one folder"
        )
    root = data_dir.resolve()
    target = (root / value).resolve()
    if value.is_absolute() or not target.is_relative_to(root):
        return f"{where}: {str(value)!r} — must be a path inside the service's data folder"
    if not target.is_file():
        return f"{where}: {str(value)!r} — no such file in the service's data folder"
    return None


def _walk_files(value: Any, where: str, data_dir: Path | None, problems: list[str]) -> Any:
    if isinstance(value, Path):
        problem = _file_problem(where, value, data_dir)
        if problem is not None:
            problems.append(problem)
            return value
        assert data_dir is not None
        return data_dir.resolve() / value
    if isinstance(value, dict):
        return {
            k: _walk_files(v, f"{where}.{k}" if where else str(k), data_dir, problems)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_walk_files(v, f"{where}[{i}]", data_dir, problems) for i, v in enumerate(value)]
    return value


def confine_files(scenario: Scenario, data_dir: Path | None) -> Scenario:
    """The scenario with file paths resolved inside ``data_dir``; refused if any escape it.

    A scenario may name files (a bootstrap history, CSV price paths). The service reads
    none unless started with a data folder, and then only files inside it, named by paths
    relative to it: a request never makes the server read an arbitrary file.
    """
    data = scenario.model_dump()
    problems: list[str] = []
    if not _has_path(data):
        return scenario
    fixed = _walk_files(data, "", data_dir, problems)
    if problems:
        raise ProblemError(spec_problem(SpecError(problems, SOURCE), "scenario"))
    return Scenario.model_validate(fixed)


def _has_path(value: Any) -> bool:
    if isinstance(value, Path):
        return True
    if isinstance(value, dict):
        return any(_has_path(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_path(v) for v in value)
    return False


def prepared_scenario(scenario: Scenario | None, settings: ServiceSettings) -> Scenario:
    """The request's scenario, or the packaged default, with its files confined."""
    return confine_files(scenario or packaged_scenario(), settings.data_dir)


def check_size(field: str, count: int, months: int, what: str, settings: ServiceSettings) -> int:
    """``count × months`` path-months, refused with HTTP 422 above ``max_path_months``."""
    size = count * months
    if size > settings.max_path_months:
        line = (
            f"{field}: {count} — {count:,} {what} × {months} months = {size:,} path-months, "
            f"more than this service's limit of {settings.max_path_months:,} "
            "(HASHPIVOT_MAX_PATH_MONTHS); ask for fewer, or a shorter horizon, or run the "
            "command line on your machine"
        )
        raise ProblemError(line_problem(field, line))
    return size


def months_left(start: dt.date) -> int:
    """Months from ``start``'s month to :data:`LAST_MONTH`, both included [months]."""
    return (LAST_MONTH.year - start.year) * 12 + LAST_MONTH.month - start.month + 1


def check_calendar(field: str, value: int, start: dt.date, months: int) -> None:
    """Refuse with HTTP 422 a projection of ``months`` from ``start`` past :data:`LAST_MONTH`.

    ``field`` (set to ``value``) is the request field that sets the length. The library
    builds month dates up to the end of the projection, which fail past the year 9999.
    """
    room = months_left(start)
    if months > room:
        line = (
            f"{field}: {value} — {months} months from start_date {start.isoformat()} run past "
            f"{LAST_MONTH:%Y-%m}, the last month dates can hold; project at most {room} "
            "months from this start_date"
        )
        raise ProblemError(line_problem(field, line))


def check_plan_cells(scenario: Scenario, spec: PlannerSpec, settings: ServiceSettings) -> None:
    """Refuse with HTTP 413 a plan whose linear program passes ``max_plan_cells``.

    The program's size (and the memory it takes) grows with scenarios × periods × the sum
    over sites of (fleet tiers + 1): one mining variable per tier, one conversion per site.
    """
    per_period = sum(len(site.fleets) + 1 for site in scenario.sites)
    cells = spec.scenarios * spec.horizon_periods * per_period
    if cells > settings.max_plan_cells:
        line = (
            f"planner.scenarios: {spec.scenarios} — {spec.scenarios:,} scenarios × "
            f"{spec.horizon_periods} periods × {per_period} site and tier columns = {cells:,} "
            f"cells, more than this service's limit of {settings.max_plan_cells:,} "
            "(HASHPIVOT_MAX_PLAN_CELLS); ask for fewer scenarios or periods, or run "
            "`hashpivot plan` on your machine"
        )
        raise ProblemError(line_problem("planner.scenarios", line, status_code=413))


def _store(save: bool | None, settings: ServiceSettings) -> RunStore | None:
    """The run store to save into, or None; HTTP 507 when it has passed its quota."""
    if not (settings.save if save is None else save):
        return None
    store = RunStore(settings.store)
    try:
        size = store.path.stat().st_size
    except FileNotFoundError:
        size = 0
    if size > settings.max_store_bytes:
        msg = (
            f"save: the run store holds {size:,} bytes, more than this service's quota of "
            f"{settings.max_store_bytes:,} (HASHPIVOT_MAX_STORE_BYTES); delete old runs "
            "(`hashpivot runs delete`) or send save: false"
        )
        raise ProblemError(line_problem("save", msg, status_code=507))
    return store


# --------------------------------------------------------------------------- jobs


def _timed(ctx: JobContext, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    start = time.perf_counter()
    ctx.checkpoint()
    out = run()
    return {"job_id": ctx.job.job_id, **out, "seconds": round(time.perf_counter() - start, 4)}


def simulate_work(
    scenario: Scenario, req: SimulateRequest, store: RunStore | None, figures: bool
) -> Work:
    """The job of ``POST /simulate``: run the Monte Carlo, save it, render its figures."""
    from hashpivot.api.figures import montecarlo_figures
    from hashpivot.applicability import mark_not_applicable
    from hashpivot.simulation import Simulation

    def work(ctx: JobContext) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            has_fleet = any(site.fleets for site in scenario.sites)  # else: no frontier
            frontier = req.frontier and has_fleet
            sim = Simulation(scenario) if frontier else Simulation(scenario, frontier_shares=())
            result, run_id = record(
                "run", scenario, req.seed,
                lambda: sim.run(paths=req.paths, seed=req.seed, progress=ctx.progress),
                store=store, tags=TAGS,
                summary=lambda r: mark_not_applicable(r.summary(), has_fleet),
                per_path=lambda r: {f"{v}.{k}": a for v, arrays in r.variants.items()
                                    for k, a in arrays.items()},
            )  # fmt: skip
            body = mark_not_applicable(result.to_dict(), has_fleet)
            out: dict[str, Any] = {"run_id": run_id, "result": body}
            if figures:
                out["figures"] = montecarlo_figures(result)
            return out

        return _timed(ctx, run)

    return work


def plan_work(scenario: Scenario, req: PlanRequest, store: RunStore | None) -> Work:
    """The job of ``POST /plan``: solve the plan and save it with its settings."""
    from hashpivot.planner import Planner

    spec = req.planner

    def work(ctx: JobContext) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            result, run_id = record(
                "plan", scenario, spec.seed, lambda: Planner(scenario, spec).run(), store=store,
                tags=TAGS,
                summary=lambda r: {**r.summary(), "planner": spec.model_dump(mode="json")},
                per_path=lambda r: dict(r.npv_out_of_sample_usd) or None,
            )  # fmt: skip
            return {"run_id": run_id, "result": result.to_dict()}

        return _timed(ctx, run)

    return work


def _hashprice_at_start(scenario: Scenario) -> float:
    """Hashprice of a scenario's market at its start [USD/PH/day].

    Refused with HTTP 422, naming the market field, when it is not finite or above
    :data:`MAX_HASHPRICE_USD_PER_PH_DAY` (a vanishing network hashrate or difficulty).
    """
    m = scenario.market
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        difficulty = m.difficulty or float(
            bitcoin.difficulty_for_hashrate(m.network_hashrate_eh_s * 1e18)
        )
        subsidy = float(bitcoin.subsidy_btc(m.block_height))
        hp = float(
            bitcoin.hashprice_usd_per_ph_day(
                m.btc_price_usd, difficulty, subsidy, m.fees_btc_per_block
            )
        )
    if math.isfinite(hp) and hp <= MAX_HASHPRICE_USD_PER_PH_DAY:
        return hp
    name = "difficulty" if m.difficulty else "network_hashrate_eh_s"
    field = f"scenario.market.{name}"
    line = (
        f"{field}: {getattr(m, name)!r} — gives a hashprice of {hp:g} USD/PH/day at the "
        f"start, more than the {MAX_HASHPRICE_USD_PER_PH_DAY:g} dispatch takes; give a "
        "larger one, or hashprice_usd_per_ph_day"
    )
    raise ProblemError(line_problem(field, line))


def _btc_price(scenario: Scenario, given: float | None) -> float:
    """The BTC price for BTC mined: ``given``, else the market's, if not too small [USD/BTC]."""
    if given is not None:
        return given
    price = scenario.market.btc_price_usd
    if price < MIN_BTC_PRICE_USD:
        field = "scenario.market.btc_price_usd"
        line = (
            f"{field}: {price!r} — less than the {MIN_BTC_PRICE_USD:g} USD/BTC dispatch "
            "takes to count BTC mined; give btc_price_usd"
        )
        raise ProblemError(line_problem(field, line))
    return price


_DETAIL_KEYS = ("monthly", "yearly", "sites", "notes")


def dispatch_work(scenario: Scenario, req: DispatchRequest, store: RunStore | None) -> Work:
    """The job of ``POST /dispatch``: dispatch the sites hour by hour and save the run."""
    from hashpivot.dispatch import (
        Dispatch,
        HourCalendar,
        MarketData,
        resolve_nodes,
        sites_from_scenario,
    )

    try:  # the request gives one price series: every site is priced at it
        sites = resolve_nodes(
            req.sites or sites_from_scenario(scenario), ["prices"], "prices", True
        )
    except SpecError as exc:
        raise ProblemError(spec_problem(exc, "scenario")) from None
    hp = req.hashprice_usd_per_ph_day
    hp = _hashprice_at_start(scenario) if hp is None else hp
    btc = _btc_price(scenario, req.btc_price_usd)
    calendar = HourCalendar.regular(req.start_date, len(req.prices_usd_per_mwh))
    load = None if req.system_load_mw is None else np.asarray(req.system_load_mw)[None, :]
    market = MarketData(
        calendar, {"prices": np.asarray(req.prices_usd_per_mwh, dtype=np.float64)[None, :]},
        load, ("prices: given in the request, 24 hours a day from start_date",), SOURCE,
    )  # fmt: skip

    def compute() -> dict[str, Any]:
        engine = Dispatch(sites, market, hp, btc, node="prices")
        out = engine.run().to_dict()
        out["inputs"] = {"hashprice_usd_per_ph_day": hp, "btc_price_usd": btc}
        if req.ai_mw:
            out["ai_conversion"] = engine.flexibility_lost(req.ai_mw).summary()
        return out

    def work(ctx: JobContext) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            out, run_id = record(
                "dispatch", req.model_dump(mode="json", exclude={"save"}), None, compute,
                store=store, tags=TAGS,
                summary=lambda o: {k: v for k, v in o.items() if k not in _DETAIL_KEYS},
            )  # fmt: skip
            return {"run_id": run_id, "result": out}

        return _timed(ctx, run)

    return work


# --------------------------------------------------------------------------- answering


def _jobs(request: Request) -> JobManager:
    jobs: JobManager = request.app.state.jobs
    return jobs


def _settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


def job_url(request: Request, job: Job) -> str:
    """Path of a job's status, under the app's root path."""
    return f"{request.scope.get('root_path', '')}/jobs/{job.job_id}"


def finished_response(job: Job) -> Response:
    """The answer for a finished job: its result (200) or its error."""
    if job.status is JobStatus.succeeded and job.result_json is not None:
        return Response(job.result_json, media_type="application/json")
    problem = job.problem or Problem(500, "the job ended without a result", [])
    return JSONResponse(problem.body(), status_code=problem.status_code)


async def run_or_queue(
    request: Request, kind: str, work: Work, total: int, background: str | None
) -> Response:
    """Submit ``work``; wait for it unless ``background`` says why not (then HTTP 202)."""
    jobs, settings = _jobs(request), _settings(request)
    job = jobs.submit(kind, work, total)
    if background is None:
        if await jobs.wait(job, settings.request_timeout_s):
            return finished_response(job)
        background = (
            f"still running after {settings.request_timeout_s:g} s (HASHPIVOT_REQUEST_TIMEOUT_S)"
        )
    url = job_url(request, job)
    body = JobAccepted(job_id=job.job_id, status=job.view()["status"], status_url=url,
                       reason=background)  # fmt: skip
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": url})


def _background(asked: bool, size: int, settings: ServiceSettings) -> str | None:
    if asked:
        return "asked for with ?async=true"
    if size > settings.sync_path_months:
        return (
            f"{size:,} path-months is more than the {settings.sync_path_months:,} answered "
            "at once (HASHPIVOT_SYNC_PATH_MONTHS)"
        )
    return None


AsyncQuery = Query(
    False,
    alias="async",
    description="Answer at once with HTTP 202 and the job to poll, whatever the size.",
)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": RunResponse, "description": "The result."},
    202: {"model": JobAccepted, "description": "Running as a background job."},
    **ERROR_RESPONSES,
}


@router.post("/simulate", response_class=Response, responses=_RESPONSES)
async def simulate(
    body: SimulateRequest,
    request: Request,
    run_async: bool = AsyncQuery,
    figures: bool = Query(False, description="Add the report's plotly figures to the result."),
) -> Response:
    """The Monte Carlo of ``hashpivot run``: pure mining vs the hybrid mix, same paths."""
    settings = _settings(request)
    scenario = prepared_scenario(body.scenario, settings)
    if body.ai_share_frac is not None:
        scenario = _with_ai_share(scenario, body.ai_share_frac)
    horizon = scenario.horizon_months
    check_calendar("scenario.horizon_months", horizon, scenario.start_date, horizon)
    paths = max(math.ceil(body.paths / BLOCK_PATHS), 1) * BLOCK_PATHS
    size = check_size("paths", paths, scenario.horizon_months, "paths", settings)
    work = simulate_work(scenario, body, _store(body.save, settings), figures)
    return await run_or_queue(request, "simulate", work, paths,
                              _background(run_async, size, settings))  # fmt: skip


def _with_ai_share(scenario: Scenario, share: float) -> Scenario:
    from hashpivot.simulation import ai_share_variant

    try:
        return ai_share_variant(scenario, share)
    except (ValueError, ValidationError) as exc:
        line = f"ai_share_frac: {share!r} — {exc}".splitlines()[0]
        raise ProblemError(line_problem("ai_share_frac", line)) from None


@router.post("/plan", response_class=Response, responses=_RESPONSES)
async def plan(body: PlanRequest, request: Request, run_async: bool = AsyncQuery) -> Response:
    """The conversion planner of ``hashpivot plan``: max E[NPV] − λ·CVaR, checked on fresh paths."""
    settings = _settings(request)
    scenario = prepared_scenario(body.scenario, settings)
    spec = body.planner
    months = spec.horizon_periods * spec.period_months
    check_calendar("planner.horizon_periods", spec.horizon_periods, scenario.start_date, months)
    check_plan_cells(scenario, spec, settings)
    size = check_size("planner.scenarios", spec.scenarios, months, "scenarios", settings)
    size += check_size("planner.evaluation_paths", spec.evaluation_paths, months, "paths", settings)
    capped = min(spec.time_limit_seconds, settings.job_time_limit_s)
    body = body.model_copy(
        update={"planner": spec.model_copy(update={"time_limit_seconds": capped})}
    )
    work = plan_work(scenario, body, _store(body.save, settings))
    return await run_or_queue(request, "plan", work, 1, _background(run_async, size, settings))


@router.post("/dispatch", response_class=Response, responses=_RESPONSES)
async def dispatch(
    body: DispatchRequest, request: Request, run_async: bool = AsyncQuery
) -> Response:
    """Hourly run/curtail of ``hashpivot dispatch`` on the prices given, with 4CP and DR."""
    settings = _settings(request)
    hours = len(body.prices_usd_per_mwh)
    if hours > settings.max_dispatch_hours:
        line = (
            f"prices_usd_per_mwh: {hours} hours — more than this service's limit of "
            f"{settings.max_dispatch_hours:,} (HASHPIVOT_MAX_DISPATCH_HOURS)"
        )
        raise ProblemError(line_problem("prices_usd_per_mwh", line))
    scenario = prepared_scenario(body.scenario, settings)
    work = dispatch_work(scenario, body, _store(body.save, settings))
    return await run_or_queue(request, "dispatch", work, 1, _background(run_async, 0, settings))
