"""``--xlsx FILE``: the Excel workbook option the jobs share, and how each job fills it.

Thin: each function runs nothing new, it hands a job's result to a sheet plan of
:mod:`hashpivot.report.xlsx` and writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hashpivot.spec import default_scenario_text

XlsxOpt = Annotated[
    Path | None,
    typer.Option(
        "--xlsx",
        help="Also write an Excel workbook here (.xlsx): an Assumptions sheet (every input "
        "with unit and source), Summary, and the job's tables as named tables, numbers as "
        "numbers with units in the headers.",
        show_default=False,
    ),
]


PERCENTILE_PATHS = 10_000
"""Paths whose monthly flows ``run --xlsx`` summarises by percentile (the first ones of
the run; 10 000 take about 2 s per variant on 2 cores) [paths]."""


def scenario_text(path: Path | None) -> str:
    """The YAML text of the scenario at ``path``, or of the packaged default scenario."""
    return default_scenario_text() if path is None else path.read_text(encoding="utf-8")


def write_run_workbook(
    sim: Any, result: Any, target: Path, paths: int, seed: int, scenario_path: Path | None
) -> None:
    """``run``: :func:`~hashpivot.report.xlsx.run_sheets` with the base path.

    With the monthly flows of the first ``paths`` paths (both variants), and monthly
    percentiles of the flows over the first :data:`PERCENTILE_PATHS` paths of the run.
    """
    from hashpivot.company.model import CompanyModel
    from hashpivot.report.xlsx import run_sheets, write_workbook

    variants = ("hybrid", "pure_mining")
    flows = [sim.cash_flows(paths=paths, seed=seed, variant=v) for v in variants]
    n = min(result.paths, PERCENTILE_PATHS)
    samples = [sim.cash_flows(paths=n, seed=seed, variant=v) for v in variants]
    base = CompanyModel(result.scenario).run()
    text = scenario_text(scenario_path)
    write_workbook(target, run_sheets(result, flows, base, text, samples))


def write_company_workbook(result: Any, target: Path, scenario_path: Path | None) -> None:
    """``company``: :func:`~hashpivot.report.xlsx.company_sheets`."""
    from hashpivot.report.xlsx import company_sheets, write_workbook

    write_workbook(target, company_sheets(result, scenario_text(scenario_path)))


def write_plan_workbook(result: Any, target: Path, scenario_path: Path | None) -> None:
    """``plan``: :func:`~hashpivot.report.xlsx.plan_sheets`."""
    from hashpivot.report.xlsx import plan_sheets, write_workbook

    write_workbook(target, plan_sheets(result, scenario_text(scenario_path)))


def write_value_workbook(target_name: str | None, out: Path) -> None:
    """``value``: :func:`~hashpivot.report.xlsx.value_sheets` of the valued subject.

    A scenario (the default or a scenario file) gets its inputs with sources; a listed
    company its valuation inputs.
    """
    from hashpivot.company.valuation import Valuation, value
    from hashpivot.report.xlsx import value_sheets, write_workbook
    from hashpivot.spec import default_scenario, load_scenario

    valuation = value(target_name)
    scenario, text = None, None
    if isinstance(valuation, Valuation):
        path = None if target_name is None else Path(target_name)
        scenario = default_scenario() if path is None else load_scenario(path)
        text = scenario_text(path)
    write_workbook(out, value_sheets(valuation, scenario, text))
