"""The web service and dashboard: ``hashpivot serve`` (FastAPI + uvicorn).

Thin, like the CLI: each endpoint parses a request typed with the same spec models as
the CLI (so the OpenAPI schema is the scenario schema), hands it to the library
(:class:`~hashpivot.simulation.Simulation`, :class:`~hashpivot.planner.Planner`,
:class:`~hashpivot.dispatch.Dispatch`, :class:`~hashpivot.store.runstore.RunStore`) and renders
JSON. Modules:

* :mod:`~hashpivot.api.settings`: :class:`ServiceSettings` from options and ``HASHPIVOT_*``;
* :mod:`~hashpivot.api.guard`: token, request-size limit and security headers (ASGI);
* :mod:`~hashpivot.api.jobs`: the background job manager (thread pool, progress, limits);
* :mod:`~hashpivot.api.models`: request and response models;
* :mod:`~hashpivot.api.problems`: error bodies with the CLI's messages;
* :mod:`~hashpivot.api.compute`, :mod:`~hashpivot.api.routes`: the endpoints;
* :mod:`~hashpivot.api.figures`: the Monte Carlo report's plotly figures as JSON;
* :mod:`~hashpivot.api.app`: :func:`create_app`.

Only :mod:`~hashpivot.api.settings` is light; the rest imports FastAPI.
"""

from __future__ import annotations

from hashpivot.api.settings import ServiceSettings

__all__ = ["ServiceSettings"]
