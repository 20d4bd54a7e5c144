"""Listed miners over HTTP: ``GET /comps`` and ``POST /value``.

Thin, as the CLI: ``GET /comps`` answers what ``hashpivot comps --json`` prints (no price
file: the service reads no file named in a request), ``GET /comps/timeline`` what
``hashpivot comps --timeline --json`` prints, ``POST /value`` what ``hashpivot
value --json`` prints for a catalogue ticker or a scenario. Both answer at once (the whole
catalogue values in about a second); errors carry the CLI's messages, each naming the
request field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request

from hashpivot.api.compute import prepared_scenario
from hashpivot.api.models import (
    ERROR_RESPONSES,
    CompsResponse,
    TimelineResponse,
    ValueRequest,
    ValueResponse,
)
from hashpivot.api.problems import ProblemError, line_problem
from hashpivot.api.settings import ServiceSettings
from hashpivot.errors import UnknownNameError

router = APIRouter()


def _unknown(field: str, exc: UnknownNameError) -> ProblemError:
    """An unknown ticker as a 422 naming ``field``, with the CLI's message (closest names)."""
    return ProblemError(line_problem(field, f"{field}: {exc}"))


TickersQuery = Query(
    None,
    max_length=50,
    description="Catalogue tickers or names, repeated (?tickers=IREN&tickers=CIFR); "
    "default every packaged company.",
)
LAST_AS_OF = dt.date(2199, 12, 31)
"""Latest valuation date a request may ask for: the model's calendars end before 2200."""
AsOfQuery = Query(
    None,
    description="Valuation date of every row (before 2200); default the latest company "
    "file's as_of, never earlier than any file's.",
)


def _check_as_of(as_of: dt.date | None) -> None:
    if as_of is not None and as_of > LAST_AS_OF:
        line = f"query parameter as_of: '{as_of}' — must be on or before {LAST_AS_OF}"
        raise ProblemError(line_problem("query parameter as_of", line))


@router.get("/comps", response_model=CompsResponse, tags=["listed"], responses=ERROR_RESPONSES)
def get_comps(
    tickers: list[str] | None = TickersQuery,
    as_of: dt.date | None = AsOfQuery,
) -> dict[str, Any]:
    """The listed miners side by side: ``hashpivot comps --json`` (without prices)."""
    from hashpivot.listed.comps import comps

    _check_as_of(as_of)
    try:
        out: dict[str, Any] = comps(tickers or (), as_of).to_dict()
    except UnknownNameError as exc:
        raise _unknown("tickers", exc) from None
    return out


GpuQuery = Query(
    "GB200",
    min_length=1,
    max_length=60,
    description="Catalogue GPU assumed where a contract names none (as `--gpu`).",
)


@router.get(
    "/comps/timeline", response_model=TimelineResponse, tags=["listed"], responses=ERROR_RESPONSES
)
def get_timeline(
    tickers: list[str] | None = TickersQuery,
    as_of: dt.date | None = AsOfQuery,
    gpu: str = GpuQuery,
) -> dict[str, Any]:
    """The pace of the pivot per company and quarter: ``hashpivot comps --timeline --json``."""
    from hashpivot.listed.timeline import pivot_timeline

    _check_as_of(as_of)
    try:
        out: dict[str, Any] = pivot_timeline(tickers or (), as_of, gpu_model=gpu).to_dict()
    except UnknownNameError as exc:
        field = "gpu" if exc.kind.lower().startswith("gpu") else "tickers"
        raise _unknown(field, exc) from None
    return out


@router.post("/value", response_model=ValueResponse, tags=["listed"], responses=ERROR_RESPONSES)
def post_value(body: ValueRequest, request: Request) -> dict[str, Any]:
    """DCF and sum-of-the-parts value: ``hashpivot value --json`` of a ticker or a scenario."""
    from hashpivot.company.listed_value import Overrides
    from hashpivot.company.valuation import value

    if body.ticker is None and body.overrides.share_price_usd is not None:
        line = (
            f"overrides.share_price_usd: {body.overrides.share_price_usd!r} — applies to a "
            "listed company (give a ticker)"
        )
        raise ProblemError(line_problem("overrides.share_price_usd", line))
    settings: ServiceSettings = request.app.state.settings
    o = Overrides(**body.overrides.model_dump())
    subject: Any = body.ticker
    if body.ticker is None:
        subject = prepared_scenario(body.scenario, settings)
    try:
        out: dict[str, Any] = value(subject, as_of=body.as_of, overrides=o).to_dict()
    except UnknownNameError as exc:
        raise _unknown("ticker", exc) from None
    return out
