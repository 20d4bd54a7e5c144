"""Parameter sweeps: ``Sweep(spec).run(workers=..., scheduler=...)`` → :class:`SweepResult`.

A sweep varies fields of a base scenario (:mod:`hashpivot.sweep.spec`), builds and
validates every point before anything runs (:mod:`hashpivot.sweep.design`), runs each
point's Monte Carlo -- and the conversion planner when asked -- as one task, serially
or on Dask (:mod:`hashpivot.sweep.run`), and turns the points into sensitivity tables
(:mod:`hashpivot.sweep.analysis`)::

    from hashpivot.sweep.core import Sweep
    sweep = Sweep.from_file("sweep.yaml")           # every point validated here
    result = sweep.run(workers=2, output_dir="out")  # LocalCluster of 2 workers
    result.to_frame()                               # one row per point and metric
    result.tornado()                                # low/high vs base per parameter

Seeds: each point's seed comes from the sweep seed and the point's index only
(:func:`~hashpivot.sweep.design.point_seed`), and a point's Monte Carlo gives the same
numbers for the same seed, so results do not depend on the number of workers or the
order in which points finish.

Resume: with an ``output_dir``, each finished point is kept as
``points/<key>.parquet``, where the key hashes everything the point's numbers depend
on (its full scenario, paths, seed, planner settings, and the hashpivot version and a
fingerprint of its code). A rerun of the same spec reads those files and computes only
the points still missing; a changed point, or changed code, gets a new key and is
computed again. The tidy table goes to
``results.parquet`` and the summary to ``sweep.json``, both written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hashpivot.errors import SpecError
from hashpivot.io import jsonable, write_atomic
from hashpivot.simulation import Simulation
from hashpivot.spec import (
    Scenario,
    default_scenario,
    default_scenario_text,
    load_scenario,
    scenario_from_dict,
)
from hashpivot.sweep.analysis import decision_flips, design_pairs, one_way, tornado, two_way
from hashpivot.sweep.design import (
    ResolvedParameter,
    SweepPoint,
    build_points,
    describe,
    summary_metrics,
)
from hashpivot.sweep.design import (
    check_metrics as check_metric_names,
)
from hashpivot.sweep.paths import PathError, expand, parse_path, set_value
from hashpivot.sweep.run import (
    PointCache,
    PointOutcome,
    PointTask,
    SweepError,
    run_dask,
    run_serial,
    write_parquet_atomic,
)
from hashpivot.sweep.spec import (
    PLANNER_METRICS,
    ParameterSpec,
    SweepSpec,
    example_sweep_text,
    is_number,
    load_sweep,
    parse_sweep,
)

__all__ = [
    "PLANNER_METRICS",
    "ParameterSpec",
    "PointOutcome",
    "Sweep",
    "SweepError",
    "SweepPoint",
    "SweepResult",
    "SweepSpec",
    "default_workers",
    "example_sweep_text",
    "load_sweep",
    "parse_sweep",
]

PROBE_MONTHS = 12
"""Horizon of the short run that lists the summary's metric names. [months]"""

OutcomeFn = Callable[[PointOutcome], None]


def default_workers() -> int:
    """Cores this process may use: the default number of LocalCluster workers."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


# --------------------------------------------------------------------------- base


def base_scenario(spec: SweepSpec, base_dir: Path | None) -> tuple[str, Scenario]:
    """The base scenario's YAML text (for the run store) and the scenario with ``fixed`` set."""
    if spec.base == "default":
        text, scenario = default_scenario_text(), default_scenario()
    else:
        path = Path(spec.base).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        scenario = load_scenario(path)
        text = path.read_text(encoding="utf-8")
    if not spec.fixed:
        return text, scenario
    data = scenario.model_dump(mode="json")
    problems = []
    for path_text, value in spec.fixed.items():
        try:
            for parts in expand(data, parse_path(path_text)):
                set_value(data, parts, value)
        except PathError as exc:
            problems.append(f"fixed.{path_text}: {exc}")
    if problems:
        raise SpecError(problems, "sweep fixed values")
    return text, scenario_from_dict(data, "base scenario with the sweep's fixed values")


def available_metrics(scenario: Scenario, frontier_shares: tuple[float, ...]) -> list[str]:
    """Metric names of a point's summary, from a short run of the base scenario."""
    short = scenario.model_copy(
        update={"horizon_months": min(scenario.horizon_months, PROBE_MONTHS)}
    )
    try:
        summary = (
            Simulation(short, frontier_shares=frontier_shares).run(paths=1000, seed=0).summary()
        )
    except Exception as exc:  # any failure of the base is reported as such
        msg = (
            f"the base scenario fails the short run ({PROBE_MONTHS} months, 1 000 paths) that "
            f"lists the metrics, so every point would: {type(exc).__name__}: {exc}"
        )
        raise SpecError([msg], "sweep base scenario") from None
    return list(summary_metrics(summary))


# --------------------------------------------------------------------------- the sweep


class Sweep:
    """A validated sweep: every point's scenario built before anything runs.

    Parameters
    ----------
    spec
        The sweep spec.
    base_dir
        Folder against which a relative ``base`` scenario path resolves (the sweep
        file's folder); default the working directory.
    source
        Name of the spec in error messages (the file name).
    check_metrics
        Check the metric names against a short run of the base scenario (about 0.2 s).

    Raises
    ------
    SpecError
        A bad path, a bad value or an unknown metric, naming the parameter and the point.

    """

    def __init__(
        self,
        spec: SweepSpec,
        base_dir: str | Path | None = None,
        source: str = "<sweep>",
        check_metrics: bool = True,
    ) -> None:
        self.spec = spec
        self.source = source
        self.base_text, self.base = base_scenario(
            spec, None if base_dir is None else Path(base_dir)
        )
        self.parameters, self.points = build_points(spec, self.base.model_dump(mode="json"), source)
        if check_metrics:
            check_metric_names(spec, available_metrics(self.base, spec.frontier_shares), source)

    @classmethod
    def from_file(cls, path: str | Path) -> Sweep:
        """Load, validate and build a sweep from a YAML file."""
        p = Path(path)
        return cls(load_sweep(p), base_dir=p.resolve().parent, source=str(p))

    def tasks(self) -> list[PointTask]:
        """One task per point."""
        s = self.spec
        return [
            PointTask(p.index, p.key, p.scenario, s.paths, p.seed, s.frontier_shares, s.planner)
            for p in self.points
        ]

    def run(
        self,
        workers: int | None = 1,
        scheduler: str | None = None,
        output_dir: str | Path | None = None,
        resume: bool = True,
        on_outcome: OutcomeFn | None = None,
    ) -> SweepResult:
        """Run every point not already finished; return all of them.

        Parameters
        ----------
        workers
            1 runs serially in this process (no Dask); more starts a Dask LocalCluster of
            that many single-threaded worker processes, stopped at the end; None takes
            :func:`default_workers`. Ignored when ``scheduler`` is given.
        scheduler
            Address of an existing Dask scheduler (``tcp://host:8786``) to run on.
        output_dir
            Folder of the per-point cache, ``results.parquet`` and ``sweep.json``; None
            keeps everything in memory (no resume).
        resume
            Reuse finished points found in ``output_dir``.
        on_outcome
            Called with every outcome, reused ones first, then as points finish.

        Points whose keys are equal (the same scenario and seed, as when a one-way value
        is the base value under common random numbers) are computed once.

        """
        start = time.perf_counter()
        cache = None if output_dir is None else PointCache(Path(output_dir))
        outcomes: dict[int, PointOutcome] = {}

        def record(outcome: PointOutcome) -> None:
            outcomes[outcome.index] = outcome
            if on_outcome is not None:
                on_outcome(outcome)

        for outcome in self._reused(cache if resume else None):
            record(outcome)
        pending, same_key = self._pending(set(outcomes))

        def handle(outcome: PointOutcome) -> None:
            """Keep a computed outcome once, and give it to every point with its key."""
            if cache is not None:
                cache.save(outcome)
            for index in same_key[outcome.key]:
                record(dataclasses.replace(outcome, index=index))

        n = min(default_workers() if workers is None else max(int(workers), 1), len(pending))
        executor = _executor(scheduler, n)
        if executor == "serial":
            run_serial(pending, handle)
        elif pending:
            run_dask(pending, handle, scheduler, n)
        result = SweepResult(self, outcomes, time.perf_counter() - start, executor)
        if output_dir is not None:
            result.write(Path(output_dir))
        return result

    def _pending(self, done: set[int]) -> tuple[list[PointTask], dict[str, list[int]]]:
        """Tasks still to compute, one per key, and the points that share each key."""
        pending: list[PointTask] = []
        same_key: dict[str, list[int]] = {}
        for task in self.tasks():
            if task.index not in done:
                if task.key not in same_key:
                    pending.append(task)
                same_key.setdefault(task.key, []).append(task.index)
        return pending, same_key

    def _reused(self, cache: PointCache | None) -> list[PointOutcome]:
        if cache is None:
            return []
        found = cache.load({p.key for p in self.points})
        return [
            PointOutcome(p.index, p.key, found[p.key][0], None, found[p.key][1], reused=True)
            for p in self.points
            if p.key in found
        ]


def _executor(scheduler: str | None, workers: int) -> str:
    """Where points run: ``serial`` (this process), a LocalCluster, or the scheduler."""
    if workers == 0:
        return "nothing to run (every point reused)"
    if scheduler is not None:
        return scheduler
    return "serial" if workers == 1 else f"LocalCluster({workers})"


# --------------------------------------------------------------------------- results


@dataclass
class SweepResult:
    """The points of a sweep with their outcomes, and the sensitivity tables."""

    sweep: Sweep
    outcomes: dict[int, PointOutcome]
    seconds: float
    executor: str

    @property
    def spec(self) -> SweepSpec:
        """The sweep spec."""
        return self.sweep.spec

    @property
    def parameters(self) -> list[ResolvedParameter]:
        """The parameters, bound to the base scenario."""
        return self.sweep.parameters

    def _value(self, point: SweepPoint, p: ResolvedParameter) -> Any:
        return point.values.get(p.path, p.base_value)

    def wide(self) -> pd.DataFrame:
        """One row per point: origin, seed, status, parameter values, metrics, error."""
        rows = []
        for pt in self.sweep.points:
            out = self.outcomes.get(pt.index)
            row: dict[str, Any] = {
                "point": pt.index,
                "design": pt.design,
                "varied": pt.varied,
                "seed": pt.seed,
                "key": pt.key,
                "ok": bool(out and out.ok),
                "reused": bool(out and out.reused),
                "seconds": math.nan if out is None else out.seconds,
                "error": None if out is None else out.error,
            }
            row.update({p.path: self._value(pt, p) for p in self.parameters})
            metrics = {} if out is None else out.metrics
            names = [*self.spec.metrics, *_extra(metrics, self.spec.metrics)]
            row.update({m: metrics.get(m, math.nan) for m in names})
            rows.append(row)
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Tidy results of the points that computed: one row per point and metric."""
        wide = self.wide()
        wide = wide[wide["ok"]]
        ids = ["point", "design", "varied", "seed", "key"]
        params = [p.path for p in self.parameters]
        long = wide[ids + params + list(self.spec.metrics)].melt(
            id_vars=ids + params, var_name="metric", value_name="value"
        )
        for path in params:
            long[path] = _column(long[path])
        long["varied"] = long["varied"].astype("str").where(long["varied"].notna(), None)
        long["value"] = long["value"].astype(float)
        return long.sort_values(["point", "metric"], kind="stable").reset_index(drop=True)

    def failures(self) -> list[dict[str, Any]]:
        """Points that failed: index, origin, parameter values, seed and the error."""
        out = []
        for pt in self.sweep.points:
            o = self.outcomes.get(pt.index)
            if o is not None and not o.ok:
                out.append(
                    {
                        "point": pt.index,
                        "design": pt.design,
                        "values": describe(pt.values),
                        "seed": pt.seed,
                        "error": o.error,
                    }
                )
        return out

    def tornado(self, metrics: list[str] | None = None) -> pd.DataFrame:
        """Each parameter's low and high one-way point against base, per metric."""
        names = list(metrics or self.spec.metrics)
        return tornado(self.wide(), self.parameters, names, _paths(self.spec))

    def one_way(self, metrics: list[str] | None = None) -> pd.DataFrame:
        """One-way curves: each parameter across its values, others at base."""
        return one_way(self.wide(), self.parameters, list(metrics or self.spec.metrics))

    def two_way(self, metric: str | None = None) -> list[tuple[str, str, pd.DataFrame]]:
        """``(x, y, frame)`` for each pair of design parameters, for ``metric``."""
        name = metric or self.spec.metrics[0]
        wide = self.wide()
        pairs = design_pairs(
            self.spec.design, [p for p in self.parameters if p.spec in self.spec.in_design()]
        )
        return [(x, y, two_way(wide, x, y, name)) for x, y in pairs]

    def decision_flips(self) -> pd.DataFrame:
        """Where the planner's first-period decision flips along each one-way line."""
        return decision_flips(self.wide(), self.parameters)

    def summary(self) -> dict[str, Any]:
        """Counts, timing, the tornado and the failures, JSON-ready."""
        s = self.spec
        n_ok = sum(o.ok for o in self.outcomes.values())
        return {
            "sweep": s.name,
            "base_scenario": self.sweep.base.name,
            "seed": s.seed,
            "random_numbers": s.random_numbers,
            "paths_per_point": _paths(s),
            "design": s.design,
            "points": len(self.sweep.points),
            "ok": n_ok,
            "failed": sum(not o.ok for o in self.outcomes.values()),
            "not_run": len(self.sweep.points) - len(self.outcomes),
            "reused": sum(o.reused for o in self.outcomes.values()),
            "computed": sum(not o.reused for o in self.outcomes.values()),
            "executor": self.executor,
            "seconds": self.seconds,
            "parameters": [p.path for p in self.parameters],
            "metrics": list(s.metrics),
            "tornado": self.tornado().to_dict(orient="records"),
            "decision_flips": self.decision_flips().to_dict(orient="records"),
            "failures": self.failures(),
        }

    def to_dict(self) -> dict[str, Any]:
        """Summary plus ``results``: every point's values, seed, status and metrics (``--json``)."""
        points = []
        for pt in self.sweep.points:
            o = self.outcomes.get(pt.index)
            status = "not run" if o is None else ("ok" if o.ok else "failed")
            metrics = {m: (o.metrics.get(m) if o else None) for m in self.spec.metrics}
            points.append(
                {
                    "point": pt.index,
                    "design": pt.design,
                    "varied": pt.varied,
                    "values": pt.values,
                    "seed": pt.seed,
                    "key": pt.key,
                    "status": status,
                    "metrics": metrics,
                }
            )
        return {**self.summary(), "spec": self.spec.model_dump(mode="json"), "results": points}

    def store_frame(self) -> pd.DataFrame:
        """Numeric per-point table for the run store: point, seed, ok, parameters, metrics."""
        wide = self.wide()
        cols = ["point", "seed", "ok"]
        cols += [p.path for p in self.parameters if wide[p.path].map(_num_or_none).all()]
        frame = wide[cols + list(self.spec.metrics)].copy()
        for col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        return frame.reset_index(drop=True)

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Write ``results.parquet`` (tidy) and ``sweep.json`` (summary) atomically."""
        folder.mkdir(parents=True, exist_ok=True)
        table = folder / "results.parquet"
        write_parquet_atomic(self.to_frame(), table)
        meta = folder / "sweep.json"
        write_atomic(meta, json.dumps(jsonable(self.summary()), indent=1, default=str))
        return table, meta


def _paths(spec: SweepSpec) -> int:
    return -(-spec.paths // 1000) * 1000


def _extra(metrics: dict[str, float], wanted: tuple[str, ...]) -> list[str]:
    """Summary siblings the tables use: ``*.std`` of each ``*.mean`` and the planner's."""
    extra = [m.removesuffix(".mean") + ".std" for m in wanted if m.endswith(".mean")]
    extra += [m for m in PLANNER_METRICS if m in metrics]
    return [m for m in dict.fromkeys(extra) if m not in wanted]


def _num_or_none(value: Any) -> bool:
    return value is None or is_number(value)


def _column(values: pd.Series) -> pd.Series:
    """A parameter column for Parquet: floats when every value is a number, else JSON text."""
    if values.map(_num_or_none).all():
        return values.astype(float)
    return values.map(lambda v: v if isinstance(v, str) else json.dumps(v, default=str)).astype(
        "str"
    )
