"""The typed sweep spec (:class:`SweepSpec`) and its YAML input.

A sweep varies fields of a base scenario, named by dotted paths
(:mod:`hashpivot.sweep.paths`), and collects metrics from each point's Monte Carlo
summary. Points come from two sets:

* the **one-way** set: the base point, then each parameter on its own across its
  values (``values``, or ``one_way_points`` evenly spaced from ``low`` to ``high``) with
  every other field at base; it feeds the tornado chart and the one-way plots;
* the joint **design** over ``design_parameters``: a full ``grid``, a Latin-hypercube
  sample (``lhs``, :class:`scipy.stats.qmc.LatinHypercube`, seeded), or a ``list`` that
  zips the parameters' values; it feeds the two-way plots.

Example (the packaged ``data/sweeps/example.yaml`` is a longer one)::

    name: volatility-vs-lease
    base: default                      # or a scenario YAML, relative to this file
    paths: 2000
    seed: 7
    parameters:
      - path: market_model.btc_price.volatility_frac_per_year
        values: [0.35, 0.5, 0.8]
      - path: sites[*].conversions[0].lease.rate_usd_per_kw_month
        low: 110
        high: 170
    design: grid
    metrics: [hybrid.npv_usd.mean, hybrid.npv_usd.cvar5, variance_reduction_frac]

References
----------
.. [1] M. D. McKay, R. J. Beckman and W. J. Conover (1979), A comparison of three methods
   for selecting values of input variables in the analysis of output from a computer
   code, Technometrics 21(2):239-245 (Latin hypercube sampling).
.. [2] A. Saltelli et al. (2008), Global Sensitivity Analysis: The Primer, Wiley, ch. 1
   (one-at-a-time designs and tornado charts as local sensitivity measures).

"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from hashpivot.errors import SpecError
from hashpivot.planner.spec import PlannerSpec
from hashpivot.specbase import Spec, format_errors, parse_yaml_mapping, read_spec_text
from hashpivot.sweep.paths import PathError, parse_path

DEFAULT_METRICS = ("hybrid.npv_usd.mean", "hybrid.npv_usd.cvar5", "variance_reduction_frac")
"""Metrics collected when a spec names none: expected NPV, its CVaR (5 %), hedge."""

PLANNER_METRICS = (
    "planner.first_period_convert_mw",
    "planner.first_period_convert",
    "planner.converted_mw",
    "planner.expected_npv_usd",
    "planner.cvar_usd",
)
"""Metrics of the planner's plan at each point (need a ``planner`` section):
gross MW converted in the first period over all sites [MW], 1 if that is more than
:data:`DECISION_TOLERANCE_MW` else 0 [-], gross MW converted by the end of the horizon
[MW], in-sample expected NPV and CVaR of loss of the plan [USD]."""

DECISION_TOLERANCE_MW = 0.1
"""First-period conversions below this count as "do not convert" (LP round-off). [MW]"""


class ParameterSpec(Spec):
    """One swept field: its dotted path and its values (a list, or a low-high range)."""

    path: str = Field(
        min_length=1,
        max_length=300,
        description="Dotted field path in the scenario, e.g. sites[0].power.price_usd_per_mwh; "
        "[*] stands for every list entry that has the rest of the path.",
    )
    label: str = Field(
        default="", max_length=120, description="Name shown in tables and charts; default the path."
    )
    values: tuple[Any, ...] | None = Field(
        default=None,
        min_length=1,
        max_length=10_000,
        description="Values to try (numbers, text or whole mappings); give either values or "
        "low and high.",
    )
    low: float | None = Field(default=None, description="Low end of the range (in field units).")
    high: float | None = Field(default=None, description="High end of the range (in field units).")
    scale: Literal["linear", "log"] = Field(
        default="linear",
        description="Spacing of range values and of Latin-hypercube samples; log needs low > 0.",
    )
    grid_points: int = Field(
        default=3, ge=2, le=1000, description="Values of the range in a grid design. [count]"
    )
    apply: Literal["set", "multiply"] = Field(
        default="set",
        description="set: the field takes the value; multiply: the field's base value is "
        "multiplied by it (e.g. 0.8-1.2 on every site's power price).",
    )

    @field_validator("path")
    @classmethod
    def _path_parses(cls, value: str) -> str:
        try:
            parse_path(value)
        except PathError as exc:
            raise ValueError(str(exc)) from None
        return value.strip()

    @model_validator(mode="after")
    def _values_or_range(self) -> ParameterSpec:
        has_range = self.low is not None or self.high is not None
        if (self.values is None) == (not has_range):
            msg = "give either values or both low and high"
            raise ValueError(msg)
        if self.values is None:
            if self.low is None or self.high is None:
                msg = "give both low and high"
                raise ValueError(msg)
            if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.high <= self.low:
                msg = f"high {self.high:g} must be above low {self.low:g} (both finite)"
                raise ValueError(msg)
            if self.scale == "log" and self.low <= 0:
                msg = f"scale log needs low > 0, got {self.low:g}"
                raise ValueError(msg)
        if self.apply == "multiply" and not all(is_number(v) for v in self.numeric_domain()):
            msg = "apply multiply needs numeric values (factors)"
            raise ValueError(msg)
        return self

    def numeric_domain(self) -> tuple[Any, ...]:
        """The values, or the range ends."""
        return self.values if self.values is not None else (self.low, self.high)

    def name(self) -> str:
        """The label, else the path."""
        return self.label or self.path


def is_number(value: Any) -> bool:
    """True for a finite int or float that is not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class SweepSpec(Spec):
    """A parameter sweep: base scenario, swept fields, designs, paths, seed and metrics."""

    name: str = Field(min_length=1, max_length=120, description="Sweep name.")
    description: str = Field(default="", max_length=4000, description="Free text.")
    base: str = Field(
        default="default",
        min_length=1,
        description="Base scenario: 'default' (the packaged one) or a scenario YAML path, "
        "relative to the sweep file.",
    )
    fixed: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted field path -> value set on the base scenario for every point "
        "(e.g. horizon_months: 24).",
    )
    parameters: tuple[ParameterSpec, ...] = Field(
        min_length=1, max_length=200, description="The swept fields."
    )
    one_way_points: int = Field(
        default=3,
        ge=0,
        le=1001,
        description="Points per range parameter in the one-way set, low to high (parameters "
        "with values use their values); 0 leaves the one-way set out (no tornado). [count]",
    )
    design: Literal["none", "grid", "lhs", "list"] = Field(
        default="none",
        description="Joint design over design_parameters: none, grid (every combination), "
        "lhs (Latin-hypercube samples of the ranges), list (the i-th value of each).",
    )
    design_parameters: tuple[str, ...] = Field(
        default=(),
        description="Paths of the parameters in the joint design; empty means all of them.",
    )
    samples: int = Field(
        default=32, ge=1, le=1_000_000, description="Latin-hypercube samples (design lhs). [count]"
    )
    max_points: int = Field(
        default=100_000,
        ge=1,
        le=10_000_000,
        description="Largest number of points a sweep may have (guards against huge grids). "
        "[count]",
    )
    paths: int = Field(
        default=2000,
        ge=1,
        le=1_000_000,
        description="Monte Carlo paths per point, rounded up to whole thousands. [paths]",
    )
    seed: int = Field(
        default=0,
        ge=0,
        le=2**63 - 1,
        description="Sweep seed: seeds the Latin hypercube and every point's seed.",
    )
    random_numbers: Literal["per_point", "common"] = Field(
        default="per_point",
        description="per_point: point i's seed is SeedSequence(seed).spawn(i + 1)[i]; common: "
        "every point uses the same seed (common random numbers), so differences between "
        "points come from the parameters only.",
    )
    metrics: tuple[str, ...] = Field(
        default=DEFAULT_METRICS,
        min_length=1,
        max_length=500,
        description="Dotted names in the Monte Carlo summary (e.g. hybrid.npv_usd.cvar5, "
        "variance_reduction_frac) or planner metrics (planner.first_period_convert_mw).",
    )
    frontier_shares: tuple[float, ...] = Field(
        default=(),
        max_length=50,
        description="AI shares of site MW for the Monte Carlo frontier at each point "
        "(metrics frontier[i]...); empty skips it. [-]",
    )
    planner: PlannerSpec | None = Field(
        default=None,
        description="Run the conversion planner at each point with these settings, for the "
        "planner metrics; evaluation_paths and frontier_risk_aversions default to 0 and [] "
        "here, and the seed is each point's.",
    )

    @field_validator("fixed")
    @classmethod
    def _fixed_paths_parse(cls, value: dict[str, Any]) -> dict[str, Any]:
        for path in value:
            try:
                parse_path(str(path))
            except PathError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("frontier_shares")
    @classmethod
    def _shares_are_fractions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        bad = [s for s in value if not 0.0 <= s <= 1.0]
        if bad:
            msg = f"shares must be fractions in [0, 1], got {bad[0]:g}"
            raise ValueError(msg)
        return value

    @field_validator("planner", mode="before")
    @classmethod
    def _planner_defaults(cls, value: Any) -> Any:
        if isinstance(value, dict):
            if "seed" in value:
                msg = "the planner runs with each point's seed; remove planner.seed"
                raise ValueError(msg)
            return {"evaluation_paths": 0, "frontier_risk_aversions": (), **value}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        paths = [p.path for p in self.parameters]
        dupes = sorted({p for p in paths if paths.count(p) > 1})
        if dupes:
            msg = f"parameters: each path once; repeated: {', '.join(dupes)}"
            raise ValueError(msg)
        unknown = [p for p in self.design_parameters if p not in paths]
        if unknown:
            msg = f"design_parameters: {unknown[0]!r} is not a parameter path; paths: {paths}"
            raise ValueError(msg)
        if self.one_way_points == 1:
            msg = "one_way_points: 0 (no one-way set) or at least 2 (low and high)"
            raise ValueError(msg)
        if self.design == "list":
            self._check_list_design()
        wants_planner = [m for m in self.metrics if m.startswith("planner.")]
        if wants_planner and self.planner is None:
            msg = f"metric {wants_planner[0]!r} needs a planner section (planner: {{}})"
            raise ValueError(msg)
        bad = [m for m in wants_planner if m not in PLANNER_METRICS]
        if bad:
            msg = f"unknown planner metric {bad[0]!r}; valid: {', '.join(PLANNER_METRICS)}"
            raise ValueError(msg)
        return self

    def _check_list_design(self) -> None:
        lengths = {}
        for p in self.in_design():
            if p.values is None:
                msg = f"design list: parameter {p.path} needs values, not low and high"
                raise ValueError(msg)
            lengths[p.path] = len(p.values)
        if len(set(lengths.values())) > 1:
            msg = f"design list: every parameter needs as many values; got {lengths}"
            raise ValueError(msg)

    def in_design(self) -> tuple[ParameterSpec, ...]:
        """The parameters of the joint design (all when design_parameters is empty)."""
        if not self.design_parameters:
            return self.parameters
        return tuple(p for p in self.parameters if p.path in self.design_parameters)


# --------------------------------------------------------------------------- YAML I/O


def sweep_from_dict(
    data: dict[str, Any], source: str = "<dict>", root: yaml.Node | None = None
) -> SweepSpec:
    """Validate a sweep spec given as a mapping; problems become one :class:`SpecError`."""
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_errors(exc, root, SweepSpec), source) from None


def parse_sweep(text: str, source: str = "<string>") -> SweepSpec:
    """Parse and validate a sweep spec from YAML text (safe YAML only)."""
    data, root = parse_yaml_mapping(text, source)
    if not isinstance(data, dict):
        raise SpecError(["(top level) — must be a mapping of sweep fields"], source)
    return sweep_from_dict(data, source, root)


def load_sweep(path: str | Path) -> SweepSpec:
    """Load and validate a sweep spec YAML file."""
    return parse_sweep(*read_spec_text(path))


def example_sweep_text() -> str:
    """The packaged example sweep spec as commented YAML."""
    ref = resources.files("hashpivot.data").joinpath("sweeps", "example.yaml")
    return ref.read_text(encoding="utf-8")
