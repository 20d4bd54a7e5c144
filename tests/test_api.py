"""The web service through FastAPI's TestClient: every endpoint, errors with the CLI's messages."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # starlette prefers httpx2 and says so on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from typer.testing import CliRunner

from hashpivot.api.app import create_app
from hashpivot.api.compute import confine_files, packaged_scenario
from hashpivot.api.problems import ProblemError
from hashpivot.api.settings import ServiceSettings
from hashpivot.cli import app as cli_app
from hashpivot.spec import Scenario, default_scenario_text, scenario_from_dict
from hashpivot.store.runstore import RunStore

FAST = {"paths": 1000, "frontier": False}


def make_client(store: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(ServiceSettings(**{"store": store, "warmup": False, **settings})))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api") / "runs.duckdb"


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    # the app's own warm-up, awaited: on a fresh install the kernels' first compile takes
    # longer than a request may wait, and the requests below test the service, not numba
    with make_client(store, warmup=True) as c:
        assert c.app.state.warm.wait(timeout=600)  # type: ignore[attr-defined]
        yield c


@pytest.fixture
def scenario_json(client: TestClient) -> dict[str, Any]:
    answer = client.get("/scenarios/default")
    assert answer.status_code == 200
    return copy.deepcopy(answer.json())


def wait_job(client: TestClient, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        view = client.get(f"/jobs/{job_id}").json()
        if view["status"] not in {"queued", "running"}:
            return view
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still running after {timeout_s} s")


# --------------------------------------------------------------------------- read endpoints


def test_healthz_reports_workers_jobs_and_limits(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["token_required"] is False
    assert body["workers"] >= 1
    assert set(body["jobs"]) == {"queued", "running", "succeeded", "failed", "cancelled"}
    assert body["limits"]["max_path_months"] == 6_000_000


def test_default_scenario_as_json_and_yaml(client: TestClient) -> None:
    body = client.get("/scenarios/default").json()
    assert Scenario.model_validate(body) == packaged_scenario()
    text = client.get("/scenarios/default", params={"format": "yaml"})
    assert text.headers["content-type"].startswith("application/yaml")
    assert text.text == default_scenario_text()


def test_openapi_schema_is_the_scenario_schema(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    expected = Scenario.model_json_schema()
    assert set(components["Scenario"]["properties"]) == set(expected["properties"])
    assert components["Scenario"]["required"] == expected["required"]
    for name in ("SiteSpec", "FleetSpec", "MarketModelSpec", "PlannerSpec", "DispatchSiteSpec"):
        assert name in components
    ref = json.dumps(components["SimulateRequest"]["properties"]["scenario"])
    assert "#/components/schemas/Scenario" in ref
    body = schema["paths"]["/simulate"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"] == "#/components/schemas/SimulateRequest"
    site = components["SiteSpec"]["properties"]["power_capacity_mw"]
    assert site["exclusiveMinimum"] == 0.0
    assert "[MW]" in site["description"]


def test_unknown_route_and_run_answer_404_in_the_error_format(client: TestClient) -> None:
    for path in ("/nope", "/runs/000000-000000-zzzz"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert set(answer.json()) == {"detail", "problems", "fields"}
    assert "no run '000000-000000-zzzz'" in client.get("/runs/000000-000000-zzzz").json()["detail"]


def test_jobs_unknown_id_is_404(client: TestClient) -> None:
    assert client.get("/jobs/" + "0" * 32).status_code == 404
    assert client.get("/jobs/not-an-id").status_code == 422


# --------------------------------------------------------------------------- simulate


def test_simulate_without_a_fleet_names_the_undefined_measures(
    client: TestClient, scenario_json: dict[str, Any], store: Path
) -> None:
    # an AI landlord: the default sites with no fleet keep their conversion
    for site in scenario_json["sites"]:
        site["fleets"] = []
    body = {"paths": 1000, "frontier": True, "scenario": scenario_json}
    answer = client.post("/simulate", json=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result["variance_reduction_frac"] is None
    assert result["hedge_after_capex"] is None
    assert result["frontier"] == []  # no mining MW to trade, even when asked
    assert {"variance_reduction_frac", "frontier"} <= set(result["not_applicable"])
    saved = RunStore(store).get_run(answer.json()["run_id"]).summary
    assert saved["not_applicable"] == result["not_applicable"]  # the store keeps the same


def test_simulate_small_answers_with_the_result_and_saves_it(
    client: TestClient, store: Path
) -> None:
    answer = client.post("/simulate", json={**FAST, "seed": 3})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) >= {"job_id", "run_id", "seconds", "result"}
    assert body["result"]["paths"] == 1000
    assert body["result"]["seed"] == 3
    assert {"hybrid", "pure_mining", "fans", "month", "revenue_mix_usd"} <= set(body["result"])
    assert "figures" not in body
    record = RunStore(store).get_run(body["run_id"])
    assert record.kind == "run"
    assert record.seed == 3
    assert record.tags == ("api",)
    assert record.summary["hybrid"] == body["result"]["hybrid"]
    assert scenario_from_dict(record.scenario()) == packaged_scenario()
    assert "hybrid.npv_usd" in {a.name for a in record.arrays}


def test_simulate_same_seed_same_numbers_and_paths_round_up(client: TestClient) -> None:
    one = client.post("/simulate", json={**FAST, "paths": 1001, "save": False}).json()
    two = client.post("/simulate", json={**FAST, "paths": 2000, "save": False}).json()
    assert one["run_id"] is None
    assert one["result"]["paths"] == 2000
    assert one["result"]["hybrid"] == two["result"]["hybrid"]


def test_simulate_with_figures_gives_the_report_figures(client: TestClient) -> None:
    answer = client.post(
        "/simulate", params={"figures": "true"}, json={"paths": 1000, "save": False}
    )
    figures = answer.json()["figures"]
    assert set(figures) == {
        "btc_price_usd",
        "hashprice_usd_per_ph_day",
        "network_hashrate_eh_s",
        "revenue_mix",
        "ebitda_distribution",
        "frontier",
        "frontier_risk",
    }
    for fig in figures.values():
        assert fig["data"]
        assert "layout" in fig
    hist = figures["ebitda_distribution"]["data"]
    assert [t["type"] for t in hist] == ["histogram", "histogram"]
    assert _length(hist[0]["x"]) == 1000


def _length(values: Any) -> int:
    """Length of a plotly array: a list, or a typed array {dtype, bdata} (plotly >= 6)."""
    if isinstance(values, dict):
        return len(base64.b64decode(values["bdata"])) // np.dtype(values["dtype"]).itemsize
    return len(values)


def test_simulate_ai_share_replaces_the_conversions(client: TestClient) -> None:
    none = client.post("/simulate", json={**FAST, "ai_share_frac": 0.0, "save": False}).json()
    half = client.post("/simulate", json={**FAST, "ai_share_frac": 0.5, "save": False}).json()
    pure = none["result"]["pure_mining"]["npv_usd"]["mean"]
    assert none["result"]["hybrid"]["npv_usd"]["mean"] == pytest.approx(pure)
    assert half["result"]["hybrid"]["npv_usd"]["mean"] != pytest.approx(pure)


def test_simulate_ai_share_without_a_lease_is_422(
    client: TestClient, scenario_json: dict[str, Any]
) -> None:
    for site in scenario_json["sites"]:
        site["conversions"] = []
    answer = client.post(
        "/simulate", json={**FAST, "scenario": scenario_json, "ai_share_frac": 0.5}
    )
    assert answer.status_code == 422
    (field,) = answer.json()["fields"]
    assert field["field"] == "ai_share_frac"
    assert "lease conversion" in field["message"]


def test_simulate_async_goes_to_a_job_with_progress(client: TestClient, store: Path) -> None:
    answer = client.post("/simulate", params={"async": "true"}, json={**FAST, "paths": 3000})
    assert answer.status_code == 202
    accepted = answer.json()
    assert accepted["status_url"] == f"/jobs/{accepted['job_id']}"
    assert answer.headers["location"] == accepted["status_url"]
    view = wait_job(client, accepted["job_id"])
    assert view["status"] == "succeeded"
    assert (view["done"], view["total"], view["progress_frac"]) == (3000, 3000, 1.0)
    assert view["result"]["result"]["paths"] == 3000
    assert view["run_id"] == view["result"]["run_id"]
    assert RunStore(store).get_run(view["run_id"]).kind == "run"


def test_simulate_above_the_sync_limit_becomes_a_job(tmp_path: Path) -> None:
    with make_client(tmp_path / "s.duckdb", sync_path_months=60_000) as c:
        small = c.post("/simulate", json={**FAST, "save": False})
        large = c.post("/simulate", json={**FAST, "paths": 2000, "save": False})
        assert small.status_code == 200
        assert large.status_code == 202
        assert "HASHPIVOT_SYNC_PATH_MONTHS" in large.json()["reason"]
        assert wait_job(c, large.json()["job_id"])["status"] == "succeeded"


def test_request_timeout_answers_202_and_the_job_goes_on(tmp_path: Path) -> None:
    with make_client(tmp_path / "s.duckdb", request_timeout_s=0.001) as c:
        answer = c.post("/simulate", json={**FAST, "save": False})
        assert answer.status_code == 202
        assert "still running after" in answer.json()["reason"]
        assert wait_job(c, answer.json()["job_id"])["status"] == "succeeded"


def test_job_time_limit_fails_the_run_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with make_client(path, job_time_limit_s=0.001) as c:
        sync = c.post("/simulate", json=FAST)
        assert sync.status_code == 504
        assert "time limit" in sync.json()["detail"]
        queued = c.post("/simulate", params={"async": "true"}, json=FAST)
        view = wait_job(c, queued.json()["job_id"])
        assert view["status"] == "failed"
        assert view["error"]["detail"].startswith("the job ran past")
        assert "result" not in view
        assert c.get("/runs").json()["runs"] == []
    assert RunStore(path).list_runs() == []


def test_too_many_path_months_is_422_naming_paths(client: TestClient) -> None:
    answer = client.post("/simulate", json={"paths": 200_000})
    assert answer.status_code == 422
    (field,) = answer.json()["fields"]
    assert field["field"] == "paths"
    assert field["message"].startswith("paths: 200000 — 200,000 paths × 60 months")
    assert "HASHPIVOT_MAX_PATH_MONTHS" in field["message"]


# --------------------------------------------------------------------------- 422: CLI messages


def _cli_problems(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    res = CliRunner().invoke(cli_app, ["validate", str(path)])
    assert res.exit_code == 2, res.output
    lines = [ln[4:] for ln in res.output.splitlines() if ln.startswith("  - ")]
    return [re.sub(r" \(line \d+\)", "", ln) for ln in lines]


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


def test_invalid_scenario_gets_422_with_the_same_messages_as_the_cli(
    client: TestClient, tmp_path: Path
) -> None:
    data = yaml.safe_load(default_scenario_text())
    data["sites"][0]["power_capacity_mw"] = -5
    data["sites"][1]["pool_fee_frac"] = 2
    data["sites"][0]["fleets"][1]["asic_model"] = "Antminer S99"
    data["market"]["btc_price_usdx"] = data["market"].pop("btc_price_usd")
    data["company"]["tax_rate_frac"] = "high"
    del data["as_of"]
    cli = _cli_problems(tmp_path, data)
    answer = client.post("/simulate", json={**FAST, "scenario": _jsonable(data)})
    assert answer.status_code == 422
    body = answer.json()
    assert body["problems"] == cli
    assert len(cli) >= 6
    assert body["detail"].startswith(f"invalid input in request body ({len(cli)} problems):")
    fields = {f["field"] for f in body["fields"]}
    assert "scenario.sites[0].power_capacity_mw" in fields
    assert "scenario.market.btc_price_usdx" in fields
    assert "scenario.as_of" in fields
    assert any("did you mean 'btc_price_usd'" in p for p in body["problems"])
    assert any("fractions are written as fractions" in p for p in body["problems"])


def test_request_fields_and_scenario_problems_are_reported_together(
    client: TestClient, scenario_json: dict[str, Any]
) -> None:
    scenario_json["horizon_months"] = 0
    answer = client.post(
        "/simulate", json={"paths": 10, "seed": -1, "colour": "red", "scenario": scenario_json}
    )
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    assert "horizon_months: 0 — Input should be greater than or equal to 1" in problems
    assert "paths: 10 — Input should be greater than or equal to 1000" in problems
    assert "seed: -1 — Input should be greater than or equal to 0" in problems
    assert "colour — unknown field" in problems


def test_body_that_is_not_json_is_422(client: TestClient) -> None:
    answer = client.post(
        "/simulate", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert "JSON does not parse" in answer.json()["problems"][0]
    # the error's location is a character of the body, not a field named "[0]"
    assert [f["field"] for f in answer.json()["fields"]] == ["(request)"]


def test_start_past_the_modelled_years_is_422_naming_the_dates(
    client: TestClient, scenario_json: dict[str, Any]
) -> None:
    # month dates end in 9999-12 (pandas' in 2262); past it the simulation used to fail
    # with HTTP 500: the scenario now refuses dates after 2200-01-01 up front
    scenario_json.update(start_date="9999-01-01", as_of="9998-12-31", horizon_months=13)
    answer = client.post("/simulate", json={**FAST, "scenario": scenario_json, "save": False})
    assert answer.status_code == 422, answer.text
    fields = {f["field"]: f["message"] for f in answer.json()["fields"]}
    assert set(fields) == {"scenario.start_date", "scenario.as_of"}
    assert "must be between 2009-01-01 and 2200-01-01" in fields["scenario.start_date"]
    scenario_json.update(start_date="2199-12-01", as_of="2199-12-01", horizon_months=12)
    scenario_json["network_model"]["model"] = "fixed_growth"  # no frontier J/TH in 2199
    answer = client.post("/simulate", json={**FAST, "scenario": scenario_json, "save": False})
    assert answer.status_code == 200, answer.text


def test_files_named_in_a_request_are_refused(
    client: TestClient, scenario_json: dict[str, Any], tmp_path: Path
) -> None:
    scenario_json["market_model"]["btc_price"] = {
        "model": "bootstrap",
        "history_csv": "/etc/passwd",
    }
    answer = client.post("/simulate", json={**FAST, "scenario": scenario_json})
    assert answer.status_code == 422
    (field,) = answer.json()["fields"]
    assert field["field"] == "scenario.market_model.btc_price.history_csv"
    assert "reads no file named in a request" in field["message"]
    data = tmp_path / "data"
    data.mkdir()
    (data / "history.csv").write_text("date\n", encoding="utf-8")
    boot = {"model": "bootstrap", "history_csv": "history.csv"}
    base = Scenario.model_validate(scenario_json | {"market_model": {"btc_price": boot}})
    inside = confine_files(base, data)
    assert inside.market_model.btc_price.history_csv == (data / "history.csv").resolve()  # type: ignore[union-attr]
    boot["history_csv"] = "../data/../../x.csv"
    bad = Scenario.model_validate(scenario_json | {"market_model": {"btc_price": boot}})
    with pytest.raises(ProblemError, match="must be a path inside"):
        confine_files(bad, data)


# --------------------------------------------------------------------------- plan, dispatch


def test_plan_solves_and_saves_with_its_settings(client: TestClient, store: Path) -> None:
    planner = {
        "scenarios": 50,
        "horizon_periods": 4,
        "evaluation_paths": 1000,
        "frontier_risk_aversions": [],
    }
    answer = client.post("/plan", json={"planner": planner})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["result"]["status"] == "optimal"
    assert body["result"]["schedule"]
    record = RunStore(store).get_run(body["run_id"])
    assert record.kind == "plan"
    assert record.summary["planner"]["scenarios"] == 50
    assert record.per_path_format == "arrays"


def test_plan_invalid_settings_use_the_cli_messages(client: TestClient) -> None:
    answer = client.post("/plan", json={"planner": {"cvar_alpha_frac": 2, "scenarios": 0}})
    assert answer.status_code == 422
    body = answer.json()
    assert any(
        p.startswith("cvar_alpha_frac: 2 — Input should be less than 1") for p in body["problems"]
    )
    assert {f["field"] for f in body["fields"]} == {
        "planner.cvar_alpha_frac",
        "planner.scenarios",
    }


def test_an_infeasible_plan_is_422_about_the_whole_request(client: TestClient) -> None:
    planner = {"scenarios": 10, "horizon_periods": 2, "evaluation_paths": 1000,
               "frontier_risk_aversions": [], "max_ai_share_frac": 0.0}  # fmt: skip
    answer = client.post("/plan", json={"planner": planner, "save": False})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["problems"][0].startswith("infeasible: max AI share")
    # each problem line has its field, as for every other 422 (it used to have none)
    assert body["fields"] == [{"field": "(request)", "message": body["problems"][0]}]


def test_plan_over_the_path_month_limit_is_422(tmp_path: Path) -> None:
    with make_client(tmp_path / "s.duckdb", max_path_months=10_000) as c:
        answer = c.post("/plan", json={"planner": {"scenarios": 500}})
        assert answer.status_code == 422
        assert answer.json()["fields"][0]["field"] == "planner.scenarios"


def _prices(hours: int) -> list[float]:
    return [30.0 + 20.0 * ((h % 24) in range(14, 20)) + (300.0 if h % 97 == 0 else 0.0)
            for h in range(hours)]  # fmt: skip


def test_dispatch_the_default_sites_on_given_prices(client: TestClient, store: Path) -> None:
    body = {"start_date": "2024-07-01", "prices_usd_per_mwh": _prices(72), "ai_mw": 10}
    answer = client.post("/dispatch", json=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result["hours"] == 72
    assert result["first_day"] == "2024-07-01"
    assert len(result["sites"]) == len(packaged_scenario().sites)
    assert "ai_conversion" in result
    record = RunStore(store).get_run(answer.json()["run_id"])
    assert record.kind == "dispatch"
    assert record.scenario_name == "dispatch"


def test_dispatch_refuses_nan_prices_and_mismatched_load(client: TestClient) -> None:
    prices = _prices(48)
    prices[5] = float("nan")
    answer = client.post(
        "/dispatch",
        content=json.dumps({"start_date": "2024-07-01", "prices_usd_per_mwh": prices}),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["field"] == "prices_usd_per_mwh[5]"
    assert "finite" in answer.json()["problems"][0]
    mismatch = {"start_date": "2024-07-01", "prices_usd_per_mwh": _prices(48),
                "system_load_mw": [1.0] * 24}  # fmt: skip
    answer = client.post("/dispatch", json=mismatch)
    assert answer.status_code == 422
    assert "same hours" in answer.json()["detail"]


def test_dispatch_btc_price_has_the_clis_lower_bound(client: TestClient) -> None:
    # hashprice / 5e-324 USD/BTC overflowed to infinite BTC mined (null in the answer)
    body = {"start_date": "2024-07-01", "prices_usd_per_mwh": _prices(24),
            "btc_price_usd": 5e-324, "save": False}  # fmt: skip
    answer = client.post("/dispatch", json=body)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["fields"]] == ["btc_price_usd"]
    answer = client.post("/dispatch", json=body | {"btc_price_usd": 1e-9})
    assert answer.status_code == 200, answer.text
    assert np.isfinite(answer.json()["result"]["btc_mined"])


def test_dispatch_4cp_without_load_is_422_from_the_library(client: TestClient) -> None:
    site = {"name": "s", "tiers": [{"efficiency_j_per_th": 20, "power_mw": 10}],
            "four_cp": {"strategy": "heuristic"}}  # fmt: skip
    body = {"start_date": "2024-07-01", "prices_usd_per_mwh": _prices(48), "sites": [site]}
    answer = client.post("/dispatch", json=body)
    assert answer.status_code == 422
    assert "needs system load data" in answer.json()["detail"]


def test_dispatch_hour_limit(tmp_path: Path) -> None:
    with make_client(tmp_path / "s.duckdb", max_dispatch_hours=48) as c:
        body = {"start_date": "2024-07-01", "prices_usd_per_mwh": _prices(72)}
        answer = c.post("/dispatch", json=body)
        assert answer.status_code == 422
        assert answer.json()["fields"][0]["field"] == "prices_usd_per_mwh"


def test_the_app_serves_jobs_again_after_its_lifespan_ended(tmp_path: Path) -> None:
    # a second lifespan (the same app served again, as test clients do) used to find the
    # first one's job pool shut down and answer every computation 429 "shutting down"
    app = create_app(ServiceSettings(store=tmp_path / "s.duckdb", warmup=False))
    body = {"start_date": "2024-07-01", "prices_usd_per_mwh": _prices(24), "save": False}
    for _ in range(2):
        with TestClient(app) as c:
            answer = c.post("/dispatch", json=body)
            assert answer.status_code == 200, answer.text
            assert c.get("/healthz").json()["jobs"]["succeeded"] == 1


# --------------------------------------------------------------------------- runs


def test_runs_list_show_and_compare(client: TestClient) -> None:
    ids = [client.post("/simulate", json={**FAST, "seed": s}).json()["run_id"] for s in (10, 11)]
    runs = client.get("/runs", params={"kind": "run", "limit": 2}).json()["runs"]
    assert [r["run_id"] for r in runs] == ids[::-1]
    assert runs[0]["per_path_values"] > 0
    detail = client.get(f"/runs/{ids[0]}").json()
    assert detail["summary"]["seed"] == 10
    assert detail["scenario"]["name"] == packaged_scenario().name
    assert detail["per_path_arrays"]
    cmp = client.get("/runs/compare", params={"a": ids[0], "b": ids[1]}).json()
    assert cmp["a"]["run_id"] == ids[0]
    assert cmp["scenarios_differ"] is False
    seed = next(m for m in cmp["metrics"] if m["metric"] == "seed")
    assert (seed["a"], seed["b"], seed["diff"]) == (10, 11, 1.0)
    assert client.get("/runs", params={"kind": "bogus"}).status_code == 422
    assert client.get("/runs/compare", params={"a": ids[0], "b": "nope"}).status_code == 404


def test_dashboard_page_script_and_plotly_are_served_without_cdn(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    srcs = re.findall(r'<script src="([^"]+)"', page.text)
    assert [s.split("?")[0] for s in srcs] == ["static/plotly.min.js", "static/dashboard.js"]
    assert "http" not in page.text.split("<body>")[0]
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200
    assert len(js.content) > 1_000_000
    again = client.get("/static/plotly.min.js", headers={"if-none-match": js.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/static/dashboard.js").status_code == 200
    assert client.get("/static/dashboard.css").status_code == 200
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/app.py").status_code == 404
    for path in ("/", "/healthz"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_docs_pages_that_need_a_cdn_are_off(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_scenario_dates_round_trip(client: TestClient, scenario_json: dict[str, Any]) -> None:
    scenario_json["start_date"] = "2026-03-01"
    body = client.post("/simulate", json={**FAST, "scenario": scenario_json, "save": False})
    assert body.status_code == 200
    assert body.json()["result"]["month"][0] == dt.date(2026, 3, 1).strftime("%Y-%m")


# --------------------------------------------------------------------------- hardening


def test_a_tiny_difficulty_is_422_and_the_service_goes_on(
    client: TestClient, scenario_json: dict[str, Any]
) -> None:
    # once a segmentation fault in a compiled kernel that killed the server process
    scenario_json["market"]["difficulty"] = 1e-12
    answer = client.post("/simulate", json={**FAST, "scenario": scenario_json, "save": False})
    assert answer.status_code == 422, answer.text
    assert "blocks per day" in answer.json()["detail"]
    assert client.get("/healthz").status_code == 200


def test_a_plan_too_large_for_the_service_is_413_before_any_work(
    client: TestClient, scenario_json: dict[str, Any]
) -> None:
    planner = {"scenarios": 20_000, "horizon_periods": 40, "period_months": 3}
    started = time.perf_counter()
    answer = client.post("/plan", json={"scenario": scenario_json, "planner": planner})
    assert answer.status_code == 413, answer.text
    assert time.perf_counter() - started < 5
    (field,) = answer.json()["fields"]
    assert field["field"] == "planner.scenarios"
    assert "HASHPIVOT_MAX_PLAN_CELLS" in field["message"]


def test_a_store_past_its_quota_is_507_and_save_false_still_runs(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    with make_client(store, max_store_bytes=1 << 20) as c:
        assert c.post("/simulate", json=FAST).status_code == 200
        store.write_bytes(store.read_bytes() + b"\0" * (2 << 20))  # pass the quota
        full = c.post("/simulate", json=FAST)
        assert full.status_code == 507, full.text
        assert "HASHPIVOT_MAX_STORE_BYTES" in full.json()["detail"]
        assert c.post("/simulate", json={**FAST, "save": False}).status_code == 200


def test_errors_name_the_part_of_the_request_and_no_server_path(client: TestClient) -> None:
    answer = client.get("/runs?limit=lots")
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert "request body" not in body["detail"]
    assert body["fields"][0]["field"] == "query parameter limit"
    assert body["problems"][0].startswith("query parameter limit: 'lots' — ")
    missing = client.get("/runs/no-such-run")
    assert missing.status_code == 404
    assert "/" not in missing.json()["detail"].split("store")[1].split(";")[0]
    assert "<path>" in missing.json()["detail"]
