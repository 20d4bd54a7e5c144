"""Sensitivity tables from a sweep's points: tornado, one-way, two-way, decision flips.

All functions take the sweep's *wide* frame (one row per point: ``point``, ``design``,
``varied``, ``ok``, one column per parameter path holding the value at that point, one
column per metric) and the resolved parameters, and return tidy frames.

The tornado is a local, one-at-a-time measure (Saltelli et al. 2008, ch. 1): each
parameter at the low and high ends of its one-way values with every other field at
base; its bars are the metric at those ends against the base point.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from hashpivot.sweep.design import ResolvedParameter
from hashpivot.sweep.spec import DECISION_TOLERANCE_MW, is_number

DECISION_METRIC = "planner.first_period_convert_mw"
"""The planner's first-period decision: gross MW converted at the start. [MW]"""

TORNADO_COLUMNS = [
    "metric",
    "parameter",
    "label",
    "low",
    "high",
    "base_value",
    "metric_low",
    "metric_base",
    "metric_high",
    "swing",
    "std_error",
]


def _base_row(wide: pd.DataFrame) -> pd.Series | None:
    rows = wide[(wide["design"] == "base") & wide["ok"]]
    return None if rows.empty else rows.iloc[0]


def _numeric_line(wide: pd.DataFrame, p: ResolvedParameter) -> pd.DataFrame:
    """The one-way points of ``p`` that computed, with numeric values, sorted by value."""
    line = wide[(wide["design"] == "one_way") & (wide["varied"] == p.path) & wide["ok"]]
    line = line.loc[line[p.path].map(is_number).astype(bool)]
    return line.assign(_x=line[p.path].astype(float)).sort_values("_x", kind="stable")


def _std_error(row: pd.Series | None, metric: str, paths: int) -> float:
    """Standard error of a ``*.mean`` metric from its ``*.std`` sibling, else NaN."""
    if row is None or not metric.endswith(".mean"):
        return math.nan
    std = row.get(metric.removesuffix(".mean") + ".std", math.nan)
    return float(std) / math.sqrt(paths) if is_number(std) else math.nan


def tornado(
    wide: pd.DataFrame, params: list[ResolvedParameter], metrics: list[str], paths: int
) -> pd.DataFrame:
    """Per metric and numeric parameter: the metric at its low and high end vs base.

    ``swing`` = |metric_high − metric_low|; rows are sorted by metric, then swing
    (largest first). ``std_error`` is the Monte Carlo standard error of the base value
    of a mean metric, to judge which bars stand out of the noise.
    """
    base = _base_row(wide)
    rows = []
    for metric in metrics:
        if metric not in wide:
            continue
        base_metric = math.nan if base is None else float(base[metric])
        for p in params:
            line = _numeric_line(wide, p)
            if len(line) < 2:
                continue
            lo, hi = line.iloc[0], line.iloc[-1]
            rows.append(
                {
                    "metric": metric,
                    "parameter": p.path,
                    "label": p.spec.name(),
                    "low": float(lo["_x"]),
                    "high": float(hi["_x"]),
                    "base_value": p.base_value if is_number(p.base_value) else math.nan,
                    "metric_low": float(lo[metric]),
                    "metric_base": base_metric,
                    "metric_high": float(hi[metric]),
                    "swing": abs(float(hi[metric]) - float(lo[metric])),
                    "std_error": _std_error(base, metric, paths),
                }
            )
    frame = pd.DataFrame(rows, columns=TORNADO_COLUMNS)
    order = {m: i for i, m in enumerate(metrics)}
    frame = frame.assign(_o=frame["metric"].map(order))
    frame = frame.sort_values(["_o", "swing"], ascending=[True, False], kind="stable")
    return frame.drop(columns="_o").reset_index(drop=True)


def one_way(
    wide: pd.DataFrame, params: list[ResolvedParameter], metrics: list[str]
) -> pd.DataFrame:
    """Tidy one-way curves: parameter, value, metric, metric value (base point included).

    The base point joins a curve at the parameter's base value when that is a number
    (one value at every path the parameter names).
    """
    base = _base_row(wide)
    parts = []
    for p in params:
        line = wide[(wide["design"] == "one_way") & (wide["varied"] == p.path) & wide["ok"]]
        if base is not None and is_number(p.base_value):
            line = pd.concat([line, base.to_frame().T.assign(**{p.path: p.base_value})])
        if line.empty:
            continue
        for metric in metrics:
            if metric not in line:
                continue
            parts.append(
                pd.DataFrame(
                    {
                        "parameter": p.path,
                        "label": p.spec.name(),
                        "value": list(line[p.path]),
                        "is_base": list(line["design"] == "base"),
                        "metric": metric,
                        "metric_value": line[metric].astype(float).to_numpy(),
                    }
                )
            )
    if not parts:
        return pd.DataFrame(
            columns=["parameter", "label", "value", "is_base", "metric", "metric_value"]
        )
    out = pd.concat(parts, ignore_index=True)
    numeric = out["value"].map(is_number)
    out["_x"] = np.where(
        numeric, pd.to_numeric(out["value"].where(numeric), errors="coerce"), np.nan
    )
    out = out.sort_values(["parameter", "metric", "_x"], kind="stable", na_position="last")
    return out.drop(columns="_x").reset_index(drop=True)


def design_pairs(design: str, params: list[ResolvedParameter]) -> list[tuple[str, str]]:
    """Pairs of design parameters for two-way plots (numeric or categorical), in order."""
    if design not in {"grid", "lhs"}:
        return []
    paths = [p.path for p in params]
    return [(a, b) for i, a in enumerate(paths) for b in paths[i + 1 :]]


def two_way(wide: pd.DataFrame, x: str, y: str, metric: str) -> pd.DataFrame:
    """The metric over two design parameters: mean over the other design parameters.

    Grid points give one cell per pair of values; Latin-hypercube points are returned
    one per row (``n`` = 1) for a scatter.
    """
    pts = wide[wide["design"].isin(["grid", "lhs"]) & wide["ok"]]
    if pts.empty or metric not in pts:
        return pd.DataFrame(columns=[x, y, metric, "n"])
    if (pts["design"] == "lhs").any():
        return pts[[x, y, metric]].assign(n=1).reset_index(drop=True)
    keyed = pts.assign(_x=pts[x].map(_key), _y=pts[y].map(_key))
    agg = keyed.groupby(["_x", "_y"], sort=False).agg(
        value_x=(x, "first"), value_y=(y, "first"), value=(metric, "mean"), n=(metric, "size")
    )
    return agg.reset_index(drop=True).rename(columns={"value_x": x, "value_y": y, "value": metric})


def _key(value: Any) -> Any:
    return value if is_number(value) or isinstance(value, str) else repr(value)


def decision_flips(wide: pd.DataFrame, params: list[ResolvedParameter]) -> pd.DataFrame:
    """Where the planner's first-period decision flips along each one-way line.

    One row per pair of neighbouring values (base point included) between which the
    decision changes from "convert" (more than the tolerance) to "wait", or back.
    """
    cols = [
        "parameter",
        "label",
        "from_value",
        "to_value",
        "from_convert_mw",
        "to_convert_mw",
        "from_decision",
        "to_decision",
    ]
    if DECISION_METRIC not in wide:
        return pd.DataFrame(columns=cols)
    curves = one_way(wide, params, [DECISION_METRIC])
    rows = []
    for path, line in curves.groupby("parameter", sort=False):
        mw = line["metric_value"].to_numpy(dtype=float)
        vals = list(line["value"])
        for i in range(1, len(line)):
            a, b = decision_label(mw[i - 1]), decision_label(mw[i])
            if a != b:
                rows.append(
                    {
                        "parameter": path,
                        "label": line["label"].iloc[0],
                        "from_value": vals[i - 1],
                        "to_value": vals[i],
                        "from_convert_mw": mw[i - 1],
                        "to_convert_mw": mw[i],
                        "from_decision": a,
                        "to_decision": b,
                    }
                )
    return pd.DataFrame(rows, columns=cols)


def decision_label(convert_mw: float) -> str:
    """``convert`` when the first-period conversion exceeds the tolerance, else ``wait``."""
    if not math.isfinite(convert_mw):
        return "unknown"
    return "convert" if convert_mw > DECISION_TOLERANCE_MW else "wait"
