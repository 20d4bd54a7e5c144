"""``hashpivot run``: the main job, the Monte Carlo of the company."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hashpivot.applicability import mark_not_applicable
from hashpivot.cli.common import JsonOpt, console, emit_json, err_console, errors_exit_2, table
from hashpivot.cli.runs import SaveOpt, StoreOpt, saved_note
from hashpivot.cli.scenario import ScenarioArg, load_or_default
from hashpivot.cli.xlsx import XlsxOpt, write_run_workbook
from hashpivot.errors import SpecError
from hashpivot.io import check_writable, write_atomic
from hashpivot.store.runstore import RunStore, record


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``run``."""
    del catalog_app
    app.command("run")(run)


FRONTIER_SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
"""AI shares of the frontier ``run`` sweeps (``Simulation``'s default) [-]."""

RUN_METRIC_LABELS = {"npv_usd": "NPV", "ebitda_usd_per_year": "EBITDA per year"}
"""Rows of the ``run`` table, by summary key (``--json`` keeps the keys, in USD)."""


def _na(value: Any, spec: str) -> str:
    return "n/a" if value is None else format(value + 0.0, spec)  # no "-0.00"


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
                 _na(summary["variance_reduction_frac"], ".1%"))  # fmt: skip
    for variant in ("pure_mining", "hybrid"):
        v = summary[variant]
        head.add_row(f"{variant}: BTC beta (elasticity) / correlation",
                     f"{_na(v['btc_beta'], '.2f')} / {_na(v['btc_corr'], '.2f')}")  # fmt: skip
        head.add_row(f"{variant}: P(EBITDA < 0 in any year)",
                     f"{v['prob_negative_ebitda_any_year']:.1%}")  # fmt: skip
        if v.get("btc_beta_warning"):
            head.add_row(f"{variant}: BTC beta warning", v["btc_beta_warning"])
        _risk_rows(head, variant, v.get("risk"))
    console.print(head)
    for key, reason in summary.get("not_applicable", {}).items():
        console.print(f"n/a: {key}: {reason}")
    if summary["frontier"]:
        frontier = pd.DataFrame(summary["frontier"])
        frontier = frontier.drop(  # in --json and the report; the table keeps 80 columns
            columns=["npv_cvar5_gain_usd", "npv_mean_given_up_usd"], errors="ignore"
        )
        gain = "cvar_gain_per_usd_npv_given_up"  # CVaR gained per USD of E[NPV] given up
        if gain in frontier:
            frontier = frontier.rename(columns={gain: "CVaR/USD"}).round({"CVaR/USD": 2})
        usd = [c for c in frontier.columns if c.endswith("_usd")]
        frontier[usd] = (frontier[usd] / 1e6).round(1)
        frontier = frontier.rename(columns={c: c.removesuffix("_usd") + " (USD M)" for c in usd})
        console.print(table(frontier, "AI-share frontier (same paths)"))


def _risk_rows(head: Table, variant: str, r: dict[str, Any] | None) -> None:
    """Rows of the risk object (issue #20): deltas for +10 % BTC, R², tail of FCF after debt."""
    if r is None:
        return
    head.add_row(f"{variant}: NPV / annual EBITDA Δ, +10 % BTC (USD M)",
                 f"{r['npv_delta_usd_per_10pct_btc'] / 1e6:,.1f} / "
                 f"{r['ebitda_delta_usd_per_10pct_btc'] / 1e6:,.1f}")  # fmt: skip
    head.add_row(f"{variant}: R² of NPV on BTC",
                 _na(r["btc_r2_frac"], ".2f"))  # fmt: skip
    head.add_row(f"{variant}: CVaR5 of FCF after capex, debt (USD M/yr)",
                 f"{r['fcf_cvar5_usd'] / 1e6:,.1f}")  # fmt: skip
    if "p_liquidity_shortfall_frac" in r:
        head.add_row(f"{variant}: P(cash < 0 in some month)",
                     f"{r['p_liquidity_shortfall_frac']:.1%}")  # fmt: skip


def _per_path(result: Any) -> dict[str, Any]:
    """Per-path arrays of a simulation result, named ``variant.metric``, for the run store."""
    return {f"{v}.{k}": a for v, arrays in result.variants.items() for k, a in arrays.items()}


def run(
    path: ScenarioArg = None,
    paths: Annotated[
        int, typer.Option(min=1000, max=2_000_000, help="Monte Carlo paths (whole thousands).")
    ] = 10_000,
    seed: Annotated[
        int, typer.Option(min=0, max=2**63 - 1, help="Random seed; same seed, same numbers.")
    ] = 0,
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
    tenant_ai_corr: Annotated[
        float | None,
        typer.Option(
            "--tenant-ai-corr",
            min=0.0,
            max=0.99,
            help="Correlation of tenant defaults with the AI market (GPU rental index): "
            "tenants default more on paths where it falls; default: the scenario's "
            "market_model.tenant_ai_corr_frac (0.24, the Basel IRB upper corporate "
            "value); 0 makes them independent. Leases naming one tenant default together "
            "whatever it is. [-]",
            show_default=False,
        ),
    ] = None,
    bump_network: Annotated[
        bool,
        typer.Option(
            "--bump-network",
            help="The risk object's +10 % BTC bump lets the network respond (hashrate "
            "follows price) instead of holding it; costs a second market draw.",
        ),
    ] = False,
    xlsx: XlsxOpt = None,
    xlsx_paths: Annotated[
        int, typer.Option(min=1, max=1_000, help="Paths whose monthly flows --xlsx writes.")
    ] = 10,
    save: SaveOpt = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the main job: the Monte Carlo of the company, pure mining vs the hybrid mix.

    Draws BTC price, fees, GPU rental and power paths, simulates the network under each
    price path, and evaluates the scenario's company (hybrid), the same sites with no
    conversion (pure mining) and a sweep of AI shares, all on the same paths. A scenario
    without an ASIC fleet (an AI landlord) has no sweep, and the measures that compare with
    pure mining or are the same on every path print n/a with the reason.
    """
    from hashpivot.report.montecarlo import write_montecarlo_report
    from hashpivot.simulation import Simulation

    with errors_exit_2():
        if flows is not None and flow_paths > paths:
            raise SpecError([f"--flow-paths: {flow_paths} (must be <= --paths {paths})"])
        for output in (report, flows, xlsx):
            if output is not None:
                check_writable(output)
        scenario = load_or_default(path)
        has_fleet = any(site.fleets for site in scenario.sites)
        # no fleet: no mining MW to trade for AI MW, so no AI-share frontier
        shares = FRONTIER_SHARES if has_fleet else ()
        sim = Simulation(
            scenario, shares, tenant_ai_corr_frac=tenant_ai_corr, bump_network=bump_network
        )
        runs = RunStore(store) if save else None

        def marked(r: Any) -> dict[str, Any]:  # the store keeps what is printed
            return mark_not_applicable(r.summary(), has_fleet)

        if as_json:
            result, run_id = record(
                "run", scenario, seed, lambda: sim.run(paths=paths, seed=seed), store=runs,
                summary=marked, per_path=_per_path,
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
                    store=runs, summary=marked, per_path=_per_path,
                )  # fmt: skip
        if report is not None:
            write_montecarlo_report(result, report)
        if flows is not None:
            write_flows_csv(sim, flows, flow_paths, seed)
        if xlsx is not None:
            write_run_workbook(sim, result, xlsx, min(xlsx_paths, paths), seed, path)
        extra: dict[str, Any] = {"report": str(report)} if report else {}
        extra |= {"run_id": run_id} if run_id else {}
        extra |= {"flows": str(flows)} if flows else {}
        extra |= {"xlsx": str(xlsx)} if xlsx else {}
        extra |= {"tenant_ai_corr_frac": sim.tenant_ai_corr_frac}
        extra |= {"bump_network": True} if bump_network else {}
        summary = mark_not_applicable(result.summary(), has_fleet)
        if as_json:
            emit_json(summary | extra)
            return
        _print_simulation(summary)
        if report is not None:
            console.print(f"report: {report}")
        if flows is not None:
            console.print(f"cash flows of {flow_paths} paths: {flows}")
        if xlsx is not None:
            console.print(f"workbook: {xlsx}")
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
