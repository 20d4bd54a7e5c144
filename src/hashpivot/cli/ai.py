"""Commands for AI economics and value: ``lease``, ``unit-economics``, ``value``."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
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


class TenantCredit(StrEnum):
    """Tenant credit class of a lease."""

    hyperscaler = "hyperscaler"
    backstopped = "backstopped"
    neocloud = "neocloud"


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


def lease_value_payload(
    base: dict[str, Any],
    noi_margin_frac: float,
    tenant_credit: str,
    capex_usd_per_it_mw: float,
    tenant_funded_capex_frac: float,
    netted: bool,
    construction_delay_months: int,
) -> dict[str, Any]:
    """Year-1 NOI, yield on cost, present value and exit value of a lease (deal level).

    Capex is paid today (net of what the tenant funds), NOI arrives monthly after the
    construction delay for the term, then the building's exit value; all discounted at the
    rate of the tenant's credit (:mod:`hashpivot.finance.segments`).
    """
    from hashpivot.finance import segments as seg

    it_mw, term = base["it_mw"], base["term_years"]
    gross_capex = it_mw * capex_usd_per_it_mw
    funded = gross_capex * tenant_funded_capex_frac
    credit = funded / term if netted else 0.0
    noi0 = base["annual_revenue_usd_first_year"] * noi_margin_frac
    rate = seg.DISCOUNT_RATE_FRAC_BY_TENANT_CREDIT[tenant_credit]
    exit_cap = seg.EXIT_CAP_RATE_FRAC_BY_TENANT_CREDIT[tenant_credit]
    months = round(term * 12)
    g = base["escalator_frac_per_year"]
    noi = noi0 * (1 + g) ** np.floor(np.arange(months) / 12) - credit
    flows = np.zeros(construction_delay_months + months)
    flows[construction_delay_months:] = noi / 12
    flows[0] -= gross_capex - funded
    exit_value = float(seg.exit_value_usd(noi0 * (1 + g) ** term, exit_cap))
    segment = seg.Segment("lease_usd", flows, rate, exit_value, len(flows))
    pv = seg.value_segments([segment], rate, 0.0).parts_enterprise_value_usd
    noi1 = noi0 - credit
    return base | {
        "noi_margin_frac": noi_margin_frac,
        "tenant_credit": tenant_credit,
        "discount_rate_frac_per_year": rate,
        "noi_year1_usd": noi1,
        "capex_usd": gross_capex,
        "tenant_funded_capex_usd": funded,
        "yield_on_cost_frac": float(seg.yield_on_cost_frac(noi1, gross_capex - funded)),
        "exit_cap_rate_frac": exit_cap,
        "exit_value_usd": exit_value,
        "construction_delay_months": construction_delay_months,
        "present_value_usd": pv,
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
    noi_margin_frac: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="NOI / rent; Cipher, TeraWulf guide 0.80-0.85. [-]"),
    ] = 0.8,
    tenant_credit: Annotated[
        TenantCredit, typer.Option(help="Tenant credit class: sets discount and exit cap rate.")
    ] = TenantCredit.neocloud,
    capex_usd_per_it_mw: Annotated[
        float,
        typer.Option(min=0.0, max=1e9, help="Build capex; TeraWulf 8-10M, Cipher 9-11M. [USD/MW]"),
    ] = 9.0e6,
    tenant_funded_capex_frac: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of the capex the tenant funds. [-]")
    ] = 0.0,
    netted: Annotated[
        bool,
        typer.Option(help="The tenant recovers the capex it funded from the rent over the term."),
    ] = False,
    construction_delay_months: Annotated[
        int, typer.Option(min=0, max=120, help="Months from capex to rent start. [months]")
    ] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Colocation contract value, year-1 NOI, yield on cost and present value.

    Contract value: MW × 1000 × USD/kW-month × 12 × Σ(1+g)^year. With --total-value-usd
    in place of --usd-per-kw-month, solves for the starting rate that a headline deal
    implies (e.g. 500 MW, 8.7B USD, 12 years → about 121). Present value: capex today,
    NOI monthly after the construction delay, the building's exit value at the end of the
    term, all at the discount rate of the tenant's credit (hashpivot.finance.segments).
    """
    with errors_exit_2():
        base = lease_payload(it_mw, term_years, escalator_frac, usd_per_kw_month, total_value_usd)
        out = lease_value_payload(
            base, noi_margin_frac, tenant_credit.value, capex_usd_per_it_mw,
            tenant_funded_capex_frac, netted, construction_delay_months,
        )  # fmt: skip
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


def _value_target(
    target: str | None,
    as_of: dt.date | None = None,
    overrides: Any = None,
    market_state: Path | None = None,
) -> dict[str, Any]:
    """Value the default scenario, a scenario file, a company file, or a catalogue ticker."""
    from hashpivot.company.valuation import value
    from hashpivot.market_state import load_market_state

    # no file: value() takes the state at the valuation date (valuation_market_state)
    state = None if market_state is None else load_market_state(market_state)
    return value(target, as_of=as_of, overrides=overrides, market_state=state).to_dict()


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


def _is_listed(target: str | None) -> bool:
    """Whether ``value``'s target is a listed company (ticker or company file), not a scenario."""
    if target is None:
        return False
    path = Path(target)
    if not path.is_file():
        return True
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return isinstance(data, dict) and "ticker" in data


def _price_from_file(
    target: str | None, path: Path, price: float | None, date: dt.date | None
) -> tuple[float, dict[str, Any]]:
    """--price from a prices file: the company's close on or before the valuation date."""
    from hashpivot.equities.data import read_prices_csv
    from hashpivot.listed.catalog import load_company
    from hashpivot.listed.dilution import share_price_on

    if price is not None:
        msg = "give one of --price or --price-file"
        raise HashpivotError(msg)
    if target is None or not _is_listed(target):
        msg = "--price-file applies to a listed company (a catalogue ticker or company file)"
        raise HashpivotError(msg)
    company = load_company(target)
    value, day = share_price_on(read_prices_csv(path), company.ticker, date or company.as_of)
    return value, {"share_price_as_of": day.isoformat(), "share_price_file": path.name}


def _print_dilution(out: dict[str, Any]) -> None:
    """Basic and diluted shares, each convertible and warrant, the upside to a given price."""
    d = out["dilution"]
    tab = Table(title=f"Diluted shares (at {fmt(d['share_price_usd'])} USD/share: "
                f"{d['share_price_source']})", title_justify="left")  # fmt: skip
    for col in ("instrument", "method", "strike USD/share", "in the money", "shares added"):
        tab.add_column(col)
    tab.add_row("basic shares", "", "", "", fmt(d["basic_shares"]))
    for row in d["instruments"]:
        strike = row["strike_usd_per_share"]
        tab.add_row(row["id"], row["method"], "not found" if strike is None else fmt(strike),
                    "yes" if row["in_the_money"] else "no", fmt(row["shares_added"]))  # fmt: skip
    tab.add_row("diluted shares", "", "", "", fmt(d["diluted_shares"]))
    console.print(tab)
    if out.get("upside_frac") is not None:
        when = f" (close of {out['share_price_as_of']})" if out.get("share_price_as_of") else ""
        console.print(f"upside to {fmt(out['share_price_usd'])} USD/share{when}: "
                      f"{out['upside_frac']:+.1%}", highlight=False)  # fmt: skip
    for item in out.get("stale_balance_sheet_items", []):
        console.print(f"stale: {item} is more than a year before the valuation date",
                      highlight=False)  # fmt: skip
    for line in d["notes"]:
        console.print(f"note: {line}", highlight=False)
    for line in d.get("consistency_warnings", []):
        console.print(f"warning: {line}", highlight=False)


def _print_value(out: dict[str, Any]) -> None:
    tab = Table(title=f"Value of {out['subject']}", title_justify="left", show_header=False)
    for key in ("enterprise_value_usd", "equity_value_usd", "equity_value_usd_per_share",
                "ev_per_mw_usd", "ev_per_eh_usd"):  # fmt: skip
        tab.add_row(key, fmt(out.get(key)) if out.get(key) is not None else "not available")
    console.print(tab)
    if out.get("dilution"):
        _print_dilution(out)
    parts = Table(title="Sum of the parts", title_justify="left", show_header=False)
    for key, value in out["sotp"].items():
        parts.add_row(key, "not available" if value is None else fmt(value))
    console.print(parts)
    br = out["bridge"]
    walk = Table(title="Bridge: DCF to sum of the parts", title_justify="left", show_header=False)
    walk.add_row("DCF enterprise value (WACC)", fmt(br["dcf_enterprise_value_usd"]))
    for row in br["rows"]:
        if abs(row["value_usd"]) >= 0.5:
            walk.add_row(row["item"], fmt(row["value_usd"]))
    walk.add_row("sum of the parts, enterprise value", fmt(br["parts_enterprise_value_usd"]))
    walk.add_row("unexplained", fmt(br["unexplained_usd"]))
    console.print(walk)
    sources = out.get("input_sources", {})
    inputs = Table(title="Inputs", title_justify="left")
    for col in ("input", "value", "source"):
        inputs.add_column(col)
    for key, value in out.get("inputs", {}).items():
        shown = fmt(value) if isinstance(value, float | int) else str(value)
        inputs.add_row(key, shown, sources.get(key, ""))
    console.print(inputs)
    console.print(f"network model: {out.get('network_model')}", highlight=False)
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
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Valuation date (YYYY-MM-DD); default a company file's as_of or a scenario's "
            "start, never earlier than the file's as_of. Cash flows before it are not counted.",
        ),
    ] = None,
    btc_price: Annotated[
        float | None, typer.Option(min=1e-6, max=1e8, help="BTC price at the valuation date. [USD]")
    ] = None,
    hashprice: Annotated[
        float | None,
        typer.Option(min=1e-6, max=1e5, help="Hashprice at the valuation date. [USD/PH/day]"),
    ] = None,
    wacc: Annotated[
        float | None,
        typer.Option(min=0.001, max=0.99, help="WACC of the DCF, in [0.001, 0.99]. [1/yr]"),
    ] = None,
    cap_rate: Annotated[
        float | None,
        typer.Option(
            min=0.03,
            max=0.15,
            help="Exit cap rate of every lease, in [0.03, 0.15]; default by credit. [-]",
        ),
    ] = None,
    mining_rate: Annotated[
        float | None,
        typer.Option(min=0.001, max=0.99, help="Discount rate of mining, in [0.001, 0.99]. [1/yr]"),
    ] = None,
    power_price: Annotated[
        float | None,
        typer.Option(min=0.0, max=10_000.0, help="Listed miner's power price. [USD/MWh]"),
    ] = None,
    efficiency: Annotated[
        float | None, typer.Option(min=1.0, max=1000.0, help="Listed miner's fleet. [J/TH]")
    ] = None,
    bonus_depreciation: Annotated[
        float,
        typer.Option(help="Share of AI capex deducted at once for tax (26 USC 168(k)). [-]"),
    ] = 0.0,
    market_state: Annotated[
        Path | None,
        typer.Option(
            help="Dated market state file for a listed company (default: the state at the "
            "valuation date, the newest not later than it of the cached state of "
            "`hashpivot data fetch` and the packaged series); used only when it is not "
            "later than the valuation date, else the scenario's market block.",
        ),
    ] = None,
    price: Annotated[
        float | None,
        typer.Option(
            min=1e-6,
            max=1e7,
            help="Market share price of a listed company: convertibles and warrants are "
            "tested against it and the upside or downside is shown; default: the value "
            "per share itself. [USD/share]",
        ),
    ] = None,
    price_file: Annotated[
        Path | None,
        typer.Option(
            help="Prices CSV (wide: date + one column per ticker, like "
            "equities_adj_close_daily_2018_2026.csv; or long: date, ticker, adj_close): the "
            "listed company's last close on or before the valuation date is --price.",
        ),
    ] = None,
    save: SaveOpt = False,
    store: StoreOpt = None,
    xlsx: XlsxOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """DCF and sum-of-the-parts value, the bridge between them, and cross-checks.

    Both views value the same segment cash flows (mining, each lease, each GPU contract,
    corporate, tax): the DCF at one WACC with a Gordon terminal value net of reinvestment,
    the parts at each segment's own rate (mining equity-like, leases by tenant credit with
    exit values, GPU contracts by type) plus powered land on MW neither mining nor
    contracted, by status. The bridge explains every difference. Equity value needs the
    balance sheet; missing numbers are named, never zero. Every input is shown with its
    source or "assumption". --power-price, --efficiency and --market-state apply to
    listed companies; --cap-rate replaces every lease's exit cap rate.
    """
    from hashpivot.company.listed_value import Overrides

    with errors_exit_2():
        date = None if as_of is None else as_of.date()
        if date is not None and not dt.date(2009, 1, 1) <= date <= dt.date(2199, 12, 31):
            msg = f"--as-of: {date} — must be between 2009-01-01 and 2199-12-31"
            raise HashpivotError(msg)
        price_note: dict[str, Any] = {}
        if price_file is not None:
            price, price_note = _price_from_file(target, price_file, price, date)
        if price is not None and not _is_listed(target):
            msg = "--price applies to a listed company (a catalogue ticker or company file)"
            raise HashpivotError(msg)
        overrides = Overrides(
            btc_price_usd=btc_price, hashprice_usd_per_ph_day=hashprice,
            wacc_frac_per_year=wacc, cap_rate_frac=cap_rate,
            mining_rate_frac_per_year=mining_rate, power_usd_per_mwh=power_price,
            efficiency_j_per_th=efficiency, bonus_depreciation_frac=bonus_depreciation,
            share_price_usd=price,
        )  # fmt: skip
        runs = RunStore(store) if save else None
        spec = _valued_spec(target) if runs is not None else {}
        out, run_id = record(
            "value",
            spec,
            None,
            lambda: _value_target(target, date, overrides, market_state) | price_note,
            store=runs,
        )
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
