"""``hashpivot init`` and ``validate``: the scenario file, and the argument every job takes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from hashpivot.cli.common import JsonOpt, console, emit_json, err_console, errors_exit_2
from hashpivot.errors import HashpivotError
from hashpivot.io import write_atomic
from hashpivot.market_age import stale_market_warnings
from hashpivot.market_state import (
    MarketState,
    latest_market_state,
    scenario_text_with_state,
    state_summary,
)
from hashpivot.sources.cache import market_state_as_of
from hashpivot.spec import (
    Scenario,
    default_scenario,
    default_scenario_text,
    load_scenario,
    parse_scenario,
)

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


def _state_for(as_of: str) -> MarketState:
    """``latest``: the cached state, else the packaged one; a date: the newest on or before it."""
    if as_of == "latest":
        return latest_market_state()
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        msg = f"--as-of {as_of!r} — must be 'latest' or a date YYYY-MM-DD"
        raise HashpivotError(msg) from None
    return market_state_as_of(day)


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the scenario YAML.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            help="'latest' or YYYY-MM-DD: take the start date, BTC price, hashrate, difficulty, "
            "height and fees from that market state (the data cache, else the packaged "
            "series: a date takes the newest state on or before it), each with its date and "
            "source; default: the packaged scenario as is."
        ),
    ] = None,
    from_company: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Catalogue ticker or company YAML: write that company's sites, fleets (its "
            "self-mining hashrate at the reported or an assumed J/TH; none when it reports "
            "no self-mining, e.g. APLD), contracts as leases, balance sheet and the market "
            "state, each number's source beside it (see `hashpivot catalog companies`).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the default scenario (or a listed company's, --from) to PATH as commented YAML."""
    with errors_exit_2():
        if path.exists() and not force:
            msg = f"{path} exists; pass --force to overwrite it"
            raise HashpivotError(msg)
        text, state = default_scenario_text(), None
        if from_company is not None:
            text, state = _company_text(from_company, as_of)
        elif as_of is not None:
            state = _state_for(as_of)
            text = scenario_text_with_state(text, state)
            parse_scenario(text, f"scenario from {state.label}")  # refuse before writing
        write_atomic(path, text)
        if as_json:
            extra = {} if state is None else {"market_state": state_summary(state)}
            emit_json({"written": str(path), **extra})
            return
        if state is not None:
            console.print(f"market state: {state.describe()}", highlight=False)
        console.print(f"wrote {path}; check it with: hashpivot validate {path}")


def _company_text(ticker: str, as_of: str | None) -> tuple[str, MarketState]:
    """A catalogue company's scenario at the market state of --as-of (default: latest)."""
    from hashpivot.listed.catalog import load_company
    from hashpivot.listed.checks import consistency_warnings
    from hashpivot.listed.scenario import scenario_text_from_company

    company = load_company(ticker)
    state = _state_for(as_of or "latest")
    text = scenario_text_from_company(company, state)
    parse_scenario(text, f"scenario of {company.ticker}")  # refuse before writing
    for line in consistency_warnings(company):
        err_console.print(f"warning: {line}", highlight=False, soft_wrap=True)
    return text, state


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
    """Check a scenario: exit 0 with a one-line summary, or exit 2 with every error.

    A warning line (exit 0) says when the market inputs are more than six months older
    than the start date.
    """
    with errors_exit_2():
        scenario = load_scenario(path)
        facts = _scenario_facts(scenario)
        warnings = stale_market_warnings(scenario)
        if as_json:
            emit_json({"valid": True, **facts, "warnings": warnings})
            return
        for line in warnings:
            err_console.print(f"warning: {line}", highlight=False, soft_wrap=True)
        console.print(
            f"ok: {facts['name']}: {facts['sites']} sites, {facts['power_capacity_mw']:g} MW, "
            f"{facts['fleets']} fleets, {facts['fleet_hashrate_eh_s']:.2f} EH/s nameplate, "
            f"{facts['horizon_months']} months from {facts['start_date']}",
            highlight=False,
        )
