"""Commands for AI economics and value: ``lease``, ``unit-economics``, ``value``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from hashpivot import ai
from hashpivot.cli.common import JsonOpt, console, emit_json, errors_exit_2, fmt, table
from hashpivot.cli.runs import SaveOpt, StoreOpt, saved_note
from hashpivot.cli.xlsx import XlsxOpt, write_value_workbook
from hashpivot.company.unit_economics import unit_economics
from hashpivot.errors import HashpivotError
from hashpivot.spec import default_scenario, default_scenario_text, load_scenario
from hashpivot.store.runstore import RunStore, record


def lease_payload(
    it_mw: float,
    term_years: float,
    escalator_frac: float,
    usd_per_kw_month: float | None,
    total_value_usd: float | None,
) -> dict[str, Any]:
    """Contract value from a rate, or the starting rate from a headline value."""
    if (usd_per_kw_month is None) == (total_value_usd is None):
        msg = "give exactly one of --usd-per-kw-month or --total-value-usd"
        raise HashpivotError(msg)
    if usd_per_kw_month is None:
        assert total_value_usd is not None
        usd_per_kw_month = float(
            ai.implied_rate_usd_per_kw_month(total_value_usd, it_mw, term_years, escalator_frac)
        )
    total = float(ai.contract_value_usd(it_mw, usd_per_kw_month, term_years, escalator_frac))
    first_year = it_mw * ai.KW_PER_MW * usd_per_kw_month * 12
    return {
        "it_mw": it_mw,
        "term_years": term_years,
        "escalator_frac_per_year": escalator_frac,
        "starting_usd_per_kw_month": usd_per_kw_month,
        "total_contract_value_usd": total,
        "annual_revenue_usd_first_year": first_year,
        "average_annual_revenue_usd": total / term_years,
        "revenue_usd_per_it_mw_year_first_year": first_year / it_mw,
    }


def lease(
    it_mw: Annotated[
        float, typer.Option(min=1e-6, max=10_000.0, help="Critical IT MW leased. [MW]")
    ],
    term_years: Annotated[float, typer.Option(min=1e-3, max=40.0, help="Initial term. [years]")],
    usd_per_kw_month: Annotated[
        float | None, typer.Option(min=1e-6, max=2000.0, help="Starting rent. [USD/kW/month]")
    ] = None,
    total_value_usd: Annotated[
        float | None,
        typer.Option(
            min=1.0, help="Headline contract value, to solve for the starting rate. [USD]"
        ),
    ] = None,
    escalator_frac: Annotated[
        float, typer.Option(min=-0.2, max=0.3, help="Annual rent escalator (0.03 = 3 %). [1/yr]")
    ] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Colocation contract value: MW × 1000 × USD/kW-month × 12 × Σ(1+g)^year.

    With --total-value-usd in place of --usd-per-kw-month, solves for the starting rate
    that a headline deal implies (e.g. 500 MW, 8.7B USD, 12 years → about 121).
    """
    with errors_exit_2():
        out = lease_payload(it_mw, term_years, escalator_frac, usd_per_kw_month, total_value_usd)
        if as_json:
            emit_json(out)
            return
        tab = Table(title="Colocation lease", title_justify="left", show_header=False)
        for key, value in out.items():
            tab.add_row(key, fmt(value))
        console.print(tab)


def unit_economics_command(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Scenario YAML; default: the packaged default scenario.", show_default=False
        ),
    ] = None,
    site: Annotated[
        str | None, typer.Option(help="Site to value; default: the first with ASICs.")
    ] = None,
    years: Annotated[int, typer.Option(min=1, max=40, help="Analysis horizon. [years]")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """What one gross MW earns as mining, colocation lease or GPU cloud, on one table.

    Revenue and EBITDA per MW-year, capex per MW, payback, NPV (at the scenario's WACC) and
    IRR per MW; revenue_cv is std/mean of monthly revenue while operating and
    revenue_change_btc_half_frac the revenue change when the BTC price is halved. The lease
    and GPU terms are the site's own conversion's where it has one, else sourced defaults.
    """
    with errors_exit_2():
        scenario = default_scenario() if path is None else load_scenario(path)
        frame = unit_economics(scenario, site, years)
        if as_json:
            attrs = {str(k): v for k, v in frame.attrs.items()}
            emit_json({**attrs, "rows": frame.to_dict(orient="records")})
            return
        wacc = frame.attrs["wacc_frac_per_year"]
        title = (
            f"Per gross MW at {frame.attrs['site']}, {years} years, WACC {wacc:.0%}, "
            f"network model {frame.attrs['network_model']}"
        )
        console.print(table(frame, title))


def _value_target(target: str | None) -> dict[str, Any]:
    """Value the default scenario, a scenario file, a company file, or a catalogue ticker."""
    from hashpivot.company.valuation import value

    return value(target).to_dict()


def _valued_spec(target: str | None) -> str | dict[str, Any]:
    """What a saved ``value`` run records as its scenario: the inputs that were valued.

    The YAML text of the scenario or company file (verbatim), the packaged default
    scenario's, or for a catalogue ticker the company's sourced facts and the scenario
    it is valued against.
    """
    from hashpivot.listed.catalog import load_company

    if target is None:
        return default_scenario_text()
    path = Path(target)
    if path.is_file():
        return path.read_text(encoding="utf-8")
    return {
        "name": f"{target} (catalogue company)",
        "ticker": target,
        "company": load_company(target).model_dump(mode="json"),
        "scenario": yaml.safe_load(default_scenario_text()),
    }


def _print_value(out: dict[str, Any]) -> None:
    tab = Table(title=f"Value of {out['subject']}", title_justify="left", show_header=False)
    for key in ("enterprise_value_usd", "equity_value_usd", "equity_value_usd_per_share",
                "ev_per_mw_usd", "ev_per_eh_usd"):  # fmt: skip
        tab.add_row(key, fmt(out.get(key)) if out.get(key) is not None else "not available")
    console.print(tab)
    parts = Table(title="Sum of the parts", title_justify="left", show_header=False)
    for key, value in out["sotp"].items():
        parts.add_row(key, "not available" if value is None else fmt(value))
    console.print(parts)
    for line in [out.get("missing_message") or "", *out.get("notes", [])]:
        if line:
            console.print(f"note: {line}", highlight=False)
    if out.get("missing") and not out.get("missing_message"):
        console.print(f"note: missing inputs: {', '.join(out['missing'])}", highlight=False)


def value(
    target: Annotated[
        str | None,
        typer.Argument(
            help="Catalogue ticker (see `hashpivot catalog companies`), a company YAML, or a "
            "scenario YAML; default: the packaged default scenario.",
            show_default=False,
        ),
    ] = None,
    save: SaveOpt = False,
    store: StoreOpt = None,
    xlsx: XlsxOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """DCF and sum-of-the-parts value, with EV per MW and per EH/s cross-checks.

    A scenario is valued by a DCF of its company's free cash flow at its WACC (Gordon
    terminal value) and by parts: mining DCF, contracted NOI / cap rate, remaining capex,
    powered land, BTC held. A catalogue company is valued by parts from its sourced facts;
    equity value needs its balance sheet, and missing numbers are named, never zero.
    """
    with errors_exit_2():
        runs = RunStore(store) if save else None
        spec = _valued_spec(target) if runs is not None else {}
        out, run_id = record("value", spec, None, lambda: _value_target(target), store=runs)
        if xlsx is not None:
            write_value_workbook(target, xlsx)
        if as_json:
            emit_json(out | ({"run_id": run_id} if run_id else {}))
            return
        _print_value(out)
        if runs is not None:
            saved_note(run_id, runs)


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``lease``, ``unit-economics`` and ``value``."""
    del catalog_app
    app.command("lease")(lease)
    app.command("unit-economics")(unit_economics_command)
    app.command("value")(value)
