"""Records of the run store: what a saved run looks like, how inputs are checked, how two compare.

Used by :mod:`hashpivot.store.runstore`; the names without a leading underscore are its helpers.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml
from pydantic import BaseModel

from hashpivot.errors import HashpivotError, SpecError, UnknownNameError
from hashpivot.spec import scenario_from_dict
from hashpivot.store.db import StoreError

PerPath = Mapping[str, npt.ArrayLike] | pd.DataFrame
"""Per-path results: named arrays (first axis = path), or a frame of numeric columns."""

ScenarioLike = str | Mapping[str, Any] | BaseModel
"""A scenario as YAML text, a mapping, or a spec model."""

FloatArray = npt.NDArray[np.float64]

_MAX_EXACT_INT = 2**53


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class ArrayInfo:
    """Name, dtype and shape of one stored per-path array."""

    name: str
    dtype: str
    shape: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}


@dataclass(frozen=True)
class RunInfo:
    """What :meth:`RunStore.list_runs` shows of a run. Times are UTC."""

    run_id: str
    kind: str
    status: str
    scenario_name: str | None
    seed: int | None
    code_version: str
    started_at: dt.datetime
    finished_at: dt.datetime
    tags: tuple[str, ...]
    per_path_format: str | None
    per_path_values: int
    error: str | None

    @property
    def duration_s(self) -> float:
        """Wall time of the run, in seconds."""
        return (self.finished_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, times in ISO 8601 with their UTC offset."""
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "status": self.status,
            "scenario_name": self.scenario_name,
            "seed": self.seed,
            "code_version": self.code_version,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "duration_s": self.duration_s,
            "tags": list(self.tags),
            "per_path_format": self.per_path_format,
            "per_path_values": self.per_path_values,
            "error": self.error,
        }


@dataclass(frozen=True)
class RunRecord(RunInfo):
    """A run with its scenario (YAML text as given), summary and per-path array list."""

    scenario_yaml: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    arrays: tuple[ArrayInfo, ...] = ()

    def info(self) -> RunInfo:
        """The metadata alone."""
        return RunInfo(*(getattr(self, f.name) for f in fields(RunInfo)))

    def scenario(self) -> dict[str, Any]:
        """The scenario as a mapping (safe YAML)."""
        data = yaml.safe_load(self.scenario_yaml)
        return data if isinstance(data, dict) else {}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: metadata, scenario (mapping and YAML text), summary, array list."""
        return {
            **super().to_dict(),
            "scenario": plain(self.scenario(), "scenario"),
            "scenario_yaml": self.scenario_yaml,
            "summary": self.summary,
            "per_path_arrays": [a.to_dict() for a in self.arrays],
        }


@dataclass(frozen=True)
class ScenarioChange:
    """One field that differs between two scenarios; ``path`` as in ``sites[0].name``."""

    path: str
    a: Any
    b: Any
    change: str
    """``changed``, ``added`` (only in b) or ``removed`` (only in a)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"path": self.path, "a": self.a, "b": self.b, "change": self.change}


@dataclass(frozen=True)
class RunComparison:
    """Two runs side by side: every summary metric, and the scenario fields that differ.

    ``metrics`` has one row per summary leaf (``mining.btc_mined``, ``frontier[0].share``):
    ``metric``, ``a``, ``b``, ``diff`` = b − a and ``rel_diff`` = (b − a)/|a| (NaN unless
    both are numbers, and for ``rel_diff`` unless a ≠ 0).
    """

    a: RunRecord
    b: RunRecord
    metrics: pd.DataFrame
    scenario_changes: tuple[ScenarioChange, ...]

    @property
    def scenarios_differ(self) -> bool:
        """Whether the two scenarios differ in any field."""
        return bool(self.scenario_changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "a": RunInfo.to_dict(self.a),
            "b": RunInfo.to_dict(self.b),
            "metrics": plain(self.metrics.to_dict(orient="records"), "metrics"),
            "scenarios_differ": self.scenarios_differ,
            "scenario_changes": plain([c.to_dict() for c in self.scenario_changes], "changes"),
        }


# --------------------------------------------------------------------------- conversions


def plain(value: Any, where: str) -> Any:
    """Plain JSON values: numpy to Python, NaN/inf to None, dates to ISO text."""
    if isinstance(value, Mapping):
        return {str(k): plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return plain(value.tolist(), where)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    msg = f"{where}: a {type(value).__name__} cannot be stored as JSON"
    raise StoreError(msg)


def scenario_text(scenario: ScenarioLike) -> tuple[str, dict[str, Any]]:
    """The scenario's YAML text (as given, or dumped) and its mapping."""
    if isinstance(scenario, str):
        text = scenario
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError([f"scenario: YAML does not parse: {exc}"]) from None
    else:
        raw = scenario.model_dump(mode="json") if isinstance(scenario, BaseModel) else scenario
        data = plain(raw, "scenario")
        text = yaml.safe_dump(data, sort_keys=False)
    if not isinstance(data, dict):
        raise SpecError([f"scenario: must be a mapping of fields, got {type(data).__name__}"])
    return text, data


def check_array(name: object, value: npt.ArrayLike) -> tuple[ArrayInfo, FloatArray]:
    """Check one per-path array; return its info and its values flattened to float64."""
    if not isinstance(name, str) or not name:
        msg = f"per_path: array names must be non-empty strings, got {name!r}"
        raise StoreError(msg)
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        msg = f"per_path[{name!r}]: dtype {arr.dtype} is not numeric or boolean"
        raise StoreError(msg)
    if (
        arr.dtype.kind in "iu"
        and arr.size
        and (arr.max() > _MAX_EXACT_INT or arr.min() < -_MAX_EXACT_INT)
    ):
        msg = f"per_path[{name!r}]: integers beyond ±2**53 would not round-trip exactly"
        raise StoreError(msg)
    info = ArrayInfo(name, arr.dtype.name, tuple(int(n) for n in arr.shape))
    return info, arr.astype(np.float64).reshape(-1)


def _frame_arrays(frame: pd.DataFrame) -> list[tuple[ArrayInfo, FloatArray]]:
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        msg = "per_path: the frame's index is not kept; call reset_index() to keep it as a column"
        raise StoreError(msg)
    if not frame.columns.is_unique:
        msg = "per_path: the frame's column names must be unique"
        raise StoreError(msg)
    return [check_array(name, frame[name].to_numpy()) for name in frame.columns]


def per_path_arrays(
    per_path: PerPath | None,
) -> tuple[str | None, list[tuple[ArrayInfo, FloatArray]]]:
    """The per-path format (``arrays``, ``frame`` or None) and the arrays to store."""
    if per_path is None:
        return None, []
    if isinstance(per_path, pd.DataFrame):
        return "frame", _frame_arrays(per_path)
    if isinstance(per_path, Mapping):
        return "arrays", [check_array(name, value) for name, value in per_path.items()]
    msg = f"per_path: expected a mapping of name -> array or a DataFrame, got {type(per_path)}"
    raise StoreError(msg)


def utc(value: dt.datetime | None, name: str) -> dt.datetime:
    """An aware UTC time (naive input is taken as UTC); now if ``value`` is None."""
    if value is None:
        return dt.datetime.now(dt.UTC)
    if not isinstance(value, dt.datetime):
        msg = f"{name}: expected a datetime, got {value!r}"
        raise StoreError(msg)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def naive_utc(value: dt.datetime) -> dt.datetime:
    """The naive UTC time DuckDB's TIMESTAMP columns hold."""
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def choose(kind: str, value: str, valid: tuple[str, ...]) -> str:
    """``value`` if it is one of ``valid``, else an error listing them."""
    if value not in valid:
        close = difflib.get_close_matches(str(value), valid, n=2)
        raise UnknownNameError(kind, str(value), list(valid), close)
    return value


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags stripped, non-empty, each once, in order."""
    if isinstance(tags, str):
        tags = [tags]
    out: list[str] = []
    for tag in tags:
        text = str(tag).strip()
        if not text:
            msg = "tags: a tag must not be empty"
            raise StoreError(msg)
        if text not in out:
            out.append(text)
    return out


def check_seed(seed: int | None) -> int | None:
    """The seed as a Python int (64-bit) or None."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        msg = f"seed: expected an integer or None, got {seed!r}"
        raise StoreError(msg)
    if not -(2**63) <= int(seed) < 2**63:
        msg = f"seed: {seed} does not fit in 64 bits"
        raise StoreError(msg)
    return int(seed)


# --------------------------------------------------------------------------- comparison

_ABSENT = object()


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaves of nested mappings and lists, keyed like ``mining.halvings[0].date``."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{i}]")
    else:
        yield prefix, value


def _number(value: Any) -> float | None:
    """``value`` as a float if it is a number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _metrics(a: Mapping[str, Any], b: Mapping[str, Any]) -> pd.DataFrame:
    left, right = dict(flatten(a)), dict(flatten(b))
    keys = [*left, *(k for k in right if k not in left)]
    diffs, rels = [], []
    for key in keys:
        fa, fb = _number(left.get(key)), _number(right.get(key))
        diff = rel = math.nan
        if fa is not None and fb is not None:
            diff = fb - fa
            rel = diff / abs(fa) if fa else math.nan
        diffs.append(diff)
        rels.append(rel)
    return pd.DataFrame(
        {
            "metric": pd.Series(keys, dtype=object),
            "a": pd.Series([left.get(k) for k in keys], dtype=object),
            "b": pd.Series([right.get(k) for k in keys], dtype=object),
            "diff": np.array(diffs, dtype=np.float64),
            "rel_diff": np.array(rels, dtype=np.float64),
        }
    )


def _diff(a: Any, b: Any, path: str) -> Iterator[ScenarioChange]:
    """Field-by-field differences of two parsed scenarios."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in [*a, *(k for k in b if k not in a)]:
            sub = f"{path}.{key}" if path else str(key)
            yield from _diff(a.get(key, _ABSENT), b.get(key, _ABSENT), sub)
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            va = a[i] if i < len(a) else _ABSENT
            vb = b[i] if i < len(b) else _ABSENT
            yield from _diff(va, vb, f"{path}[{i}]")
    elif a is _ABSENT:
        yield ScenarioChange(path, None, b, "added")
    elif b is _ABSENT:
        yield ScenarioChange(path, a, None, "removed")
    elif a != b:
        yield ScenarioChange(path, a, b, "changed")


def _canonical_scenario(record: RunRecord) -> dict[str, Any]:
    """The scenario with defaults filled in when it is a valid :class:`Scenario`."""
    data = record.scenario()
    try:
        return scenario_from_dict(data).model_dump(mode="json")
    except HashpivotError:
        out: dict[str, Any] = plain(data, "scenario")
        return out


def compare_records(a: RunRecord, b: RunRecord) -> RunComparison:
    """Summary metrics of two runs side by side, and where their scenarios differ."""
    changes = tuple(_diff(_canonical_scenario(a), _canonical_scenario(b), ""))
    return RunComparison(a, b, _metrics(a.summary, b.summary), changes)
