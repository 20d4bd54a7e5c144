"""The local data cache: one CSV per data set, a manifest, atomic and incremental writes.

The cache lives in ``$HASHPIVOT_DATA_DIR`` or else ``<user data dir>/hashpivot/data``
(:func:`hashpivot.market_state.default_cache_dir`). Each data set is one CSV file; the
manifest ``manifest.json`` records, per data set, its file, source, source URL, the UTC
time of the last retrieval, the first and last key and the row count.

An update merges the new rows into the file (a row whose key is already there replaces
it, so re-fetching an overlapping window is safe and the file grows incrementally), then
rewrites the file and the manifest, each through a temporary file renamed over the old
one (:func:`hashpivot.io.write_atomic_with`): a reader sees the old or the new version,
never a half-written one. Adapters check an answer fully before anything reaches the
cache, so a failed or malformed fetch leaves it as it was.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from hashpivot.errors import HashpivotError
from hashpivot.io import write_atomic, write_atomic_with
from hashpivot.market_state import (
    CACHE_STATE_FILE,
    MarketState,
    default_cache_dir,
    latest_market_state,
    market_state_to_yaml,
    packaged_market_states,
)
from hashpivot.sources.mempool import market_state_from_snapshot

MANIFEST_FILE = "manifest.json"
"""Name of the manifest inside the cache directory."""


@dataclass(frozen=True)
class CacheEntry:
    """What the manifest says about one cached data set."""

    name: str
    file: str
    source: str
    source_url: str
    retrieved_utc: str
    first: str
    last: str
    rows: int


class DataCache:
    """The cache directory: read data sets, merge new rows in, and keep the manifest."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()

    def path(self, name: str) -> Path:
        """File of data set ``name``."""
        return self.root / f"{name}.csv"

    def manifest(self) -> dict[str, CacheEntry]:
        """The manifest's entries by data set name (empty when nothing is cached)."""
        path = self.root / MANIFEST_FILE
        if not path.is_file():
            return {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return {k: CacheEntry(**v) for k, v in raw.get("datasets", {}).items()}
        except (ValueError, TypeError) as exc:
            msg = f"data cache manifest {path} is damaged ({exc}); remove it and fetch again"
            raise HashpivotError(msg) from None

    def read(self, name: str) -> pd.DataFrame | None:
        """The cached rows of ``name``, or None when it was never fetched."""
        path = self.path(name)
        return pd.read_csv(path) if path.is_file() else None

    def update(
        self,
        name: str,
        frame: pd.DataFrame,
        key: Sequence[str],
        source: str,
        source_url: str,
        retrieved: dt.datetime | None = None,
    ) -> CacheEntry:
        """Merge ``frame`` into data set ``name`` and record it in the manifest.

        Rows are matched on ``key``; on a match the new values win where they are not
        missing. New columns (another ticker) are added, older rows keep theirs.

        Returns
        -------
        CacheEntry
            The manifest entry written.

        """
        if frame.empty:
            msg = f"{source}: no rows to cache for {name}"
            raise HashpivotError(msg)
        merged = _merge(self.read(name), frame, list(key))
        when = (retrieved or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        entry = CacheEntry(
            name=name,
            file=self.path(name).name,
            source=source,
            source_url=source_url,
            retrieved_utc=when.isoformat(),
            first=str(merged[key[0]].iloc[0]),
            last=str(merged[key[0]].iloc[-1]),
            rows=len(merged),
        )
        write_atomic_with(self.path(name), lambda tmp: merged.to_csv(tmp, index=False))
        self._write_manifest({**self.manifest(), name: entry})
        return entry

    def write_state(self, state: MarketState) -> Path:
        """Write the cached market state that :func:`latest_market_state` prefers."""
        path = self.root / CACHE_STATE_FILE
        write_atomic(path, market_state_to_yaml(state))
        return path

    def _write_manifest(self, entries: dict[str, CacheEntry]) -> None:
        payload: dict[str, Any] = {
            "format": 1,
            "datasets": {k: asdict(v) for k, v in sorted(entries.items())},
        }
        write_atomic(self.root / MANIFEST_FILE, json.dumps(payload, indent=2) + "\n")


def _keys_alike(old: pd.DataFrame, new: pd.DataFrame, key: list[str]) -> dict[str, Any]:
    """One dtype per key column: numbers stay numbers (hour 2 sorts before 10), else text."""
    types: dict[str, Any] = {}
    for k in key:
        numeric = is_numeric_dtype(old[k]) and is_numeric_dtype(new[k])
        types[k] = np.float64 if numeric else str
    return types


def _merge(old: pd.DataFrame | None, new: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """``new`` over ``old`` on ``key``, sorted by key; numeric keys restored to integers."""
    base = new if old is None else old
    types = _keys_alike(base, new, key)
    fresh = new.astype(types).drop_duplicates(subset=key, keep="last")
    if old is None:
        merged = fresh
    else:
        kept = old.astype(types).set_index(key)
        merged = fresh.set_index(key).combine_first(kept).reset_index()
        order = [c for c in (*key, *old.columns, *new.columns) if c in merged.columns]
        merged = merged[list(dict.fromkeys(order))]
    merged = merged.sort_values(key, kind="stable").reset_index(drop=True)
    for k, kind in types.items():
        if kind is np.float64 and (merged[k] == merged[k].round()).all():
            merged[k] = merged[k].astype(np.int64)
    return merged


NETWORK_DATASET = "bitcoin_network"
"""Cached data set of ``hashpivot data fetch bitcoin``: one row per fetch."""


def market_state_as_of(day: dt.date, root: str | Path | None = None) -> MarketState:
    """The newest market state dated on or before ``day``.

    Candidates: each cached ``bitcoin_network`` row (a state per fetch, through
    :func:`hashpivot.sources.mempool.market_state_from_snapshot`), the cached state and
    every state of the packaged series (:func:`hashpivot.market_state.packaged_market_states`).

    Raises
    ------
    HashpivotError
        When no candidate is dated on or before ``day``; the message names what exists.

    """
    cache = DataCache(root)
    fallback = latest_market_state(cache.root)
    candidates = [fallback, *packaged_market_states()]
    rows = cache.read(NETWORK_DATASET)
    if rows is not None and not rows.empty:
        dates = pd.to_datetime(rows["date"]).dt.date
        earlier = rows[dates <= day]
        if not earlier.empty:
            candidates.append(market_state_from_snapshot(earlier.iloc[-1], fallback))
    usable = [s for s in candidates if s.as_of <= day]
    if not usable:
        known = ", ".join(sorted({f"{s.label} ({s.as_of})" for s in candidates}))
        msg = (
            f"--as-of {day}: no market state dated on or before it (known: {known}); "
            "run `hashpivot data fetch bitcoin` or pick a later date"
        )
        raise HashpivotError(msg)
    return max(usable, key=lambda s: (s.as_of, s.label.startswith("cache")))
