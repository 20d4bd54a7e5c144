"""Fuzzing the scenario: every numeric field of the default scenario, set at, just inside
and just outside its range (and to NaN, infinities, bools, text, huge numbers), through
``validate``, ``mine`` and a small ``run``. Each must exit 0 or 2, with no traceback and no
"this is a bug", in bounded time. The strategies are built from the spec itself (the
bounds pydantic holds for each field), so a new field is fuzzed without editing this file.
"""

from __future__ import annotations

import math
import time
import types
import typing
from pathlib import Path
from typing import Any

import annotated_types as at
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.spec import Scenario, default_scenario_text

runner = CliRunner()
Leaf = tuple[tuple[str | int, ...], FieldInfo]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The one spec class an annotation holds (``X``, ``X | None``, ``tuple[X, ...]``)."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    options = args if origin in (typing.Union, types.UnionType, tuple) else (annotation,)
    models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
    return models[0] if len(models) == 1 else None


def _is_number(annotation: Any) -> bool:
    options = typing.get_args(annotation) or (annotation,)
    kinds = {a for a in options if a is not type(None)}
    return bool(kinds) and kinds <= {int, float}


def numeric_leaves(
    model: type[BaseModel], data: Any, path: tuple[str | int, ...] = ()
) -> list[Leaf]:
    """(path, field) of every numeric field present in ``data``, walking nested specs."""
    out: list[Leaf] = []
    if not isinstance(data, dict):
        return out
    for name, value in data.items():
        field = model.model_fields.get(name)
        if field is None:
            continue
        here = (*path, name)
        if _is_number(field.annotation) and not isinstance(value, bool):
            out.append((here, field))
            continue
        sub = _model_of(field.annotation)
        if sub is None:
            continue
        if isinstance(value, list):
            for i, item in enumerate(value):
                out += numeric_leaves(sub, item, (*here, i))
        else:
            out += numeric_leaves(sub, value, here)
    return out


def edge_values(field: FieldInfo) -> list[Any]:
    """Values at and just beyond each bound of a field, and values that are never numbers."""
    integer = field.annotation is int or int in typing.get_args(field.annotation)
    step = 1 if integer else None
    out: list[Any] = [math.nan, math.inf, -math.inf, True, "text", 1e300, -1e300, 0, -1]
    for item in field.metadata:
        for kind, attr in ((at.Ge, "ge"), (at.Gt, "gt"), (at.Le, "le"), (at.Lt, "lt")):
            if isinstance(item, kind):
                bound = getattr(item, attr)
                delta = step or max(abs(bound) * 1e-9, 1e-12)
                out += [bound, bound - delta, bound + delta]
    return out


BASE = yaml.safe_load(default_scenario_text())
LEAVES = numeric_leaves(Scenario, BASE)


def _set(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


@st.composite
def edited_scenarios(draw: st.DrawFn, fields: int = 2) -> str:
    data = yaml.safe_load(default_scenario_text())
    for _ in range(draw(st.integers(1, fields))):
        path, field = draw(st.sampled_from(LEAVES))
        _set(data, path, draw(st.sampled_from(edge_values(field))))
    return yaml.safe_dump(data, sort_keys=False)


def _ok(result: Any, started: float, limit_s: float) -> None:
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    assert "this is a bug" not in result.output
    assert time.perf_counter() - started < limit_s


def test_the_walk_finds_the_scenarios_numeric_fields() -> None:
    names = {".".join(map(str, path)) for path, _ in LEAVES}
    assert "market.difficulty" in names
    assert "sites.0.fleets.0.count" in names
    assert "sites.0.conversions.0.lease.rate_usd_per_kw_month" in names
    assert len(LEAVES) > 40


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(text=edited_scenarios())
def test_validate_and_mine_exit_0_or_2(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    for command in ("validate", "mine"):
        started = time.perf_counter()
        _ok(runner.invoke(app, [command, str(path)]), started, 60)


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(text=edited_scenarios(fields=1))
def test_a_small_run_exits_0_or_2(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    path: Path = tmp_path_factory.mktemp("fuzz") / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    _ok(runner.invoke(app, ["run", str(path), "--paths", "1000", "--json"]), started, 60)
