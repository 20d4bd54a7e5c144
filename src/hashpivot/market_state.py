"""The dated market state: the market inputs a scenario or a valuation starts from.

A :class:`MarketState` holds, as of one date, the BTC price, the network difficulty and
hashrate, the chain tip height, the fees per block, the hashprice and a risk-free rate.
Each number is a :class:`SourcedValue`: the value, the date it describes, the public URL
it came from and, for fetched values, when it was retrieved. Nothing is undated or
unsourced, so every output built on a state can say which state it used and how old it is.

States come from two places:

* the **packaged series** (``hashpivot/data/market_states.yaml``): one state per date
  (2024-12-31, each quarter end from 2025-03-31 to 2026-03-31, the catalogue files'
  2026-02-20 and 2026-06-26, the last close of the public price series), built from
  public data and sourced reports, each value with its date and URL. Where a
  value of a state's own date was not found, an older sourced value stands in with its
  own date, so a state may mix dates; :meth:`MarketState.oldest_as_of` names the oldest.
  Its last state is the **packaged snapshot**, the offline default;
* the **cached state** that ``hashpivot data fetch bitcoin`` writes into the local data
  cache (:mod:`hashpivot.sources.cache`) from live sources.

:func:`market_state_on` gives the state at a date (the newest not later than it, the
cached one first); :func:`latest_market_state` prefers the cached state and falls back
to the snapshot; :func:`load_market_state` reads one state from a file of the same
layout; :func:`check_market_state` tests a state's values against each other.

References
----------
.. [1] Hashprice definition (expected USD earned by 1 PH/s per day), Luxor / Hashrate
   Index: https://docs.luxor.tech/derivatives/glossary ; formula in
   :func:`hashpivot.bitcoin.hashprice_usd_per_ph_day`.

"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
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


PACKAGED_STATES_FILE = "market_states.yaml"
"""The packaged series of dated states inside ``hashpivot.data``."""


class MarketStateSeries(Spec):
    """Dated market states, oldest first, each date once."""

    states: list[MarketState] = Field(
        min_length=1, max_length=1000, description="The states, by date. [-]"
    )

    @model_validator(mode="after")
    def _dates_increase(self) -> MarketStateSeries:
        days = [s.as_of for s in self.states]
        for i, (a, b) in enumerate(itertools.pairwise(days), start=1):
            if b <= a:
                msg = f"states[{i}].as_of: {b} — must be after the state before it ({a})"
                raise ValueError(msg)
        return self


def parse_market_states(text: str, source: str = "<string>") -> list[MarketState]:
    """Parse and validate a series of states (``states:`` list) from YAML text."""
    data, root = parse_yaml_mapping(text, source)
    if not isinstance(data, dict):
        raise SpecError([f"(top level) — must be a mapping, got {type(data).__name__}"], source)
    try:
        return list(MarketStateSeries.model_validate(data).states)
    except ValidationError as exc:
        raise SpecError(format_errors(exc, root, MarketStateSeries), source) from None


@functools.cache
def _packaged_states() -> tuple[MarketState, ...]:
    ref = resources.files("hashpivot.data").joinpath(PACKAGED_STATES_FILE)
    states = parse_market_states(ref.read_text(encoding="utf-8"), "packaged market states")
    problems = [f"{s.as_of}: {p}" for s in states for p in check_market_state(s)]
    if problems:
        raise SpecError(problems, "packaged market states")
    return tuple(states)


def packaged_market_states() -> list[MarketState]:
    """The packaged series, ``hashpivot/data/market_states.yaml``, oldest first.

    Every state passes :func:`check_market_state` (a packaged state that fails raises).
    """
    return list(_packaged_states())


def packaged_market_state() -> MarketState:
    """The packaged snapshot: the newest state of the packaged series."""
    return _packaged_states()[-1]


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


def _cached_state(cache_dir: str | Path | None) -> MarketState | None:
    path = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = path / CACHE_STATE_FILE
    return load_market_state(cached) if cached.is_file() else None


def latest_market_state(cache_dir: str | Path | None = None) -> MarketState:
    """The cached state written by ``hashpivot data fetch bitcoin``, else the snapshot.

    A cached state that no longer validates raises (it is never silently skipped).
    """
    cached = _cached_state(cache_dir)
    return cached if cached is not None else packaged_market_state()


def market_state_on(day: dt.date, cache_dir: str | Path | None = None) -> MarketState:
    """The market state at ``day``: the newest state dated on or before it.

    Candidates are the packaged series and the cached state of ``hashpivot data fetch
    bitcoin``; on a tie of dates the cached state wins. A cached state that no longer
    validates raises.

    Raises
    ------
    HashpivotError
        When ``day`` is before every state; the message names the first state's date.

    """
    cached = _cached_state(cache_dir)
    candidates = [*_packaged_states(), *([cached] if cached is not None else [])]
    usable = [s for s in candidates if s.as_of <= day]
    if not usable:
        first = min(s.as_of for s in candidates)
        msg = (
            f"as of {day}: no market state is dated on or before it (the first packaged "
            f"state is of {first}); pass a state file (--market-state) or a later date"
        )
        raise HashpivotError(msg)
    return max(usable, key=lambda s: (s.as_of, s is cached))


def valuation_market_state(day: dt.date, cache_dir: str | Path | None = None) -> MarketState:
    """The state a valuation dated ``day`` starts from: :func:`market_state_on`.

    Before the first state the first packaged state is returned: it is later than
    ``day``, so :func:`hashpivot.company.listed_value.choose_market` refuses it and
    values on the market scenario's block, saying that the state is after the date.
    """
    try:
        return market_state_on(day, cache_dir)
    except HashpivotError:
        return _packaged_states()[0]


# --------------------------------------------------------------------------- checks

STATE_BLOCKS_PER_DAY_RANGE = (115.0, 175.0)
"""Blocks a day that a state's hashrate and difficulty may imply, 86400·H/(D·2^32)
(assumption: a hashrate read within about two weeks of the difficulty in force is
within one ordinary retarget of it; the largest retargets of 2025–2026 were +14.7 % and
−11.2 %, https://yifi.io/blog/mining/bitcoin-mining-difficulty). Tighter than
:data:`hashpivot.spec.BLOCKS_PER_DAY_RANGE`, the 4x clamp any scenario must meet."""

HALVING_HEIGHT = 840_000
HALVING_DATE = dt.date(2024, 4, 20)
"""Block 840 000, the fourth halving, was mined on 2024-04-20 (UTC):
https://fxstreet.com/cryptocurrencies/news/breaking-bitcoin-halving-concludes-successfully-as-btc-miner-rewards-reduce-to-3125-202404200012"""

HEIGHT_BLOCKS_PER_DAY_RANGE = (130.0, 160.0)
"""Mean blocks a day from the 2024 halving to a state's height (assumption: 144 at the
600 s target, and hashrate growth has kept the long-run mean within a few per cent of it;
2024-04-20..12-31 averaged 37 260 / 256 = 145.5)."""

HASHPRICE_TOLERANCE_FRAC = 0.05
"""Largest relative gap between a state's hashprice and the one its price, difficulty,
subsidy and fees give (assumption: a realized hashprice differs from the expected one by
the day's luck, 1.3 % on 2024-12-31; a derived one by rounding only)."""


def check_market_state(state: MarketState) -> list[str]:
    """Problems of a state whose values do not agree with each other; empty when none.

    :func:`hashpivot.spec.check_network_state` (the rules every scenario's market
    meets), then tighter rules for a dated state: hashrate and difficulty within
    :data:`STATE_BLOCKS_PER_DAY_RANGE` blocks a day, the height within
    :data:`HEIGHT_BLOCKS_PER_DAY_RANGE` of the halving's pace, and the hashprice within
    :data:`HASHPRICE_TOLERANCE_FRAC` of :func:`hashpivot.bitcoin.hashprice_usd_per_ph_day`.
    """
    from hashpivot import bitcoin
    from hashpivot.spec import check_network_state

    v = state.values()
    height = int(v["block_height"])
    problems: list[str] = []
    try:
        check_network_state(v["network_hashrate_eh_s"], v["difficulty"], height,
                            v["btc_price_usd"], v["fees_btc_per_block"])  # fmt: skip
    except ValueError as exc:
        problems.append(str(exc))
        return problems
    per_day = float(bitcoin.expected_blocks_per_day(v["network_hashrate_eh_s"] * 1e18,
                                                    v["difficulty"]))  # fmt: skip
    low, high = STATE_BLOCKS_PER_DAY_RANGE
    if not low <= per_day <= high:
        problems.append(
            f"network_hashrate_eh_s {v['network_hashrate_eh_s']:g} and difficulty "
            f"{v['difficulty']:.6g} give {per_day:.1f} blocks a day (must be {low:g} to {high:g})"
        )
    days = (state.block_height.as_of - HALVING_DATE).days
    if days > 0:
        pace = (height - HALVING_HEIGHT) / days
        low, high = HEIGHT_BLOCKS_PER_DAY_RANGE
        if not low <= pace <= high:
            problems.append(
                f"block_height {height} on {state.block_height.as_of} is {pace:.1f} blocks a "
                f"day since block {HALVING_HEIGHT} on {HALVING_DATE} (must be {low:g} to {high:g})"
            )
    subsidy = float(bitcoin.subsidy_btc(height))
    expected = float(
        bitcoin.hashprice_usd_per_ph_day(
            v["btc_price_usd"], v["difficulty"], subsidy, v["fees_btc_per_block"]
        )
    )
    got = v["hashprice_usd_per_ph_day"]
    if not math.isclose(got, expected, rel_tol=HASHPRICE_TOLERANCE_FRAC):
        problems.append(
            f"hashprice_usd_per_ph_day {got:g} differs from {expected:.2f} USD/PH/day, the "
            f"value of the state's price, difficulty, subsidy and fees, by more than "
            f"{HASHPRICE_TOLERANCE_FRAC:.0%}"
        )
    return problems


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
