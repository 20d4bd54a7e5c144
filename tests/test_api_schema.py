"""Requests generated from the service's OpenAPI schema (schemathesis), and valid ones.

Every operation gets 100 generated requests (the schema's examples, then valid and
invalid bodies, paths and queries, derandomized so every run sends the same ones); none
may get a server error, answers must match the schema's documented responses, and every
HTTP 422 must name the request field of each of its problems. A generated body is rarely
a valid scenario, so each operation also gets valid requests written here (saved runs, a
job to poll and cancel), whose answers are checked the same way. The app runs in process
(ASGI) with a temporary run store and small limits, so no request can start a long
computation.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

from fastapi import FastAPI  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
)

from hashpivot.api.app import create_app  # noqa: E402
from hashpivot.api.compute import packaged_scenario  # noqa: E402
from hashpivot.api.settings import ServiceSettings  # noqa: E402

LIMITS: dict[str, Any] = {
    "warmup": False,
    "max_path_months": 12_000,  # 1 000 paths of 12 months; the default 60 months is refused
    "sync_path_months": 12_000,
    "max_dispatch_hours": 24 * 14,
    "request_timeout_s": 8.0,  # slower answers are 202, within the client's 10 s
    "job_time_limit_s": 8.0,  # caps a generated plan's solver time too
}


def service(store: Path | None) -> FastAPI:
    with warnings.catch_warnings():  # starlette prefers httpx2 and says so on import
        warnings.simplefilter("ignore")
        return create_app(ServiceSettings(store=store, **LIMITS))


# the schema only: requests go to the `app` fixture's service, with its temporary store
schema = schemathesis.openapi.from_dict(service(None).openapi())
# the schema's own examples plus max_examples generated requests per operation; the
# coverage phase (every boundary case of the whole scenario schema) would take minutes
schema.config.phases.update(phases=["examples", "fuzzing"])


@schemathesis.check
def problems_name_their_fields(ctx: Any, response: Any, case: Any) -> bool | None:
    """An HTTP 422 pairs each problem line with the request field it is about."""
    if response.status_code != 422:
        return None
    body = response.json()
    fields = [f["field"] for f in body["fields"]]
    assert body["problems"], "a 422 without problem lines"
    assert len(fields) == len(body["problems"]), f"{len(fields)} fields for {body['problems']}"
    assert all(f and not f.startswith("[") for f in fields), f"not field names: {fields}"
    return True


CHECKS: list[Any] = [
    not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
    problems_name_their_fields,
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return service(tmp_path_factory.mktemp("schemathesis") / "runs.duckdb")


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    # its own service: jobs that generated requests leave running must not slow the
    # written requests below past their time limit
    return service(tmp_path_factory.mktemp("fuzz") / "runs.duckdb")


@schema.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_get_no_server_error_and_documented_answers(
    case: Any, fuzz_app: FastAPI
) -> None:
    case.call_and_validate(checks=CHECKS, app=fuzz_app)


# --------------------------------------------------------------------------- valid requests


def send(app: FastAPI, method: str, path: str, status: int, **parts: Any) -> Any:
    """Send one written request (``body``, ``query``, ``path_parameters``), check it."""
    case = schema[path][method].Case(**parts)
    response = case.call_and_validate(checks=CHECKS, app=app)
    assert response.status_code == status, response.text
    return response


def call(app: FastAPI, method: str, path: str, status: int, **parts: Any) -> Any:
    """:func:`send`, and the answer's JSON."""
    return send(app, method, path, status, **parts).json()


def prices(hours: int) -> list[float]:
    return [30.0 + 400.0 * (h % 24 == 18) for h in range(hours)]


SCENARIO = packaged_scenario().model_dump(mode="json") | {"horizon_months": 12}
"""The packaged scenario over 12 months: 1 000 paths fit :data:`LIMITS`."""

BODIES: dict[str, dict[str, Any]] = {
    "/simulate": {"scenario": SCENARIO, "paths": 1000, "seed": 1, "ai_share_frac": 0.5},
    "/plan": {
        "planner": {
            "scenarios": 20,
            "horizon_periods": 2,
            "evaluation_paths": 1000,
            "frontier_risk_aversions": [],
        },
        "save": False,
    },
    "/dispatch": {
        "start_date": "2024-07-01",
        "prices_usd_per_mwh": prices(48),
        "system_load_mw": [50_000.0 + h for h in range(48)],
        "sites": [
            {
                "name": "s",
                "tiers": [
                    {"efficiency_j_per_th": 17.0, "power_mw": 30.0},
                    {"efficiency_j_per_th": 28.0, "power_mw": 20.0},
                ],
                "four_cp": {"strategy": "heuristic"},
            }
        ],
        "ai_mw": 5.0,
        "save": False,
    },
}

COVERED = {
    ("POST", "/simulate"),
    ("POST", "/plan"),
    ("POST", "/dispatch"),
    ("GET", "/jobs/{job_id}"),
    ("DELETE", "/jobs/{job_id}"),
    ("GET", "/runs"),
    ("GET", "/runs/{run_id}"),
    ("GET", "/runs/compare"),
    ("GET", "/scenarios/default"),
    ("GET", "/healthz"),
    ("GET", "/comps"),
    ("GET", "/comps/timeline"),
    ("POST", "/value"),
}
"""Operations the tests below send valid requests to."""


def test_every_operation_gets_valid_requests_below() -> None:
    operations = {
        (method.upper(), path)
        for path, item in schema.raw_schema["paths"].items()
        for method in item
    }
    assert operations == COVERED


@pytest.mark.parametrize("path", sorted(BODIES))
def test_valid_computations_answer_as_documented(app: FastAPI, path: str) -> None:
    query = {"figures": True} if path == "/simulate" else {}
    out = call(app, "POST", path, 200, body=BODIES[path], query=query)
    assert out["result"]
    if path == "/simulate":
        assert out["run_id"] is not None
        assert out["figures"]
    if path == "/dispatch":
        assert out["result"]["ai_conversion"]["flexibility_lost_usd_per_mw_year"] > 0


def test_a_job_is_polled_and_cancelled_as_documented(app: FastAPI) -> None:
    accepted = call(app, "POST", "/dispatch", 202, body=BODIES["/dispatch"], query={"async": True})
    job = {"job_id": accepted["job_id"]}
    view = call(app, "GET", "/jobs/{job_id}", 200, path_parameters=job)
    deadline = time.monotonic() + 30
    while view["status"] in {"queued", "running"} and time.monotonic() < deadline:
        time.sleep(0.05)
        view = call(app, "GET", "/jobs/{job_id}", 200, path_parameters=job)
    assert view["status"] == "succeeded"
    assert view["result"]["result"]["hours"] == 48
    view = call(app, "DELETE", "/jobs/{job_id}", 200, path_parameters=job)
    assert view["status"] == "succeeded"  # too late to cancel: unchanged


def test_saved_runs_answer_as_documented(app: FastAPI) -> None:
    body = {"scenario": SCENARIO, "paths": 1000, "frontier": False}
    ids = [
        call(app, "POST", "/simulate", 200, body={**body, "seed": seed})["run_id"]
        for seed in (2, 3)
    ]
    listed = call(app, "GET", "/runs", 200, query={"kind": "run", "limit": 2})
    assert [r["run_id"] for r in listed["runs"]] == ids[::-1]
    detail = call(app, "GET", "/runs/{run_id}", 200, path_parameters={"run_id": ids[0]})
    assert detail["per_path_arrays"]
    cmp = call(app, "GET", "/runs/compare", 200, query={"a": ids[0], "b": ids[1]})
    assert cmp["scenarios_differ"] is False


def test_scenario_and_health_answer_as_documented(app: FastAPI) -> None:
    scenario = call(app, "GET", "/scenarios/default", 200)
    assert scenario["sites"]
    text = send(app, "GET", "/scenarios/default", 200, query={"format": "yaml"}).text
    assert "horizon_months:" in text
    health = call(app, "GET", "/healthz", 200)
    assert health["limits"]["max_path_months"] == LIMITS["max_path_months"]


def test_listed_companies_answer_as_documented(app: FastAPI) -> None:
    comps = call(app, "GET", "/comps", 200, query={"tickers": ["CIFR", "WULF"]})
    assert {r["ticker"] for r in comps["rows"]} == {"CIFR", "WULF"}
    timeline = call(app, "GET", "/comps/timeline", 200, query={"tickers": ["CIFR"]})
    assert {r["ticker"] for r in timeline["rows"]} == {"CIFR"}
    body = {"ticker": "CIFR", "overrides": {"wacc_frac_per_year": 0.1}}
    valued = call(app, "POST", "/value", 200, body=body)
    assert valued["sotp"]
