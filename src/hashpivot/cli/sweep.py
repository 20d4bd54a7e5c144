"""``hashpivot sweep``: sensitivity sweeps of a scenario, serially or on Dask."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from hashpivot.cli.common import JsonOpt, console, emit_json, err_console, errors_exit_2, table
from hashpivot.cli.runs import SaveOpt, StoreOpt, saved_note
from hashpivot.store.runstore import RunStore, record

if TYPE_CHECKING:
    from hashpivot.sweep.core import PointOutcome, Sweep, SweepResult

SpecArg = Annotated[
    Path | None,
    typer.Argument(
        metavar="SPEC.yaml",
        help="Sweep spec YAML; omit for the packaged example.",
        show_default=False,
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Address of a running Dask scheduler (tcp://HOST:8786) to run the points on; "
        "default: start a LocalCluster for this command.",
        show_default=False,
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        max=1024,
        help="Single-threaded worker processes of the LocalCluster; 1 runs serially, on "
        "one thread, in this process without Dask. Default: one per core.",
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        help="Folder of finished points (for resuming), results.parquet and sweep.json. "
        "Default: ./<sweep name>.sweep",
        show_default=False,
    ),
]


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``sweep`` to the main app."""
    del catalog_app
    app.command("sweep")(sweep)


def sweep(
    spec_path: SpecArg = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    output: OutputOpt = None,
    resume: Annotated[
        bool, typer.Option("--resume/--no-resume", help="Skip points finished in --output.")
    ] = True,
    example: Annotated[
        bool, typer.Option("--example", help="Print the packaged example spec and exit.")
    ] = False,
    as_json: JsonOpt = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML report to this file.")
    ] = None,
    save: SaveOpt = False,
    store: StoreOpt = None,
) -> None:
    """Vary scenario fields, run each point's Monte Carlo, and show what moves the answer."""
    from hashpivot.sweep.core import Sweep, example_sweep_text, parse_sweep

    if example:
        sys.stdout.write(example_sweep_text())
        return
    with errors_exit_2():
        if spec_path is None:
            sw = Sweep(parse_sweep(example_sweep_text(), "example sweep"), source="example sweep")
        else:
            sw = Sweep.from_file(spec_path)
        folder = output or Path.cwd() / f"{_slug(sw.spec.name)}.sweep"
        if scheduler is not None and workers is not None:
            err_console.print("--workers is ignored with --scheduler (the cluster has its own)")
        result, run_id, st = _run(sw, scheduler, workers, folder, resume, save, store)
        if report is not None:
            from hashpivot.report.sweep import write_sweep_report

            write_sweep_report(result, report)
        if as_json:
            emit_json({**result.to_dict(), "output": str(folder), "run_id": run_id})
        else:
            _print(result, folder, report)
        saved_note(run_id, st)
    if result.failures():
        raise typer.Exit(code=1)


def _run(
    sw: Sweep,
    scheduler: str | None,
    workers: int | None,
    folder: Path,
    resume: bool,
    save: bool,
    store: Path | None,
) -> tuple[SweepResult, str | None, RunStore | None]:
    """Run with a progress bar on stderr; save in the run store when asked."""
    st = RunStore(store) if save else None
    with _ProgressBar(len(sw.points)) as on_outcome:
        try:
            result, run_id = record(
                "sweep",
                sw.base_text,
                sw.spec.seed,
                lambda: sw.run(workers, scheduler, folder, resume, on_outcome),
                store=st,
                summary=lambda r: {**r.summary(), "spec": r.spec.model_dump(mode="json")},
                per_path=lambda r: r.store_frame(),
                tags=(f"sweep:{sw.spec.name}",),
            )
        except KeyboardInterrupt:
            err_console.print(
                f"interrupted: finished points are kept in {folder}; run the same command "
                "again to compute only the rest",
                highlight=False,
            )
            raise typer.Exit(code=130) from None
    return result, run_id, st


class _ProgressBar:
    """A Rich progress bar over points (reused ones count at once), with a failure count."""

    def __init__(self, total: int) -> None:
        self.failed = 0
        self.bar = Progress(
            TextColumn("sweep"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=False,
        )
        self.task = self.bar.add_task("sweep", total=total, failed=0)

    def __enter__(self) -> _ProgressBar:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def __call__(self, outcome: PointOutcome) -> None:
        self.failed += not outcome.ok
        self.bar.update(self.task, advance=1, failed=self.failed)
        if not outcome.ok:
            self.bar.console.print(
                f"point {outcome.index} failed: {outcome.error}", highlight=False, markup=False
            )


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "sweep"


def _print(result: SweepResult, folder: Path, report: Path | None) -> None:
    s = result.summary()
    console.print(
        Text(str(s["sweep"]), "bold"),
        f" on {s['base_scenario']}: {s['points']} points, {s['ok']} ok "
        f"({s['reused']} reused), {s['failed']} failed; {s['paths_per_point']:,} paths each; "
        f"{s['executor']}, {s['seconds']:.1f} s.",
        sep="",
        highlight=False,
    )
    torn = result.tornado()
    for metric in result.spec.metrics:
        part = torn[torn["metric"] == metric]
        if part.empty:
            continue
        scale, unit = (1e-6, " (million USD)") if "_usd" in metric else (1.0, "")
        shown = pd.DataFrame(
            {
                "parameter": part["label"].str.slice(0, 36),
                "low": part["low"],
                "high": part["high"],
                "at low": part["metric_low"] * scale,
                "base": part["metric_base"] * scale,
                "at high": part["metric_high"] * scale,
                "swing": part["swing"] * scale,
            }
        )
        console.print(table(shown.reset_index(drop=True), f"Tornado: {metric}{unit}"))
    flips = result.decision_flips()
    if result.spec.planner is not None:
        if flips.empty:
            console.print("Planner: the first-period decision does not flip on any one-way line.")
        else:
            shown = pd.DataFrame(
                {
                    "parameter": flips["label"].str.slice(0, 36),
                    "from": flips["from_value"],
                    "to": flips["to_value"],
                    "decision": flips["from_decision"] + " → " + flips["to_decision"],
                }
            )
            console.print(table(shown, "Where the planner's first-period decision flips"))
    failures = result.failures()
    if failures:
        console.print(Text(f"{len(failures)} failed point(s):", "bold red"))
        for f in failures:
            console.print(
                f"  point {f['point']} ({f['design']}: {f['values']}): {f['error']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        console.print("Fix them and run the same command again: finished points are kept.")
    console.print(f"results: {folder / 'results.parquet'}", highlight=False)
    if report is not None:
        console.print(f"report written to {report}", highlight=False)
