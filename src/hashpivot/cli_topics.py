"""Registry of the topic command modules: each ``cli_<topic>.register(app)`` adds its commands.

Add one line here per topic module; ``cli.py`` calls :func:`register` once at import.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Register every topic module's commands on the main app and the catalogue group."""
    from hashpivot import cli_companies, cli_equities

    cli_equities.register(app, catalog_app)
    cli_companies.register(app, catalog_app)
