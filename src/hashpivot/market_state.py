"""The dated market state: the market inputs a scenario or a valuation starts from.

A :class:`MarketState` holds, as of one date, the BTC price, the network difficulty and
hashrate, the chain tip height, the fees per block, the hashprice and a risk-free rate.
Each number is a :class:`SourcedValue`: the value, the date it describes, the public URL
it came from and, for fetched values, when it was retrieved. Nothing is undated or
unsourced, so every output built on a state can say which state it used and how old it is.

Two states exist side by side:

* the **packaged snapshot** (``hashpivot/data/market_state.yaml``), the offline default,
  built from the shared research facts and public data files, each value with its URL;
* the **cached state** that ``hashpivot data fetch bitcoin`` writes into the local data
  cache (:mod:`hashpivot.sources.cache`) from live sources.

:func:`latest_market_state` prefers the cached state and falls back to the snapshot;
:func:`load_market_state` reads either (or any file of the same layout).

References
----------
.. [1] Hashprice definition (expected USD earned by 1 PH/s per day), Luxor / Hashrate
   Index: https://docs.luxor.tech/derivatives/glossary ; formula in
   :func:`hashpivot.bitcoin.hashprice_usd_per_ph_day`.

"""

from __future__ import annotations

import datetime as dt
import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from hashpivot.errors import HashpivotError, SpecError
from hashpivot.specbase import Spec, format_errors, parse_yaml_mapping, read_spec_text

STATE_FIELDS: dict[str, tuple[float, float, str]] = {
    "btc_price_usd": (1e-6, 1e8, "USD/BTC"),
    "difficulty": (1.0, 1e20, "-"),
    "network_hashrate_eh_s": (1e-9, 1e6, "EH/s"),
    "block_height": (0.0, 10_000_000.0, "blocks"),
    "fees_btc_per_block": (0.0, 100.0, "BTC/block"),
    "hashprice_usd_per_ph_day": (0.0, 1e7, "USD/PH/day"),
    "risk_free_rate_frac_per_year": (-0.05, 0.5, "1/yr"),
}
"""Each value of a market state: (lowest, highest, unit); the ranges are plausibility
bounds (assumption), wide enough for any past or foreseeable market."""

CACHE_STATE_FILE = "market_state.yaml"
"""Name of the cached market state inside the data cache directory."""

DATA_DIR_ENV = "HASHPIVOT_DATA_DIR"
"""Environment variable that moves the local data cache (default: the user data dir)."""


class SourcedValue(Spec):
    """One market number with the date it describes and where it came from."""

    value: float = Field(
        ge=-1e20, le=1e20, description="The number, in the unit its field names. [field unit]"
    )
    as_of: dt.date = Field(description="Date the value describes (UTC day). [date]")
    source_url: str = Field(
        min_length=8, max_length=500, description="Public URL of the source (http or https)."
    )
    retrieved: dt.date | None = Field(
        default=None, description="Day the value was fetched; none for a packaged fact. [date]"
    )
    note: str = Field(default="", max_length=1000, description="How the value was read or derived.")

    @field_validator("source_url")
    @classmethod
    def _is_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            msg = f"must be a public URL starting with https:// or http://, got {value!r}"
            raise ValueError(msg)
        return value


class MarketState(Spec):
    """The market inputs of a valuation as of one date, each with its source."""

    as_of: dt.date = Field(description="Date the state describes: its newest value's date. [date]")
    label: str = Field(
        min_length=1, max_length=200, description="Which state this is (snapshot, cache)."
    )
    btc_price_usd: SourcedValue = Field(description="BTC price. [USD/BTC]")
    difficulty: SourcedValue = Field(description="Network difficulty. [-]")
    network_hashrate_eh_s: SourcedValue = Field(description="Network hashrate. [EH/s]")
    block_height: SourcedValue = Field(description="Chain tip height. [blocks]")
    fees_btc_per_block: SourcedValue = Field(description="Transaction fees per block. [BTC/block]")
    hashprice_usd_per_ph_day: SourcedValue = Field(
        description="Hashprice: USD earned by 1 PH/s in one day. [USD/PH/day]"
    )
    risk_free_rate_frac_per_year: SourcedValue = Field(
        description="Risk-free rate (US 10-year Treasury yield). [1/yr]"
    )

    @model_validator(mode="after")
    def _values_in_range_and_dated(self) -> MarketState:
        problems = []
        for name, (lo, hi, unit) in STATE_FIELDS.items():
            item: SourcedValue = getattr(self, name)
            if not lo <= item.value <= hi:
                rule = f"must be in [{lo:g}, {hi:g}] {unit}"
                problems.append(f"{name}.value: {item.value!r} — {rule}")
            if item.as_of > self.as_of:
                problems.append(
                    f"{name}.as_of: {item.as_of} — after the state's as_of {self.as_of}"
                )
        if self.block_height.value != int(self.block_height.value):
            problems.append(f"block_height.value: {self.block_height.value!r} — must be whole")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def oldest_as_of(self) -> dt.date:
        """The date of the oldest value in the state [date]."""
        dates: list[dt.date] = [getattr(self, name).as_of for name in STATE_FIELDS]
        return min(dates)

    def age_days(self, today: dt.date | None = None) -> int:
        """Days from the state's date to ``today`` (default: the UTC date now) [days]."""
        today = today or dt.datetime.now(dt.UTC).date()
        return (today - self.as_of).days

    def values(self) -> dict[str, float]:
        """The bare numbers, by field name, in the units of :data:`STATE_FIELDS`."""
        return {name: getattr(self, name).value for name in STATE_FIELDS}

    def describe(self, today: dt.date | None = None) -> str:
        """One line naming the state, its date, its age and its oldest value's date."""
        oldest = self.oldest_as_of()
        tail = f"; oldest value {oldest}" if oldest != self.as_of else ""
        return f"{self.label} as of {self.as_of} ({self.age_days(today)} days old{tail})"


def state_summary(state: MarketState, today: dt.date | None = None) -> dict[str, Any]:
    """What every output built on a state reports: which state, its date, age and sources."""
    return {
        "label": state.label,
        "as_of": str(state.as_of),
        "state_age_days": state.age_days(today),
        "oldest_as_of": str(state.oldest_as_of()),
        "values": state.values(),
        "value_as_of": {name: str(getattr(state, name).as_of) for name in STATE_FIELDS},
        "sources": {name: getattr(state, name).source_url for name in STATE_FIELDS},
    }


def parse_market_state(text: str, source: str = "<string>") -> MarketState:
    """Parse and validate a market state from YAML text (safe YAML only)."""
    data, root = parse_yaml_mapping(text, source)
    if not isinstance(data, dict):
        raise SpecError([f"(top level) — must be a mapping, got {type(data).__name__}"], source)
    try:
        return MarketState.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_errors(exc, root, MarketState), source) from None


def packaged_market_state() -> MarketState:
    """The packaged snapshot, ``hashpivot/data/market_state.yaml``."""
    ref = resources.files("hashpivot.data").joinpath("market_state.yaml")
    return parse_market_state(ref.read_text(encoding="utf-8"), "packaged market state")


def load_market_state(path: str | Path | None = None) -> MarketState:
    """The market state in ``path``, or the packaged snapshot when ``path`` is None.

    Raises
    ------
    SpecError
        When the file is missing, unreadable, not YAML, or breaks a rule of
        :class:`MarketState` (each problem names the field, the value and the rule).

    """
    if path is None:
        return packaged_market_state()
    return parse_market_state(*read_spec_text(path))


def default_cache_dir() -> Path:
    """The local data cache: ``$HASHPIVOT_DATA_DIR``, else ``<user data dir>/hashpivot/data``."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("hashpivot")) / "data"


def latest_market_state(cache_dir: str | Path | None = None) -> MarketState:
    """The cached state written by ``hashpivot data fetch bitcoin``, else the snapshot.

    A cached state that no longer validates raises (it is never silently skipped).
    """
    path = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = path / CACHE_STATE_FILE
    return load_market_state(cached) if cached.is_file() else packaged_market_state()


def market_state_to_yaml(state: MarketState) -> str:
    """Dump a state as plain YAML that :func:`parse_market_state` reads back equal."""
    data: dict[str, Any] = state.model_dump(mode="json", exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False)


# --------------------------------------------------------------------------- scenarios

BLOCKS_PER_DAY = 144
"""Blocks per day at the 600 s target spacing (86 400 / 600), used to carry a height
forward to a later start date (assumption: the network runs at the target rate)."""

_SCENARIO_KEYS = {
    "btc_price_usd": "btc_price_usd",
    "network_hashrate_eh_s": "network_hashrate_eh_s",
    "difficulty": "difficulty",
    "block_height": "block_height",
    "fees_btc_per_block": "fees_btc_per_block",
}
"""Scenario ``market`` field → market state field it takes its value from."""


def scenario_start_date(state: MarketState) -> dt.date:
    """First day of the first whole month from the state's date (its own date on a 1st)."""
    day = state.as_of
    if day.day == 1:
        return day
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def height_at(state: MarketState, day: dt.date) -> int:
    """The state's tip height carried to ``day`` at :data:`BLOCKS_PER_DAY` [blocks]."""
    days = (day - state.block_height.as_of).days
    return int(state.block_height.value) + BLOCKS_PER_DAY * max(days, 0)


def _value_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


def _comment(state: MarketState, name: str, extra: str = "") -> list[str]:
    item: SourcedValue = getattr(state, name)
    got = f", retrieved {item.retrieved}" if item.retrieved else ""
    lines = [f"  # {state.label}: as of {item.as_of}{got}, {item.source_url}"]
    return lines + ([f"  # {extra}"] if extra else [])


def scenario_text_with_state(text: str, state: MarketState) -> str:
    """A scenario YAML whose dates and market values come from ``state``, each with its source.

    ``as_of`` becomes the state's date, ``start_date`` the first whole month from it
    (:func:`scenario_start_date`), and ``market``'s price, hashrate, difficulty, height
    (carried to the start date by :func:`height_at`) and fees the state's values, the
    comments above each replaced by the value's date and source URL. Everything else,
    comments included, is kept as written.

    Raises
    ------
    HashpivotError
        When ``text`` lacks a field to replace (a scenario file of another layout).

    """
    start = scenario_start_date(state)
    lines, seen = _rewrite(text.splitlines(), state, start, _market_lines(state, start))
    missing = sorted({"as_of", "start_date", *_SCENARIO_KEYS} - seen)
    if missing:
        msg = f"scenario text has no field {', '.join(missing)} to take from the market state"
        raise HashpivotError(msg)
    hp = state.hashprice_usd_per_ph_day
    head = (
        f"# Market state: {state.describe()}; hashprice {hp.value:.2f} USD/PH/day "
        f"as of {hp.as_of} ({hp.source_url})."
    )
    return head + "\n" + "\n".join(lines) + "\n"


def _market_lines(state: MarketState, start: dt.date) -> dict[str, list[str]]:
    """For each scenario market key: its source comments and its ``key: value`` line."""
    height = height_at(state, start)
    out: dict[str, list[str]] = {}
    for key, name in _SCENARIO_KEYS.items():
        value = float(height) if key == "block_height" else getattr(state, name).value
        extra = ""
        if key == "block_height" and height != state.block_height.value:
            extra = f"{int(state.block_height.value)} + 144 blocks/day to {start} (assumption)"
        out[key] = [*_comment(state, name, extra), f"  {key}: {_value_text(value)}"]
    return out


def _rewrite(
    lines: list[str], state: MarketState, start: dt.date, market: dict[str, list[str]]
) -> tuple[list[str], set[str]]:
    """Replace the top-level dates and the ``market`` values (and the comments above them)."""
    out: list[str] = []
    seen: set[str] = set()
    in_market = False
    for line in lines:
        top = line[:1] not in ("", " ", "#")
        in_market = line.startswith("market:") if top else in_market
        key = line.split(":", 1)[0].strip()
        if line.startswith("# As of ") and line[8:18].count("-") == 2:
            rest = line[18:].removeprefix(".")
            out.append(f"# Market values from the state above; the rest as of {line[8:18]}.{rest}")
            continue
        if top and key in ("as_of", "start_date"):
            note = "the market state's date" if key == "as_of" else "first whole month from it"
            day = state.as_of if key == "as_of" else start
            out.append(f"{key}: {day}          # {note} ({state.label})")
        elif in_market and line.startswith("  ") and not line.startswith("   ") and key in market:
            while out and out[-1].startswith("  #"):
                out.pop()
            out += market[key]
        else:
            out.append(line)
            continue
        seen.add(key)
    return out, seen
