"""The service's gate (ASGI middleware): token, request size, security headers.

Token
    With a token set (always, when bound off loopback), every request must prove it
    knows it, the dashboard page and its scripts included, in one of two ways:

    * ``Authorization: Bearer <token>`` -- scripts, ``curl``, a reverse proxy;
    * the session cookie ``hashpivot_session`` -- a browser. Opening the dashboard
      without it shows a login form (HTTP 401); ``POST /login`` with the token sets the
      cookie (HttpOnly, SameSite=Strict, Secure over HTTPS) to a random session id, not
      the token, and redirects to the dashboard. A session lasts ``session_ttl_s``;
      ``POST /logout`` ends it on the server (the old cookie no longer works) and clears it.
      Requests that change anything and carry only the cookie must also send the header
      ``X-Hashpivot-Client`` (the dashboard does): a cross-site form cannot set it, so a
      page elsewhere cannot make the browser run jobs.

    Tokens are compared in constant time. A connection that arrives on a public address
    while no token is set is refused (HTTP 503), whatever started the server.

Host
    A request whose ``Host`` is not a loopback name, the bound address or one of
    ``allowed_hosts`` gets HTTP 421, when the server has no token or ``allowed_hosts`` is
    set: a web page cannot reach a tokenless loopback server through DNS rebinding.

Size and type
    Bodies above ``max_request_bytes`` are refused with HTTP 413 before the app reads
    them, by ``Content-Length`` or, for chunked bodies, as they arrive. A body that is
    not ``application/json`` gets HTTP 415.
"""

from __future__ import annotations

import hmac
import html
import ipaddress
import json
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from hashpivot.api.settings import ServiceSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "hashpivot_session"
"""Name of the dashboard's session cookie."""
CLIENT_HEADER = b"x-hashpivot-client"
"""Header a cookie-authenticated request that changes something must send."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_LOGIN_BYTES = 4096

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
"""Host names that always reach this machine only."""


def new_session_id() -> str:
    """A random session id (256 bits), unrelated to the token."""
    return secrets.token_urlsafe(32)


def _host_name(value: str) -> str:
    """The host of a ``Host`` header, without its port, lower-case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _public_ip(host: str) -> bool:
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name, as TestClient's "testserver": not a bound socket


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


def _cookie(scope: Scope) -> str | None:
    raw = _header(scope, b"cookie")
    if raw is None:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return None if morsel is None else morsel.value


def _path(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list[Any]) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def _send_html(send: Send, status: int, text: str, headers: list[Any]) -> None:
    data = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(data)).encode()),
                (
                    b"content-security-policy",
                    b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                    b"frame-ancestors 'none'",
                ),
                (b"cache-control", b"no-store"),
                *headers,
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def _problem(message: str) -> dict[str, Any]:
    return {"detail": message, "problems": [message], "fields": []}


def login_page(root_path: str, error: str = "") -> str:
    """The login form shown to a browser without the session cookie."""
    note = f"<p class='err'>{html.escape(error)}</p>" if error else ""
    action = html.escape(f"{root_path}/login")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<title>hashpivot: sign in</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:26rem;margin:5rem auto;padding:0 1rem;"
        "color:#1b1f24}input{width:100%;padding:.5rem;margin:.5rem 0;font-size:1rem;"
        "box-sizing:border-box}button{padding:.5rem 1rem;font-size:1rem}.err{color:#b42318}"
        "</style></head><body><h1>hashpivot</h1>"
        "<p>This service needs its access token (the value of HASHPIVOT_TOKEN).</p>"
        f"{note}<form method='post' action='{action}'>"
        "<label for='token'>Token</label>"
        "<input id='token' name='token' type='password' autocomplete='current-password' "
        "autofocus required><button type='submit'>Sign in</button></form></body></html>"
    )


class Guard:
    """ASGI middleware: token check, login and logout, body-size limit, security headers."""

    def __init__(self, app: ASGIApp, settings: ServiceSettings) -> None:
        self.app = app
        self.token = settings.token_value
        self.sessions: dict[str, float] = {}  # session id -> expiry (monotonic clock) [s]
        self.session_ttl_s = settings.session_ttl_s
        self.max_bytes = settings.max_request_bytes
        extra = {_host_name(h) for h in settings.allowed_hosts.split(",") if h.strip()}
        self.allowed_hosts = LOOPBACK_NAMES | {_host_name(settings.host)} | extra
        self.check_host = self.token is None or bool(extra)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection: refuse, or pass it on with its body checked."""
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        server = scope.get("server")
        if self.token is None and server and _public_ip(str(server[0])):
            msg = (
                f"refusing to serve on {server[0]} without a token: set HASHPIVOT_TOKEN "
                "or bind 127.0.0.1"
            )
            await _send_json(send, 503, _problem(msg), [])
            return
        if self.check_host and not await self._host_allowed(scope, send):
            return
        path, method = _path(scope), str(scope.get("method", "GET"))
        if path == "/login" and method == "POST":
            await self._login(scope, receive, send)
            return
        if path == "/logout" and method == "POST":
            self.sessions.pop(_cookie(scope) or "", None)
            await self._redirect(scope, send, self._cookie_header(scope, ""))
            return
        if self.token is not None and not await self._authorised(scope, send, method):
            return
        await self._pass(scope, receive, send)

    # ----------------------------------------------------------------------- host

    async def _host_allowed(self, scope: Scope, send: Send) -> bool:
        """True if the request's Host names this server; else answer 421 and return False."""
        raw = _header(scope, b"host")
        if raw is None:  # HTTP/1.0 without Host: no browser sends that, no rebinding
            return True
        server = scope.get("server")
        names = set(self.allowed_hosts)
        if server:
            names.add(_host_name(str(server[0])))
        host = _host_name(raw.decode("latin-1"))
        if host in names:
            return True
        msg = (
            f"Host {host or '(none)'!r} is not one this service answers to; add it to "
            "HASHPIVOT_ALLOWED_HOSTS if it is yours"
        )
        await _send_json(send, 421, _problem(msg), [])
        return False

    # ----------------------------------------------------------------------- token

    def _session_valid(self, session_id: str | None) -> bool:
        """Whether ``session_id`` is a live session; expired ones are dropped."""
        now = time.monotonic()
        for key in [k for k, until in self.sessions.items() if until <= now]:
            del self.sessions[key]
        return session_id is not None and session_id in self.sessions

    async def _authorised(self, scope: Scope, send: Send, method: str) -> bool:
        """True if the request carries the token; else answer 401 or 403 and return False."""
        assert self.token is not None
        auth = (_header(scope, b"authorization") or b"").decode("latin-1")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        ):
            return True
        cookie = _cookie(scope)
        if self._session_valid(cookie):
            if method in SAFE_METHODS or _header(scope, CLIENT_HEADER) is not None:
                return True
            msg = "a request that only carries the session cookie must send X-Hashpivot-Client"
            await _send_json(send, 403, _problem(msg), [])
            return False
        challenge = [(b"www-authenticate", b'Bearer realm="hashpivot"')]
        accept = (_header(scope, b"accept") or b"").decode("latin-1")
        if method in SAFE_METHODS and "text/html" in accept:
            await _send_html(send, 401, login_page(str(scope.get("root_path", ""))), challenge)
            return False
        msg = (
            "this service needs its token: send `Authorization: Bearer <token>` "
            "(the value of HASHPIVOT_TOKEN)"
        )
        await _send_json(send, 401, _problem(msg), challenge)
        return False

    def _cookie_header(self, scope: Scope, value: str) -> tuple[bytes, bytes]:
        root = str(scope.get("root_path", "")) or "/"
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        expiry = f"; Max-Age={int(self.session_ttl_s)}" if value else "; Max-Age=0"
        text = f"{COOKIE}={value}; Path={root}; HttpOnly; SameSite=Strict{secure}{expiry}"
        return (b"set-cookie", text.encode("latin-1"))

    async def _redirect(self, scope: Scope, send: Send, cookie: tuple[bytes, bytes]) -> None:
        where = (str(scope.get("root_path", "")) + "/").encode()
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", where),
                    (b"content-length", b"0"),
                    cookie,
                    (b"cache-control", b"no-store"),
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        root = str(scope.get("root_path", ""))
        body = await self._read_body(receive, MAX_LOGIN_BYTES)
        if body is None:
            await _send_html(send, 413, login_page(root, "request too large"), [])
            return
        fields = parse_qs(body.decode("utf-8", "replace"))
        given = (fields.get("token") or [""])[0].strip()
        if self.token is None:
            await self._redirect(scope, send, self._cookie_header(scope, ""))
            return
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            await _send_html(send, 401, login_page(root, "wrong token"), [])
            return
        session_id = new_session_id()
        self.sessions[session_id] = time.monotonic() + self.session_ttl_s
        await self._redirect(scope, send, self._cookie_header(scope, session_id))

    # ----------------------------------------------------------------------- size

    async def _read_body(self, receive: Receive, limit: int) -> bytes | None:
        """The whole body, or None as soon as it passes ``limit`` bytes."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            part = bytes(message.get("body", b""))
            size += len(part)
            if size > limit:
                return None
            chunks.append(part)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self, size: int | None) -> dict[str, Any]:
        got = "more" if size is None else f"{size:,} bytes"
        return _problem(
            f"request body: {got} — larger than this service's limit of {self.max_bytes:,} "
            "bytes (HASHPIVOT_MAX_REQUEST_BYTES)"
        )

    async def _pass(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the body's size, then run the app with security headers added."""
        length = _header(scope, b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _send_json(send, 400, _problem("Content-Length is not a number"), [])
                return
            if declared > self.max_bytes:
                await _send_json(send, 413, self._too_large(declared), [])
                return
        replay = receive
        if scope.get("method") in {"POST", "PUT", "PATCH"}:
            body = await self._read_body(receive, self.max_bytes)
            if body is None:
                await _send_json(send, 413, self._too_large(None), [])
                return
            kind = (_header(scope, b"content-type") or b"").decode("latin-1")
            if body and kind.split(";")[0].strip().lower() != "application/json":
                msg = (
                    f"request body: content type {kind or '(none)'!r} — this service reads "
                    "JSON only: send Content-Type: application/json"
                )
                await _send_json(send, 415, _problem(msg), [])
                return
            replay = _replay(body, receive)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                if b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, replay, send_with_headers)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then waits on the real one (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
