"""Excel workbooks from tidy frames: one sheet per frame, numbers as numbers, units shown.

:func:`write_workbook` takes a *sheet plan* (a list of :class:`Sheet`, each a tidy
``pandas`` frame) and writes it with `XlsxWriter <https://xlsxwriter.readthedocs.io>`_:
every sheet is a named Excel table with a frozen header row, column widths fitted to
the content, and a number format chosen from the unit the column name carries
(``_usd`` → ``#,##0``, ``_frac`` → ``0.00%``, ``_mw`` → ``#,##0.0``; the suffixes are
those of ``docs/nomenclature.md``). Headers show the unit in brackets
(``revenue_usd [USD]``), so a cell is a number and its header says what of.

The sheet plans of the jobs (:func:`run_sheets`, :func:`company_sheets`,
:func:`value_sheets`, :func:`plan_sheets`, :func:`stored_run_sheets`) start with an
``Assumptions`` sheet: every scenario input with its unit (from the spec field's
description) and its source (the YAML comment beside it, or "spec default").
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xlsxwriter
import yaml
from pydantic import BaseModel

from hashpivot.errors import HashpivotError
from hashpivot.io import write_atomic_with

if TYPE_CHECKING:
    from hashpivot.company.model import CompanyResult
    from hashpivot.company.path_flows import PathCashFlows
    from hashpivot.planner.plan import PlanResult
    from hashpivot.simulation import SimulationResult
    from hashpivot.spec import Scenario

MAX_ROWS = 1_048_575
"""Data rows an Excel sheet holds below its header (Excel specifications and limits:
1 048 576 rows, https://support.microsoft.com/office/excel-specifications-and-limits)."""

UNIT_SUFFIXES: tuple[tuple[str, str, str], ...] = (
    ("_usd_per_mwh", "USD/MWh", "#,##0.00"),
    ("_usd_per_ph_day", "USD/PH/day", "#,##0.00"),
    ("_usd_per_th_day", "USD/TH/day", "#,##0.0000"),
    ("_usd_per_kw_month", "USD/kW/month", "#,##0.00"),
    ("_usd_per_mw_month", "USD/MW/month", "#,##0"),
    ("_usd_per_share", "USD/share", "#,##0.00"),
    ("_usd_per_mw", "USD/MW", "#,##0"),
    ("_usd_per_eh", "USD per EH/s", "#,##0"),
    ("_usd_per_year", "USD/yr", "#,##0"),
    ("_usd_per_th", "USD/TH", "#,##0.00"),
    ("_usd_by_year", "USD", "#,##0"),
    ("_usd", "USD", "#,##0"),
    ("_frac_per_month", "1/month", "0.00%"),
    ("_frac_per_year", "1/yr", "0.00%"),
    ("_frac", "fraction", "0.00%"),
    ("_mwh", "MWh", "#,##0"),
    ("_mw", "MW", "#,##0.0"),
    ("_btc_per_ph_day", "BTC/PH/day", "0.000000"),
    ("_btc", "BTC", "#,##0.0000"),
    ("btc_held", "BTC", "#,##0.0000"),
    ("_eh_s", "EH/s", "#,##0.0"),
    ("_th_s", "TH/s", "#,##0"),
    ("_j_per_th", "J/TH", "0.0"),
    ("_months", "months", "0"),
    ("_years", "years", "0.0"),
)
"""Column-name suffix → (unit shown in the header, Excel number format), first match wins;
the units are those of ``docs/nomenclature.md``."""

_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
_UNIT_IN_DESCRIPTION = re.compile(r"\[([^\]]+)\]\s*$")


@dataclass(frozen=True)
class Sheet:
    r"""One sheet of a workbook: a tidy frame written as a named Excel table.

    Attributes
    ----------
    name
        Sheet name (at most 31 characters, none of ``[]:*?/\\``; Excel's rule).
    frame
        The rows; its columns become the table's columns, its index is dropped.
    units
        Units by column where the column name's suffix does not say it; a unit here
        wins over :data:`UNIT_SUFFIXES`.

    """

    name: str
    frame: pd.DataFrame
    units: Mapping[str, str] | None = None


def column_unit(column: str) -> tuple[str | None, str | None]:
    """The unit and Excel number format a column name implies (None, None if it names none)."""
    column = re.sub(r"\[\d+\]$", "", column)  # column c of a saved array: name[c]
    for suffix, unit, number_format in UNIT_SUFFIXES:
        if column.endswith(suffix):
            return unit, number_format
    return None, None


def _check_sheet(sheet: Sheet, seen: set[str]) -> None:
    name = sheet.name
    if not 1 <= len(name) <= 31 or _SHEET_NAME.search(name):
        msg = f"sheet name {name!r}: must be 1-31 characters without []:*?/\\ (Excel's rule)"
        raise HashpivotError(msg)
    if name.lower() in seen:
        msg = f"sheet name {name!r}: used twice (Excel sheet names are case-insensitive)"
        raise HashpivotError(msg)
    seen.add(name.lower())
    if len(sheet.frame) > MAX_ROWS:
        msg = f"sheet {name!r}: {len(sheet.frame):,} rows (must be <= {MAX_ROWS:,}, Excel's limit)"
        raise HashpivotError(msg)


def _cell(value: Any) -> Any:
    """A frame value as XlsxWriter writes it: NaN and None blank, numpy scalars as Python."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.datetime | dt.date | bool | int | float | str):
        return value
    return str(value)


def _width(header: str, values: Sequence[Any]) -> float:
    """Column width in characters: the header or the widest of the first 200 cells, ≤ 60."""
    widest = len(header)
    for v in values[:200]:
        if isinstance(v, float):
            widest = max(widest, len(f"{v:,.2f}"))
        elif v is not None:
            widest = max(widest, len(str(v)))
    return float(min(widest + 2, 60))


def _write_sheet(book: Any, sheet: Sheet, index: int, formats: dict[str, Any]) -> None:
    frame = sheet.frame.reset_index(drop=True)
    ws = book.add_worksheet(sheet.name)
    columns: list[dict[str, Any]] = []
    data = [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    for j, col in enumerate(frame.columns):
        name = str(col)
        unit, number_format = column_unit(name)
        unit = (sheet.units or {}).get(name, unit)
        header = f"{name} [{unit}]" if unit else name
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            number_format = "yyyy-mm-dd"
        spec: dict[str, Any] = {"header": header}
        if number_format is not None:
            fmt = formats.setdefault(number_format, book.add_format({"num_format": number_format}))
            spec["format"] = fmt
        columns.append(spec)
        ws.set_column(j, j, _width(header, [r[j] for r in data]))
    last_row = max(len(data), 1)
    ws.add_table(
        0, 0, last_row, max(len(columns) - 1, 0),
        {"name": f"T{index}_{re.sub(r'[^A-Za-z0-9_]', '_', sheet.name)}",
         "columns": columns or [{"header": "empty"}], "data": data or None,
         "style": "Table Style Light 9"},
    )  # fmt: skip
    ws.freeze_panes(1, 0)


def write_workbook(path: str | Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to the workbook ``path`` (atomically: all of it or nothing).

    Raises
    ------
    HashpivotError
        ``path`` is a directory or does not end in ``.xlsx``; a sheet name breaks
        Excel's rules or is used twice; a sheet has more rows than Excel holds
        (:data:`MAX_ROWS`). Nothing is written.

    """
    path = Path(path)
    if path.is_dir() or path.suffix.lower() != ".xlsx":
        msg = f"--xlsx: {str(path)!r} (must be a file name ending in .xlsx)"
        raise HashpivotError(msg)
    seen: set[str] = set()
    for sheet in sheets:
        _check_sheet(sheet, seen)

    def write(tmp: Path) -> None:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False})
        formats: dict[str, Any] = {}
        try:
            for i, sheet in enumerate(sheets):
                _write_sheet(book, sheet, i, formats)
        finally:
            book.close()

    write_atomic_with(path, write)
    return path


# --------------------------------------------------------------------------- assumptions


def _key_lines(node: yaml.Node, prefix: str = "") -> Iterator[tuple[str, int]]:
    """(field path, 0-based line) of every key in a composed YAML document."""
    if isinstance(node, yaml.MappingNode):
        for key, child in node.value:
            path = f"{prefix}.{key.value}" if prefix else str(key.value)
            yield path, key.start_mark.line
            yield from _key_lines(child, path)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            yield from _key_lines(child, f"{prefix}[{i}]")


def _comment_for(lines: list[str], line: int) -> str:
    """The comment on ``line`` after its value, else the comment lines just above it."""
    text = lines[line]
    if " #" in text:
        return text.split(" #", 1)[1].strip()
    above: list[str] = []
    k = line - 1
    while k >= 0 and lines[k].strip().startswith("#"):
        above.insert(0, lines[k].strip().lstrip("#").strip())
        k -= 1
    return " ".join(above)


def yaml_sources(text: str) -> dict[str, str]:
    """Comments of a scenario YAML by field path (``sites[0].power.price_usd_per_mwh``).

    The inline comment beside a key, or the block of comment lines directly above it:
    where the packaged scenario and ``hashpivot init`` files cite their sources.
    """
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return {}
    lines = text.splitlines()
    return {path: c for path, line in _key_lines(node) if (c := _comment_for(lines, line))}


def _leaves(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, Any, str]]:
    """(field path, value, description) of every leaf field of a spec."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, BaseModel):
            yield from _leaves(value, path)
        elif isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
            for i, item in enumerate(value):
                yield from _leaves(item, f"{path}[{i}]")
        else:
            yield path, value, info.description or ""


def assumptions_frame(scenario: BaseModel, yaml_text: str | None = None) -> pd.DataFrame:
    """Every input of a spec, one row each: field, value, unit, description, source.

    The unit is the bracketed end of the field's description (``[MW]``); the source is the
    YAML comment beside the field in ``yaml_text`` (:func:`yaml_sources`), or the parent
    block's comment, or ``spec default`` for a field the file does not set.
    """
    sources = yaml_sources(yaml_text) if yaml_text else {}
    given = set(sources) | (_given_paths(yaml_text) if yaml_text else set())
    rows = []
    for path, value, description in _leaves(scenario):
        match = _UNIT_IN_DESCRIPTION.search(description)
        parent = re.sub(r"\.[^.]+$", "", path)
        source = sources.get(path) or ("" if path in given else "spec default")
        if not source and parent in sources:
            source = sources[parent]
        rows.append(
            {
                "field": path,
                "value": _assumption_value(value),
                "unit": match.group(1) if match else "",
                "description": _UNIT_IN_DESCRIPTION.sub("", description).strip(),
                "source": source,
            }
        )
    return pd.DataFrame(rows)


def _given_paths(text: str) -> set[str]:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return {path for path, _ in _key_lines(node)} if node is not None else set()


def _assumption_value(value: Any) -> Any:
    """Numbers stay numbers; dates, lists and the rest as text."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, int | float):
        return value
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def summary_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """A nested summary flattened to ``metric``, ``value`` rows (numbers only as numbers).

    Nested keys are joined with dots (``hybrid.npv_usd.mean``); lists of records are
    left to their own sheets and skipped here.
    """
    rows: list[dict[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list | tuple):
            return
        elif value is None or isinstance(value, bool | str):
            rows.append({"metric": prefix, "value": "" if value is None else str(value)})
        elif isinstance(value, int | float | np.generic):
            rows.append({"metric": prefix, "value": float(value)})
        else:
            rows.append({"metric": prefix, "value": str(value)})

    walk("", summary)
    frame = pd.DataFrame(rows, columns=["metric", "value"])
    frame["unit"] = [column_unit(m.rsplit(".", 1)[0] if _is_stat(m) else m)[0] or "" for m in
                     frame["metric"]]  # fmt: skip
    return frame


_STATS = {"mean", "std", "p5", "p50", "p95", "p1", "p99", "cvar5", "var5", "min", "max"}


def _is_stat(metric: str) -> bool:
    return "." in metric and metric.rsplit(".", 1)[1] in _STATS


# --------------------------------------------------------------------------- sheet plans


def base_path_sheets(result: CompanyResult) -> list[Sheet]:
    """The deterministic base path: company flows by year and month, segments by site.

    ``Annual company``/``Monthly company`` are :class:`~hashpivot.company.model.CompanyResult`'s
    consolidated flows; ``Annual by site`` sums the project flows by calendar year, site
    and segment; ``Monthly by site`` is one row per month, site, segment and project.
    """
    seg = result.segments
    numeric = [c for c in seg.columns if c not in ("month", "site", "segment", "project")]
    annual = (
        seg.assign(year=seg["month"].dt.year)
        .groupby(["year", "site", "segment"], sort=True)[numeric]
        .sum()
        .reset_index()
    )
    return [
        Sheet("Annual company", result.by_year().rename(columns={"period": "year"})),
        Sheet("Annual by site", annual),
        Sheet("Monthly company", result.company),
        Sheet("Monthly by site", seg),
    ]


def company_sheets(result: CompanyResult, yaml_text: str | None = None) -> list[Sheet]:
    """``hashpivot company --xlsx``: assumptions, summary, base-path flows by site and segment."""
    return [
        Sheet("Assumptions", assumptions_frame(result.scenario, yaml_text)),
        Sheet("Summary", summary_frame(result.summary())),
        *base_path_sheets(result),
    ]


def _fan_frame(result: SimulationResult) -> pd.DataFrame:
    """Market quantiles by month over all paths: ``p5_btc_price_usd`` and so on."""
    from hashpivot.simulation import FAN_QUANTILES

    cols: dict[str, Any] = {"month": result.month_start}
    for key, values in result.fans.items():
        for i, q in enumerate(FAN_QUANTILES):
            cols[f"p{round(q * 100)}_{key}"] = values[i]
    for variant, mix in result.revenue_mix_usd.items():
        if variant in ("hybrid", "pure_mining"):
            for seg, total in mix.items():
                cols[f"{variant}_{seg}_mean_revenue_usd"] = total / result.paths
    return pd.DataFrame(cols)


def _annual_percentiles(result: SimulationResult) -> pd.DataFrame:
    """Percentiles over all paths of each year's EBITDA, per variant [USD]."""
    from hashpivot.simulation import FAN_QUANTILES

    frames = []
    start_year = result.month_start[0].year
    for variant in ("hybrid", "pure_mining"):
        by_year = result.variants.get(variant, {}).get("ebitda_usd_by_year")
        if by_year is None:
            continue
        qs = np.quantile(by_year, FAN_QUANTILES, axis=0)
        cols: dict[str, Any] = {"variant": variant, "year": start_year + np.arange(qs.shape[1])}
        cols["mean_ebitda_usd"] = by_year.mean(axis=0)
        for i, q in enumerate(FAN_QUANTILES):
            cols[f"p{round(q * 100)}_ebitda_usd"] = qs[i]
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True)


def _per_path_frame(result: SimulationResult) -> pd.DataFrame:
    """One row per variant and path: NPV, mean annual EBITDA, segment EBITDA [USD]."""
    frames = []
    for variant in ("hybrid", "pure_mining"):
        arrays = result.variants.get(variant)
        if arrays is None:
            continue
        cols: dict[str, Any] = {"variant": variant, "path": np.arange(result.paths)}
        cols |= {k: v for k, v in arrays.items() if v.ndim == 1}
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True)


def flow_percentiles_frame(samples: Sequence[PathCashFlows]) -> pd.DataFrame:
    """Mean and percentiles over paths of each month's flows, per variant [USD].

    Rows: variant, month and quantity: the company's ``ebitda_usd`` and
    ``free_cash_flow_usd``, and each segment's ``<segment>.revenue_usd`` and
    ``<segment>.ebitda_usd``; ``paths`` says how many paths each row summarises.
    """
    from hashpivot.simulation import FAN_QUANTILES

    frames = []
    for s in samples:
        series = {k: s.company[k] for k in ("ebitda_usd", "free_cash_flow_usd")}
        for flow in ("revenue_usd", "ebitda_usd"):
            series |= {f"{seg}.{flow}": v for seg, v in s.by_segment(flow).items()}
        months = s.month_start.strftime("%Y-%m")
        for name, values in series.items():
            values = np.broadcast_to(values, (s.paths, len(months)))
            qs = np.quantile(values, FAN_QUANTILES, axis=0)
            cols: dict[str, Any] = {"variant": s.variant, "month": months, "quantity": name}
            cols |= {"paths": s.paths, "mean_usd": values.mean(axis=0)}
            cols |= {f"p{round(q * 100)}_usd": qs[i] for i, q in enumerate(FAN_QUANTILES)}
            frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True)


def run_sheets(
    result: SimulationResult,
    flows: Sequence[PathCashFlows] = (),
    base: CompanyResult | None = None,
    yaml_text: str | None = None,
    samples: Sequence[PathCashFlows] = (),
) -> list[Sheet]:
    """``hashpivot run --xlsx``: the Monte Carlo as an analyst's workbook.

    ``Summary`` (the run's summary), ``Frontier`` (the AI-share frontier), ``Annual
    percentiles`` (EBITDA by year over all paths), ``Monthly percentiles`` (BTC price,
    hashprice and network hashrate quantiles by month, mean revenue by segment),
    ``Per path`` (NPV and EBITDA of every path), ``Path flows`` (the monthly flows by
    site and segment of the first paths, from ``flows``: :meth:`Simulation.cash_flows`),
    ``Monthly flow percentiles`` (:func:`flow_percentiles_frame` of ``samples``, the
    same method over more paths), and the base path's flows by site and segment when
    ``base`` is given.
    """
    sheets = [
        Sheet("Assumptions", assumptions_frame(result.scenario, yaml_text)),
        Sheet("Summary", summary_frame(result.summary())),
    ]
    if result.frontier:
        sheets.append(Sheet("Frontier", pd.DataFrame(result.frontier)))
    sheets += [
        Sheet("Annual percentiles", _annual_percentiles(result)),
        Sheet("Monthly percentiles", _fan_frame(result)),
        Sheet("Per path", _per_path_frame(result)),
    ]
    if flows:
        frames = [f.to_frame().assign(variant=f.variant) for f in flows]
        out = pd.concat(frames, ignore_index=True)
        sheets.append(Sheet("Path flows", out[["variant", *out.columns[:-1]]]))
    if samples:
        sheets.append(Sheet("Monthly flow percentiles", flow_percentiles_frame(samples)))
    if base is not None:
        sheets += base_path_sheets(base)
    return sheets


def _bridge_rows(bridge: Any) -> pd.DataFrame:
    """The equity bridge as steps: enterprise value − debt + cash + BTC = equity [USD]."""
    rows = [
        ("enterprise value", bridge.enterprise_value_usd),
        ("less debt", None if bridge.debt_usd is None else -bridge.debt_usd),
        ("plus cash", bridge.cash_usd),
        ("plus BTC held", bridge.btc_value_usd),
        ("equity value", bridge.equity_value_usd),
    ]
    frame = pd.DataFrame(
        [{"step": s, "value_usd": None if v is None else float(np.mean(v))} for s, v in rows]
    )
    per_share = bridge.equity_value_usd_per_share
    frame["equity_value_usd_per_share"] = None
    if per_share is not None:
        frame.loc[len(frame) - 1, "equity_value_usd_per_share"] = float(np.mean(per_share))
    frame["shares_outstanding"] = bridge.shares_outstanding
    return frame


def _records_frame(value: Any) -> pd.DataFrame:
    """A to_dict() entry as rows: a list of records, or a mapping as ``item``, ``value``."""
    if isinstance(value, list):
        return pd.DataFrame(value)
    if isinstance(value, Mapping):
        return summary_frame(value).rename(columns={"metric": "item"})
    return pd.DataFrame({"item": ["value"], "value": [value]})


def _walk_frame(bridge: Mapping[str, Any]) -> pd.DataFrame:
    """The DCF-to-parts walk as steps: the DCF's EV, each difference, what is left, the parts.

    ``bridge`` is a valuation's ``to_dict()["bridge"]``: ``dcf_enterprise_value_usd``,
    ``rows`` of ``item``/``value_usd``, ``unexplained_usd``, ``parts_enterprise_value_usd``;
    a mapping of another shape is listed item by item.
    """
    if not isinstance(bridge.get("rows"), list):
        return _records_frame(bridge)
    steps = [("DCF enterprise value", bridge.get("dcf_enterprise_value_usd"))]
    steps += [(str(r.get("item", "")), r.get("value_usd")) for r in bridge["rows"]]
    steps.append(("unexplained", bridge.get("unexplained_usd")))
    steps.append(("sum-of-the-parts enterprise value", bridge.get("parts_enterprise_value_usd")))
    return pd.DataFrame(steps, columns=["step", "value_usd"])


def value_sheets(
    valuation: Any, scenario: Scenario | None, yaml_text: str | None = None
) -> list[Sheet]:
    """``hashpivot value --xlsx``: assumptions, summary, the equity bridge and the parts.

    ``valuation`` is a :class:`~hashpivot.company.valuation.Valuation` or
    :class:`~hashpivot.company.valuation.ListedValuation`. ``Equity bridge`` steps from
    enterprise value to equity value and per share; ``Sum of the parts`` lists the parts;
    ``DCF vs parts`` is the valuation's ``bridge`` entry of :meth:`to_dict` when it has
    one (the walk from the DCF to the sum of the parts).
    """
    out = valuation.to_dict()
    sources = out.get("input_sources", {})
    inputs = pd.DataFrame(
        [
            {"field": k, "value": v, "source": sources.get(k, "")}
            for k, v in out.get("inputs", {}).items()
        ],
        columns=["field", "value", "source"],
    )
    assumptions = assumptions_frame(scenario, yaml_text) if scenario is not None else inputs
    skip = ("inputs", "input_sources", "sotp", "bridge", "contracts")
    summary = {k: v for k, v in out.items() if k not in skip}
    sheets = [
        Sheet("Assumptions", assumptions),
        Sheet("Summary", summary_frame(summary)),
        Sheet("Valuation inputs", inputs),
    ]
    equity = getattr(valuation, "equity", None) or getattr(valuation, "bridge", None)
    if equity is not None and hasattr(equity, "enterprise_value_usd"):
        sheets.append(Sheet("Equity bridge", _bridge_rows(equity)))
    parts = [{"part": k, "value_usd": v} for k, v in out.get("sotp", {}).items()]
    sheets.append(Sheet("Sum of the parts", pd.DataFrame(parts, columns=["part", "value_usd"])))
    if isinstance(out.get("bridge"), Mapping):
        sheets.append(Sheet("DCF vs parts", _walk_frame(out["bridge"])))
    if isinstance(out.get("contracts"), list) and out["contracts"]:
        sheets.append(Sheet("Contracts", pd.DataFrame(out["contracts"])))
    return sheets


def plan_sheets(result: PlanResult, yaml_text: str | None = None) -> list[Sheet]:
    """``hashpivot plan --xlsx``: schedule, decision rule, shadow prices, frontier.

    Then the out-of-sample comparison with the baseline policies on fresh paths.
    """
    oos = pd.DataFrame(
        [{"policy": k, **{m: v for m, v in d.items() if not isinstance(v, Mapping | list)}}
         for k, d in result.out_of_sample.items()]
    )  # fmt: skip
    summary = {k: v for k, v in result.summary().items() if k != "out_of_sample"}
    sheets = [
        Sheet("Assumptions", assumptions_frame(result.scenario, yaml_text)),
        Sheet("Planner settings", assumptions_frame(result.spec)),
        Sheet("Summary", summary_frame(summary)),
        Sheet("Schedule", result.schedule()),
        Sheet("Decision rule", result.rule()),
        Sheet("Shadow prices", result.shadow_prices()),
    ]
    if result.frontier:
        sheets.append(Sheet("Frontier", pd.DataFrame(result.frontier)))
    if not oos.empty:
        sheets.append(Sheet("Out of sample", oos))
    return sheets


def _wide_per_path(frame: pd.DataFrame) -> pd.DataFrame:
    """Saved per-path arrays in long form (name, path, col, value) as one row per path.

    A one-column array keeps its name (``hybrid.npv_usd``); column ``c`` of a wider one is
    ``name[c]`` (``hybrid.ebitda_usd_by_year[2]``: year 3).
    """
    if not {"name", "path", "col", "value"} <= set(frame.columns):
        return frame
    widths = frame.groupby("name", observed=True)["col"].transform("max")
    label = (
        frame["name"]
        .astype(str)
        .where(widths == 0, frame["name"].astype(str) + "[" + frame["col"].astype(str) + "]")
    )
    order = list(dict.fromkeys(label))
    wide = frame.assign(label=label).pivot(index="path", columns="label", values="value")
    return wide[order].reset_index()


def stored_run_sheets(record: Any, per_path: pd.DataFrame | None) -> list[Sheet]:
    """``hashpivot runs export ID --format xlsx``: a saved run as a workbook.

    ``Run`` (id, kind, seed, times, code version), ``Assumptions`` (the saved scenario's
    inputs with units and sources when it is a scenario, else its fields), ``Summary``,
    one sheet per table in the summary (``frontier``, ``schedule``, …), and ``Per path``
    (one row per path, a column per saved array).
    """
    from hashpivot.errors import SpecError
    from hashpivot.spec import parse_scenario

    info = {k: v for k, v in record.info().to_dict().items() if k != "tags"}
    run = pd.DataFrame({"item": list(info), "value": [str(v) for v in info.values()]})
    try:
        assumptions = assumptions_frame(parse_scenario(record.scenario_yaml), record.scenario_yaml)
    except SpecError:
        assumptions = summary_frame(record.scenario()).rename(columns={"metric": "field"})
    sheets = [
        Sheet("Run", run),
        Sheet("Assumptions", assumptions),
        Sheet("Summary", summary_frame(record.summary)),
    ]
    for key, value in record.summary.items():
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            sheets.append(Sheet(key.replace("_", " ").capitalize()[:31], pd.DataFrame(value)))
    if per_path is not None:
        sheets.append(Sheet("Per path", _wide_per_path(per_path)))
    return sheets
