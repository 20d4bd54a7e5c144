"""Settings of the web service: :class:`ServiceSettings`, from options and ``HASHPIVOT_*``.

Precedence: a command-line option, else the environment variable ``HASHPIVOT_<FIELD>``
(``HASHPIVOT_TOKEN``, ``HASHPIVOT_PORT``, ``HASHPIVOT_MAX_PATH_MONTHS``, ...), else the
default. Every problem becomes one :class:`~hashpivot.errors.SpecError` whose lines name
the field, the option or variable it came from, the value and the rule.

Security rule (DESIGN §7): bound to anything but loopback, the service needs a token;
with a token set, every request must carry it (see :mod:`hashpivot.api.guard`).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator

from hashpivot.errors import SpecError
from hashpivot.specbase import Spec

ENV_PREFIX = "HASHPIVOT_"
"""Prefix of the environment variables read by :meth:`ServiceSettings.load`."""

MIN_TOKEN_CHARS = 16
"""Shortest token accepted [characters]."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def env_name(field: str) -> str:
    """The environment variable of a settings field: ``HASHPIVOT_<FIELD>``."""
    return ENV_PREFIX + field.upper()


class ServiceSettings(Spec):
    """Settings of ``hashpivot serve``: address, token, store, limits, job workers."""

    host: str = Field(
        default="127.0.0.1",
        min_length=1,
        max_length=255,
        description="Address to bind; anything but loopback needs a token.",
    )
    port: int = Field(default=8000, ge=0, le=65_535, description="TCP port (0: any free one).")
    token: SecretStr | None = Field(
        default=None,
        description="Shared secret every request must carry as `Authorization: Bearer <token>` "
        f"(at least {MIN_TOKEN_CHARS} characters); required off loopback. Prefer the "
        "environment variable HASHPIVOT_TOKEN to the command line, which other users can see.",
    )
    store: Path | None = Field(
        default=None,
        description="Run store file; default $HASHPIVOT_STORE, else runs.duckdb in the user "
        "data directory.",
    )
    save: bool = Field(
        default=True, description="Save successful runs in the run store unless a request says no."
    )
    max_request_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        le=1 << 30,
        description="Largest request body; larger ones get HTTP 413 (1 MiB holds a scenario "
        "and a year of hourly prices). [bytes]",
    )
    max_path_months: int = Field(
        default=6_000_000,
        ge=1000,
        le=1_000_000_000,
        description="Largest paths × months of one request (simulation paths, planner "
        "scenarios and evaluation paths); more gets HTTP 422 (6e6: 100 000 paths of 60 "
        "months, about 30 s here). [path-months]",
    )
    sync_path_months: int = Field(
        default=1_200_000,
        ge=0,
        le=1_000_000_000,
        description="Requests up to this size answer in the response; larger ones go to a "
        "background job (HTTP 202, progress at /jobs/{id}). [path-months]",
    )
    max_dispatch_hours: int = Field(
        default=5 * 8784,
        ge=24,
        le=10_000_000,
        description="Most hourly prices in one dispatch request (five leap years). [h]",
    )
    request_timeout_s: float = Field(
        default=30.0,
        gt=0.0,
        le=3600.0,
        description="How long a request waits for its result; past it, the answer is HTTP 202 "
        "with the job to poll (the work goes on). [s]",
    )
    job_time_limit_s: float = Field(
        default=600.0,
        gt=0.0,
        le=86_400.0,
        description="Longest a job may run; a simulation past it stops at its next chunk of "
        "paths and fails, storing nothing. [s]",
    )
    job_workers: int = Field(
        default_factory=lambda: max(1, min(4, os.cpu_count() or 1)),
        ge=1,
        le=64,
        description="Threads that run jobs (default: the cores, at most 4). [threads]",
    )
    max_queued_jobs: int = Field(
        default=64,
        ge=1,
        le=100_000,
        description="Jobs waiting for a worker; one more gets HTTP 429. [jobs]",
    )
    max_kept_jobs: int = Field(
        default=200,
        ge=1,
        le=100_000,
        description="Finished jobs kept in memory for /jobs/{id}; the oldest go first. [jobs]",
    )
    job_ttl_s: float = Field(
        default=3600.0,
        gt=0.0,
        le=30 * 86_400.0,
        description="How long a finished job stays at /jobs/{id}. [s]",
    )
    data_dir: Path | None = Field(
        default=None,
        description="Folder whose files a scenario may name (bootstrap history, price paths), "
        "by paths relative to it; None: a request may name no file.",
    )
    warmup: bool = Field(
        default=True,
        description="Run one small simulation at start-up, so the first request does not pay "
        "for loading compiled kernels.",
    )
    root_path: str = Field(
        default="",
        max_length=200,
        description="URL prefix under which a reverse proxy serves the app, e.g. '/hashpivot'.",
    )
    max_plan_cells: int = Field(
        default=600_000,
        ge=1000,
        le=1_000_000_000,
        description="Largest linear program of one /plan request, as scenarios × periods × "
        "the sum over sites of (fleet tiers + 1); more gets HTTP 413 before any work "
        "(measured here: the default scenario's plan peaks at 0.94 GB of memory for 160 000 "
        "cells and 2.9 GB for 640 000). [cells]",
    )
    max_store_bytes: int = Field(
        default=1 << 30,
        ge=1 << 20,
        le=1 << 44,
        description="Largest run store file the service saves into; past it, a request that "
        "would save gets HTTP 507 (it may send save: false). [bytes]",
    )
    session_ttl_s: float = Field(
        default=8 * 3600.0,
        gt=0.0,
        le=30 * 86_400.0,
        description="How long a dashboard sign-in lasts (assumption: 8 h, the upper end of the "
        "absolute timeouts of OWASP's Session Management Cheat Sheet, https://"
        "cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html). [s]",
    )
    allowed_hosts: str = Field(
        default="",
        max_length=2000,
        description="Comma-separated host names the service answers to, besides loopback names "
        "and the address it is bound to; a request naming another Host gets HTTP 421 (this "
        "stops DNS rebinding against a server on loopback).",
    )
    log_level: str = Field(
        default="info",
        pattern="^(critical|error|warning|info|debug|trace)$",
        description="uvicorn log level: critical, error, warning, info, debug or trace.",
    )

    @field_validator("token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if len(secret) < MIN_TOKEN_CHARS:
            msg = f"must have at least {MIN_TOKEN_CHARS} characters, got {len(secret)}"
            raise ValueError(msg)
        if any(c.isspace() or not c.isprintable() for c in secret):
            msg = "must be printable characters without spaces"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _token_off_loopback(self) -> ServiceSettings:
        if self.token is None and not is_loopback(self.host):
            msg = (
                f"host {self.host!r} is not loopback: the service refuses to start without a "
                f"token. Set HASHPIVOT_TOKEN to a secret of at least {MIN_TOKEN_CHARS} "
                "characters (clients send `Authorization: Bearer <token>`), or bind 127.0.0.1"
            )
            raise ValueError(msg)
        return self

    @property
    def token_value(self) -> str | None:
        """The token in clear, or None."""
        return None if self.token is None else self.token.get_secret_value()

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        option_names: Mapping[str, str] | None = None,
    ) -> ServiceSettings:
        """Settings from ``overrides`` (options; None values ignored), else ``HASHPIVOT_*``.

        ``option_names`` maps a field to the option that set it (``--port``), for messages.
        """
        env = os.environ if environ is None else environ
        given = {k: v for k, v in (overrides or {}).items() if v is not None}
        data: dict[str, Any] = {}
        origin: dict[str, str] = {}
        for name in cls.model_fields:
            if name in given:
                data[name] = given[name]
                origin[name] = (option_names or {}).get(name, f"--{name.replace('_', '-')}")
            elif env.get(env_name(name), "") != "":
                data[name] = env[env_name(name)]
                origin[name] = env_name(name)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise SpecError(_problems(exc, origin), "service settings") from None


def _problems(exc: ValidationError, origin: Mapping[str, str]) -> list[str]:
    lines = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(settings)"
        where = f"{field} ({origin[field]})" if field in origin else field
        msg = str(err["msg"]).removeprefix("Value error, ")
        value = "" if field == "token" or not err["loc"] else f": {err.get('input')!r}"
        lines.append(f"{where}{value} — {msg}")
    return lines
