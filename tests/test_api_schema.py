"""Property-based requests generated from the service's OpenAPI schema (schemathesis).

Every operation gets a fixed, small number of generated requests (valid and invalid
bodies, paths and queries, derandomized so every run sends the same ones); none may get
a server error, and the answers must match the schema's documented responses. The app
runs in process (ASGI) with a temporary run store and small limits, so a generated
request can never start a long computation.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
)

from hashpivot.api.app import create_app  # noqa: E402
from hashpivot.api.settings import ServiceSettings  # noqa: E402

_tmp = Path(tempfile.mkdtemp(prefix="hashpivot-schemathesis-"))
atexit.register(shutil.rmtree, _tmp, ignore_errors=True)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    APP = create_app(
        ServiceSettings(
            store=_tmp / "runs.duckdb",
            warmup=False,
            max_path_months=24_000,  # at most 1 000 paths x 24 months per request
            sync_path_months=24_000,
            max_dispatch_hours=24 * 14,
            request_timeout_s=20.0,
            job_time_limit_s=20.0,
        )
    )

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# the schema's own examples plus max_examples generated requests per operation; the
# coverage phase (every boundary case of the whole scenario schema) would take minutes
schema.config.phases.update(phases=["examples", "fuzzing"])

CHECKS: list[Any] = [not_a_server_error, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_answers_match_the_schema(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)
