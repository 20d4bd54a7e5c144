"""The dashboard: one page (``GET /``), its script and style, and plotly.js from the package.

The page is plain HTML with a vanilla-JavaScript script (``static/dashboard.js``); the only
library is plotly.js, served at ``/static/plotly.min.js`` from the installed plotly
package (:func:`plotly.offline.get_plotlyjs`), so nothing is fetched from a CDN. The
Content-Security-Policy allows scripts from this service only.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hashpivot import __version__

router = APIRouter(include_in_schema=False)

STATIC_FILES = {
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}
"""The dashboard's own files in ``hashpivot/api/static``, with their media types."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""Content-Security-Policy of the page (plotly sets inline styles, so styles may be inline)."""


def _static_text(name: str) -> str:
    return resources.files("hashpivot.api").joinpath("static", name).read_text(encoding="utf-8")


@functools.cache
def _asset(name: str) -> tuple[bytes, str]:
    """A static file's bytes and ETag (read once)."""
    if name == "plotly.min.js":
        from plotly.offline import get_plotlyjs

        data = get_plotlyjs().encode()
    else:
        data = _static_text(name).encode()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _cached(request: Request, name: str, media_type: str) -> Response:
    data, etag = _asset(name)
    headers = {"ETag": etag, "Cache-Control": "private, max-age=3600"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    """The dashboard page."""
    version = f"{__version__}-{_asset('dashboard.js')[1][1:9]}"
    text = _static_text("index.html").replace("{{version}}", version)
    text = text.replace("{{plotly_version}}", plotly.__version__)
    return HTMLResponse(text, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"})


@router.get("/static/plotly.min.js")
def plotly_js(request: Request) -> Response:
    """plotly.js as bundled in the installed plotly package."""
    return _cached(request, "plotly.min.js", "text/javascript; charset=utf-8")


@router.get("/static/{name}")
def static_file(request: Request, name: str) -> Response:
    """The dashboard's script and style sheet."""
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        return Response(status_code=404)
    return _cached(request, name, media_type)
