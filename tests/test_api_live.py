"""A live ``hashpivot serve`` (uvicorn) on 127.0.0.1: token, 16 concurrent clients, no lost runs.

Bounded: 16 clients × 2 rounds × 3 requests, every request with a 60 s timeout, the whole
load within 120 s; traffic only to 127.0.0.1.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hashpivot.api.live import LiveServer
from hashpivot.store.runstore import RunStore

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

TOKEN = "live-test-token-0123456789abcdef"
CLIENTS = 16
ROUNDS = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = tmp_path_factory.mktemp("live") / "runs.duckdb"
    with LiveServer(store, token=TOKEN, args=["--workers", "2"]) as live:
        yield live


def test_live_server_needs_its_token(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("healthz").status_code == 401
        answer = client.get("healthz", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
        assert answer.json()["warm"] is True
        page = client.get("", headers={"Accept": "text/html"})
        assert page.status_code == 401
        assert "Sign in" in page.text


def test_16_concurrent_clients_get_no_errors_and_no_run_is_lost(server: LiveServer) -> None:
    errors: list[str] = []
    run_ids: list[str] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def client_loop(k: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60, headers=headers) as client:
            for r in range(ROUNDS):
                body = {"paths": 1000, "seed": 100 * k + r, "frontier": False}
                for method, path, payload in (
                    ("POST", "simulate", body),
                    ("GET", "runs?limit=5", None),
                    ("GET", "healthz", None),
                ):
                    try:
                        answer = client.request(method, path, json=payload)
                    except httpx.HTTPError as exc:
                        with lock:
                            errors.append(f"{method} {path}: {exc!r}")
                        continue
                    with lock:
                        if answer.status_code != 200:
                            errors.append(f"{method} {path}: {answer.status_code} {answer.text}")
                        elif method == "POST":
                            run_ids.append(answer.json()["run_id"])

    start = time.monotonic()
    threads = [threading.Thread(target=client_loop, args=(k,), daemon=True) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(120 - (time.monotonic() - start), 1))
    assert not any(t.is_alive() for t in threads), "clients still running after 120 s"
    assert errors == []
    assert len(run_ids) == CLIENTS * ROUNDS
    assert len(set(run_ids)) == len(run_ids)
    stored = {r.run_id for r in RunStore(server.store).list_runs(limit=None)}
    assert set(run_ids) <= stored
    assert RunStore(server.store).check() == []


def test_stopping_the_server_is_clean(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "runs.duckdb", wait_warm=False, args=["--no-warmup"]).start()
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal: exit -15
    assert live.stop() in {0, -signal.SIGTERM}
    assert "Traceback" not in live.log()
