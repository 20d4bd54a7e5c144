"""The ``hashpivot`` command line: thin commands that parse, call the library and render.

Every command has ``--help`` and ``--json`` (one JSON object on stdout, nothing else).
Bad input prints a message naming the field, the value and the rule, and exits 2.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hashpivot import __version__, bitcoin
from hashpivot.cli_common import (
    JsonOpt,
    console,
    emit_json,
    err_console,
    errors_exit_2,
    fmt,
    table,
    write_atomic,
)
from hashpivot.cli_runs import SaveOpt, StoreOpt, saved_note
from hashpivot.company import CompanyModel, CompanyResult
from hashpivot.errors import HashpivotError, SpecError
from hashpivot.hardware import asic_catalog, gpu_catalog
from hashpivot.projection import Projection, ProjectionResult
from hashpivot.spec import Scenario, default_scenario, default_scenario_text, load_scenario
from hashpivot.store import RunStore, record

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

DEFAULT_HEIGHT = 840_000
ScenarioArg = Annotated[
    Path | None,
    typer.Argument(
        help="Scenario YAML file; default: the packaged default scenario.", show_default=False
    ),
]


class Freq(StrEnum):
    """Table period."""

    monthly = "monthly"
    yearly = "yearly"


class Level(StrEnum):
    """Aggregation level."""

    company = "company"
    site = "site"
    fleet = "fleet"


def _load(path: Path | None) -> Scenario:
    return default_scenario() if path is None else load_scenario(path)


# --------------------------------------------------------------------------- hashprice


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


@app.command()
def hashprice(
    price_usd: Annotated[float | None, typer.Option(min=1e-9, help="BTC price. [USD/BTC]")] = None,
    difficulty: Annotated[
        float | None, typer.Option(min=1.0, help="Network difficulty. [-]")
    ] = None,
    fees_btc_per_block: Annotated[
        float, typer.Option(min=0.0, max=100.0, help="Mean transaction fees per block. [BTC]")
    ] = 0.0,
    height: Annotated[
        int,
        typer.Option(
            min=0,
            max=10_000_000,
            help="Block height that sets the subsidy; default 840000, the first block of the "
            "2024-2028 epoch (subsidy 3.125 BTC).",
        ),
    ] = DEFAULT_HEIGHT,
    efficiency_j_per_th: Annotated[
        float | None, typer.Option(min=1e-6, max=1e7, help="Miner efficiency. [J/TH]")
    ] = None,
    power_usd_per_mwh: Annotated[
        float | None, typer.Option(min=-1000.0, max=10_000.0, help="Power price. [USD/MWh]")
    ] = None,
    hashprice_usd_per_ph_day: Annotated[
        float | None,
        typer.Option(
            min=0.0, help="Known hashprice, in place of price and difficulty. [USD/PH/day]"
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Hashprice from price, difficulty, subsidy and fees; breakeven power and margin.

    Hashprice = 8.64e19/(D·2^32)·(subsidy + fees)·price [USD/PH/day]; breakeven power =
    hashprice/(24·J/TH·1e-3) [USD/MWh]; hashcost = 24·J/TH·USD/kWh [USD/PH/day].
    """
    with errors_exit_2():
        out = _hashprice_payload(
            price_usd, difficulty, fees_btc_per_block, height,
            efficiency_j_per_th, power_usd_per_mwh, hashprice_usd_per_ph_day,
        )  # fmt: skip
        if as_json:
            emit_json(out)
            return
        table = Table(title="Hashprice", title_justify="left", show_header=False)
        for key, value in out.items():
            table.add_row(key, fmt(value) if not isinstance(value, int) else f"{value:,}")
        console.print(table)


# --------------------------------------------------------------------------- scenarios


@app.command()
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


@app.command()
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


# --------------------------------------------------------------------------- projections


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


@app.command()
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
    as_json: JsonOpt = False,
) -> None:
    """Deterministic fleet projection: BTC mined, revenue, power, margin, cost per BTC."""
    with errors_exit_2():
        result = Projection(_load(path)).run(months)
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
        console.print(table(result.payback(), "ASIC capex payback"))


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


@app.command()
def company(
    path: ScenarioArg = None,
    save: SaveOpt = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Company cash flows by segment along the deterministic base path, then the mining detail.

    The base path grows BTC price and network hashrate at the scenario's constant monthly
    rates; `hashpivot run` draws thousands of futures instead.
    """
    with errors_exit_2():
        scenario = _load(path)
        runs = RunStore(store) if save else None
        result, run_id = record(
            "run", scenario, None, lambda: CompanyModel(scenario).run(), store=runs
        )
        if as_json:
            emit_json(result.to_dict() | ({"run_id": run_id} if run_id else {}))
            return
        _print_company(result)
        _print_run(result.mining)
        if runs is not None:
            saved_note(run_id, runs)


RUN_METRIC_LABELS = {"npv_usd": "NPV", "ebitda_usd_per_year": "EBITDA per year"}
"""Rows of the ``run`` table, by summary key (``--json`` keeps the keys, in USD)."""


def _print_simulation(summary: dict[str, Any]) -> None:
    title = (
        f"{summary['scenario']}: {summary['paths']:,} paths × {summary['months']} months, "
        f"seed {summary['seed']}"
    )
    rows = []
    for variant in ("pure_mining", "hybrid"):
        for metric, label in RUN_METRIC_LABELS.items():
            d = summary[variant][metric]
            rows.append({"variant": variant, "USD M": label, **{k: d[k] / 1e6 for k in
                         ("mean", "std", "p5", "p50", "p95", "cvar5")}})  # fmt: skip
    console.print(table(pd.DataFrame(rows).round(1), title))
    head = Table(show_header=False)
    head.add_row("variance reduction of annual EBITDA (hybrid vs pure)",
                 f"{summary['variance_reduction_frac']:.1%}")  # fmt: skip
    for variant in ("pure_mining", "hybrid"):
        v = summary[variant]
        head.add_row(f"{variant}: BTC beta (elasticity) / correlation",
                     f"{v['btc_beta']:.2f} / {v['btc_corr']:.2f}")  # fmt: skip
        head.add_row(f"{variant}: P(EBITDA < 0 in any year)",
                     f"{v['prob_negative_ebitda_any_year']:.1%}")  # fmt: skip
    console.print(head)
    if summary["frontier"]:
        frontier = pd.DataFrame(summary["frontier"])
        usd = [c for c in frontier.columns if c.endswith("_usd")]
        frontier[usd] = (frontier[usd] / 1e6).round(1)
        frontier = frontier.rename(columns={c: c.removesuffix("_usd") + " (USD M)" for c in usd})
        console.print(table(frontier, "AI-share frontier (same paths)"))


def _per_path(result: Any) -> dict[str, Any]:
    """Per-path arrays of a simulation result, named ``variant.metric``, for the run store."""
    return {f"{v}.{k}": a for v, arrays in result.variants.items() for k, a in arrays.items()}


@app.command()
def run(
    path: ScenarioArg = None,
    paths: Annotated[
        int, typer.Option(min=1000, max=2_000_000, help="Monte Carlo paths (whole thousands).")
    ] = 10_000,
    seed: Annotated[int, typer.Option(min=0, help="Random seed; same seed, same numbers.")] = 0,
    report: Annotated[
        Path | None, typer.Option(help="Write a self-contained HTML report here.")
    ] = None,
    flows: Annotated[
        Path | None,
        typer.Option(
            help="Write the monthly cash flows of the first --flow-paths paths here (CSV): "
            "one row per variant (hybrid, pure_mining), path, month and project, labelled "
            "by site and segment, a column per flow [USD, BTC].",
            show_default=False,
        ),
    ] = None,
    flow_paths: Annotated[
        int, typer.Option(min=1, max=10_000, help="Paths written by --flows.")
    ] = 100,
    save: SaveOpt = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the main job: the Monte Carlo of the company, pure mining vs the hybrid mix.

    Draws BTC price, fees, GPU rental and power paths, simulates the network under each
    price path, and evaluates the scenario's company (hybrid), the same sites with no
    conversion (pure mining) and a sweep of AI shares, all on the same paths.
    """
    from hashpivot.report.montecarlo import write_montecarlo_report
    from hashpivot.simulation import Simulation

    with errors_exit_2():
        if flows is not None and flow_paths > paths:
            raise SpecError([f"--flow-paths: {flow_paths} (must be <= --paths {paths})"])
        scenario = _load(path)
        sim = Simulation(scenario)
        runs = RunStore(store) if save else None
        if as_json:
            result, run_id = record(
                "run", scenario, seed, lambda: sim.run(paths=paths, seed=seed), store=runs,
                per_path=_per_path,
            )  # fmt: skip
        else:
            with Progress(
                TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=err_console, transient=True,
            ) as bar:  # fmt: skip
                task = bar.add_task("paths", total=paths)

                def tick(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                result, run_id = record(
                    "run", scenario, seed, lambda: sim.run(paths=paths, seed=seed, progress=tick),
                    store=runs, per_path=_per_path,
                )  # fmt: skip
        if report is not None:
            write_montecarlo_report(result, report)
        if flows is not None:
            write_flows_csv(sim, flows, flow_paths, seed)
        extra = ({"report": str(report)} if report else {}) | ({"run_id": run_id} if run_id else {})
        extra |= {"flows": str(flows)} if flows else {}
        if as_json:
            emit_json(result.summary() | extra)
            return
        _print_simulation(result.summary())
        if report is not None:
            console.print(f"report: {report}")
        if flows is not None:
            console.print(f"cash flows of {flow_paths} paths: {flows}")
        if runs is not None:
            saved_note(run_id, runs)


def write_flows_csv(sim: Any, path: Path, paths: int, seed: int) -> None:
    """The monthly flows per project of the first ``paths`` paths, both variants, as CSV."""
    frames = []
    for variant in ("hybrid", "pure_mining"):
        frame = sim.cash_flows(paths=paths, seed=seed, variant=variant).to_frame()
        frames.append(frame.assign(variant=variant))
    out = pd.concat(frames, ignore_index=True)
    out = out[["variant", *[c for c in out.columns if c != "variant"]]]
    write_atomic(path, out.to_csv(index=False))


# --------------------------------------------------------------------------- catalogues


def _catalog(frame: pd.DataFrame, title: str, cols: list[str], as_json: bool) -> None:
    if as_json:
        emit_json({"rows": frame.to_dict(orient="records")})
        return
    console.print(table(frame[cols], title))
    console.print("Sources: `--json` gives source_url, as_of and notes for every row.")


@catalog_app.command("asics")
def catalog_asics(as_json: JsonOpt = False) -> None:
    """ASIC miners: TH/s, W, J/TH, release date, price USD/TH where known, with sources."""
    cols = [
        "model",
        "hashrate_th_s",
        "power_w",
        "efficiency_j_per_th",
        "cooling",
        "release_date",
        "price_usd_per_th",
    ]
    _catalog(asic_catalog(), "ASIC catalogue", cols, as_json)


@catalog_app.command("gpus")
def catalog_gpus(as_json: JsonOpt = False) -> None:
    """GPUs: TDP W, dense BF16 and FP8 TFLOPS, memory GB, price estimate, with sources."""
    cols = ["model", "tdp_w", "bf16_dense_tflops", "fp8_dense_tflops", "memory_gb", "price_usd"]
    _catalog(gpu_catalog(), "GPU catalogue", cols, as_json)


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


def _register_commands() -> None:
    """Add the commands defined in the topic modules (``cli_*.py``)."""
    from hashpivot import cli_ai, cli_topics

    cli_topics.register(app, catalog_app)
    cli_ai.register(app)


_register_commands()
