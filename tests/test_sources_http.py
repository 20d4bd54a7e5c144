"""The shared HTTP client: retries with backoff, no retry on 4xx, user agent, rate limit."""

from __future__ import annotations

import httpx
import pytest
import respx

from hashpivot.errors import HashpivotError
from hashpivot.sources.http import (
    USER_AGENT,
    HttpClient,
    HttpSettings,
    SourceFormatError,
    SourceUnavailableError,
    resolve_base_url,
)

BASE = "http://127.0.0.1:8997"


def _client(sleeps: list[float], **settings: float) -> HttpClient:
    return HttpClient("Test API", BASE, HttpSettings(**settings), sleep=sleeps.append)  # type: ignore[arg-type]


@respx.mock
def test_retries_5xx_with_doubling_backoff_then_succeeds() -> None:
    route = respx.get(f"{BASE}/x").mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"a": 1})]
    )
    sleeps: list[float] = []
    body = _client(sleeps, min_interval_s=0.0, backoff_s=0.5).get_json("/x")
    assert body == {"a": 1}
    assert route.call_count == 3
    assert sleeps == [0.5, 1.0]  # backoff_s · 2^k for k = 0, 1


@respx.mock
def test_retry_after_header_is_honoured_up_to_the_cap() -> None:
    respx.get(f"{BASE}/x").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(200, text="ok"),
        ]
    )
    sleeps: list[float] = []
    assert _client(sleeps, min_interval_s=0.0, max_backoff_s=8.0).get_text("/x") == "ok"
    assert sleeps == [3.0]


@respx.mock
def test_client_errors_are_not_retried_and_name_the_url() -> None:
    route = respx.get(f"{BASE}/missing").respond(404)
    with pytest.raises(
        SourceUnavailableError, match=rf"Test API: cannot fetch {BASE}/missing: HTTP 404"
    ):
        _client([], min_interval_s=0.0).get_json("/missing")
    assert route.call_count == 1


@respx.mock
def test_transport_errors_give_up_after_the_attempts() -> None:
    route = respx.get(f"{BASE}/x").mock(side_effect=httpx.ConnectError("refused"))
    sleeps: list[float] = []
    with pytest.raises(SourceUnavailableError, match=r"ConnectError: refused after 3 attempts"):
        _client(sleeps, min_interval_s=0.0, attempts=3).get_json("/x")
    assert route.call_count == 3
    assert len(sleeps) == 2


@respx.mock
def test_user_agent_is_sent_and_a_body_that_is_not_json_is_refused() -> None:
    route = respx.get(f"{BASE}/x").respond(200, text="<html>")
    with pytest.raises(SourceFormatError, match=r"Test API: unexpected answer .* not JSON"):
        _client([], min_interval_s=0.0).get_json("/x")
    assert route.calls.last.request.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("hashpivot/")


@respx.mock
def test_rate_limit_waits_between_requests() -> None:
    respx.get(f"{BASE}/x").respond(200, text="ok")
    sleeps: list[float] = []
    client = _client(sleeps, min_interval_s=10.0)
    client.get_text("/x")
    client.get_text("/x")
    assert len(sleeps) == 1
    assert 9.0 < sleeps[0] <= 10.0  # the second request waits out the rest of the 10 s


def test_base_url_from_argument_env_or_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HP_TEST_URL", raising=False)
    assert resolve_base_url(None, "HP_TEST_URL", "https://example.org/") == "https://example.org"
    monkeypatch.setenv("HP_TEST_URL", "http://127.0.0.1:1/api/")
    assert resolve_base_url(None, "HP_TEST_URL", "https://x") == "http://127.0.0.1:1/api"
    assert (
        resolve_base_url("http://127.0.0.1:2", "HP_TEST_URL", "https://x") == "http://127.0.0.1:2"
    )
    with pytest.raises(HashpivotError, match=r"base URL 'ftp://x' — must start with http"):
        resolve_base_url("ftp://x", "HP_TEST_URL", "https://x")


def test_settings_refuse_zero_attempts() -> None:
    with pytest.raises(HashpivotError, match="attempts: 0"):
        HttpSettings(attempts=0)
