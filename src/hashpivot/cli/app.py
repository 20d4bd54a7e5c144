"""The ``hashpivot`` command line: thin commands that parse, call the library and render.

Every command has ``--help`` and ``--json`` (one JSON object on stdout, nothing else).
Bad input prints a message naming the field, the value and the rule, and exits 2.

Each module of this package registers one family of commands (:data:`COMMAND_MODULES`,
in the order ``--help`` lists them); :mod:`hashpivot.cli.common` holds the consoles,
tables, JSON output and the exit-2 error path they share.
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from hashpivot import __version__
from hashpivot.cli.common import console, guarded

app = typer.Typer(
    name="hashpivot",
    help="Model, plan and value a Bitcoin miner's pivot to AI/HPC compute.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(
    help="Show the packaged catalogues: ASICs, GPUs, listed companies.", no_args_is_help=True
)
app.add_typer(catalog_app, name="catalog")

COMMAND_MODULES = (
    "scenario",
    "projection",
    "montecarlo",
    "catalog",
    "equities",
    "runs",
    "dispatch",
    "planner",
    "markets",
    "network",
    "sweep",
    "serve",
    "ai",
    "comps",
    "data",
)
"""Command modules of :mod:`hashpivot.cli`, in the order their commands appear in ``--help``."""


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"hashpivot {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Model, plan and value a Bitcoin miner's pivot to AI/HPC compute."""


def _guard_all(typer_app: typer.Typer) -> None:
    """Wrap every command of ``typer_app`` and its groups in :func:`guarded`."""
    for info in typer_app.registered_commands:
        if info.callback is not None:
            info.callback = guarded(info.callback)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _guard_all(group.typer_instance)


def _register_commands() -> None:
    """Add the commands of every module in :data:`COMMAND_MODULES`, each one guarded."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"hashpivot.cli.{name}").register(app, catalog_app)
    _guard_all(app)


_register_commands()
