"""``hashpivot hashprice``, ``mine`` and ``company``: the deterministic base path."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from hashpivot import bitcoin
from hashpivot.cli.common import JsonOpt, console, emit_json, errors_exit_2, fmt, table
from hashpivot.cli.runs import SaveOpt, StoreOpt, saved_note
from hashpivot.cli.scenario import ScenarioArg, load_or_default
from hashpivot.cli.xlsx import XlsxOpt, write_company_workbook
from hashpivot.company.model import CompanyModel, CompanyResult
from hashpivot.errors import HashpivotError
from hashpivot.market_state import latest_market_state, state_summary
from hashpivot.projection import Projection, ProjectionResult
from hashpivot.spec import Scenario
from hashpivot.store.runstore import RunStore, record

DEFAULT_HEIGHT = 840_000
"""First block of the 2024-2028 epoch (subsidy 3.125 BTC), the default of ``--height``."""


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``hashprice``, ``mine`` and ``company``."""
    del catalog_app
    app.command("hashprice")(hashprice)
    app.command("mine")(mine)
    app.command("company")(company)


class NetworkModelName(StrEnum):
    """Network model of the deterministic base path."""

    supply_curve = "supply_curve"
    fixed_growth = "fixed_growth"


NetworkModelOpt = Annotated[
    NetworkModelName | None,
    typer.Option(
        "--network-model",
        help="Network model of the base path: supply_curve (the Monte Carlo's, every shock "
        "at zero) or fixed_growth (the market block's constant hashrate growth); default: "
        "the scenario's network_model.",
    ),
]


def _with_network_model(scenario: Scenario, model: NetworkModelName | None) -> Scenario:
    """The scenario with ``--network-model`` written into it, so a saved run records it."""
    if model is None:
        return scenario
    net = scenario.network_model.model_copy(update={"model": model.value})
    return scenario.model_copy(update={"network_model": net})


def _network_note(name: str) -> str:
    what = {
        "supply_curve": "supply curve, median path (every shock at zero)",
        "fixed_growth": "fixed hashrate growth at the market block's rate",
    }[name]
    return f"network model: {name} ({what})"


class Freq(StrEnum):
    """Table period."""

    monthly = "monthly"
    yearly = "yearly"


class Level(StrEnum):
    """Aggregation level."""

    company = "company"
    site = "site"
    fleet = "fleet"


def _hashprice_payload(
    price_usd: float | None,
    difficulty: float | None,
    fees_btc_per_block: float,
    height: int,
    efficiency_j_per_th: float | None,
    power_usd_per_mwh: float | None,
    hashprice_usd_per_ph_day: float | None,
) -> dict[str, Any]:
    subsidy = float(bitcoin.subsidy_btc(height))
    out: dict[str, Any] = {
        "height": height,
        "subsidy_btc": subsidy,
        "fees_btc_per_block": fees_btc_per_block,
    }
    if hashprice_usd_per_ph_day is not None and difficulty is not None:
        msg = (
            "give --price-usd and --difficulty, or --hashprice-usd-per-ph-day, not both: "
            "the hashprice follows from price and difficulty"
        )
        raise HashpivotError(msg)
    if hashprice_usd_per_ph_day is None:
        if price_usd is None or difficulty is None:
            msg = "give --price-usd and --difficulty, or --hashprice-usd-per-ph-day"
            raise HashpivotError(msg)
        hp_btc = float(bitcoin.hashprice_btc_per_ph_day(difficulty, subsidy, fees_btc_per_block))
        hp_usd = hp_btc * price_usd
    else:
        hp_usd = hashprice_usd_per_ph_day
        hp_btc = hp_usd / price_usd if price_usd else math.nan
    out |= {
        "hashprice_usd_per_ph_day": hp_usd,
        "hashprice_btc_per_ph_day": hp_btc,
        "hashprice_usd_per_th_day": hp_usd / 1000.0,
        "hashprice_btc_per_th_day": hp_btc / 1000.0,
    }
    if difficulty is not None:
        out["implied_network_hashrate_eh_s"] = (
            float(bitcoin.hashrate_h_s_for_difficulty(difficulty)) / 1e18
        )
    if efficiency_j_per_th is not None:
        out["breakeven_power_usd_per_mwh"] = float(
            bitcoin.breakeven_power_usd_per_mwh(hp_usd, efficiency_j_per_th)
        )
        if power_usd_per_mwh is not None:
            cost = float(bitcoin.hashcost_usd_per_ph_day(efficiency_j_per_th, power_usd_per_mwh))
            out["hashcost_usd_per_ph_day"] = cost
            out["margin_usd_per_ph_day"] = hp_usd - cost
    return out


def hashprice(
    price_usd: Annotated[
        float | None, typer.Option(min=1e-9, max=1e8, help="BTC price. [USD/BTC]")
    ] = None,
    difficulty: Annotated[
        float | None, typer.Option(min=1.0, max=1e20, help="Network difficulty. [-]")
    ] = None,
    fees_btc_per_block: Annotated[
        float | None,
        typer.Option(min=0.0, max=100.0, help="Mean transaction fees per block; default 0. [BTC]"),
    ] = None,
    height: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=10_000_000,
            help="Block height that sets the subsidy; default 840000, the first block of the "
            "2024-2028 epoch (subsidy 3.125 BTC).",
        ),
    ] = None,
    efficiency_j_per_th: Annotated[
        float | None, typer.Option(min=1e-6, max=1e7, help="Miner efficiency. [J/TH]")
    ] = None,
    power_usd_per_mwh: Annotated[
        float | None, typer.Option(min=-1000.0, max=10_000.0, help="Power price. [USD/MWh]")
    ] = None,
    hashprice_usd_per_ph_day: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1e8,
            help="Known hashprice, in place of price and difficulty. [USD/PH/day]",
        ),
    ] = None,
    latest: Annotated[
        bool,
        typer.Option(
            "--latest",
            help="Take price, difficulty, fees and height from the latest market state (the "
            "data cache, else the packaged snapshot); options given still win.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Hashprice from price, difficulty, subsidy and fees; breakeven power and margin.

    Hashprice = 8.64e19/(D·2^32)·(subsidy + fees)·price [USD/PH/day]; breakeven power =
    hashprice/(24·J/TH·1e-3) [USD/MWh]; hashcost = 24·J/TH·USD/kWh [USD/PH/day].
    """
    with errors_exit_2():
        state = latest_market_state() if latest else None
        if state is not None and hashprice_usd_per_ph_day is None:
            price_usd = price_usd or state.btc_price_usd.value
            difficulty = difficulty or state.difficulty.value
            if fees_btc_per_block is None:
                fees_btc_per_block = state.fees_btc_per_block.value
            height = int(state.block_height.value) if height is None else height
        out = _hashprice_payload(
            price_usd, difficulty, fees_btc_per_block or 0.0,
            DEFAULT_HEIGHT if height is None else height,
            efficiency_j_per_th, power_usd_per_mwh, hashprice_usd_per_ph_day,
        )  # fmt: skip
        if state is not None:
            out["market_state"] = state_summary(state)
        if as_json:
            emit_json(out)
            return
        table = Table(title="Hashprice", title_justify="left", show_header=False)
        for key, value in out.items():
            if key != "market_state":
                table.add_row(key, fmt(value) if not isinstance(value, int) else f"{value:,}")
        console.print(table)
        if state is not None:
            console.print(f"market state: {state.describe()}", highlight=False)


_TABLE_COLS = {
    "btc_mined": "BTC mined",
    "revenue_usd": "revenue USD",
    "power_cost_usd": "power USD",
    "other_opex_usd": "other opex USD",
    "gross_margin_usd": "margin USD",
    "energy_mwh": "energy MWh",
    "cash_cost_per_btc_usd": "cash cost USD/BTC",
    "all_in_cost_per_btc_usd": "all-in USD/BTC",
}


def _flowstable(result: ProjectionResult, level: Level, freq: Freq) -> pd.DataFrame:
    frame = result.aggregate(level.value, "Y" if freq is Freq.yearly else "M")
    frame = frame.drop(columns=["potential_energy_mwh", "depreciation_usd"])
    return frame.rename(columns=_TABLE_COLS)


def mine(
    path: ScenarioArg = None,
    months: Annotated[
        int | None,
        typer.Option(min=1, max=600, help="Months to project; default: the scenario's horizon."),
    ] = None,
    freq: Annotated[Freq, typer.Option(help="Table period.")] = Freq.yearly,
    level: Annotated[
        Level, typer.Option(help="Sum over the company, or show each site or fleet.")
    ] = Level.company,
    network_model: NetworkModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deterministic fleet projection: BTC mined, revenue, power, margin, cost per BTC.

    The base path runs the scenario's network model along its BTC price path (the
    supply curve with every shock at zero by default); --network-model picks another.
    """
    with errors_exit_2():
        result = Projection(_with_network_model(load_or_default(path), network_model)).run(months)
        frame = result.aggregate(level.value, "Y" if freq is Freq.yearly else "M")
        if as_json:
            rows = frame.assign(period=frame["period"].astype(str)).to_dict(orient="records")
            emit_json(
                {
                    "summary": result.summary(),
                    "rows": rows,
                    "payback": result.payback().to_dict(orient="records"),
                }
            )
            return
        console.print(
            table(
                _flowstable(result, level, freq),
                f"{result.scenario.name}: {level.value}, {freq.value}",
            )
        )
        console.print(_network_note(result.network_model), highlight=False)
        console.print(table(result.payback(), "ASIC capex payback"))
        if not any(site.fleets for site in result.scenario.sites):
            console.print(
                "note: the scenario has no ASIC fleet (AI conversions only), so nothing is "
                "mined; `hashpivot company` and `run` value its conversions"
            )


_RUN_KEYS = (
    "fleet_hashrate_eh_s",
    "hashprice_usd_per_ph_day_first_month",
    "btc_mined",
    "revenue_usd",
    "power_cost_usd",
    "other_opex_usd",
    "gross_margin_usd",
    "cash_cost_per_btc_usd",
    "all_in_cost_per_btc_usd",
)


def _print_run(result: ProjectionResult) -> None:
    s = result.summary()
    head = Table(
        title=f"{s['scenario']}: {s['months']} months from {s['start_month']}",
        show_header=False,
        title_justify="left",
    )
    for key in _RUN_KEYS:
        head.add_row(key, fmt(s[key]))
    for h in s["halvings"]:
        head.add_row(f"halving at block {h['height']:,}", h["date"])
    head.add_row("network_model", _network_note(result.network_model))
    console.print(head)
    console.print(table(_flowstable(result, Level.company, Freq.yearly), "Company by year"))
    console.print(table(result.site_breakeven(), "Breakeven power price by site, first month"))
    console.print(table(result.payback(), "ASIC capex payback"))


def _print_company(result: CompanyResult) -> None:
    s = result.summary()
    title = (
        f"{s['company']} ({s['scenario']}): {s['months']} months from {result.scenario.start_date}"
    )
    head = Table(title=title, show_header=False, title_justify="left")
    for key in ("revenue_usd", "ebitda_usd", "capex_usd", "free_cash_flow_usd", "btc_held_end",
                "debt_balance_end_usd"):  # fmt: skip
        head.add_row(key, fmt(s[key]))
    for seg, share in s["revenue_share_by_segment"].items():
        head.add_row(f"revenue share: {seg}", f"{share:.1%}")
    console.print(head)
    yearly = result.by_year()[
        ["period", "revenue_usd", "ebitda_usd", "capex_usd", "free_cash_flow_usd",
         "cash_flow_to_equity_usd", "debt_balance_usd", "btc_held"]
    ]  # fmt: skip
    console.print(table(yearly, "Company by year"))
    seg = result.by_segment("Y")[["period", "segment", "revenue_usd", "ebitda_usd", "capex_usd"]]
    console.print(table(seg, "Segments by year"))


def company(
    path: ScenarioArg = None,
    save: SaveOpt = False,
    store: StoreOpt = None,
    xlsx: XlsxOpt = None,
    network_model: NetworkModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Company cash flows by segment along the deterministic base path, then the mining detail.

    The base path grows the BTC price at the scenario's constant monthly rate and runs
    the scenario's network model along it (the supply curve with every shock at zero by
    default; --network-model picks another); `hashpivot run` draws thousands of futures.
    """
    with errors_exit_2():
        scenario = _with_network_model(load_or_default(path), network_model)
        runs = RunStore(store) if save else None
        result, run_id = record(
            "run", scenario, None, lambda: CompanyModel(scenario).run(), store=runs
        )
        if xlsx is not None:
            write_company_workbook(result, xlsx, path)
        if as_json:
            emit_json(result.to_dict() | ({"run_id": run_id} if run_id else {}))
            return
        _print_company(result)
        _print_run(result.mining)
        if runs is not None:
            saved_note(run_id, runs)
