"""Registry of the topic command modules: each ``cli_<topic>.register(app, catalog_app)``.

Add a module's name to :data:`TOPICS`; ``cli.py`` calls :func:`register` once at import.
"""

from __future__ import annotations

import importlib

import typer

TOPICS = (
    "cli_equities",
    "cli_companies",
    "cli_runs",
    "cli_dispatch",
    "cli_planner",
    "cli_markets",
    "cli_network",
    "cli_sweep",
    "cli_serve",
)
"""Topic command modules, in the order their commands appear in ``--help``."""


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Register every topic module's commands on the main app and the catalogue group."""
    for name in TOPICS:
        importlib.import_module(f"hashpivot.{name}").register(app, catalog_app)
