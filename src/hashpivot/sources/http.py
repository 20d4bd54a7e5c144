"""One HTTP client for every live-data adapter: timeouts, retries, backoff, rate limit.

It sends a clear user agent, and its errors name the source and the URL.

Every adapter reaches the network only through :class:`HttpClient`, so that one place sets
how long a dead host can hold a command (at most ``attempts × connect timeout`` plus the
backoff: about 16 s with the defaults) and how hard a public API is hit (one request per
``min_interval_s`` per client). Transport failures and answers 429/5xx are retried with
exponential backoff (``backoff_s · 2^k``, capped at ``max_backoff_s``); other 4xx answers
are refused at once. Nothing is cached here: :mod:`hashpivot.sources.cache` stores the
results after an adapter has checked them.

References
----------
.. [1] httpx timeouts and transports: https://www.python-httpx.org/advanced/timeouts/
.. [2] Retry-After and 429 Too Many Requests: RFC 9110 section 10.2.3 and RFC 6585 section 4,
   https://www.rfc-editor.org/rfc/rfc9110#field.retry-after

"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from hashpivot import __version__
from hashpivot.errors import HashpivotError

USER_AGENT = f"hashpivot/{__version__} (open-source Bitcoin-mining and AI-compute model; httpx)"
"""User agent of every request: the tool, its version and what it is."""

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class SourceUnavailableError(HashpivotError):
    """A data source that could not be reached, or that refused the request."""

    def __init__(self, source: str, url: str, reason: str) -> None:
        self.source = source
        self.url = url
        super().__init__(f"{source}: cannot fetch {url}: {reason}")


class SourceFormatError(HashpivotError):
    """An answer that is not in the documented format (a changed API); nothing is cached."""

    def __init__(self, source: str, url: str, problem: str) -> None:
        self.source = source
        self.url = url
        super().__init__(
            f"{source}: unexpected answer from {url}: {problem} "
            "(the API may have changed; nothing was written to the cache)"
        )


@dataclass(frozen=True)
class HttpSettings:
    """How the client talks to a source.

    Defaults are assumptions: 5 s to connect and 20 s to read suit public JSON APIs;
    3 attempts with 0.5 s, 1 s backoff; one request per 0.5 s per client is below the
    limits the public explorers publish (mempool.space asks users to self-host for bulk
    use, https://mempool.space/docs/api/rest).
    """

    connect_timeout_s: float = 5.0
    read_timeout_s: float = 20.0
    attempts: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 8.0
    min_interval_s: float = 0.5
    user_agent: str = USER_AGENT

    def __post_init__(self) -> None:
        if self.attempts < 1:
            msg = f"attempts: {self.attempts} — must be at least 1"
            raise HashpivotError(msg)
        if min(self.connect_timeout_s, self.read_timeout_s) <= 0:
            msg = "connect_timeout_s and read_timeout_s must be > 0 [s]"
            raise HashpivotError(msg)


def resolve_base_url(explicit: str | None, env_var: str, default: str) -> str:
    """The base URL of a source: the one given, else ``$env_var``, else the public default."""
    url = explicit or os.environ.get(env_var) or default
    if not url.startswith(("http://", "https://")):
        msg = f"base URL {url!r} — must start with http:// or https://"
        raise HashpivotError(msg)
    return url.rstrip("/")


@dataclass
class HttpClient:
    """GET JSON or text from one source at ``base_url``, politely and with retries.

    Parameters
    ----------
    source
        Name of the source, for messages (``mempool.space``, ``Coin Metrics``).
    base_url
        Root URL; paths are joined to it.
    settings
        Timeouts, retries, backoff, rate limit and user agent.
    transport
        An httpx transport (tests pass ``httpx.MockTransport``); default: the network.
    sleep
        Called to wait (tests pass a recorder).

    """

    source: str
    base_url: str
    settings: HttpSettings = field(default_factory=HttpSettings)
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    _last_request: float = field(default=-1e18, init=False, repr=False)

    def url(self, path: str) -> str:
        """The full URL of ``path``."""
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``path`` and decode its JSON body; a body that is not JSON is refused."""
        response = self._get(path, params)
        try:
            return response.json()
        except ValueError:
            raise SourceFormatError(self.source, self.url(path), "the body is not JSON") from None

    def get_text(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """GET ``path`` and return its body as text."""
        return self._get(path, params).text

    def _wait_turn(self) -> None:
        gap = self.settings.min_interval_s - (time.monotonic() - self._last_request)
        if gap > 0:
            self.sleep(gap)
        self._last_request = time.monotonic()

    def _backoff_s(self, attempt: int, response: httpx.Response | None) -> float:
        delay: float = min(self.settings.backoff_s * 2.0**attempt, self.settings.max_backoff_s)
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after is not None and retry_after.strip().isdigit():
            delay = min(max(delay, float(retry_after)), self.settings.max_backoff_s)
        return delay

    def _get(self, path: str, params: Mapping[str, str] | None) -> httpx.Response:
        url = self.url(path)
        s = self.settings
        timeout = httpx.Timeout(s.read_timeout_s, connect=s.connect_timeout_s)
        headers = {"User-Agent": s.user_agent, "Accept": "application/json, text/plain"}
        reason = ""
        with httpx.Client(timeout=timeout, headers=headers, transport=self.transport) as client:
            for attempt in range(s.attempts):
                self._wait_turn()
                response = None
                try:
                    response = client.get(url, params=params)
                except httpx.TransportError as exc:
                    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                else:
                    if response.status_code < 400:
                        return response
                    reason = f"HTTP {response.status_code}"
                    if response.status_code not in _RETRY_STATUS:
                        raise SourceUnavailableError(self.source, url, reason)
                if attempt + 1 < s.attempts:
                    self.sleep(self._backoff_s(attempt, response))
        raise SourceUnavailableError(self.source, url, f"{reason} after {s.attempts} attempts")
