"""A live ``hashpivot serve`` on loopback, in a subprocess: for tests, benchmarks and scripts.

>>> with LiveServer(store=tmp / "runs.duckdb") as server:  # doctest: +SKIP
...     httpx.get(server.url + "healthz").json()["status"]
'ok'

The server binds 127.0.0.1 on a free port and is stopped (SIGTERM, then SIGKILL) on exit;
its output goes to a log file whose tail is shown if it fails to start.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

START_TIMEOUT_S = 60.0
"""Longest wait for the server to answer /healthz (and finish warming up). [s]"""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """``hashpivot serve`` on 127.0.0.1 and a free port, as a context manager.

    Parameters
    ----------
    store
        Run store file of the server.
    args
        More ``serve`` options, e.g. ``["--workers", "2"]``.
    env
        More environment variables (``HASHPIVOT_TOKEN``, ...).
    wait_warm
        Wait until the start-up simulation has finished.
    token
        The server's token (HASHPIVOT_TOKEN); None starts it without one, whatever the
        environment says.

    """

    def __init__(
        self,
        store: Path,
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
        wait_warm: bool = True,
        token: str | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = free_port(self.host)
        self.url = f"http://{self.host}:{self.port}/"
        self.store = store
        self.args = list(args or [])
        self.env = dict(env or {})
        self.wait_warm = wait_warm
        self.token = token
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="hashpivot-serve-", suffix=".log")[1])

    def _command(self) -> list[str]:
        launch = "import sys; from hashpivot.cli import app; sys.exit(app())"
        return [
            sys.executable, "-c", launch, "serve", "--host", self.host, "--port",
            str(self.port), "--store", str(self.store), "--log-level", "warning", *self.args,
        ]  # fmt: skip

    def _health(self) -> dict[str, object] | None:
        request = urllib.request.Request(self.url + "healthz")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                body: dict[str, object] = json.loads(answer.read())
                return body
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def start(self) -> LiveServer:
        """Start the server and wait until it answers (and is warm, if asked)."""
        env = {**os.environ, **self.env, "HASHPIVOT_TOKEN": self.token or ""}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self._command(), stdout=log, stderr=subprocess.STDOUT, env=env
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            health = self._health()
            if health is not None and (health.get("warm") or not self.wait_warm):
                return self
            time.sleep(0.1)
        self.stop()
        tail = self.log_path.read_text(errors="replace")[-3000:]
        msg = f"hashpivot serve did not start on {self.url}; its output:\n{tail}"
        raise RuntimeError(msg)

    def stop(self) -> int | None:
        """Stop the server; its exit code (None if it had to be killed)."""
        if self.process is None:
            return None
        proc, self.process = self.process, None
        if proc.poll() is None:
            proc.terminate()
            try:
                return proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
                return None
        return proc.returncode

    def log(self) -> str:
        """What the server printed."""
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
