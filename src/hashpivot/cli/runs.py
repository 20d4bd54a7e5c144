"""``hashpivot runs``: list, show, compare, export and delete saved runs.

Every command takes ``--store PATH``; without it the store is ``$HASHPIVOT_STORE``, else
``runs.duckdb`` in the user data directory (:mod:`hashpivot.store.db`). Reading a store
that does not exist shows no runs and creates nothing. An unknown run id exits with code 2.

Commands that compute (``run``, ``value``, ...) save through :func:`hashpivot.store.runstore.record`
with the options :data:`SaveOpt` and :data:`StoreOpt` defined here, and report the id with
:func:`saved_note`.
"""

from __future__ import annotations

import math
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hashpivot.cli.common import JsonOpt, console, emit_json, err_console, errors_exit_2, fmt
from hashpivot.store.records import flatten
from hashpivot.store.runstore import (
    RunComparison,
    RunInfo,
    RunRecord,
    RunStore,
)

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Run store file (DuckDB). Default: $HASHPIVOT_STORE, else runs.duckdb in the "
        "user data directory.",
        show_default=False,
    ),
]
SaveOpt = Annotated[
    bool,
    typer.Option("--save/--no-save", help="Save the run in the run store (`hashpivot runs`)."),
]
RunIdArg = Annotated[str, typer.Argument(help="Run id, as `hashpivot runs list` shows it.")]


class Kind(StrEnum):
    """Kind of saved run (:data:`hashpivot.store.runstore.RUN_KINDS`)."""

    run = "run"
    plan = "plan"
    dispatch = "dispatch"
    value = "value"
    sweep = "sweep"


class Format(StrEnum):
    """Export format (:data:`hashpivot.store.runstore.EXPORT_FORMATS`)."""

    parquet = "parquet"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


runs_app = typer.Typer(
    help="Saved runs: list, show, compare, export, delete.", no_args_is_help=True
)


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add the ``runs`` group to the main app."""
    del catalog_app
    app.add_typer(runs_app, name="runs")


def saved_note(run_id: str | None, store: RunStore | None) -> None:
    """Tell the user, on stderr, where a run was saved (nothing when it was not)."""
    if run_id is not None and store is not None:
        err_console.print(
            f"saved run {run_id} in {store.path} (show it: hashpivot runs show {run_id})",
            highlight=False,
            soft_wrap=True,
        )


# --------------------------------------------------------------------------- list


def _when(info: RunInfo) -> str:
    return info.started_at.strftime("%Y-%m-%d %H:%M:%S")


@runs_app.command("list")
def runs_list(
    kind: Annotated[
        Kind | None, typer.Option("--kind", help="Only runs of this kind.", show_default=False)
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Show at most N runs, newest first; 0: all.")
    ] = 20,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Saved runs, newest first: id, kind, status, scenario, seed, time, per-path size."""
    with errors_exit_2():
        st = RunStore(store)
        runs = st.list_runs(None if kind is None else str(kind.value), limit or None)
        if as_json:
            emit_json({"store": str(st.path), "runs": [r.to_dict() for r in runs]})
            return
        if not runs:
            console.print(f"no saved runs in {st.path}", highlight=False)
            return
        out = Table(title=f"Saved runs in {st.path}", title_justify="left")
        for name in ("run id", "kind", "status", "scenario", "seed", "started (UTC)"):
            out.add_column(name, no_wrap=True)
        for name in ("seconds", "per-path values"):
            out.add_column(name, justify="right")
        out.add_column("tags")
        for r in runs:
            seed = "—" if r.seed is None else str(r.seed)
            cells = [r.run_id, r.kind, r.status, fmt(r.scenario_name or "—"), seed, _when(r)]
            cells += [f"{r.duration_s:.2f}", f"{r.per_path_values:,}", fmt(", ".join(r.tags))]
            out.add_row(*cells)
        console.print(out)


# --------------------------------------------------------------------------- show


def _print_record(rec: RunRecord) -> None:
    head = Table(title=f"Run {rec.run_id}", show_header=False, title_justify="left")
    for key, value in rec.info().to_dict().items():
        shown = "—" if value is None or value == [] else value
        head.add_row(key, ", ".join(shown) if isinstance(shown, list) else fmt(shown))
    console.print(head)
    summary = Table(title="Summary", show_header=False, title_justify="left")
    for key, value in flatten(rec.summary):
        summary.add_row(key, "—" if value is None else fmt(value))
    console.print(summary)
    if rec.arrays:
        arrays = Table(title="Per-path arrays", title_justify="left")
        for name in ("name", "dtype", "shape"):
            arrays.add_column(name)
        for a in rec.arrays:
            arrays.add_row(a.name, a.dtype, "×".join(map(str, a.shape)) or "scalar")
        console.print(arrays)
    console.print(
        f"Scenario: hashpivot runs show {rec.run_id} --scenario > scenario.yaml",
        highlight=False,
    )


@runs_app.command("show")
def runs_show(
    run_id: RunIdArg,
    scenario: Annotated[
        bool,
        typer.Option(
            "--scenario", help="Print only the run's scenario YAML, as saved (to run it again)."
        ),
    ] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One run: metadata, summary metrics, per-path arrays; or its scenario YAML."""
    with errors_exit_2():
        rec = RunStore(store).get_run(run_id)
        if as_json:
            emit_json(rec.to_dict())
        elif scenario:
            sys.stdout.write(rec.scenario_yaml)
        else:
            _print_record(rec)


# --------------------------------------------------------------------------- compare


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return fmt(value)


def _print_comparison(cmp: RunComparison) -> None:
    out = Table(title=f"Summary: {cmp.a.run_id} (a) vs {cmp.b.run_id} (b)", title_justify="left")
    out.add_column("metric", no_wrap=True)
    for name in ("a", "b", "b − a", "(b − a)/|a|"):
        out.add_column(name, justify="right")
    for row in cmp.metrics.to_dict(orient="records"):
        rel = float(row["rel_diff"])
        shown = "—" if math.isnan(rel) else f"{rel:+.1%}"
        out.add_row(str(row["metric"]), _cell(row["a"]), _cell(row["b"]), _cell(row["diff"]), shown)
    console.print(out)
    if not cmp.scenarios_differ:
        console.print("Scenarios: the same in every field.")
        return
    changes = Table(title="Scenario fields that differ", title_justify="left")
    for name in ("field", "a", "b"):
        changes.add_column(name)
    for c in cmp.scenario_changes:
        a = "(absent)" if c.change == "added" else _cell(c.a)
        b = "(absent)" if c.change == "removed" else _cell(c.b)
        changes.add_row(c.path, a, b)
    console.print(changes)


@runs_app.command("compare")
def runs_compare(
    run_a: Annotated[str, typer.Argument(help="First run id (a).")],
    run_b: Annotated[str, typer.Argument(help="Second run id (b).")],
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Two runs side by side: summary metrics with differences, and scenario fields that differ."""
    with errors_exit_2():
        cmp = RunStore(store).compare(run_a, run_b)
        if as_json:
            emit_json(cmp.to_dict())
            return
        _print_comparison(cmp)


# --------------------------------------------------------------------------- export, delete


@runs_app.command("export")
def runs_export(
    run_id: RunIdArg,
    format: Annotated[
        Format,
        typer.Option(
            "--format",
            help="parquet: per-path table, with the run record in the file metadata; "
            "csv: per-path table; json: everything; xlsx: an Excel workbook (the run, its "
            "inputs with units and sources, its summary and tables, one row per path).",
        ),
    ] = Format.parquet,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="File or existing directory to write; default <run id>.<format> here.",
            show_default=False,
        ),
    ] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a run to Parquet, CSV, JSON or Excel (atomically: nothing half-written)."""
    with errors_exit_2():
        path = RunStore(store).export(run_id, str(format.value), output)
        if as_json:
            emit_json({"run_id": run_id, "format": str(format.value), "written": str(path)})
        else:
            console.print(f"wrote {path}", highlight=False)


@runs_app.command("delete")
def runs_delete(run_id: RunIdArg, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Delete a run and its per-path data (one transaction)."""
    with errors_exit_2():
        info = RunStore(store).delete(run_id)
        if as_json:
            emit_json({"deleted": info.to_dict()})
        else:
            name = info.scenario_name or "unnamed scenario"
            console.print(f"deleted run {info.run_id} ({info.kind}, {name})", highlight=False)
