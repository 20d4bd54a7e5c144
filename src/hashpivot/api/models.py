"""Request and response models of the web service.

Requests embed the library's own specs (:class:`~hashpivot.spec.Scenario`,
:class:`~hashpivot.planner.PlannerSpec`, :class:`~hashpivot.dispatch.DispatchSiteSpec`),
so the OpenAPI schema of ``/openapi.json`` *is* the scenario schema, field for field,
with the same units, ranges and descriptions as the CLI's YAML. Unknown keys are
refused, as in a scenario file. Response models document the JSON the endpoints give.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, model_validator

from hashpivot.dispatch.spec import DispatchSiteSpec
from hashpivot.planner.spec import PlannerSpec
from hashpivot.spec import Scenario

SaveField = Annotated[
    bool | None,
    Field(
        description="Save the run in the run store (`hashpivot runs`); default: the service's "
        "setting (on unless started with --no-save)."
    ),
]
ScenarioField = Annotated[
    Scenario | None,
    Field(
        description="The scenario, as in a scenario YAML file; omit it for the packaged "
        "default (GET /scenarios/default)."
    ),
]


class Request(BaseModel):
    """Base of request bodies: unknown keys refused, like a scenario file."""

    model_config = ConfigDict(extra="forbid")


class SimulateRequest(Request):
    """``POST /simulate``: the Monte Carlo of ``hashpivot run``."""

    scenario: ScenarioField = None
    paths: int = Field(
        default=10_000,
        ge=1000,
        le=2_000_000,
        description="Monte Carlo paths, rounded up to whole thousands. [paths]",
    )
    seed: int = Field(
        default=0, ge=0, le=2**63 - 1, description="Random seed; same seed, same numbers."
    )
    frontier: bool = Field(
        default=True,
        description="Also evaluate the AI-share frontier (0, 25, 50, 75 and 100 % of site MW "
        "leased on the terms of the scenario's first lease) on the same paths.",
    )
    ai_share_frac: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Replace the scenario's conversions: every site converts this share of "
        "its MW on the terms of the scenario's first lease (hashpivot.simulation."
        "ai_share_variant); none keeps the scenario as it is. [-]",
    )
    save: SaveField = None


class PlanRequest(Request):
    """``POST /plan``: the conversion planner of ``hashpivot plan``."""

    scenario: ScenarioField = None
    planner: PlannerSpec = Field(
        default_factory=PlannerSpec,
        description="Planner settings, as in `hashpivot plan --planner FILE`.",
    )
    save: SaveField = None


MAX_HASHPRICE_USD_PER_PH_DAY = 1e7
"""Largest hashprice of a dispatch request, given or from the scenario market [USD/PH/day]."""

MIN_BTC_PRICE_USD = 1e-9
"""Smallest BTC price of a dispatch request, as the CLI's ``--btc-price-usd``: hashprice /
a tinier price overflows [USD/BTC]."""

HourlyPrice = Annotated[FiniteFloat, Field(ge=-10_000.0, le=100_000.0)]
HourlyLoad = Annotated[FiniteFloat, Field(ge=0.0, le=1e7)]


class DispatchRequest(Request):
    """``POST /dispatch``: hourly run/curtail of ``hashpivot dispatch`` on given prices.

    Prices are one node's hourly prices from ``start_date``, 24 hours a day (no DST
    days). The sites are ``sites``, else the fleets of ``scenario``, else of the
    packaged default scenario.
    """

    name: str = Field(
        default="dispatch", min_length=1, max_length=120, description="Name of the run."
    )
    scenario: ScenarioField = None
    sites: tuple[DispatchSiteSpec, ...] | None = Field(
        default=None,
        min_length=1,
        description="Sites to dispatch; none takes one site per scenario site.",
    )
    start_date: dt.date = Field(description="Operating day of the first price.")
    prices_usd_per_mwh: list[HourlyPrice] = Field(
        min_length=24, description="Hourly node prices, in time order. [USD/MWh]"
    )
    system_load_mw: list[HourlyLoad] | None = Field(
        default=None,
        description="Hourly system load, same hours as the prices (needed for 4CP). [MW]",
    )
    hashprice_usd_per_ph_day: float | None = Field(
        default=None,
        ge=0.0,
        le=MAX_HASHPRICE_USD_PER_PH_DAY,
        description="Constant hashprice; none: the scenario market's at its start. [USD/PH/day]",
    )
    btc_price_usd: float | None = Field(
        default=None,
        ge=MIN_BTC_PRICE_USD,
        le=1e8,
        description="BTC price for BTC mined; none: the scenario market's. [USD/BTC]",
    )
    ai_mw: float | None = Field(
        default=None,
        ge=0.001,
        le=10_000.0,
        description="MW of each site that become firm AI load: also report the flexibility "
        "lost. [MW]",
    )
    save: SaveField = None

    @model_validator(mode="after")
    def _load_matches_prices(self) -> DispatchRequest:
        if self.system_load_mw is not None and len(self.system_load_mw) != len(
            self.prices_usd_per_mwh
        ):
            msg = (
                f"system_load_mw has {len(self.system_load_mw)} hours, prices_usd_per_mwh "
                f"{len(self.prices_usd_per_mwh)}: give the same hours"
            )
            raise ValueError(msg)
        return self


class ValueOverrides(Request):
    """Valuation inputs given in place of the defaults: the options of ``hashpivot value``."""

    btc_price_usd: float | None = Field(
        default=None, ge=1e-6, le=1e8, description="BTC price at the valuation date. [USD]"
    )
    hashprice_usd_per_ph_day: float | None = Field(
        default=None, ge=1e-6, le=1e5, description="Hashprice at the valuation date. [USD/PH/day]"
    )
    wacc_frac_per_year: float | None = Field(
        default=None,
        ge=0.001,
        le=0.99,
        description="WACC of the DCF; at least 0.1 %/yr (a rate near 0 makes the exit "
        "values' perpetuities divide by 0). [1/yr]",
    )
    cap_rate_frac: float | None = Field(
        default=None,
        ge=0.03,
        le=0.15,
        description="Exit cap rate of every lease; default by tenant credit. [-]",
    )
    mining_rate_frac_per_year: float | None = Field(
        default=None,
        ge=0.001,
        le=0.99,
        description="Discount rate of mining; at least 0.1 %/yr, as the WACC. [1/yr]",
    )
    power_usd_per_mwh: float | None = Field(
        default=None, ge=0.0, le=10_000.0, description="Listed miner's power price. [USD/MWh]"
    )
    efficiency_j_per_th: float | None = Field(
        default=None, ge=1.0, le=1000.0, description="Listed miner's fleet efficiency. [J/TH]"
    )
    bonus_depreciation_frac: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of AI capex deducted at once for tax (26 USC 168(k)). [-]",
    )
    share_price_usd: float | None = Field(
        default=None,
        ge=1e-6,
        le=1e7,
        description="Market share price of a listed company: convertibles and warrants are "
        "tested against it; default the value per share itself. [USD/share]",
    )


class ValueRequest(Request):
    """``POST /value``: ``hashpivot value`` of a catalogue company or of a scenario."""

    ticker: str | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="Catalogue ticker or company name (GET /comps lists them); omit it "
        "(and the scenario) for the packaged default scenario.",
    )
    scenario: ScenarioField = None
    as_of: dt.date | None = Field(
        default=None,
        le=dt.date(2199, 12, 31),
        description="Valuation date (before 2200); default the company file's as_of or the "
        "scenario's start, never earlier than the file's as_of.",
    )
    overrides: ValueOverrides = Field(
        default_factory=ValueOverrides, description="Inputs given in place of the defaults."
    )

    @model_validator(mode="after")
    def _one_subject(self) -> ValueRequest:
        if self.ticker is not None and self.scenario is not None:
            msg = "ticker, scenario: both given — give one of them (or neither for the default)"
            raise ValueError(msg)
        return self


# --------------------------------------------------------------------------- responses


class FieldProblem(BaseModel):
    """One problem line and the request field it names."""

    field: str = Field(
        description="Field of the request, e.g. scenario.sites[0].power_capacity_mw."
    )
    message: str = Field(description="The problem line, as the CLI prints it.")


class ErrorBody(BaseModel):
    """Body of every error response (4xx, 5xx)."""

    detail: str = Field(description="The message the CLI prints after 'error:'.")
    problems: list[str] = Field(description="One line per problem: field, value and rule.")
    fields: list[FieldProblem] = Field(description="Each problem with the field it names.")


class RunResponse(BaseModel):
    """Result of a computation (``/simulate``, ``/plan``, ``/dispatch``) or of its job."""

    job_id: str = Field(description="The job that computed it (GET /jobs/{job_id}).")
    run_id: str | None = Field(description="Saved run id (GET /runs/{run_id}); null if not saved.")
    seconds: float = Field(description="Wall time of the computation and saving. [s]")
    result: dict[str, Any] = Field(
        description="The library's to_dict(): what `hashpivot run|plan|dispatch --json` prints."
    )
    figures: dict[str, Any] | None = Field(
        default=None,
        description="Plotly figures of the Monte Carlo report ({data, layout}), with "
        "?figures=true on /simulate.",
    )


class JobAccepted(BaseModel):
    """HTTP 202: the computation runs as a background job."""

    job_id: str = Field(description="Job id.")
    status: str = Field(description="queued or running.")
    status_url: str = Field(description="Where to poll: GET it until status is final.")
    reason: str = Field(description="Why the request became a job.")


class JobView(BaseModel):
    """``GET /jobs/{id}``: status, progress and, once succeeded, the result."""

    job_id: str = Field(description="Job id.")
    kind: str = Field(description="simulate, plan or dispatch.")
    status: str = Field(description="queued, running, succeeded, failed or cancelled.")
    done: int = Field(description="Units done (paths for a simulation).")
    total: int = Field(description="Units to do.")
    progress_frac: float = Field(description="done / total. [-]")
    created_at: str = Field(description="When it was submitted (UTC, ISO 8601).")
    started_at: str | None = Field(description="When a worker took it (UTC).")
    finished_at: str | None = Field(description="When it ended (UTC).")
    elapsed_s: float = Field(description="Running time so far, or in all. [s]")
    run_id: str | None = Field(description="Saved run id, once succeeded and saved.")
    error: ErrorBody | None = Field(description="Why it failed or was cancelled.")
    result: RunResponse | None = Field(default=None, description="The result, once succeeded.")


class RunInfoModel(BaseModel):
    """A saved run as ``hashpivot runs list --json`` shows it."""

    run_id: str = Field(description="Run id yymmdd-HHMMSS-xxxx (UTC time of saving).")
    kind: str = Field(description="run, plan, dispatch, value or sweep.")
    status: str = Field(description="ok or failed.")
    scenario_name: str | None = Field(description="The scenario's name.")
    seed: int | None = Field(description="Seed of a stochastic run.")
    code_version: str = Field(description="hashpivot version that made the run.")
    started_at: str = Field(description="Start, UTC, ISO 8601.")
    finished_at: str = Field(description="End, UTC, ISO 8601.")
    duration_s: float = Field(description="finished_at − started_at. [s]")
    tags: list[str] = Field(description="Free labels; the service tags its runs 'api'.")
    per_path_format: str | None = Field(description="arrays, frame or null.")
    per_path_values: int = Field(description="Per-path values saved. [values]")
    error: str | None = Field(description="What went wrong, for a failed run.")


class RunList(BaseModel):
    """``GET /runs``."""

    runs: list[RunInfoModel] = Field(description="Saved runs, newest first.")


class ArrayInfoModel(BaseModel):
    """A saved per-path array."""

    name: str = Field(description="Array name, variant.metric.")
    dtype: str = Field(description="NumPy dtype.")
    shape: list[int] = Field(description="Shape; the first axis is the path.")


class RunDetail(RunInfoModel):
    """``GET /runs/{id}``: ``hashpivot runs show ID --json``."""

    scenario: dict[str, Any] = Field(description="The run's scenario as a mapping.")
    scenario_yaml: str = Field(description="The run's scenario as saved.")
    summary: dict[str, Any] = Field(description="The run's summary metrics.")
    per_path_arrays: list[ArrayInfoModel] = Field(description="Saved per-path arrays.")


class MetricRow(BaseModel):
    """One summary leaf of two runs."""

    metric: str = Field(description="Summary leaf, e.g. hybrid.npv_usd.mean.")
    a: Any = Field(description="Value in run a.")
    b: Any = Field(description="Value in run b.")
    diff: float | None = Field(description="b − a, when both are numbers.")
    rel_diff: float | None = Field(description="(b − a)/|a|, when both are numbers, a ≠ 0.")


class ScenarioChangeModel(BaseModel):
    """A scenario field that differs between two runs."""

    path: str = Field(description="Field path, e.g. sites[0].power_capacity_mw.")
    a: Any = Field(description="Value in run a.")
    b: Any = Field(description="Value in run b.")
    change: str = Field(description="changed, added or removed.")


class RunComparisonModel(BaseModel):
    """``GET /runs/compare?a=&b=``: ``hashpivot runs compare A B --json``."""

    a: RunInfoModel = Field(description="Run a.")
    b: RunInfoModel = Field(description="Run b.")
    metrics: list[MetricRow] = Field(description="Every summary leaf side by side.")
    scenarios_differ: bool = Field(description="Whether the scenarios differ in any field.")
    scenario_changes: list[ScenarioChangeModel] = Field(description="Fields that differ.")


class Health(BaseModel):
    """``GET /healthz``."""

    status: str = Field(description="ok.")
    version: str = Field(description="hashpivot version.")
    warm: bool = Field(description="Whether the start-up simulation has finished.")
    workers: int = Field(description="Job worker threads.")
    jobs: dict[str, int] = Field(description="Jobs kept, by status.")
    token_required: bool = Field(description="Whether requests need the token.")
    limits: dict[str, int | float] = Field(description="The request limits in force.")


class CompsRow(BaseModel):
    """One company of ``GET /comps`` (every column: docs/nomenclature.md, comparables)."""

    model_config = ConfigDict(extra="allow")

    ticker: str = Field(description="Exchange ticker.")
    enterprise_value_usd: float | None = Field(description="Model enterprise value. [USD]")
    equity_value_usd_per_share: float | None = Field(
        description="Model equity value per diluted share; null with `missing`. [USD/share]"
    )
    missing: list[str] = Field(description="Inputs a value per share needs that are not given.")


class CompsResponse(BaseModel):
    """``GET /comps``: what ``hashpivot comps --json`` prints."""

    as_of: str = Field(description="Valuation date of every row (ISO 8601).")
    sorted_by: str = Field(description="Column the rows are sorted by (descending).")
    median_model_ev_to_market_ev: float | None = Field(
        description="Median model EV / market EV (null without prices). [-]"
    )
    rows: list[CompsRow] = Field(description="One object per company.")
    notes: list[str] = Field(description="Each column's basis, then what a file lacks.")
    inputs: list[dict[str, Any]] = Field(
        description="Valuation inputs every row shares, each with name, value and source."
    )


class TimelineResponse(BaseModel):
    """``GET /comps/timeline``: what ``hashpivot comps --timeline --json`` prints."""

    as_of: str = Field(description="Catalogue date; later quarters are projected (ISO 8601).")
    gpu_model: str = Field(description="GPU assumed where a contract names none.")
    hashprice_usd_per_ph_day: float = Field(description="Hashprice of every quarter. [USD/PH/day]")
    rows: list[dict[str, Any]] = Field(
        description="One object per company and quarter (docs/nomenclature.md, pace of the pivot)."
    )
    notes: list[str] = Field(description="The assumptions, in words.")
    inputs: list[dict[str, Any]] = Field(description="The assumptions, with their sources.")


class ValueResponse(BaseModel):
    """``POST /value``: what ``hashpivot value --json`` prints (more keys for a company)."""

    model_config = ConfigDict(extra="allow")

    subject: str = Field(description="What was valued.")
    enterprise_value_usd: float | None = Field(description="Sum-of-the-parts EV. [USD]")
    equity_value_usd: float | None = Field(description="Equity value; null with `missing`. [USD]")
    equity_value_usd_per_share: float | None = Field(description="Per share. [USD/share]")
    missing: list[str] = Field(description="Inputs the equity value needs that are not given.")
    sotp: dict[str, Any] = Field(description="The parts of the value. [USD]")
    bridge: dict[str, Any] = Field(description="DCF to sum of the parts, item by item.")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "the body is not UTF-8 JSON, or Content-Length is not a number"),
        (401, "no or wrong token"),
        (403, "a cookie-only request that changes something lacks X-Hashpivot-Client"),
        (404, "no such run, job or page"),
        (409, "the job was cancelled"),
        (413, "request body larger than max_request_bytes"),
        (422, "invalid input, with the CLI's messages; or over max_path_months"),
        (429, "too many jobs waiting"),
        (500, "a bug: the service log has the details"),
        (503, "the run store is unavailable, or a public address has no token"),
        (504, "the job ran past job_time_limit_s"),
    )
}
"""Error statuses of the endpoints, for the OpenAPI schema."""
