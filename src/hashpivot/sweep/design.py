"""Sweep points: values per point, seeds, cache keys, and validation of every point.

Every point of a sweep is built and validated here, before anything runs: each
parameter's path must name a field of the base scenario, and each point's scenario must
pass the same validation as any scenario file. Problems are gathered over all points
into one :class:`~hashpivot.errors.SpecError` whose lines name the point, its values,
the parameter and the field rule.

Seeds: point ``i`` of a sweep with seed ``s`` runs with the seed drawn from
``SeedSequence(s).spawn(i + 1)[i]`` (``random_numbers: per_point``), or with the one
drawn from ``SeedSequence(s)`` at every point (``common``). Either way a point's seed
depends only on the sweep seed and its index, never on workers or completion order.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel
from scipy.stats import qmc

from hashpivot import __version__
from hashpivot.errors import SpecError
from hashpivot.spec import Scenario, scenario_from_dict
from hashpivot.store.records import flatten
from hashpivot.sweep.paths import (
    Part,
    PathError,
    expand,
    format_path,
    get_value,
    parse_path,
    set_value,
)
from hashpivot.sweep.spec import PLANNER_METRICS, ParameterSpec, SweepSpec, is_number

CACHE_FORMAT = 2
"""Version of what a point's cache key covers; bump it when that changes."""
LHS_STREAM = 0x4C4853
"""Spawn key of the Latin-hypercube stream under the sweep seed ("LHS")."""
MAX_PROBLEMS = 25
"""Invalid points listed in full before the rest are counted."""


@dataclass(frozen=True)
class ResolvedParameter:
    """A parameter bound to the base scenario: its concrete paths and base value."""

    spec: ParameterSpec
    concrete: tuple[tuple[Part, ...], ...]
    base_value: Any
    integer: bool

    @property
    def path(self) -> str:
        """The dotted path as written in the spec."""
        return self.spec.path

    def one_way_values(self, points: int) -> list[Any]:
        """Values of the one-way set: the given values, else ``points`` from low to high."""
        if self.spec.values is not None:
            return list(self.spec.values)
        return self._from_unit(np.linspace(0.0, 1.0, points))

    def grid_values(self) -> list[Any]:
        """Values of the parameter in a grid design."""
        if self.spec.values is not None:
            return list(self.spec.values)
        return self._from_unit(np.linspace(0.0, 1.0, self.spec.grid_points))

    def from_unit(self, u: float) -> Any:
        """The value at quantile ``u`` in [0, 1) of the parameter's domain (for LHS)."""
        if self.spec.values is not None:
            n = len(self.spec.values)
            return self.spec.values[min(int(u * n), n - 1)]
        return self._from_unit(np.array([u]))[0]

    def _from_unit(self, u: np.ndarray) -> list[Any]:
        lo, hi = float(self.spec.low or 0.0), float(self.spec.high or 0.0)
        if self.spec.scale == "log":
            x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
        else:
            x = lo + u * (hi - lo)
        if self.integer:
            return list(dict.fromkeys(round(float(v)) for v in x))
        return [float(v) for v in x]


@dataclass(frozen=True)
class SweepPoint:
    """One point: where it comes from, the parameter values it sets, its seed and key.

    ``values`` holds the parameters this point moves away from the base (a multiply
    parameter's value is its factor); the others are at base.
    """

    index: int
    design: str
    varied: str | None
    values: dict[str, Any]
    seed: int
    key: str
    scenario: Scenario = dataclasses.field(repr=False)


def point_seed(seed: int, index: int, random_numbers: str = "per_point") -> int:
    """The seed of point ``index``: from ``SeedSequence(seed).spawn(index + 1)[index]``.

    With ``random_numbers="common"`` every point gets the seed drawn from
    ``SeedSequence(seed)`` itself. Seeds have 53 bits, so they stay exact in JSON and
    in the run store.
    """
    ss = np.random.SeedSequence(seed)
    if random_numbers == "per_point":
        ss = np.random.SeedSequence(seed, spawn_key=(index,))  # = spawn(index + 1)[index]
    hi, lo = (int(w) for w in ss.generate_state(2, np.uint32))
    return ((hi << 32) | lo) >> 11


def resolve_parameters(spec: SweepSpec, base: dict[str, Any]) -> list[ResolvedParameter]:
    """Bind each parameter's path to the base mapping; problems name the parameter."""
    out, problems = [], []
    for i, p in enumerate(spec.parameters):
        try:
            concrete = tuple(expand(base, parse_path(p.path)))
        except PathError as exc:
            problems.append(f"parameters[{i}] ({p.path}): {exc}")
            continue
        current = [get_value(base, c) for c in concrete]
        if p.apply == "multiply" and not all(is_number(v) for v in current):
            bad = next(c for c, v in zip(concrete, current, strict=True) if not is_number(v))
            problems.append(
                f"parameters[{i}] ({p.path}): apply multiply needs a number at "
                f"{format_path(bad)}, which is {get_value(base, bad)!r}"
            )
            continue
        integer = all(isinstance(v, int) and not isinstance(v, bool) for v in current)
        if p.apply == "multiply":
            base_value: Any = 1.0
        else:
            base_value = current[0] if all(v == current[0] for v in current) else None
        out.append(ResolvedParameter(p, concrete, base_value, integer))
    if problems:
        raise SpecError(problems)
    return out


def design_rows(
    spec: SweepSpec, params: list[ResolvedParameter]
) -> list[tuple[str, str | None, dict[str, Any]]]:
    """``(design, varied, values)`` of every point, in order: base, one-way, design."""
    rows: list[tuple[str, str | None, dict[str, Any]]] = [("base", None, {})]
    if spec.one_way_points:
        for p in params:
            rows += [
                ("one_way", p.path, {p.path: v}) for v in p.one_way_values(spec.one_way_points)
            ]
    chosen = [p for p in params if p.spec in spec.in_design()]
    if spec.design == "grid":
        grids = [p.grid_values() for p in chosen]
        _check_size(spec, len(rows) + int(np.prod([len(g) for g in grids], dtype=np.float64)))
        for combo in _product(grids):
            rows.append(("grid", None, dict(zip([p.path for p in chosen], combo, strict=True))))
    elif spec.design == "lhs":
        _check_size(spec, len(rows) + spec.samples)
        u = qmc.LatinHypercube(d=len(chosen), rng=_lhs_rng(spec.seed)).random(spec.samples)
        for row in u:
            rows.append(
                (
                    "lhs",
                    None,
                    {p.path: p.from_unit(float(x)) for p, x in zip(chosen, row, strict=True)},
                )
            )
    elif spec.design == "list":
        n = len(chosen[0].spec.values or ())
        for i in range(n):
            rows.append(("list", None, {p.path: (p.spec.values or ())[i] for p in chosen}))
    _check_size(spec, len(rows))
    return rows


def _lhs_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(LHS_STREAM,)))


def _product(lists: list[list[Any]]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = [()]
    for values in lists:
        out = [(*prefix, v) for prefix in out for v in values]
    return out


def _check_size(spec: SweepSpec, n: int) -> None:
    if n > spec.max_points:
        msg = f"max_points: the sweep has {n:,} points, more than max_points {spec.max_points:,}"
        raise SpecError([msg])


def apply_values(
    base: dict[str, Any], params: dict[str, ResolvedParameter], values: dict[str, Any]
) -> dict[str, Any]:
    """A deep copy of ``base`` with each parameter's value set (or multiplied) in place."""
    data = copy.deepcopy(base)
    for path, value in values.items():
        p = params[path]
        for parts in p.concrete:
            new = value
            if p.spec.apply == "multiply":
                new = get_value(base, parts) * value
            if p.integer and p.spec.apply == "multiply":  # ranges are rounded already
                new = round(new)
            set_value(data, parts, copy.deepcopy(new))
    return data


@functools.cache
def code_fingerprint() -> str:
    """Hash of the installed hashpivot package: every module and packaged data file.

    Part of each point's key, so a finished point is reused only by the same code, and
    compared across the workers of an existing cluster.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    files = [f for ext in ("py", "csv", "yaml") for f in root.rglob(f"*.{ext}")]
    for f in sorted(files):
        digest.update(f.relative_to(root).as_posix().encode("utf-8"))
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


NUMERIC_DEPENDENCIES = ("numpy", "scipy", "pandas", "numba", "highspy")
"""Installed packages whose versions can change a point's numbers (part of its key)."""


@functools.cache
def dependency_versions() -> dict[str, str]:
    """Versions of :data:`NUMERIC_DEPENDENCIES` (all are hashpivot dependencies)."""
    return {name: importlib.metadata.version(name) for name in NUMERIC_DEPENDENCIES}


def scenario_files(model: Any) -> Iterator[Path]:
    """Every file path a scenario names, e.g. a bootstrap history or price-path CSV.

    Walks the spec's fields (nested specs, tuples, lists and dicts) and yields each
    :class:`~pathlib.Path` value, as the samplers will open it (relative to the working
    directory).
    """
    if isinstance(model, Path):
        yield model
    elif isinstance(model, BaseModel):
        for name in type(model).model_fields:
            yield from scenario_files(getattr(model, name))
    elif isinstance(model, tuple | list):
        for item in model:
            yield from scenario_files(item)
    elif isinstance(model, dict):
        for item in model.values():
            yield from scenario_files(item)


def _file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, or ``missing`` when there is no such file."""
    if not path.is_file():
        return "missing"
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digests(scenario: Scenario, seen: dict[str, str] | None = None) -> dict[str, str]:
    """Content hash of every file the scenario reads, by its resolved path.

    A missing file is recorded as ``missing`` (the point then fails when it runs, and
    failed points are not cached). ``seen`` carries the hashes already taken, so a sweep
    reads each file once when it builds its points (contents, never modification times,
    decide: an edit within the file system's timestamp resolution still counts).
    """
    seen = {} if seen is None else seen
    out = {}
    for path in scenario_files(scenario):
        resolved = str(path.expanduser().resolve())
        if resolved not in seen:
            seen[resolved] = _file_digest(Path(resolved))
        out[resolved] = seen[resolved]
    return out


def point_key(
    spec: SweepSpec, scenario: Scenario, seed: int, seen: dict[str, str] | None = None
) -> str:
    """Hash of everything a point's numbers depend on (cache key of a finished point).

    The point's full scenario, the contents of the files it reads (:func:`file_digests`),
    paths, seed, frontier shares and planner settings, the hashpivot version,
    :func:`code_fingerprint` and the versions of the numeric dependencies
    (:func:`dependency_versions`). ``seen``: see :func:`file_digests`.
    """
    payload = {
        "format": CACHE_FORMAT,
        "hashpivot": __version__,
        "code": code_fingerprint(),
        "dependencies": dependency_versions(),
        "files": file_digests(scenario, seen),
        "scenario": scenario.model_dump(mode="json"),
        "paths": -(-spec.paths // 1000) * 1000,
        "seed": seed,
        "frontier_shares": list(spec.frontier_shares),
        "planner": None if spec.planner is None else spec.planner.model_dump(mode="json"),
    }
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def describe(values: dict[str, Any]) -> str:
    """``path = value, ...`` of a point, or ``base`` when it moves nothing."""
    return ", ".join(f"{k} = {_short(v)}" for k, v in values.items()) or "base"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if isinstance(value, dict | list) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_PROBLEM_PATH = re.compile(r"^(\S+?)(?::| \(| —|$)")


def _culprits(problem: str, params: dict[str, ResolvedParameter], values: dict[str, Any]) -> str:
    """The parameters of a point whose concrete paths a validation problem concerns."""
    m = _PROBLEM_PATH.match(problem)
    field = m.group(1) if m else ""
    hits = []
    for path in values:
        for parts in params[path].concrete:
            own = format_path(parts)
            if (
                field in {own, "(top level)"}
                or own.startswith((f"{field}.", f"{field}["))
                or (field.startswith((f"{own}.", f"{own}[")))
            ):
                hits.append(path)
                break
    return ", ".join(hits) if hits else "fixed or base values"


def build_points(
    spec: SweepSpec, base: dict[str, Any], source: str = "<sweep>"
) -> tuple[list[ResolvedParameter], list[SweepPoint]]:
    """Every point's scenario, validated; one :class:`SpecError` lists all bad points."""
    try:
        resolved = resolve_parameters(spec, base)
    except SpecError as exc:
        raise SpecError(exc.problems, source) from None
    params = {p.path: p for p in resolved}
    points, problems, bad = [], [], 0
    for index, (design, varied, values) in enumerate(design_rows(spec, resolved)):
        seed = point_seed(spec.seed, index, spec.random_numbers)
        try:
            scenario = scenario_from_dict(apply_values(base, params, values), f"point {index}")
        except SpecError as exc:
            bad += 1
            if bad <= MAX_PROBLEMS:
                where = f"point {index} ({design}: {describe(values)})"
                problems += [
                    f"{where}: parameter {_culprits(p, params, values)} gives {p}"
                    for p in exc.problems
                ]
            continue
        points.append(SweepPoint(index, design, varied, values, seed, "", scenario))
    if problems:
        if bad > MAX_PROBLEMS:
            problems.append(f"... and {bad - MAX_PROBLEMS} more invalid points")
        raise SpecError(problems, source)
    seen: dict[str, str] = {}
    keys = [point_key(spec, p.scenario, p.seed, seen) for p in points]
    return resolved, [dataclasses.replace(p, key=k) for p, k in zip(points, keys, strict=True)]


# --------------------------------------------------------------------------- metrics


def summary_metrics(summary: dict[str, Any]) -> dict[str, float]:
    """Numeric leaves of a summary, keyed like ``hybrid.npv_usd.cvar5`` or ``frontier[0]...``."""
    out = {}
    for key, value in flatten(summary):
        if isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_):
            out[key] = float(value)
    return out


def check_metrics(spec: SweepSpec, available: list[str], source: str = "<sweep>") -> None:
    """Refuse metric names the summary does not have, with the closest valid names."""
    import difflib

    valid = [*available, *(PLANNER_METRICS if spec.planner is not None else ())]
    problems = []
    for i, name in enumerate(spec.metrics):
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            problems.append(
                f"metrics[{i}]: {name!r} is not in the summary{hint} valid: {', '.join(valid)}"
            )
    if problems:
        raise SpecError(problems, source)
