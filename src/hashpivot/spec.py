"""Typed, validated scenario specs (pydantic v2) and their YAML input/output.

Every numeric field carries its unit in its name and a valid range. Unknown keys are
refused. :func:`load_scenario` turns every problem into one
:class:`~hashpivot.errors.SpecError` whose lines name the YAML path of the field, its
line in the file, the bad value and the rule.

Defaults that no source gives are labelled *assumption* in their description.
"""

from __future__ import annotations

import datetime as dt
import difflib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hashpivot.errors import SpecError, UnknownNameError
from hashpivot.hardware import get_asic


class Spec(BaseModel):
    """Base of all specs: frozen, unknown keys refused, defaults validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class FleetSpec(Spec):
    """A fleet tier: one ASIC model × a count of machines at a site."""

    asic_model: str = Field(
        description="ASIC model name from the catalogue (`hashpivot catalog asics`)."
    )
    count: int = Field(gt=0, le=5_000_000, description="Machines installed. [units]")
    uptime_frac: float = Field(
        default=0.95,
        ge=0.0,
        le=1.0,
        description="Share of hours the fleet hashes (assumption: 0.95, typical of public "
        "miners' reported fleet uptime). [-]",
    )
    capex_usd_per_th: float | None = Field(
        default=None,
        ge=0.0,
        le=1000.0,
        description="ASIC purchase price for payback; default is the catalogue price, "
        "none when the catalogue has none. [USD/TH]",
    )

    hashrate_th_s_per_unit: float | None = Field(
        default=None,
        gt=0.0,
        le=10_000.0,
        description="Hashrate of one machine when tuned away from the catalogue value. [TH/s]",
    )
    efficiency_j_per_th: float | None = Field(
        default=None,
        gt=0.0,
        le=10_000.0,
        description="Efficiency when tuned away from the catalogue value (power follows as "
        "TH/s × J/TH). [J/TH]",
    )
    useful_life_months: int = Field(
        default=36,
        ge=1,
        le=240,
        description="Straight-line depreciation life of the ASICs, counted from the "
        "projection start (assumption: 36 months). [months]",
    )

    @field_validator("asic_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        try:
            return get_asic(value).model
        except UnknownNameError as exc:
            raise ValueError(str(exc)) from None

    def unit(self) -> tuple[float, float, float]:
        """``(TH/s, W, J/TH)`` of one machine: catalogue values with any overrides."""
        asic = get_asic(self.asic_model)
        th_s = self.hashrate_th_s_per_unit or asic.hashrate_th_s
        if self.efficiency_j_per_th is None and self.hashrate_th_s_per_unit is None:
            return th_s, asic.power_w, asic.efficiency_j_per_th
        j_per_th = self.efficiency_j_per_th or asic.efficiency_j_per_th
        return th_s, th_s * j_per_th, j_per_th


class PowerContractSpec(Spec):
    """Power bought at a fixed price with an optional annual escalator."""

    kind: Literal["fixed"] = Field(default="fixed", description="Contract type: 'fixed' price.")
    price_usd_per_mwh: float = Field(
        ge=-1000.0, le=10_000.0, description="All-in power price (energy + adders). [USD/MWh]"
    )
    escalator_frac_per_year: float = Field(
        default=0.0, ge=-0.5, le=0.5, description="Annual escalation of the price. [1/yr]"
    )


class SiteSpec(Spec):
    """A site: grid interconnect, power contract, cooling overhead and ASIC fleets."""

    name: str = Field(min_length=1, max_length=80, description="Site name, unique in the scenario.")
    region: str = Field(
        default="", max_length=80, description="Market or ISO zone, e.g. 'ERCOT West'."
    )
    power_capacity_mw: float = Field(
        gt=0.0, le=10_000.0, description="Gross interconnect capacity at the meter. [MW]"
    )
    mining_pue: float = Field(
        default=1.05,
        ge=1.0,
        le=2.0,
        description="Mining power usage effectiveness: site draw / ASIC draw; well-designed "
        "ASIC sites are close to 1.05 (https://d-central.tech/mining-glossary/"
        "power-usage-effectiveness-pue/). [-]",
    )
    pool_fee_frac: float = Field(
        default=0.02,
        ge=0.0,
        le=0.1,
        description="Mining-pool fee as a fraction of revenue (assumption: 0.02, a common "
        "FPPS fee). [-]",
    )
    other_opex_usd_per_mw_month: float = Field(
        default=0.0,
        ge=0.0,
        le=1_000_000.0,
        description="Non-power operating cost per MW of fleet draw (staff, repairs, "
        "hosting). [USD/MW/month]",
    )
    shutdown_when_unprofitable: bool = Field(
        default=True,
        description="Switch a fleet off in months when its breakeven power price is below "
        "the contract price (revenue would not pay its power).",
    )
    power: PowerContractSpec = Field(description="Power contract.")
    fleets: tuple[FleetSpec, ...] = Field(default=(), description="ASIC fleet tiers.")

    @model_validator(mode="after")
    def _fleets_fit_interconnect(self) -> SiteSpec:
        draw_mw = sum(f.unit()[1] * f.count for f in self.fleets) / 1e6
        draw_mw *= self.mining_pue
        if draw_mw > self.power_capacity_mw * (1 + 1e-9):
            msg = (
                f"fleets draw {draw_mw:.1f} MW with cooling (ASIC W × count × mining_pue), "
                f"more than power_capacity_mw {self.power_capacity_mw:g}"
            )
            raise ValueError(msg)
        return self


class MarketSpec(Spec):
    """Deterministic market assumptions: starting values and constant monthly growth."""

    btc_price_usd: float = Field(gt=0.0, le=1e8, description="BTC price at the start. [USD/BTC]")
    btc_price_growth_frac_per_month: float = Field(
        default=0.0, ge=-0.5, le=0.5, description="BTC price growth per month. [1/month]"
    )
    network_hashrate_eh_s: float = Field(
        gt=0.0, le=1e6, description="Network hashrate at the start. [EH/s]"
    )
    network_hashrate_growth_frac_per_month: float = Field(
        default=0.0, ge=-0.5, le=0.5, description="Network hashrate growth per month. [1/month]"
    )
    difficulty: float | None = Field(
        default=None,
        gt=0.0,
        le=1e20,
        description="Difficulty at the start; default is the difficulty that the starting "
        "hashrate meets at 600 s per block. [-]",
    )
    block_height: int = Field(
        ge=0, le=10_000_000, description="Block height at the start. [blocks]"
    )
    fees_btc_per_block: float = Field(
        default=0.05, ge=0.0, le=100.0, description="Transaction fees per block. [BTC/block]"
    )


class Scenario(Spec):
    """Everything one run needs."""

    name: str = Field(min_length=1, max_length=120, description="Scenario name.")
    description: str = Field(default="", max_length=4000, description="Free text.")
    as_of: dt.date = Field(description="Date the inputs describe.")
    start_date: dt.date = Field(description="First day of the first projected month.")
    horizon_months: int = Field(default=60, ge=1, le=600, description="Months projected. [months]")
    market: MarketSpec = Field(description="Market assumptions.")
    sites: tuple[SiteSpec, ...] = Field(min_length=1, description="Sites of the company.")

    @field_validator("start_date")
    @classmethod
    def _first_of_month(cls, value: dt.date) -> dt.date:
        if value.day != 1:
            msg = (
                f"must be the first day of a month (projections run by calendar month), got {value}"
            )
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _unique_site_names(self) -> Scenario:
        names = [s.name for s in self.sites]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            msg = f"site names must be unique; repeated: {', '.join(dupes)}"
            raise ValueError(msg)
        return self


# --------------------------------------------------------------------------- YAML I/O


def _loc_to_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _yaml_line(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at ``loc``, or of its nearest existing parent."""
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            child = next((v for k, v in node.value if k.value == part), None)
            if child is None:  # an unknown key: point at the key itself
                child = next((k for k, _ in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """Valid field names of the spec that holds the field at ``loc``."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        field = fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        nested = [a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            return []
        current = nested[0]
    return list(getattr(current, "model_fields", {}))


def _rule_text(err: Any, model: type[BaseModel]) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        valid = _fields_at(model, loc)
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown field{hint} valid fields here: {', '.join(valid)}"
    if kind == "missing":
        return "required field is missing"
    if loc and str(loc[-1]).endswith("_frac") and kind.startswith(("less_than", "greater_than")):
        msg += " (fractions are written as fractions: 0.02 means 2 %)"
    return msg


def _format_errors(
    exc: ValidationError, root: yaml.Node | None, model: type[BaseModel]
) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        where = _loc_to_path(loc)
        line = _yaml_line(root, loc) if root is not None else None
        at = f" (line {line})" if line else ""
        value = "" if err["type"] == "missing" else f": {err.get('input')!r}"
        if err["type"] in {"model_type", "dict_type"} or isinstance(err.get("input"), dict):
            value = ""
        problems.append(f"{where}{at}{value} — {_rule_text(err, model)}")
    return problems


def parse_scenario(text: str, source: str = "<string>") -> Scenario:
    """Parse and validate a scenario from YAML text (safe YAML only, never code)."""
    if not text.strip():
        raise SpecError(["the file is empty; start from `hashpivot init PATH`"], source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError([f"YAML does not parse: {where}{problem}"], source) from None
    if not isinstance(data, dict):
        got = type(data).__name__
        raise SpecError([f"(top level) — must be a mapping of fields, got {got}"], source)
    return scenario_from_dict(data, source, root)


def scenario_from_dict(
    data: dict[str, Any], source: str = "<dict>", root: yaml.Node | None = None
) -> Scenario:
    """Validate a scenario given as a mapping; problems become one :class:`SpecError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_format_errors(exc, root, Scenario), source) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario YAML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([f"file not found: {p}"], str(p)) from None
    except (IsADirectoryError, UnicodeDecodeError, PermissionError) as exc:
        raise SpecError([f"cannot read {p}: {exc}"], str(p)) from None
    return parse_scenario(text, str(p))


def default_scenario_text() -> str:
    """The packaged default scenario as commented YAML."""
    ref = resources.files("hashpivot.data").joinpath("default_scenario.yaml")
    return ref.read_text(encoding="utf-8")


def default_scenario() -> Scenario:
    """The packaged default scenario, validated."""
    return parse_scenario(default_scenario_text(), "default scenario")


def scenario_to_yaml(scenario: Scenario) -> str:
    """Dump a scenario as plain YAML (no comments) that loads back to an equal spec."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False)
