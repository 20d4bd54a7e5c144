"""``GET /comps`` and ``POST /value``: the CLI's JSON and the CLI's messages, over HTTP."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # starlette prefers httpx2 and says so on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from hashpivot.api.app import create_app
from hashpivot.api.compute import packaged_scenario
from hashpivot.api.settings import ServiceSettings
from hashpivot.cli import app as cli_app
from hashpivot.listed.catalog import company_names

SCENARIO = packaged_scenario().model_dump(mode="json")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = tmp_path_factory.mktemp("api-comps") / "runs.duckdb"
    with TestClient(create_app(ServiceSettings(store=store, warmup=False))) as c:
        yield c


def _cli_json(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    out: dict = json.loads(result.output)  # type: ignore[type-arg]
    return out


def test_comps_answers_what_the_cli_prints(client: TestClient) -> None:
    answer = client.get("/comps", params={"tickers": ["CIFR", "IREN"], "as_of": "2026-02-20"})
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert out == _cli_json("comps", "CIFR", "IREN", "--as-of", "2026-02-20", "--json")
    assert {r["ticker"] for r in out["rows"]} == {"CIFR", "IREN"}


def test_comps_covers_the_catalogue_by_default(client: TestClient) -> None:
    out = client.get("/comps").json()
    assert {r["ticker"] for r in out["rows"]} == set(company_names())
    for row in out["rows"]:
        assert row["equity_value_usd_per_share"] is not None or row["missing"]


def test_comps_unknown_ticker_names_the_field_and_the_closest(client: TestClient) -> None:
    answer = client.get("/comps", params={"tickers": ["IRNE"]})
    assert answer.status_code == 422
    body = answer.json()
    assert body["fields"][0]["field"] == "tickers"
    assert "unknown company 'IRNE'" in body["problems"][0]
    assert "IREN" in body["problems"][0]
    cli = CliRunner().invoke(cli_app, ["comps", "IRNE"])
    assert cli.exit_code == 2
    assert "unknown company 'IRNE'" in cli.output


def test_comps_date_before_the_files_is_refused_as_the_cli_does(client: TestClient) -> None:
    answer = client.get("/comps", params={"tickers": ["CIFR"], "as_of": "2020-01-01"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["fields"][0]["field"] == "as_of"
    assert "as_of: 2020-01-01 — must not be before the company files' as_of" in body["detail"]
    bad = client.get("/comps", params={"as_of": "2026-13-01"})
    assert bad.status_code == 422
    assert bad.json()["fields"][0]["field"] == "query parameter as_of"


def test_value_of_a_ticker_with_overrides_matches_the_cli(client: TestClient) -> None:
    body = {"ticker": "IREN", "overrides": {"btc_price_usd": 90_000.0, "wacc_frac_per_year": 0.1}}
    answer = client.post("/value", json=body)
    assert answer.status_code == 200, answer.text
    out = answer.json()
    cli = _cli_json("value", "IREN", "--btc-price", "90000", "--wacc", "0.1", "--json")
    assert out["enterprise_value_usd"] == pytest.approx(cli["enterprise_value_usd"], rel=1e-12)
    assert out["sotp"] == pytest.approx(cli["sotp"])
    assert out["subject"] == cli["subject"]
    # the override moves the value: a higher BTC price, a higher mining part
    low = client.post("/value", json={"ticker": "IREN", "overrides": {"btc_price_usd": 45_000.0}})
    assert low.json()["sotp"]["mining_usd"] < out["sotp"]["mining_usd"]


def test_value_of_the_default_scenario(client: TestClient) -> None:
    answer = client.post("/value", json={})
    assert answer.status_code == 200, answer.text
    out, cli = answer.json(), _cli_json("value", "--json")
    assert out["subject"] == cli["subject"] == "Illustrative Miner Inc."
    assert out["enterprise_value_usd"] == pytest.approx(cli["enterprise_value_usd"], rel=1e-12)
    assert out["sotp"] == pytest.approx(cli["sotp"])


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"ticker": "IRNE"}, "ticker", "unknown company 'IRNE'"),
        ({"ticker": "IREN", "overrides": {"wacc_frac_per_year": 1.5}},
         "overrides.wacc_frac_per_year", "overrides.wacc_frac_per_year"),
        # a rate of 5e-324 once divided an exit value's perpetuity by 0 (schemathesis)
        ({"overrides": {"mining_rate_frac_per_year": 5e-324}},
         "overrides.mining_rate_frac_per_year", "greater than or equal to 0.001"),
        ({"overrides": {"share_price_usd": 10.0}}, "overrides.share_price_usd",
         "applies to a listed company"),
        ({"ticker": "IREN", "scenario": SCENARIO}, "(request)", "both given"),
        ({"ticker": "IREN", "colour": "red"}, "colour", "colour"),
    ],
)  # fmt: skip
def test_value_bad_input_names_the_field(
    client: TestClient,
    body: dict,
    field: str,
    text: str,  # type: ignore[type-arg]
) -> None:
    answer = client.post("/value", json=body)
    assert answer.status_code == 422, answer.text
    out = answer.json()
    assert text in out["detail"]
    assert out["fields"][0]["field"] == field


def test_no_server_path_in_the_catalogue_answer(client: TestClient) -> None:
    text = client.get("/comps", params={"tickers": ["WULF"]}).text
    assert str(Path(__file__).resolve().parents[1]) not in text


def test_listed_endpoints_need_the_token_off_loopback(tmp_path: Path) -> None:
    settings = ServiceSettings(host="0.0.0.0", token="t" * 32, store=tmp_path / "r.duckdb",
                               warmup=False)  # fmt: skip
    with TestClient(create_app(settings)) as c:
        assert c.get("/comps").status_code == 401
        assert c.post("/value", json={}).status_code == 401
        auth = {"Authorization": "Bearer " + "t" * 32}
        assert c.get("/comps", params={"tickers": ["CIFR"]}, headers=auth).status_code == 200


def test_timeline_answers_what_the_cli_prints(client: TestClient) -> None:
    answer = client.get("/comps/timeline", params={"tickers": ["IREN"], "gpu": "H100 SXM"})
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert out == _cli_json("comps", "--timeline", "IREN", "--gpu", "H100 SXM", "--json")
    assert out["gpu_model"] == "H100 SXM"
    # 242.1 IT MW of H100 SXM (Microsoft 200 + the multi-year AI Cloud 42.1):
    # 242.1e6 W / (700 W x 1.3889) x 0.9894 PF = 246 378 PF
    it_w = (200 + 42.1) * 1e6
    assert out["rows"][-1]["ai_bf16_pflops"] == pytest.approx(it_w / (700 * 120 / 86.4) * 0.9894)


def test_timeline_bad_input_names_the_field(client: TestClient) -> None:
    gpu = client.get("/comps/timeline", params={"gpu": "Z900"})
    assert gpu.status_code == 422
    assert gpu.json()["fields"][0]["field"] == "gpu"
    assert "unknown GPU model 'Z900'" in gpu.json()["detail"]
    ticker = client.get("/comps/timeline", params={"tickers": ["IRNE"]})
    assert ticker.status_code == 422
    assert ticker.json()["fields"][0]["field"] == "tickers"
