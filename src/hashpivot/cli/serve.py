"""``hashpivot serve``: the web API and dashboard (FastAPI on uvicorn).

Thin: options (or ``HASHPIVOT_*`` variables) → :class:`~hashpivot.api.settings.ServiceSettings`
→ :func:`~hashpivot.api.app.create_app` → uvicorn. FastAPI and uvicorn are imported only
when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hashpivot.api.settings import ServiceSettings
from hashpivot.cli.common import err_console, errors_exit_2
from hashpivot.cli.runs import StoreOpt


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``serve`` to the main app."""
    del catalog_app
    app.command("serve")(serve)


def serve(
    host: Annotated[
        str | None,
        typer.Option(
            help="Address to bind (default: 127.0.0.1); anything but loopback needs a token.",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="TCP port (default: 8000).", show_default=False)
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            help="Token every request must send as `Authorization: Bearer <token>`; prefer "
            "the variable HASHPIVOT_TOKEN (options are visible to other users).",
            show_default=False,
        ),
    ] = None,
    store: StoreOpt = None,
    save: Annotated[
        bool | None,
        typer.Option(
            "--save/--no-save",
            help="Save successful runs in the run store (default: save).",
            show_default=False,
        ),
    ] = None,
    max_request_bytes: Annotated[
        int | None,
        typer.Option(help="Largest request body in bytes (default: 1048576).", show_default=False),
    ] = None,
    max_path_months: Annotated[
        int | None,
        typer.Option(
            help="Largest paths × months of one request (default: 6000000).", show_default=False
        ),
    ] = None,
    sync_path_months: Annotated[
        int | None,
        typer.Option(
            help="Larger requests become background jobs (HTTP 202) (default: 1200000).",
            show_default=False,
        ),
    ] = None,
    request_timeout_s: Annotated[
        float | None,
        typer.Option(
            help="Seconds a request waits before answering 202 with its job (default: 30).",
            show_default=False,
        ),
    ] = None,
    job_time_limit_s: Annotated[
        float | None,
        typer.Option(help="Seconds a job may run (default: 600).", show_default=False),
    ] = None,
    job_workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Threads running jobs (default: the cores, at most 4).",
            show_default=False,
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder whose files scenarios may name (bootstrap history, price paths).",
            show_default=False,
        ),
    ] = None,
    root_path: Annotated[
        str | None,
        typer.Option(
            help="URL prefix when served behind a proxy, e.g. /hashpivot.", show_default=False
        ),
    ] = None,
    warmup: Annotated[
        bool | None,
        typer.Option(
            "--warmup/--no-warmup",
            help="Run a small simulation at start-up (default: warmup).",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(help="uvicorn log level (default: info).", show_default=False),
    ] = None,
) -> None:
    """Serve the web API and the dashboard (http://127.0.0.1:8000/ by default).

    Every option can also be set by an environment variable HASHPIVOT_<OPTION>
    (HASHPIVOT_TOKEN, HASHPIVOT_PORT, ...). Bound to anything but loopback, the service
    refuses to start without a token, and then every request needs it.
    """
    with errors_exit_2():
        settings = ServiceSettings.load(
            {
                "host": host, "port": port, "token": token, "store": store, "save": save,
                "max_request_bytes": max_request_bytes, "max_path_months": max_path_months,
                "sync_path_months": sync_path_months, "request_timeout_s": request_timeout_s,
                "job_time_limit_s": job_time_limit_s, "job_workers": job_workers,
                "data_dir": data_dir, "root_path": root_path, "warmup": warmup,
                "log_level": log_level,
            },
            option_names={"job_workers": "--workers", "save": "--save/--no-save",
                          "warmup": "--warmup/--no-warmup"},
        )  # fmt: skip
    _run(settings)


def _run(settings: ServiceSettings) -> None:
    import uvicorn

    from hashpivot.api.app import create_app
    from hashpivot.store.runstore import resolve_store_path

    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{settings.port}{settings.root_path}/"
    auth = "token required" if settings.token else "no token (loopback only)"
    err_console.print(
        f"hashpivot: dashboard and API at {url} ({auth}); run store "
        f"{resolve_store_path(settings.store)}; Ctrl+C stops",
        highlight=False,
        soft_wrap=True,
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        timeout_graceful_shutdown=5,
        server_header=False,
    )
