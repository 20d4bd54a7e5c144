"""Service settings, the token (header and dashboard cookie), request-size limits."""

from __future__ import annotations

import asyncio
import json
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # starlette prefers httpx2 and says so on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from hashpivot.api.app import create_app
from hashpivot.api.guard import COOKIE, Guard
from hashpivot.api.settings import ServiceSettings, is_loopback
from hashpivot.cli import app as cli_app
from hashpivot.errors import SpecError

TOKEN = "s3cret-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_off_loopback_without_a_token_refuses_to_start() -> None:
    with pytest.raises(SpecError, match="refuses to start without a token") as info:
        ServiceSettings.load({"host": "0.0.0.0"}, environ={})
    assert "HASHPIVOT_TOKEN" in str(info.value)
    ok = ServiceSettings.load({"host": "0.0.0.0"}, environ={"HASHPIVOT_TOKEN": TOKEN})
    assert ok.token_value == TOKEN
    assert TOKEN not in repr(ok)


def test_token_rules_and_env_precedence() -> None:
    with pytest.raises(SpecError, match="at least 16 characters"):
        ServiceSettings.load({"token": "short"}, environ={})
    with pytest.raises(SpecError, match="without spaces"):
        ServiceSettings.load({"token": "a token with spaces inside"}, environ={})
    env = {"HASHPIVOT_PORT": "9001", "HASHPIVOT_MAX_PATH_MONTHS": "5000", "HASHPIVOT_SAVE": "false"}
    s = ServiceSettings.load({"port": 9002}, environ=env)
    assert (s.port, s.max_path_months, s.save) == (9002, 5000, False)
    assert ServiceSettings.load({}, environ={"HASHPIVOT_TOKEN": ""}).token is None


def test_bad_settings_name_their_variable_or_option() -> None:
    with pytest.raises(SpecError) as info:
        ServiceSettings.load({"max_request_bytes": 10}, environ={"HASHPIVOT_PORT": "http"})
    text = str(info.value)
    assert "port (HASHPIVOT_PORT): 'http' — Input should be a valid integer" in text
    assert "max_request_bytes (--max-request-bytes): 10 — Input should be greater" in text


def test_serve_command_refuses_a_public_host_without_a_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HASHPIVOT_TOKEN", raising=False)
    res = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--port", "8765"])
    assert res.exit_code == 2
    assert "refuses to start without a token" in res.output
    assert "--help" not in res.output
    help_text = CliRunner().invoke(cli_app, ["serve", "--help"]).output
    assert "HASHPIVOT_TOKEN" in help_text


# --------------------------------------------------------------------------- token


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "runs.duckdb"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = tmp_path_factory.mktemp("guarded") / "runs.duckdb"
    settings = ServiceSettings(host="0.0.0.0", token=TOKEN, store=store, warmup=False)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz"),
        ("GET", "/runs"),
        ("GET", "/scenarios/default"),
        ("GET", "/static/plotly.min.js"),
        ("GET", "/openapi.json"),
        ("POST", "/simulate"),
        ("GET", "/jobs/" + "0" * 32),
        ("GET", "/"),
    ],
)
def test_every_request_needs_the_token(guarded: TestClient, method: str, path: str) -> None:
    answer = guarded.request(method, path, json={} if method == "POST" else None)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="hashpivot"'
    assert "Authorization: Bearer" in answer.json()["detail"]
    wrong = guarded.request(method, path, headers={"Authorization": "Bearer " + "x" * 33})
    assert wrong.status_code == 401


def test_the_bearer_token_opens_every_endpoint(guarded: TestClient) -> None:
    assert guarded.get("/healthz", headers=AUTH).json()["token_required"] is True
    assert guarded.get("/", headers=AUTH).status_code == 200
    assert guarded.get("/static/dashboard.js", headers=AUTH).status_code == 200
    answer = guarded.post("/simulate", headers=AUTH, json={"paths": 1})
    assert answer.status_code == 422


def test_dashboard_login_sets_a_cookie_that_is_not_the_token(guarded: TestClient) -> None:
    page = guarded.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 401
    assert "<form method='post' action='/login'>" in page.text
    bad = guarded.post("/login", data={"token": "nope"}, follow_redirects=False)
    assert bad.status_code == 401
    assert "wrong token" in bad.text
    good = guarded.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert good.status_code == 303
    assert good.headers["location"] == "/"
    cookie = good.headers["set-cookie"]
    session = cookie.split(";")[0].removeprefix(f"{COOKIE}=")
    assert len(session) >= 40
    assert TOKEN not in cookie
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"):
        assert flag in cookie
    again = guarded.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert session not in again.headers["set-cookie"]  # a new random id per sign-in
    jar = {COOKIE: session}
    client = TestClient(guarded.app, cookies=jar)
    assert client.get("/").status_code == 200
    assert client.get("/runs").status_code == 200
    # changing something with the cookie alone needs the dashboard's header (CSRF)
    refused = client.post("/simulate", json={"paths": 1})
    assert refused.status_code == 403
    assert "X-Hashpivot-Client" in refused.json()["detail"]
    allowed = client.post("/simulate", json={"paths": 1}, headers={"X-Hashpivot-Client": "t"})
    assert allowed.status_code == 422
    out = client.post("/logout", follow_redirects=False)
    assert out.status_code == 303
    assert "Max-Age=0" in out.headers["set-cookie"]
    # logout ends the session on the server: the old cookie no longer opens anything
    replayed = TestClient(guarded.app, cookies=jar)
    assert replayed.get("/runs").status_code == 401


def test_sessions_expire(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = ServiceSettings(token=TOKEN, store=store, warmup=False, session_ttl_s=60)
    with TestClient(create_app(settings)) as c:
        good = c.post("/login", data={"token": TOKEN}, follow_redirects=False)
        session = good.headers["set-cookie"].split(";")[0].removeprefix(f"{COOKIE}=")
        client = TestClient(c.app, cookies={COOKIE: session})
        assert client.get("/runs").status_code == 200
        now = time.monotonic()
        monkeypatch.setattr("hashpivot.api.guard.time.monotonic", lambda: now + 61)
        assert client.get("/runs").status_code == 401


@pytest.mark.parametrize(
    ("host", "status"),
    [("127.0.0.1:8000", 200), ("localhost", 200), ("[::1]:8000", 200), ("testserver", 200),
     ("evil.example:8000", 421), ("127.0.0.1.evil.example", 421)],
)  # fmt: skip
def test_a_tokenless_server_answers_only_to_its_own_host_names(
    store: Path, host: str, status: int
) -> None:
    # DNS rebinding: a page at evil.example resolved to 127.0.0.1 sends Host: evil.example
    with TestClient(create_app(ServiceSettings(store=store, warmup=False))) as c:
        answer = c.get("/healthz", headers={"Host": host})
        assert answer.status_code == status, answer.text
        if status == 421:
            assert "HASHPIVOT_ALLOWED_HOSTS" in answer.json()["detail"]
    allowed = ServiceSettings(store=store, warmup=False, allowed_hosts="hp.example, other")
    with TestClient(create_app(allowed)) as c:
        assert c.get("/healthz", headers={"Host": "hp.example:8000"}).status_code == 200
        assert c.get("/healthz", headers={"Host": "evil.example"}).status_code == 421


def test_bodies_that_are_not_json_get_415(store: Path) -> None:
    with TestClient(create_app(ServiceSettings(store=store, warmup=False))) as c:
        answer = c.post("/simulate", content=b"paths: 1000", headers={"Content-Type": "text/yaml"})
        assert answer.status_code == 415
        assert "application/json" in answer.json()["detail"]
        ok = c.post(
            "/simulate", content=b'{"paths": 1}', headers={"Content-Type": "application/json"}
        )
        assert ok.status_code == 422


def _call(app: Any, scope: dict[str, Any], body: bytes = b"") -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    data = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, data


def test_a_public_socket_without_a_token_is_refused_whatever_started_it() -> None:
    reached: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = Guard(inner, ServiceSettings(warmup=False))
    scope = {"type": "http", "method": "GET", "path": "/healthz", "headers": [],
             "server": ("10.1.2.3", 8000), "root_path": ""}  # fmt: skip
    status, body = _call(guard, scope)
    assert status == 503
    assert "without a token" in json.loads(body)["detail"]
    assert reached == []
    status, body = _call(guard, {**scope, "server": ("127.0.0.1", 8000)})
    assert (status, body, reached) == (200, b"ok", ["/healthz"])


# --------------------------------------------------------------------------- size


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = tmp_path_factory.mktemp("small") / "runs.duckdb"
    with TestClient(
        create_app(ServiceSettings(max_request_bytes=2048, store=store, warmup=False))
    ) as c:
        yield c


def test_a_large_body_is_413_by_content_length(small: TestClient) -> None:
    answer = small.post("/simulate", json={"paths": 1000, "pad": "x" * 5000})
    assert answer.status_code == 413
    assert "HASHPIVOT_MAX_REQUEST_BYTES" in answer.json()["detail"]
    assert "2,048 bytes" in answer.json()["detail"]


def test_a_large_chunked_body_is_413_as_it_arrives(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"paths": 1000, "pad": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    answer = small.post("/simulate", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_a_body_under_the_limit_passes(small: TestClient) -> None:
    answer = small.post("/simulate", json={"paths": 1})
    assert answer.status_code == 422
    assert (
        small.post("/simulate", content=b"{}", headers={"content-length": "x"}).status_code == 400
    )


def test_validation_error_never_echoes_a_token(guarded: TestClient) -> None:
    answer = guarded.post("/simulate", headers=AUTH, json={"paths": "lots"})
    assert TOKEN not in answer.text
    assert answer.json()["problems"] == [
        "paths: 'lots' — Input should be a valid integer, unable to parse string as an integer"
    ]


def test_settings_are_frozen() -> None:
    s = ServiceSettings(warmup=False)
    with pytest.raises(ValidationError):
        s.port = 1  # type: ignore[misc]


def test_health_shows_the_store_is_not_leaked(tmp_path: Path) -> None:
    with TestClient(create_app(ServiceSettings(store=tmp_path / "r.duckdb", warmup=False))) as c:
        assert str(tmp_path) not in c.get("/healthz").text
