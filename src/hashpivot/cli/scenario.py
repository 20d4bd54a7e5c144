"""``hashpivot init`` and ``validate``: the scenario file, and the argument every job takes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hashpivot.cli.common import JsonOpt, console, emit_json, errors_exit_2
from hashpivot.errors import HashpivotError
from hashpivot.io import write_atomic
from hashpivot.spec import Scenario, default_scenario, default_scenario_text, load_scenario

ScenarioArg = Annotated[
    Path | None,
    typer.Argument(
        help="Scenario YAML file; default: the packaged default scenario.", show_default=False
    ),
]


def load_or_default(path: Path | None) -> Scenario:
    """The scenario at ``path``, or the packaged default scenario when none is given."""
    return default_scenario() if path is None else load_scenario(path)


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``init`` and ``validate``."""
    del catalog_app
    app.command("init")(init)
    app.command("validate")(validate)


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the scenario YAML.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write the default scenario to PATH as commented YAML, for you to edit."""
    with errors_exit_2():
        if path.exists() and not force:
            msg = f"{path} exists; pass --force to overwrite it"
            raise HashpivotError(msg)
        write_atomic(path, default_scenario_text())
        if as_json:
            emit_json({"written": str(path)})
        else:
            console.print(f"wrote {path}; check it with: hashpivot validate {path}")


def _scenario_facts(sc: Scenario) -> dict[str, Any]:
    fleets = [f for s in sc.sites for f in s.fleets]
    th_s = sum(f.unit()[0] * f.count for f in fleets)
    return {
        "name": sc.name,
        "sites": len(sc.sites),
        "power_capacity_mw": sum(s.power_capacity_mw for s in sc.sites),
        "fleets": len(fleets),
        "fleet_hashrate_eh_s": th_s / 1e6,
        "horizon_months": sc.horizon_months,
        "start_date": str(sc.start_date),
    }


def validate(
    path: Annotated[Path, typer.Argument(help="Scenario YAML file to check.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a scenario: exit 0 with a one-line summary, or exit 2 with every error."""
    with errors_exit_2():
        facts = _scenario_facts(load_scenario(path))
        if as_json:
            emit_json({"valid": True, **facts})
            return
        console.print(
            f"ok: {facts['name']}: {facts['sites']} sites, {facts['power_capacity_mw']:g} MW, "
            f"{facts['fleets']} fleets, {facts['fleet_hashrate_eh_s']:.2f} EH/s nameplate, "
            f"{facts['horizon_months']} months from {facts['start_date']}",
            highlight=False,
        )
