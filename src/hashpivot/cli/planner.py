"""``hashpivot plan``: how many MW to convert, where and when, under sampled futures."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.table import Table
from rich.text import Text

from hashpivot.cli.common import JsonOpt, console, emit_json, errors_exit_2, fmt, table
from hashpivot.cli.runs import SaveOpt, StoreOpt, saved_note
from hashpivot.cli.xlsx import XlsxOpt, write_plan_workbook
from hashpivot.spec import Scenario, default_scenario, load_scenario
from hashpivot.store.runstore import RunStore, record

if TYPE_CHECKING:  # the planner (linopy, HiGHS) is imported only when `plan` runs
    from hashpivot.planner import PlannerSpec, PlanResult

PathArg = Annotated[
    Path | None,
    typer.Argument(
        help="Scenario YAML; omit for the packaged default scenario.", show_default=False
    ),
]


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``plan`` to the main app."""
    del catalog_app
    app.command("plan")(plan)


def resolve_spec(scenario: Scenario, planner_file: Path | None, **overrides: Any) -> PlannerSpec:
    """Planner settings: the file, else the scenario's ``planner`` section, else defaults.

    Options given on the command line override them; the result is validated again.
    """
    from hashpivot.planner import PlannerSpec, load_planner_spec, planner_spec_from_dict

    if planner_file is not None:
        base = load_planner_spec(planner_file)
    else:
        base = getattr(scenario, "planner", None) or PlannerSpec()
    given = {k: v for k, v in overrides.items() if v is not None}
    return planner_spec_from_dict({**base.model_dump(), **given}, "command-line options")


def plan(
    path: PathArg = None,
    planner_file: Annotated[
        Path | None,
        typer.Option("--planner", help="Planner settings YAML (fields of PlannerSpec)."),
    ] = None,
    scenarios: Annotated[
        int | None, typer.Option(min=1, max=20_000, help="Sampled futures to optimise over.")
    ] = None,
    risk_aversion: Annotated[
        float | None,
        typer.Option(
            "--risk-aversion",
            "--lambda",
            min=0.0,
            max=1000.0,
            help="λ in max E[NPV] − λ·CVaR_α(loss). [-]",
        ),
    ] = None,
    alpha: Annotated[
        float | None,
        typer.Option("--alpha", min=0.01, max=0.999, help="CVaR level α (0.95: worst 5 %). [-]"),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, max=2**63 - 1, help="Seed of the sampled paths.")
    ] = None,
    evaluation_paths: Annotated[
        int | None, typer.Option(min=0, max=1_000_000, help="Fresh paths for the evaluation.")
    ] = None,
    as_json: JsonOpt = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML report to this file.")
    ] = None,
    xlsx: XlsxOpt = None,
    save: SaveOpt = False,
    store: StoreOpt = None,
) -> None:
    """Plan conversions of mining MW to AI leases: max E[NPV] − λ·CVaR, checked on fresh paths.

    With --save the run (scenario, planner settings, seed, summary, the out-of-sample NPV
    of each policy per path) goes into the run store: `hashpivot runs list --kind plan`.
    """
    from hashpivot.planner import Planner

    with errors_exit_2():
        scenario = default_scenario() if path is None else load_scenario(path)
        spec = resolve_spec(
            scenario, planner_file, scenarios=scenarios, risk_aversion=risk_aversion,
            cvar_alpha_frac=alpha, seed=seed, evaluation_paths=evaluation_paths,
        )  # fmt: skip
        runs = RunStore(store) if save else None
        result, run_id = record(
            "plan", scenario, spec.seed, lambda: Planner(scenario, spec).run(), store=runs,
            summary=lambda r: {**r.summary(), "planner": spec.model_dump(mode="json")},
            per_path=lambda r: dict(r.npv_out_of_sample_usd) or None,
        )  # fmt: skip
        if report is not None:
            from hashpivot.planner.report import write_plan_report

            write_plan_report(result, report)
        if xlsx is not None:
            write_plan_workbook(result, xlsx, path)
        if as_json:
            emit_json(result.to_dict() | ({"run_id": run_id} if run_id else {}))
            return
        _print(result, report)
        saved_note(run_id, runs)


_FRONTIER_COLUMNS = {
    "risk_aversion": "λ",
    "expected_npv_usd": "E[NPV]\nUSD M",
    "cvar_usd": "CVaR\nUSD M",
    "converted_mw": "converted\nMW",
    "oos_expected_npv_usd": "fresh E[NPV]\nUSD M",
    "oos_cvar_usd": "fresh CVaR\nUSD M",
}
"""Frontier table headers, two lines each so the table fits 80 columns."""


def _usd_m(value: float) -> str:
    """USD in millions with one decimal: ``252.1``."""
    return f"{value / 1e6:,.1f}"


def _small_table(frame: pd.DataFrame, title: str, headers: dict[str, str]) -> Table:
    """A table of the ``headers`` columns; ``*_usd`` ones in USD millions, others by fmt."""
    out = Table(title=title, title_justify="left")
    cols = [c for c in headers if c in frame.columns]
    for c in cols:
        numeric = pd.api.types.is_numeric_dtype(frame[c])
        out.add_column(headers[c], justify="right" if numeric else "left", no_wrap=True)
    for _, row in frame[cols].iterrows():
        out.add_row(*[_usd_m(row[c]) if c.endswith("_usd") else fmt(row[c]) for c in cols])
    return out


def _print(result: PlanResult, report: Path | None) -> None:
    s = result.summary()
    console.print(
        Text.assemble((str(s["scenario"]), "bold")),
        f": {s['status']} plan over {s['scenarios']} scenarios, "
        f"{s['periods']} periods of {s['period_months']} months; λ = {s['risk_aversion']:g}, "
        f"α = {s['cvar_alpha_frac']:g}. E[NPV] {_usd_m(s['expected_npv_usd'])} M USD, "
        f"CVaR of loss {_usd_m(s['cvar_usd'])} M USD (in sample).",
        sep="",
    )
    bands = result.solution.rule_converted_mw.shape[2]
    sched = result.schedule()
    if bands > 1:
        console.print(
            f"The plan is a decision rule on {bands} bands of the lowest trailing hashprice "
            "seen so far (JSON: decision_rule); below, its mean over the futures."
        )
        yearly = sched[sched["period_start"].str.endswith("-01-01")].pivot(
            index="period_start", columns="site", values="converted_mw"
        )[list(result.data.site)]
        console.print(table(yearly.reset_index(), "MW converted by each 1 January (mean)"))
    else:
        moves = sched[sched["convert_mw"] > 1e-6][
            ["site", "period_start", "convert_mw", "mining_mw", "leased_mw"]
        ]
        console.print(table(moves, "Conversions (MW converted at the start of the period)"))
    if result.frontier:
        frame = pd.DataFrame(result.frontier)
        console.print(_small_table(frame, "Efficient frontier over λ", _FRONTIER_COLUMNS))
    if result.out_of_sample:
        rows = [{"policy": k, "expected_npv_usd": v["expected_npv_usd"],
                 "std_error_usd": v["std_error_usd"], "cvar_usd": v["cvar_usd"]}
                for k, v in result.out_of_sample.items()]  # fmt: skip
        headers = {"policy": "policy", "expected_npv_usd": "E[NPV] USD M",
                   "std_error_usd": "s.e. USD M", "cvar_usd": "CVaR USD M"}  # fmt: skip
        console.print(_small_table(pd.DataFrame(rows), "Out of sample (fresh paths)", headers))
        c = result.comparison
        console.print(
            f"planner − {c['best_baseline']}: {_usd_m(c['planner_minus_best_expected_npv_usd'])} "
            f"± {_usd_m(c['std_error_usd'])} M USD (1 s.e., paired)"
        )
    prices = result.shadow_prices()
    prices = prices[prices["value"].abs() > 1e-6]
    if not prices.empty:
        headers = {"resource": "resource", "where": "where", "unit": "unit", "value": "value"}
        console.print(_small_table(prices, "Shadow prices (value of one more unit)", headers))
    if report is not None:
        console.print(f"report written to {report}")
